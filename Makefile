# Everyday commands. The README's two commands need none of these.

.PHONY: run test generate lint check build

run:
	go run ./backend/cmd/veilig serve

test:
	go test -race ./...

build:
	go build -o bin/veilig ./backend/cmd/veilig

# Regenerates proto/gen byte for byte (and runs buf format and buf lint).
generate:
	./scripts/generate.sh

lint: generate
	go vet ./...
	test -z "$$(gofmt -l $$(git ls-files '*.go'))"

# What CI runs.
check:
	bash .ci/run
