#!/usr/bin/env bash
# The README's benchmark command: set-up (mosquitto to compare with), then bench/run.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --bench
ulimit -n 65536 2>/dev/null || true
exec node_modules/.bin/bun bench/run.ts "$@"
