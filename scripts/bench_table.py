#!/usr/bin/env python3
"""Renders the results of scripts/bench.sh as Markdown tables between the markers in BENCHMARKS.md.

Each table has its own markers (`<!-- bench:fanout:begin -->` ... `<!-- bench:fanout:end -->`, and
`idle`, `soak`, `core`) and is rewritten only when this run measured it, with the date, commit and
machine it was measured on; the others are left as they were.

Usage: bench_table.py RESULTS.jsonl CORE_FANOUT.txt PRIORITY BENCHMARKS.md [FANOUT_BLOCK]
(FANOUT_BLOCK: the block the fan-out rows go to, `fanout` unless given: `threads` for
`bench.sh --threads-only`, whose idle rows then go to `threads-idle` and whose issue 10 targets
table, made from both, to `targets10`.)
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


def targets_table(fanout, idle):
    """Issue 10's targets against one `bench.sh --threads-only` run: each target, what was measured
    (as a ratio to the ideal broadcaster in the same run where the target is one), and whether it
    is met, for each smol thread count (and std where the target names it)."""
    def find(load, server):
        return next((r["result"] for r in fanout if r["load"] == load and r["server"] == server), None)

    smols = list(dict.fromkeys(r["server"] for r in fanout if r["server"].startswith("smol")))
    smols += [r["server"] for r in idle if r["server"].startswith("smol") and r["server"] not in smols]

    def p99(r):
        return (r or {}).get("latency_ms", {}).get("p99")

    def p99_ratio(load, server, limit):
        r, ideal = find(load, server), find(load, IDEAL)
        if not r or "error" in r or not ideal or not p99(ideal):
            return "no run", False
        x = p99(r) / p99(ideal)
        return f"{num(p99(r), 1)} ms = {x:.1f}x the ideal's {num(p99(ideal), 1)} ms", x <= limit

    def lossless(load, server):
        r = find(load, server)
        if not r or "error" in r:
            return "no run", False
        bad = sum(r.get(k, 0) for k in ("lost", "duplicated", "out_of_order", "corrupted"))
        return f"{num(r.get('lost'))} lost, {num(bad - r.get('lost', 0))} duplicated, reordered or corrupted", bad == 0 and r.get("pass")

    def offered(r):
        if not r or "error" in r or not r.get("rate") or not r.get("messages"):
            return None
        return r["deliveries_per_sec"] / (r["expected"] * r["rate"] / r["messages"])

    def share_of_offered(load, server, limit):
        x, ideal = offered(find(load, server)), offered(find(load, IDEAL))
        if x is None:
            return "no run", False
        return f"{x:.1%} of the offered rate (the ideal: {ideal:.1%})" if ideal else f"{x:.1%}", x >= limit

    def share_of_ideal(load, server, limit):
        r, ideal = find(load, server), find(load, IDEAL)
        if not r or "error" in r or not ideal:
            return "no run", False
        x = r["deliveries_per_sec"] / ideal["deliveries_per_sec"]
        return f"{num(r['deliveries_per_sec'] / 1e6, 2)} M/s = {x:.2f}x the ideal's {num(ideal['deliveries_per_sec'] / 1e6, 2)} M/s", x >= limit

    def memory(server, limit):
        r = next((row["result"] for row in idle if row["server"] == server), None)
        if not r or "error" in r or r.get("rss_per_connection") is None:
            return "no run", False
        each = r["rss_per_connection"]
        return (f"{num(each)} bytes each, {num(r.get('delivered'))} of {num(r.get('clients'))} got it",
                each <= limit and bool(r.get("pass")))

    def row(target, results):
        measured = "; ".join(f"{who}: {text}" for who, (text, _) in results)
        met = "; ".join(f"{who}: {'yes' if ok else '**no**'}" for who, (_, ok) in results)
        return f"| {target} | {measured} | {met} |"

    two, ten, burst = "paced 2,000 lines/s", "paced 10,000 lines/s", "unpaced burst"
    out = ["| target | measured | met? |", "| --- | --- | --- |"]
    out.append(row("2,000 lines/s: smol p99 within 1.2x the ideal's", [(s, p99_ratio(two, s, 1.2)) for s in smols]))
    out.append(row("2,000 lines/s: std p99 within 3x the ideal's", [("std", p99_ratio(two, "std", 3.0))]))
    out.append(row("10,000 lines/s: zero loss on both runtimes", [(s, lossless(ten, s)) for s in smols + ["std"]]))
    out.append(row("10,000 lines/s: smol delivers at least 98% of the offered rate", [(s, share_of_offered(ten, s, 0.98)) for s in smols]))
    out.append(row("10,000 lines/s: smol p99 within 1.5x the ideal's", [(s, p99_ratio(ten, s, 1.5)) for s in smols]))
    out.append(row("Unpaced burst: smol at least 90% of the ideal's deliveries/s", [(s, share_of_ideal(burst, s, 0.9)) for s in smols]))
    out.append(row("19,000 idle connections, each receiving a broadcast, at most 1.5 KiB of server memory apiece",
                   [(s, memory(s, 1536)) for s in smols if any(r["server"] == s for r in idle)]))
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
    # The issue 10 run (`--threads-only`) keeps its idle rows beside its fan-out rows.
    idle_block = "threads-idle" if fanout_block == "threads" else "idle"
    if kinds["connections"]:
        doc = replace_block(doc, idle_block, where_normal + connections_table(kinds["connections"]))
    if fanout_block == "threads" and kinds["fanout"]:
        doc = replace_block(doc, "targets10", where + targets_table(kinds["fanout"], kinds["connections"]))
    if kinds["soak"]:
        doc = replace_block(doc, "soak", where_normal + soak_table(kinds["soak"]))
    if core_table(core)[2:]:
        doc = replace_block(doc, "core", where + core_table(core))
    open(doc_path, "w").write(doc)


if __name__ == "__main__":
    main()
