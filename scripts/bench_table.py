#!/usr/bin/env python3
"""Renders the results of scripts/bench.sh as Markdown tables between the markers in BENCHMARKS.md.

Each table has its own markers (`<!-- bench:fanout:begin -->` ... `<!-- bench:fanout:end -->`, and
`idle`, `soak`, `core`) and is rewritten only when this run measured it, with the date, commit and
machine it was measured on; the others are left as they were.

Usage: bench_table.py RESULTS.jsonl CORE_FANOUT.txt PRIORITY BENCHMARKS.md [FANOUT_BLOCK]
(FANOUT_BLOCK: the block the fan-out rows go to, `fanout` unless given: `threads` for
`bench.sh --threads-only`.)
"""

import json
import os
import platform
import re
import subprocess
import sys
import time

IDEAL = "ideal"


def num(x, digits=0):
    return f"{x:,.{digits}f}" if isinstance(x, (int, float)) else "–"


def verdict(r):
    if "error" in r:
        return "error: " + r["error"].splitlines()[-1][:160].replace("|", "/")
    return "PASS" if r.get("pass") else "FAIL: " + "; ".join(r.get("failures", []))[:200].replace("|", "/")


def ratio(value, ideal, digits):
    if not isinstance(value, (int, float)) or not isinstance(ideal, (int, float)) or ideal <= 0:
        return "–"
    return f"{value / ideal:,.{digits}f}"


def fanout_table(rows):
    """One row per load and server, grouped by load, each with its ratio to the ideal broadcaster's
    row of the same load (deliveries/s: higher is better, 1 is the ideal's; p99 and server CPU
    time: lower is better)."""
    out = [
        "| load | server | deliveries/s | p50 ms | p99 ms | max ms | server CPU s | deliveries/s ÷ ideal "
        "| p99 ÷ ideal | CPU ÷ ideal | lost / dup / reordered / corrupted | result |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    loads = list(dict.fromkeys(row["load"] for row in rows))
    servers = list(dict.fromkeys(row["server"] for row in rows))
    rows = sorted(rows, key=lambda row: (loads.index(row["load"]), servers.index(row["server"])))
    ideal = {row["load"]: row["result"] for row in rows if row["server"] == IDEAL and "error" not in row["result"]}
    for row in rows:
        r = row["result"]
        lat = r.get("latency_ms", {})
        base = ideal.get(row["load"], {})
        cpu = r.get("server_cpu_seconds")
        out.append(
            f"| {row['load']} | {row['server']} | {num(r.get('deliveries_per_sec'))} | {num(lat.get('p50'), 2)} "
            f"| {num(lat.get('p99'), 2)} | {num(lat.get('max'), 2)} | {num(cpu, 2)} "
            f"| {ratio(r.get('deliveries_per_sec'), base.get('deliveries_per_sec'), 2)} "
            f"| {ratio(lat.get('p99'), base.get('latency_ms', {}).get('p99'), 1)} "
            f"| {ratio(cpu, base.get('server_cpu_seconds'), 1)} "
            f"| {num(r.get('lost'))} / {num(r.get('duplicated'))} / {num(r.get('out_of_order'))} / {num(r.get('corrupted'))} "
            f"| {verdict(r)} |"
        )
    return out


def connections_table(rows):
    out = [
        "| server | connections | got the broadcast | connect s | RSS before KiB | RSS after KiB | bytes per connection | result |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in rows:
        r = row["result"]
        before, after = (r.get("rss_kib") or [None, None])
        out.append(
            f"| {row['server']} | {num(r.get('clients'))} | {num(r.get('delivered'))} | {num(r.get('connect_seconds'), 2)} "
            f"| {num(before)} | {num(after)} | {num(r.get('rss_per_connection'))} | {verdict(r)} |"
        )
    return out


def soak_table(rows):
    out = [
        "| server | seconds | well-behaved clients | lines delivered | lost / dup / reordered | control bytes | misbehaving connections | RSS start / peak KiB | result |",
        "| --- | ---: | ---: | ---: | --- | ---: | ---: | --- | --- |",
    ]
    for row in rows:
        r = row["result"]
        rss = r.get("rss_kib") or ["–", "–"]
        out.append(
            f"| {row['server']} | {num(r.get('seconds'), 1)} | {num(r.get('clients'))} | {num(r.get('delivered'))} "
            f"| {num(r.get('lost'))} / {num(r.get('duplicated'))} / {num(r.get('out_of_order'))} | {num(r.get('control_bytes'))} "
            f"| {num(r.get('misbehaved'))} | {num(rss[0])} / {num(rss[1])} | {verdict(r)} |"
        )
    return out


def core_table(text):
    out = ["| benchmark | time per broadcast | ns per recipient |", "| --- | ---: | ---: |"]
    scale = {"Kelem/s": 1e3, "Melem/s": 1e6, "Gelem/s": 1e9, "elem/s": 1.0}
    name = None
    for line in text.splitlines():
        m = re.match(r"^(fanout/\S+)\s+time:\s+\[\S+ \S+ (\S+ \S+) ", line)
        if m:
            name, time_mid = m.group(1), m.group(2)
            continue
        m = re.search(r"thrpt:\s+\[\S+ \S+ (\S+) (\S+) ", line)
        if m and name and m.group(2) in scale:
            per_sec = float(m.group(1)) * scale[m.group(2)]
            out.append(f"| {name} | {time_mid} | {1e9 / per_sec:.1f} |")
            name = None
    return out


def environment(priority):
    """Where and when a table was measured."""
    def sh(cmd):
        try:
            return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
        except OSError:
            return "?"

    model = sh("lscpu | sed -n 's/^Model name: *//p'") or platform.processor()
    load = " ".join(open("/proc/loadavg").read().split()[:3]) if os.path.exists("/proc/loadavg") else "?"
    commit = sh("git rev-parse --short HEAD")
    return [
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} at commit `{commit}`, "
        f"{os.cpu_count()} cores ({model}), load average {load} at the end, "
        f"scheduling `--priority {priority}`.",
    ]


def replace_block(doc, name, body):
    """Puts `body` between the markers of block `name`, or appends the block if it is missing."""
    begin, end = f"<!-- bench:{name}:begin -->", f"<!-- bench:{name}:end -->"
    block = "\n".join([begin, *body, end])
    if begin in doc and end in doc:
        return doc[: doc.index(begin)] + block + doc[doc.index(end) + len(end) :]
    return doc + "\n" + block + "\n"


def main():
    results_path, core_path, priority, doc_path = sys.argv[1:5]
    fanout_block = sys.argv[5] if len(sys.argv) > 5 else "fanout"
    rows = [json.loads(line) for line in open(results_path) if line.strip()]
    kinds = {"fanout": [], "connections": [], "soak": []}
    for row in rows:
        r = row["result"]
        mode = r.get("mode") or ("connections" if "idle" in row["load"] else "soak" if "soak" in row["load"] else "fanout")
        kinds[mode].append(row)
    core = open(core_path).read() if os.path.exists(core_path) else ""
    where = environment(priority) + [""]
    # bench.sh runs the idle and soak loads at normal priority whatever --priority says.
    where_normal = environment("none") + [""]
    doc = open(doc_path).read() if os.path.exists(doc_path) else "# Benchmarks\n"
    if kinds["fanout"]:
        doc = replace_block(doc, fanout_block, where + fanout_table(kinds["fanout"]))
    if kinds["connections"]:
        doc = replace_block(doc, "idle", where_normal + connections_table(kinds["connections"]))
    if kinds["soak"]:
        doc = replace_block(doc, "soak", where_normal + soak_table(kinds["soak"]))
    if core_table(core)[2:]:
        doc = replace_block(doc, "core", where + core_table(core))
    open(doc_path, "w").write(doc)


if __name__ == "__main__":
    main()
