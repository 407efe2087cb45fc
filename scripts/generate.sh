#!/usr/bin/env bash
# Regenerates, byte for byte, the Go code of the API contract and of every storage engine's
# SQL, with tools pinned in tools/go.mod (buf, protoc-gen-go, protoc-gen-connect-go, sqlc). No Buf Schema Registry access is
# needed: validate.proto comes from the pinned protovalidate Go module.
set -euo pipefail
cd "$(dirname "$0")/.."

PROTOVALIDATE=github.com/bufbuild/protovalidate@v1.2.2

dir=$(cd "$(mktemp -d)" && go mod download -json "$PROTOVALIDATE" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -n "$dir" ] || { echo "generate: could not download $PROTOVALIDATE" >&2; exit 1; }
rm -rf build/protodeps
mkdir -p build/protodeps/buf/validate
cp "$dir/proto/protovalidate/buf/validate/validate.proto" build/protodeps/buf/validate/
chmod 0644 build/protodeps/buf/validate/validate.proto

buf() { go tool -modfile=tools/go.mod buf "$@"; }
buf format -w proto
buf lint
rm -rf proto/gen
buf generate

# Each engine's queries (backend/store/<engine>/queries/*.sql) become typed Go in its
# internal/dbsqlc package.
for cfg in backend/store/storepgx/sqlc.yaml backend/store/storesqlite/sqlc.yaml; do
  go tool -modfile=tools/go.mod sqlc generate -f "$cfg"
done
# The written access policy is rendered from its declaration (backend/access).
go test ./backend/access -run TestDocsMatchDeclaration -update >/dev/null
echo "generate: docs/access.md, proto/gen and the engines' dbsqlc packages are up to date; buf lint is clean"
