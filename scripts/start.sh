#!/usr/bin/env bash
# The README's start command: set-up, then jetmq in the foreground (flags pass through), on Bun,
# or on Deno with JETMQ_RUNTIME=deno (what `deno task start` sets).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Every client is an open file: take all the process may have, and say so when it is little.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 65536 ]; then
  echo "start: at most $(ulimit -n) open files per process: about as many MQTT connections" \
    "(raise the hard limit: LimitNOFILE= in systemd, ulimit -Hn as root)" >&2
fi
case "${JETMQ_RUNTIME:-bun}" in
  bun) exec node_modules/.bin/bun src/main.ts "$@" ;;
  # -A: sockets, the embedded nats-server child process, its data folder, the bcrypt addon.
  deno) DENO_NO_UPDATE_CHECK=1 exec node_modules/.bin/deno run -A src/main.ts "$@" ;;
  *) echo "start: JETMQ_RUNTIME is bun or deno, not ${JETMQ_RUNTIME}" >&2; exit 2 ;;
esac
