#!/usr/bin/env bash
# The README's test command: set-up, static checks, then every test against real nats-server
# and real MQTT clients with jetmq on Bun, then the end-to-end files again with jetmq on Deno
# (a child process: test/helpers/broker_process.ts). Extra arguments (a file, -t pattern) run
# just those, on the runtime JETMQ_TEST_RUNTIME names (bun by default).
set -euo pipefail
cd "$(dirname "$0")/.."

# Each run's output, and the logs of the brokers and local clusters its tests started, are kept
# on the machine (the last five runs; a passing run's broker and cluster logs are dropped), so
# that a run that failed where nobody watched, as CI's does, can be read afterwards.
if [ -z "${JETMQ_TEST_RUN_DIR:-}" ]; then
  runs="${JETMQ_TEST_RUNS_DIR:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/jetmq/test-runs}"
  export JETMQ_TEST_RUN_DIR="$runs/$(date -u +%Y%m%dT%H%M%SZ)-$$"
  mkdir -p "$JETMQ_TEST_RUN_DIR" 2>/dev/null || JETMQ_TEST_RUN_DIR=$(mktemp -d)
  echo "test: this run's output and logs are kept in $JETMQ_TEST_RUN_DIR"
  # Only folders named as this script names them are ever removed.
  { ls -1d "$runs"/[0-9]*T[0-9]*Z-[0-9]*/ 2>/dev/null || true; } | sort | head -n -5 |
    xargs -r rm -rf
  set +e
  bash "$0" "$@" 2>&1 | tee "$JETMQ_TEST_RUN_DIR/output.log"
  status=${PIPESTATUS[0]}
  set -e
  [ "$status" = 0 ] && rm -rf "$JETMQ_TEST_RUN_DIR/logs"
  exit "$status"
fi

bash scripts/setup.sh --test
bash scripts/check.sh
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# Runs `bun test` with the given arguments; prints and returns its pass/fail summary.
suite() {
  local label=$1 code pass fail
  shift
  set +e
  node_modules/.bin/bun test --timeout 60000 "$@" 2>&1 | tee "$out"
  code=${PIPESTATUS[0]}
  set -e
  pass=$(grep -Eo '^ *[0-9]+ pass$' "$out" | grep -Eo '[0-9]+' | tail -1)
  fail=$(grep -Eo '^ *[0-9]+ fail$' "$out" | grep -Eo '[0-9]+' | tail -1)
  summary+="bun test ($label): ${pass:-0} passed, ${fail:-0} failed"$'\n'
  return "$code"
}

summary=""
status=0
if [ $# -gt 0 ]; then
  suite "jetmq on ${JETMQ_TEST_RUNTIME:-bun}" "$@" || status=$?
else
  suite "jetmq on Bun, every file" || status=$?
  # mixed_fleet_test picks its runtimes itself: it ran above.
  mapfile -t e2e < <(ls test/e2e/*_test.ts | grep -v mixed_fleet_test)
  JETMQ_TEST_RUNTIME=deno suite "jetmq on Deno, test/e2e" "${e2e[@]}" || status=$?
fi
printf '%s' "$summary"
exit "$status"
