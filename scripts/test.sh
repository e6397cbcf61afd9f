#!/usr/bin/env bash
# The README's test command: set up what is missing, build, run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The Temporal tests need a dev server: the CLI is built once into ~/.cache (a few minutes).
if [ -z "${TEMPORAL_ADDRESS:-}" ]; then
  TEMPORAL_CLI="$(bash scripts/ensure-temporal.sh)"
  export TEMPORAL_CLI
fi
exec node_modules/.bin/jest "$@"
