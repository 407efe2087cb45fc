#!/usr/bin/env bash
# Tests the TypeScript client (clients/ts) against the real server: installs the npm packages
# pinned in clients/ts/package-lock.json (npm ci, no install scripts: none is needed), type-checks
# the generated code and the tests with tsc, builds the veilig binary, and runs the Node test,
# which starts that binary on a demo region and calls it over Connect, gRPC and gRPC-Web.
set -euo pipefail
cd "$(dirname "$0")/.."

mkdir -p build
go build -o build/veilig ./backend/cmd/veilig
cd clients/ts
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
npx --no-install tsc --noEmit
VEILIG_BIN="$PWD/../../build/veilig" npm test --silent
