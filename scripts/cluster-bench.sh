#!/usr/bin/env bash
# 1 node against 3 nodes sharing rooms through Redis (issue 14), the same total clients: builds
# the release binaries, starts a redis-server of its own and the nodes on loopback, runs one
# `chat-bench fanout` load spread over the nodes, and prints one line per configuration with the
# CPU seconds each process spent (from /proc). Every process it starts is stopped on exit.
#
#   scripts/cluster-bench.sh [CLIENTS SENDERS RATE MESSAGES]   (default: 300 10 100 1000)
#
# Configurations: one node on its own (no Redis), one node with --redis, three nodes with
# --redis. Needs redis-server and Linux /proc.
set -euo pipefail
cd "$(dirname "$0")/.."
clients=${1:-300} senders=${2:-10} rate=${3:-100} messages=${4:-1000}
ulimit -n "$(ulimit -Hn)"
cargo build --release -q -p chat-cli -p chat-bench
chat=target/release/chat bench=target/release/chat-bench
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# utime + stime of PID in seconds.
cpu() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"; }

# Starts `chat serve ARGS` on a free port; sets $port and appends its pid to pids.
serve() {
  port=$(free_port)
  "$chat" serve --host 127.0.0.1 --port "$port" --flood-rate 0 --max-clients 19900 --data-dir none "$@" \
    >"$work/serve-$port.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do grep -q "^Chat server started" "$work/serve-$port.log" && return; sleep 0.1; done
  echo "chat serve did not start: $(cat "$work/serve-$port.log")" >&2; exit 1
}

run() { # LABEL NODES [--redis]
  local label=$1 nodes=$2 with_redis=${3:-} ports=() node_pids=() redis_pid="" redis_port
  if [[ -n $with_redis ]]; then
    redis_port=$(free_port)
    redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" >/dev/null &
    redis_pid=$!; pids+=("$redis_pid")
    for _ in $(seq 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  for n in $(seq "$nodes"); do
    if [[ -n $redis_pid ]]; then serve --redis "redis://127.0.0.1:$redis_port" --node-name "n$n"; else serve; fi
    ports+=("$port"); node_pids+=("${pids[-1]}")
  done
  local before=() after=() p
  for p in "${node_pids[@]}" $redis_pid; do before+=("$(cpu "$p")"); done
  local json
  json=$("$bench" fanout --port "$(IFS=,; echo "${ports[*]}")" --clients "$clients" --senders "$senders" \
    --rate "$rate" --messages "$messages" --json)
  for p in "${node_pids[@]}" $redis_pid; do after+=("$(cpu "$p")"); done
  local i nodes_cpu=0 redis_cpu="-"
  for i in "${!node_pids[@]}"; do nodes_cpu=$(echo "$nodes_cpu + ${after[$i]} - ${before[$i]}" | bc); done
  [[ -n $redis_pid ]] && redis_cpu=$(echo "${after[-1]} - ${before[-1]}" | bc)
  python3 - "$label" "$nodes_cpu" "$redis_cpu" "$json" <<'PY'
import json, sys
label, nodes_cpu, redis_cpu, raw = sys.argv[1:5]
r = json.loads(raw)
lat = r["latency_ms"]
print(f"| {label} | {r['delivered']:,} | {r['lost']} | {r['duplicated']} | {r['out_of_order']} "
      f"| {lat['p50']:.2f} | {lat['p99']:.2f} | {float(nodes_cpu):.2f} | {redis_cpu} |")
PY
  for p in "${node_pids[@]}" $redis_pid; do kill "$p"; wait "$p" 2>/dev/null || true; done
}

echo "| configuration | delivered | lost | duplicated | reordered | p50 ms | p99 ms | chat CPU s | Redis CPU s |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
run "1 node, no Redis" 1
run "1 node, --redis" 1 redis
run "3 nodes, --redis" 3 redis
