#!/usr/bin/env python3
"""The memory attack of issue 9 item 2, bounded in time, against a running `chat serve`.

N connections with a 4 KiB receive buffer never read; each sends `/nick qXY`, then its burst
of 29 one-character lines, then 3 lines/s. Meanwhile one client says a timestamped line every half
second (within the flood limit) and another reads them; both read what they are sent, as people
do (a talker that never read would rightly be dropped as too slow once its socket is full). Every second it prints the server's RSS
(from /proc), the kernel's memory for TCP buffers (all sockets), the server's CPU time, what the
reader got and the longest wait so far; at the end, as one `summary:` line, the longest wait of
the talker's lines (a line never heard counts as waiting until the end), the server's peak RSS,
and its RSS 5 s after the attackers leave.

    scripts/attack.py PID PORT [ATTACKERS] [SECONDS]
"""
import os
import socket
import sys
import time


def rss_kib(pid):
    """The process's current and peak resident size, in KiB."""
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            fields[key] = value.split()[0] if value.split() else "0"
    return int(fields["VmRSS"]), int(fields["VmHWM"])


def cpu_seconds(pid):
    """The process's user and system CPU time so far, in seconds."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tcp_kib():
    """The kernel's memory for all TCP sockets (socket buffers, not in any process's RSS), in KiB."""
    with open("/proc/net/sockstat") as sockstat:
        for line in sockstat:
            if line.startswith("TCP:"):
                fields = line.split()
                return int(fields[fields.index("mem") + 1]) * os.sysconf("SC_PAGE_SIZE") // 1024
    return 0


def connect(port, rcvbuf=None):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.connect(("127.0.0.1", port))
    return sock


def drain(sock):
    """Everything `sock` (non-blocking) has to read now; raises SystemExit at end of file."""
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                raise SystemExit("a normal user (the talker or the listener) was disconnected")
            data += chunk
    except BlockingIOError:
        return data


def main():
    pid, port = int(sys.argv[1]), int(sys.argv[2])
    attackers_n = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
    seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 20
    base, _ = rss_kib(pid)
    cpu_start = cpu_seconds(pid)
    talker, listener = connect(port), connect(port)
    listener.setblocking(False)
    talker.setblocking(False)
    talker.sendall(b"/nick talker\n")
    attackers = []
    buffer = b""
    for i in range(attackers_n):
        if i % 50 == 0:
            # The two normal users read all along, as people do.
            drain(talker)
            buffer += drain(listener)
        sock = connect(port, 4096)
        sock.setblocking(False)
        burst = f"/nick q{i:04}\n".encode() + b"x\n" * 29
        try:
            sock.send(burst)
        except OSError:
            pass
        attackers.append(sock)
    start = time.monotonic()
    worst = 0.0
    got = len(buffer)
    unheard = {}  # the talker's lines not heard yet: sequence number -> time said
    said = attack_lines = 0
    next_report = start + 1
    next_say = next_attack = start
    now = start
    while now - start < seconds:
        now = time.monotonic()
        if now >= next_say:
            talker.setblocking(True)
            talker.sendall(f"t {said} {now:.6f}\n".encode())
            talker.setblocking(False)
            unheard[said] = now
            said += 1
            next_say += 0.5
        if now >= next_attack:
            for sock in attackers:
                try:
                    attack_lines += sock.send(b"x\n") // 2
                except OSError:
                    pass
            next_attack += 1 / 3
        drain(talker)
        chunk = drain(listener)
        buffer += chunk
        got += len(chunk)
        *lines, buffer = buffer.split(b"\n")
        now = time.monotonic()
        for line in lines:
            if line.startswith(b"<talker> t "):
                sent = unheard.pop(int(line.split()[2]))
                worst = max(worst, now - sent)
        if now >= next_report:
            rss, hwm = rss_kib(pid)
            waiting = max((now - sent for sent in unheard.values()), default=0.0)
            print(
                f"  at {now - start:4.1f} s: RSS {rss / 1024:.0f} MiB (peak {hwm / 1024:.0f}),"
                f" TCP buffers {tcp_kib() / 1024:.0f} MiB, server CPU {cpu_seconds(pid) - cpu_start:.1f} s, reader got {got // 1024} KiB,"
                f" talker {said - len(unheard)}/{said} heard, longest wait {max(worst, waiting) * 1000:.0f} ms",
                flush=True,
            )
            next_report += 1
        time.sleep(0.01)
    # A line still unheard has waited at least until now.
    worst = max([worst] + [now - sent for sent in unheard.values()])
    _, peak = rss_kib(pid)
    cpu = cpu_seconds(pid) - cpu_start
    for sock in attackers:
        sock.close()
    time.sleep(5)
    after, _ = rss_kib(pid)
    print(
        f"summary: baseline {base / 1024:.1f} MiB, peak {peak / 1024:.1f} MiB,"
        f" 5 s after the attackers left {after / 1024:.1f} MiB;"
        f" talker {said - len(unheard)}/{said} heard, longest wait {worst * 1000:.0f} ms;"
        f" attackers sent {attack_lines / (now - start):.0f} lines/s; server CPU {cpu:.1f} s"
        f" in {now - start:.1f} s"
    )


main()
