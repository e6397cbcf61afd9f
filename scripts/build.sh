#!/usr/bin/env bash
# Compiles the TypeScript (tsc writes dist/) and the in-namespace helper (cc writes dist/native/):
# this machine's, then the static ones the package ships for linux x64 and arm64.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x node_modules/.bin/tsc ]; then
  echo "build: dependencies missing: run npm ci first" >&2
  exit 1
fi
CC_BIN="${CC:-$(command -v cc || command -v gcc || true)}"
if [ -z "$CC_BIN" ]; then
  echo "build: no C compiler for the sandbox helper: apt-get install gcc" >&2
  exit 1
fi
rm -rf dist
node_modules/.bin/tsc -p tsconfig.json
mkdir -p dist/native
# Static where the C library allows it: one exec fewer of the dynamic loader per run, and a helper
# that runs in a view whatever libraries it holds.
if ! "$CC_BIN" -O2 -Wall -Wextra -Werror -static -o dist/native/sandbox-init native/*.c 2>/dev/null; then
  "$CC_BIN" -O2 -Wall -Wextra -Werror -o dist/native/sandbox-init native/*.c
fi
bash scripts/build-helpers.sh
