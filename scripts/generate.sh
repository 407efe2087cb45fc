#!/usr/bin/env bash
# Regenerates, byte for byte, the Go code of the API contract and of every storage engine's
# SQL, with tools pinned in tools/go.mod (buf, protoc-gen-go, protoc-gen-connect-go, sqlc), and
# the TypeScript client (clients/ts/gen, protoc-gen-es pinned in clients/ts/package-lock.json).
# No Buf Schema Registry access is needed: validate.proto is vendored in third_party/proto,
# copied here from the pinned protovalidate Go module.
set -euo pipefail
cd "$(dirname "$0")/.."

PROTOVALIDATE=github.com/bufbuild/protovalidate@v1.2.2

dir=$(cd "$(mktemp -d)" && go mod download -json "$PROTOVALIDATE" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -n "$dir" ] || { echo "generate: could not download $PROTOVALIDATE" >&2; exit 1; }
cp "$dir/proto/protovalidate/buf/validate/validate.proto" third_party/proto/buf/validate/
chmod 0644 third_party/proto/buf/validate/validate.proto

buf() { go tool -modfile=tools/go.mod buf "$@"; }
buf format -w proto
buf lint
rm -rf proto/gen
buf generate
# The TypeScript client, with the plugin version of clients/ts/package-lock.json.
want=$(node -p 'require("./clients/ts/package.json").devDependencies["@bufbuild/protoc-gen-es"]')
have=$(node -p 'try { require("./clients/ts/node_modules/@bufbuild/protoc-gen-es/package.json").version } catch { "" }')
[ "$have" = "$want" ] || (cd clients/ts && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
rm -rf clients/ts/gen
buf generate --template clients/ts/buf.gen.yaml

# Each engine's queries (backend/store/<engine>/queries/*.sql) become typed Go in its
# internal/dbsqlc package.
for cfg in backend/store/storepgx/sqlc.yaml backend/store/storesqlite/sqlc.yaml; do
  go tool -modfile=tools/go.mod sqlc generate -f "$cfg"
done
# The written access policy is rendered from its declaration (backend/access).
go test ./backend/access -run TestDocsMatchDeclaration -update >/dev/null
echo "generate: docs/access.md, proto/gen, clients/ts/gen and the engines' dbsqlc packages are up to date; buf lint is clean"
