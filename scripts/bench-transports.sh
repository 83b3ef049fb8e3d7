#!/usr/bin/env bash
# Fan-out over every transport, in one run: the ideal broadcaster and `chat serve` on both
# runtimes (smol, std) over plain TCP, TLS, WebSocket and WebSocket over TLS, each under the
# same `chat-bench fanout` loads (200 clients, 10 senders, 64-byte lines), with a fresh server
# per load. Writes the table, with each row's ratio to plain TCP on the same runtime and to the
# ideal broadcaster of the same run, between the bench:transports markers in BENCHMARKS.md.
#
#   scripts/bench-transports.sh            about four minutes
#   scripts/bench-transports.sh --quick    smaller loads (a smoke test of the script)
#
# Every server the script starts is stopped on exit. Needs cargo and python3.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=false
[[ "${1:-}" == --quick ]] && quick=true
ulimit -n "$(ulimit -Hn)"

out=target/bench
mkdir -p "$out"
results="$out/results-transports.jsonl"
: >"$results"
data="$out/transports-data"

pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

echo "== building (release)"
cargo build --release -q -p chat-cli -p chat-bench
chat=target/release/chat
load_tool=target/release/chat-bench

# start WIRE RUNTIME: a fresh server for WIRE (ideal, tcp, tls, ws, wss) on RUNTIME (smol,
# std; the ideal broadcaster has none); sets server_pid, server_port.
start() {
  local wire="$1" runtime="$2" log="$out/server-transports-$1-$2.log" web
  : >"$log"
  case "$wire" in
    ideal) ("$load_tool" ideal --host 127.0.0.1 --port 0 >"$log" 2>&1) & ;;
    tcp) ("$chat" serve --runtime "$runtime" --host 127.0.0.1 --port 0 --flood-rate 0 >"$log" 2>&1) & ;;
    tls)
      ("$chat" serve --runtime "$runtime" --host 127.0.0.1 --port 0 --tls-port 0 --tls-self-signed --data-dir "$data" \
        --flood-rate 0 >"$log" 2>&1) &
      ;;
    ws | wss)
      web=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
      local tls=()
      [[ "$wire" == wss ]] && tls=(--tls-self-signed --data-dir "$data" --tls-port 0)
      ("$chat" serve --runtime "$runtime" --host 127.0.0.1 --port 0 --no-plain --web "127.0.0.1:$web" "${tls[@]}" \
        --flood-rate 0 >"$log" 2>&1) &
      ;;
  esac
  server_pid=$!
  pids+=("$server_pid")
  local i
  for i in $(seq 100); do
    case "$wire" in
      ideal | tcp) server_port=$(sed -n 's/.*started on port \([0-9]*\).*/\1/p' "$log" | head -1) ;;
      tls) server_port=$(sed -n 's/^TLS on [^ ]*:\([0-9]*\).*/\1/p' "$log" | head -1) ;;
      ws | wss) server_port=$(sed -n 's|^Web page at https*://[^ ]*:\([0-9]*\)/.*|\1|p' "$log" | head -1) ;;
    esac
    [[ -n "$server_port" ]] && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "server $wire did not start; its log:" >&2
  cat "$log" >&2
  return 1
}

failures=0
# run WIRE RUNTIME LOAD ARGS...: one fan-out load against a fresh server for WIRE on RUNTIME.
run() {
  local wire="$1" runtime="$2" load="$3" line status=0
  shift 3
  start "$wire" "$runtime"
  local client=(--wire tcp)
  [[ "$wire" == ideal ]] || client=(--wire "$wire")
  [[ "$wire" == tls || "$wire" == wss ]] && client+=(--tls-ca "$data/tls-self-signed-cert.pem")
  echo "-- $wire ($runtime): $load"
  line=$("$load_tool" fanout --port "$server_port" --json --server-pid "$server_pid" "${client[@]}" "$@" \
    2>"$out/last-error.txt") || status=$?
  [[ -n "$line" ]] || line="{\"error\": $(python3 -c 'import json,sys; print(json.dumps(sys.stdin.read().strip()))' <"$out/last-error.txt")}"
  [[ $status -eq 0 ]] || failures=$((failures + 1))
  echo "{\"server\": \"$wire\", \"runtime\": \"$runtime\", \"load\": \"$load\", \"result\": $line}" >>"$results"
  echo "   $(echo "$line" | cut -c1-200)"
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
}

if $quick; then
  loads=("paced:--clients 50 --senders 5 --size 64 --rate 100 --messages 100"
    "burst:--clients 50 --senders 5 --size 64 --messages 200")
else
  loads=("paced 2,000 lines/s:--clients 200 --senders 10 --size 64 --rate 200 --messages 600"
    "unpaced burst:--clients 200 --senders 10 --size 64 --messages 600")
fi
for entry in "${loads[@]}"; do
  load="${entry%%:*}"
  read -r -a args <<<"${entry#*:}"
  run ideal - "$load" "${args[@]}"
  for runtime in smol std; do
    for wire in tcp tls ws wss; do
      run "$wire" "$runtime" "$load" "${args[@]}"
    done
  done
done

commit=$(git rev-parse --short HEAD)
load_average=$(cut -d' ' -f1-3 /proc/loadavg)
python3 - "$results" "$commit" "$load_average" "$quick" <<'EOF'
import json, sys, datetime, re
results, commit, load_average, quick = sys.argv[1:]
rows = [json.loads(line) for line in open(results)]
by = {(r["load"], r["runtime"], r["server"]): r["result"] for r in rows}
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
out = [f"Run {now} at commit `{commit}` (`scripts/bench-transports.sh`), both runtimes, release build, "
       f"load average {load_average} at the end.", "",
       "| load | runtime | transport | deliveries/s | p50 ms | p99 ms | server CPU s | deliveries/s ÷ tcp | CPU ÷ tcp | deliveries/s ÷ ideal | CPU ÷ ideal | lost | result |",
       "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
def fmt(x, digits=2):
    return "-" if x is None else f"{x:,.{digits}f}"
for load in dict.fromkeys(r["load"] for r in rows):
    ideal = by.get((load, "-", "ideal"), {})
    for runtime in ["-", "smol", "std"]:
        tcp = by.get((load, runtime, "tcp"), {})
        for server in ["ideal", "tcp", "tls", "ws", "wss"]:
            r = by.get((load, runtime, server))
            if r is None:
                continue
            if "error" in r:
                out.append(f"| {load} | {runtime} | {server} | - | - | - | - | - | - | - | - | - | FAIL: {r['error'][:80]} |")
                continue
            def ratio(key, base):
                a, b = r.get(key), base.get(key)
                return a / b if a and b else None
            cpu = r.get("server_cpu_seconds")
            result = "PASS" if r["pass"] else "FAIL: " + "; ".join(r["failures"])[:80]
            out.append(
                f"| {load} | {runtime} | {server} | {r['deliveries_per_sec']:,.0f} | {fmt(r['latency_ms']['p50'])} | "
                f"{fmt(r['latency_ms']['p99'])} | {fmt(cpu)} | {fmt(ratio('deliveries_per_sec', tcp))} | "
                f"{fmt(ratio('server_cpu_seconds', tcp), 1)} | {fmt(ratio('deliveries_per_sec', ideal))} | "
                f"{fmt(ratio('server_cpu_seconds', ideal), 1)} | {r['lost']:,} | {result} |")
table = "\n".join(out)
print(table)
if quick == "false":
    text = open("BENCHMARKS.md").read()
    begin, end = "<!-- bench:transports:begin -->", "<!-- bench:transports:end -->"
    if begin in text:
        text = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _: f"{begin}\n{table}\n{end}", text, flags=re.S)
        open("BENCHMARKS.md", "w").write(text)
EOF
echo "== $failures failed runs"
exit $((failures > 0))
