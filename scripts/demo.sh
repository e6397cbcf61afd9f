#!/usr/bin/env bash
# The README's main command (npm run demo): set up what is missing and build, make sure a Temporal
# CLI is at hand (unless TEMPORAL_ADDRESS points at a server), then run the demo: a dev server, a
# worker with the sandbox plugin, the example workflows, their results and their audit.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node dist/demo/main.js "$@"
