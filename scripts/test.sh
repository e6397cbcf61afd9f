#!/usr/bin/env bash
# The README's test command: set up what is missing, build, run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node_modules/.bin/jest "$@"
