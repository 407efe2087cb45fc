package storeopen_test

import (
	"context"
	"strings"
	"testing"

	"github.com/veilig/veilig/backend/store/storeopen"
)

func TestParse(t *testing.T) {
	tests := []struct {
		url  string
		kind storeopen.Kind
		path string
	}{
		{"postgres://u:p@db:5432/veilig", storeopen.KindPostgres, ""},
		{"postgresql://db/veilig?sslmode=require", storeopen.KindPostgres, ""},
		{"sqlite:///var/lib/veilig/veilig.db", storeopen.KindSQLite, "/var/lib/veilig/veilig.db"},
		{"sqlite://data/veilig.db", storeopen.KindSQLite, "data/veilig.db"},
		{"file:data/veilig.db", storeopen.KindSQLite, "data/veilig.db"},
		{"veilig.db", storeopen.KindSQLite, "veilig.db"},
		{"", storeopen.KindUnknown, ""},
		{"sqlite://", storeopen.KindUnknown, ""},
		{"mysql://u:p@db/veilig", storeopen.KindUnknown, ""},
	}
	for _, tt := range tests {
		kind, path := storeopen.Parse(tt.url)
		if kind != tt.kind || path != tt.path {
			t.Errorf("Parse(%q) = %v, %q; want %v, %q", tt.url, kind, path, tt.kind, tt.path)
		}
	}
}

func TestOpenErrorsDoNotRepeatTheURL(t *testing.T) {
	for _, url := range []string{"mysql://user:hunter2@db/veilig", "postgres://user:hunter2@db:notaport/veilig"} {
		_, err := storeopen.Open(context.Background(), url)
		if err == nil {
			t.Fatalf("Open(%q) succeeded", url)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Open error leaks the password: %v", err)
		}
	}
}
