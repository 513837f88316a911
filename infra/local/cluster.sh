#!/usr/bin/env bash
# The scale-out topology on loopback: a 3-node NATS cluster with JetStream (replicas 3), N jetmq
# instances given all three NATS URLs, and HAProxy in front of their MQTT and WebSocket ports
# (PROXY protocol v2 toward jetmq, health checks on /readyz).
#
#   infra/local/cluster.sh start | stop | status | ports
#   infra/local/cluster.sh start-instance N | stop-instance N | kill-instance N
#   infra/local/cluster.sh start-nats N | kill-nats N | stop-nats N
#
# Environment: JETMQ_CLUSTER_DIR (./data/cluster), JETMQ_CLUSTER_INSTANCES (3),
# JETMQ_CLUSTER_BASE_PORT (21000; every port is below 32768, out of the ephemeral range).
# Extra JETMQ_* variables reach the jetmq instances. `stop` ends exactly what `start` started.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
dir="$(mkdir -p "${JETMQ_CLUSTER_DIR:-$root/data/cluster}" && cd "${JETMQ_CLUSTER_DIR:-$root/data/cluster}" && pwd)"
base="${JETMQ_CLUSTER_BASE_PORT:-21000}"
count="${JETMQ_CLUSTER_INSTANCES:-3}"
bun="$root/node_modules/.bin/bun"

nats_port() { echo $((base + 200 + $1)); }
route_port() { echo $((base + 210 + $1)); }
nats_http_port() { echo $((base + 220 + $1)); }
mqtt_port() { echo $((base + 300 + $1)); }
ws_port() { echo $((base + 400 + $1)); }
monitor_port() { echo $((base + 500 + $1)); }
lb_mqtt_port() { echo $((base + 883)); }
lb_ws_port() { echo $((base + 80)); }
lb_stats_port() { echo $((base + 90)); }
nats_urls() { echo "nats://127.0.0.1:$(nats_port 1),nats://127.0.0.1:$(nats_port 2),nats://127.0.0.1:$(nats_port 3)"; }

say() { echo "cluster: $*" >&2; }

# A PID file's process, if it is still the one we started (its command line names our folder).
alive() {
  local file="$dir/$1.pid" pid
  [ -f "$file" ] || return 1
  pid=$(cat "$file")
  [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qF "$dir"
}

# Ends a process we started: SIGTERM (or the given signal), then SIGKILL after 15 s.
end() {
  local name=$1 signal=${2:-TERM} pid
  alive "$name" || { rm -f "$dir/$name.pid"; return 0; }
  pid=$(cat "$dir/$name.pid")
  kill "-$signal" "$pid" 2>/dev/null || true
  for _ in $(seq 150); do
    alive "$name" || break
    sleep 0.1
  done
  alive "$name" && kill -KILL "$pid" 2>/dev/null
  rm -f "$dir/$name.pid"
}

# Waits until `url` answers 2xx, for at most $2 seconds.
wait_http() {
  local url=$1 seconds=${2:-60}
  for _ in $(seq $((seconds * 5))); do
    "$bun" -e 'const r = await fetch(process.argv[1]).catch(() => null); process.exit(r?.ok ? 0 : 1)' "$url" 2>/dev/null && return 0
    sleep 0.2
  done
  say "no answer from $url within $seconds s"
  return 1
}

start_nats() {
  local i=$1
  alive "nats-$i" && return 0
  mkdir -p "$dir/nats-$i"
  # A copy in our folder: its path on the command line tells `stop` which processes are ours.
  # One per node: nodes started at once must not write the same file.
  cp "$root/infra/nats/nats.conf" "$dir/nats-$i.conf"
  NATS_NAME="nats-$i" NATS_HOST=127.0.0.1 NATS_PORT="$(nats_port "$i")" \
    NATS_CLUSTER_PORT="$(route_port "$i")" NATS_HTTP_PORT="$(nats_http_port "$i")" \
    NATS_ROUTE_1="nats-route://127.0.0.1:$(route_port 1)" \
    NATS_ROUTE_2="nats-route://127.0.0.1:$(route_port 2)" \
    NATS_ROUTE_3="nats-route://127.0.0.1:$(route_port 3)" \
    NATS_STORE_DIR="$dir/nats-$i" NATS_MAX_MEM=256M NATS_MAX_FILE=2G \
    nohup nats-server -c "$dir/nats-$i.conf" >> "$dir/nats-$i.log" 2>&1 &
  echo $! > "$dir/nats-$i.pid"
}

start_instance() {
  local j=$1
  alive "jetmq-$j" && return 0
  JETMQ_NATS_URL="$(nats_urls)" JETMQ_HOST=127.0.0.1 JETMQ_PORT="$(mqtt_port "$j")" \
    JETMQ_WS_PORT="$(ws_port "$j")" JETMQ_MONITOR_PORT="$(monitor_port "$j")" \
    JETMQ_PROXY_PROTOCOL="${JETMQ_PROXY_PROTOCOL:-true}" \
    JETMQ_PROXY_TRUSTED="${JETMQ_PROXY_TRUSTED:-127.0.0.1}" \
    nohup "$bun" "$root/src/main.ts" --data-dir "$dir/jetmq-$j" >> "$dir/jetmq-$j.log" 2>&1 &
  echo $! > "$dir/jetmq-$j.pid"
}

write_haproxy() {
  local servers_mqtt="" servers_ws="" j
  for j in $(seq "$count"); do
    servers_mqtt+="    server jetmq-$j 127.0.0.1:$(mqtt_port "$j") check port $(monitor_port "$j") send-proxy-v2"$'\n'
    servers_ws+="    server jetmq-$j 127.0.0.1:$(ws_port "$j") check port $(monitor_port "$j")"$'\n'
  done
  # The production file's settings (infra/haproxy/haproxy.cfg), on loopback ports, with a
  # maxconn that fits this machine's file limit.
  cat > "$dir/haproxy.cfg" <<EOF
global
    maxconn 4000
    log stdout format raw local0 notice
defaults
    log global
    option dontlognull
    retries 3
    option redispatch
    timeout connect 5s
    timeout client 16m
    timeout server 16m
    timeout tunnel 16m
    timeout client-fin 30s
    timeout check 2s
    default-server inter 500ms fall 2 rise 2
frontend mqtt
    mode tcp
    bind 127.0.0.1:$(lb_mqtt_port)
    default_backend jetmq_mqtt
backend jetmq_mqtt
    mode tcp
    balance leastconn
    option httpchk GET /readyz
$servers_mqtt
frontend mqtt_ws
    mode http
    bind 127.0.0.1:$(lb_ws_port)
    option forwardfor
    default_backend jetmq_ws
backend jetmq_ws
    mode http
    balance leastconn
    option httpchk GET /readyz
$servers_ws
frontend stats
    mode http
    bind 127.0.0.1:$(lb_stats_port)
    stats enable
    stats uri /
EOF
}

start_haproxy() {
  alive haproxy && return 0
  write_haproxy
  haproxy -c -q -f "$dir/haproxy.cfg"
  nohup haproxy -db -f "$dir/haproxy.cfg" > "$dir/haproxy.log" 2>&1 &
  echo $! > "$dir/haproxy.pid"
}

start() {
  bash "$root/scripts/setup.sh" --cluster
  # HAProxy and the instances need file descriptors: the soft limit goes up to the hard one.
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  [ "$(ulimit -n)" -ge 8192 ] || say "warning: only $(ulimit -n) open files allowed per process"
  for i in 1 2 3; do start_nats "$i"; done
  # js-server-only: up with a JetStream meta leader. The full check also wants every stream
  # current, which a node restarted under load may take long to be.
  for i in 1 2 3; do wait_http "http://127.0.0.1:$(nats_http_port "$i")/healthz?js-server-only=true" 60; done
  say "NATS cluster up: $(nats_urls)"
  for j in $(seq "$count"); do start_instance "$j"; done
  for j in $(seq "$count"); do wait_http "http://127.0.0.1:$(monitor_port "$j")/readyz" 120; done
  say "$count jetmq instances ready"
  start_haproxy
  wait_http "http://127.0.0.1:$(lb_stats_port)/" 20
  say "HAProxy: mqtt://127.0.0.1:$(lb_mqtt_port), ws://127.0.0.1:$(lb_ws_port)/mqtt (stats http://127.0.0.1:$(lb_stats_port)/)"
}

stop() {
  local j i
  end haproxy
  for j in $(seq 99); do [ -f "$dir/jetmq-$j.pid" ] && end "jetmq-$j"; done
  for i in 1 2 3; do end "nats-$i"; done
  say "stopped"
}

status() {
  local name
  for name in nats-1 nats-2 nats-3 $(for j in $(seq "$count"); do echo "jetmq-$j"; done) haproxy; do
    if alive "$name"; then echo "$name running pid $(cat "$dir/$name.pid")"; else echo "$name stopped"; fi
  done
}

ports() {
  echo "lb_mqtt $(lb_mqtt_port)"
  echo "lb_ws $(lb_ws_port)"
  echo "lb_stats $(lb_stats_port)"
  for i in 1 2 3; do echo "nats-$i $(nats_port "$i") $(nats_http_port "$i")"; done
  for j in $(seq "$count"); do echo "jetmq-$j $(mqtt_port "$j") $(ws_port "$j") $(monitor_port "$j")"; done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  ports) ports ;;
  start-instance) start_instance "$2"; wait_http "http://127.0.0.1:$(monitor_port "$2")/readyz" 120 ;;
  stop-instance) end "jetmq-$2" TERM ;;
  kill-instance) end "jetmq-$2" KILL ;;
  start-nats) start_nats "$2"; wait_http "http://127.0.0.1:$(nats_http_port "$2")/healthz?js-server-only=true" 60 ;;
  stop-nats) end "nats-$2" TERM ;;
  kill-nats) end "nats-$2" KILL ;;
  *)
    echo "usage: $0 start|stop|status|ports|start-instance N|stop-instance N|kill-instance N|start-nats N|stop-nats N|kill-nats N" >&2
    exit 2
    ;;
esac
