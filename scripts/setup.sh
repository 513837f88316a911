#!/usr/bin/env bash
# Installs what jetmq needs on a fresh machine (Node and npm present): the npm packages and
# nats-server; with --cluster HAProxy (infra/local/cluster.sh); with --test also HAProxy, the
# MQTT clients and the browser the tests drive; with --bench mosquitto.
# Installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages" >&2
  # Not `npm ci`: the lock lists optional platform builds of deno that the registry here does
  # not serve, and `npm ci` refuses a lock it cannot fully resolve. --no-save keeps the lock as is.
  npm install --no-save --no-audit --no-fund --loglevel=error >&2
fi

missing=()
command -v nats-server >/dev/null 2>&1 || missing+=(nats-server)
if [ "${1:-}" = "--bench" ]; then
  command -v mosquitto >/dev/null 2>&1 || missing+=(mosquitto)
fi
if [ "${1:-}" = "--cluster" ] || [ "${1:-}" = "--test" ]; then
  command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
fi
if [ "${1:-}" = "--test" ]; then
  command -v mosquitto_pub >/dev/null 2>&1 || missing+=(mosquitto-clients)
  /usr/bin/python3 -c 'import paho.mqtt.client' >/dev/null 2>&1 || missing+=(python3-paho-mqtt)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  # The browser tests drive Debian's chromium with playwright-core (no browser download).
  [ -x /usr/bin/chromium ] || missing+=(chromium)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup: installing ${missing[*]} with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
else
  echo "setup: missing ${missing[*]}. Install with: sudo apt-get install ${missing[*]}" >&2
  echo "       (nats-server is also at https://github.com/nats-io/nats-server/releases)" >&2
  exit 1
fi
