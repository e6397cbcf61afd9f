#!/usr/bin/env bash
# Prints the path of a usable `temporal` CLI (it carries the dev server the tests and the demo
# use): $TEMPORAL_CLI if set, else `temporal` on PATH, else a copy built once into the user's
# cache with `go install`. Progress goes to stderr; stdout is the path alone.
set -euo pipefail

# v1.5.1 is the last tag `go install` can build: later ones carry a `replace` directive in go.mod.
VERSION=v1.5.1
MODULE=github.com/temporalio/cli/cmd/temporal

usable() { [ -x "$1" ] && "$1" --version >/dev/null 2>&1; }

if [ -n "${TEMPORAL_CLI:-}" ]; then
  if usable "$TEMPORAL_CLI"; then echo "$TEMPORAL_CLI"; exit 0; fi
  echo "ensure-temporal: TEMPORAL_CLI=$TEMPORAL_CLI is not an executable temporal CLI" >&2
  exit 1
fi

if on_path=$(command -v temporal 2>/dev/null) && usable "$on_path"; then
  echo "$on_path"
  exit 0
fi

bin_dir="${XDG_CACHE_HOME:-$HOME/.cache}/temporal-sandbox/bin"
if usable "$bin_dir/temporal"; then
  echo "$bin_dir/temporal"
  exit 0
fi

go_bin=$(command -v go 2>/dev/null || true)
[ -z "$go_bin" ] && [ -x /usr/local/go/bin/go ] && go_bin=/usr/local/go/bin/go
if [ -z "$go_bin" ]; then
  cat >&2 <<MSG
ensure-temporal: no Temporal CLI found, and Go is not installed to build one.
  Either install Go (https://go.dev/dl/, 1.25 or later) and run this again,
  or put a temporal binary on PATH (https://docs.temporal.io/cli#install),
  or set TEMPORAL_CLI=/path/to/temporal, or point TEMPORAL_ADDRESS at a running server.
MSG
  exit 1
fi

mkdir -p "$bin_dir"
echo "ensure-temporal: building the Temporal CLI $VERSION into $bin_dir (once; a few minutes)" >&2
# GOTOOLCHAIN=auto lets an older Go fetch the toolchain the module asks for.
if ! GOBIN="$bin_dir" GOTOOLCHAIN="${GOTOOLCHAIN:-auto}" "$go_bin" install "$MODULE@$VERSION" >&2; then
  echo "ensure-temporal: go install $MODULE@$VERSION failed (see above)" >&2
  exit 1
fi
if ! usable "$bin_dir/temporal"; then
  echo "ensure-temporal: $bin_dir/temporal was built but does not run" >&2
  exit 1
fi
echo "ensure-temporal: built $bin_dir/temporal" >&2
echo "$bin_dir/temporal"
