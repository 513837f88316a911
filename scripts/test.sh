#!/usr/bin/env bash
# The README's test command: set-up, static checks, then every test against real nats-server
# and real MQTT clients. Extra arguments go to `bun test` (a file or -t pattern).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
bash scripts/check.sh
out=$(mktemp)
trap 'rm -f "$out"' EXIT
set +e
node_modules/.bin/bun test --timeout 60000 "$@" 2>&1 | tee "$out"
code=${PIPESTATUS[0]}
set -e
pass=$(grep -Eo '^ *[0-9]+ pass$' "$out" | grep -Eo '[0-9]+' | tail -1)
fail=$(grep -Eo '^ *[0-9]+ fail$' "$out" | grep -Eo '[0-9]+' | tail -1)
echo "bun test: ${pass:-0} passed, ${fail:-0} failed"
exit "$code"
