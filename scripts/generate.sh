#!/usr/bin/env bash
# Regenerates the Go code of the API contract, byte for byte, with tools pinned in
# tools/go.mod (buf, protoc-gen-go, protoc-gen-connect-go). No Buf Schema Registry access is
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
echo "generate: proto/gen is up to date; buf lint is clean"
