#!/usr/bin/env bash
# The README's start command: set-up, then jetmq in the foreground (flags pass through).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Every client is an open file: take all the process may have, and say so when it is little.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 65536 ]; then
  echo "start: at most $(ulimit -n) open files per process: about as many MQTT connections" \
    "(raise the hard limit: LimitNOFILE= in systemd, ulimit -Hn as root)" >&2
fi
exec node_modules/.bin/bun src/main.ts "$@"
