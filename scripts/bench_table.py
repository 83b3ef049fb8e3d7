#!/usr/bin/env python3
"""Renders the results of scripts/bench.sh as Markdown tables between the markers in BENCHMARKS.md.

Usage: bench_table.py RESULTS.jsonl CORE_FANOUT.txt PRIORITY BENCHMARKS.md
"""

import json
import os
import platform
import re
import subprocess
import sys
import time

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def num(x, digits=0):
    return f"{x:,.{digits}f}" if isinstance(x, (int, float)) else "–"


def verdict(r):
    if "error" in r:
        return "error: " + r["error"].splitlines()[-1][:160].replace("|", "/")
    return "PASS" if r.get("pass") else "FAIL: " + "; ".join(r.get("failures", []))[:200].replace("|", "/")


def fanout_table(rows):
    out = [
        "| load | server | deliveries/s | p50 ms | p99 ms | max ms | lost | dup | reordered | corrupted | result |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in rows:
        r = row["result"]
        lat = r.get("latency_ms", {})
        out.append(
            f"| {row['load']} | {row['server']} | {num(r.get('deliveries_per_sec'))} | {num(lat.get('p50'), 2)} "
            f"| {num(lat.get('p99'), 2)} | {num(lat.get('max'), 2)} | {num(r.get('lost'))} | {num(r.get('duplicated'))} "
            f"| {num(r.get('out_of_order'))} | {num(r.get('corrupted'))} | {verdict(r)} |"
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


def main():
    results_path, core_path, priority, doc_path = sys.argv[1:5]
    rows = [json.loads(line) for line in open(results_path) if line.strip()]
    kinds = {"fanout": [], "connections": [], "soak": []}
    for row in rows:
        r = row["result"]
        mode = r.get("mode") or ("connections" if "idle" in row["load"] else "soak" if "soak" in row["load"] else "fanout")
        kinds[mode].append(row)
    core = open(core_path).read() if os.path.exists(core_path) else ""
    body = environment(priority)
    body += ["", "### Fan-out: 1,000 clients, 10 senders, 64-byte lines", ""] + fanout_table(kinds["fanout"])
    body += ["", "### Idle connections: one broadcast to every one", ""] + connections_table(kinds["connections"])
    body += ["", "### Soak: steady chatters among misbehaving clients (default limits)", ""] + soak_table(kinds["soak"])
    body += ["", "### Core alone (criterion, `cargo bench -p chat-core --bench fanout`)", ""] + core_table(core)
    block = "\n".join([BEGIN, *body, END])
    doc = open(doc_path).read() if os.path.exists(doc_path) else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    if BEGIN in doc and END in doc:
        doc = doc[: doc.index(BEGIN)] + block + doc[doc.index(END) + len(END) :]
    else:
        doc += "\n" + block + "\n"
    open(doc_path, "w").write(doc)


if __name__ == "__main__":
    main()
