#!/bin/sh
# Starts one node of the jetmq NATS cluster on a Fly.io Machine with infra/nats/nats.conf (the
# file every other set-up uses), filling in its environment variables from Fly's:
#
#   NATS_NAME     FLY_MACHINE_ID: stable across restarts and deploys of this Machine, which is
#                 what JetStream needs (a node's name is its identity in every RAFT group).
#   NATS_ROUTE_1  nats-route://<app>.internal:6222, every started Machine of this app.
#   NATS_ROUTE_2  nats-route://<region>.<app>.internal:6222, those in this Machine's region.
#   NATS_ROUTE_3  nats-route://fly-local-6pn:6222, this Machine itself.
#
# nats-server resolves a route's name at each attempt and dials one of its addresses at random,
# leaving out its own; once connected, the servers tell each other about the rest of the
# cluster, so routes to one name end in a full mesh, also after a Machine moves and gets a new
# address. nats.conf holds three route slots and nats-server refuses the same route twice, hence
# three names. A name that resolves to nothing but this Machine is given up, so a node that
# starts while DNS lists only itself waits for the others to dial it — and if all three start at
# once, none would dial: so this script first waits (up to NATS_PEER_WAIT seconds) until DNS
# lists NATS_CLUSTER_SIZE Machines.
#
# Clients and peers are told this Machine's private IPv6 address (FLY_PRIVATE_IP): with
# NATS_HOST "::" nats-server would otherwise advertise every address it has, including the
# Machine's private IPv4 one, which no other Machine can reach.
set -eu

: "${FLY_APP_NAME:?not on a Fly.io Machine: FLY_APP_NAME is not set}"
: "${FLY_MACHINE_ID:?not on a Fly.io Machine: FLY_MACHINE_ID is not set}"
: "${FLY_REGION:?not on a Fly.io Machine: FLY_REGION is not set}"
: "${FLY_PRIVATE_IP:?not on a Fly.io Machine: FLY_PRIVATE_IP is not set}"

config="${NATS_CONFIG:-/etc/nats/jetmq.conf}"
cluster_size="${NATS_CLUSTER_SIZE:-3}"
peer_wait="${NATS_PEER_WAIT:-60}"

export NATS_NAME="${NATS_NAME:-$FLY_MACHINE_ID}"
export NATS_HOST="${NATS_HOST:-::}"
export NATS_PORT="${NATS_PORT:-4222}"
export NATS_CLUSTER_PORT="${NATS_CLUSTER_PORT:-6222}"
export NATS_HTTP_PORT="${NATS_HTTP_PORT:-8222}"
export NATS_STORE_DIR="${NATS_STORE_DIR:-/data}"
export NATS_MAX_MEM="${NATS_MAX_MEM:-256M}"
export NATS_MAX_FILE="${NATS_MAX_FILE:-8G}"
export NATS_ROUTE_1="nats-route://${FLY_APP_NAME}.internal:${NATS_CLUSTER_PORT}"
export NATS_ROUTE_2="nats-route://${FLY_REGION}.${FLY_APP_NAME}.internal:${NATS_CLUSTER_PORT}"
export NATS_ROUTE_3="nats-route://fly-local-6pn:${NATS_CLUSTER_PORT}"

say() { echo "fly-nats: $*" >&2; }

# Machines of this app that the private DNS lists now (busybox nslookup prints one "Address"
# line per record after the "Name:" line; the lines before it are the resolver's own).
listed() {
  nslookup -type=AAAA "${FLY_APP_NAME}.internal" 2>/dev/null |
    awk '/^Name:/ { answer = 1 } answer && /^Address/ { n++ } END { print n + 0 }'
}

if command -v nslookup >/dev/null 2>&1; then
  waited=0
  while [ "$(listed)" -lt "$cluster_size" ]; do
    if [ "$waited" -ge "$peer_wait" ]; then
      say "DNS lists $(listed) of ${cluster_size} Machines after ${peer_wait}s; starting anyway"
      break
    fi
    sleep 2
    waited=$((waited + 2))
  done
else
  say "no nslookup: not waiting for the other Machines to appear in DNS"
fi

say "starting ${NATS_NAME} (${FLY_PRIVATE_IP}, region ${FLY_REGION})"
# exec: nats-server is the process Fly signals (kill_signal), with nothing in between.
exec nats-server -c "$config" \
  --client_advertise "[${FLY_PRIVATE_IP}]:${NATS_PORT}" \
  --cluster_advertise "[${FLY_PRIVATE_IP}]:${NATS_CLUSTER_PORT}"
