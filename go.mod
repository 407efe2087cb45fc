module github.com/veilig/veilig

go 1.26
