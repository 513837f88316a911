#!/usr/bin/env bash
# The README's start command: set-up, then jetmq in the foreground (flags pass through).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node_modules/.bin/bun src/main.ts "$@"
