#!/usr/bin/env python3
"""The memory attack of issue 9 item 2, bounded in time, against a running `chat serve`.

N connections with a 4 KiB receive buffer never read; each sends `/nick qXY`, then its burst
of 29 one-character lines, then 3 lines/s. Meanwhile one client says a timestamped line every half
second (within the flood limit) and another reads them. Prints the server's peak and current RSS (from /proc), the
longest wait of the readers' lines, and the RSS after the attackers leave.

    scripts/attack.py PID PORT [ATTACKERS] [SECONDS]
"""
import socket
import sys
import time


def rss_kib(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            fields[key] = value.split()[0] if value.split() else "0"
    return int(fields["VmRSS"]), int(fields["VmHWM"])


def connect(port, rcvbuf=None):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.connect(("127.0.0.1", port))
    return sock


def main():
    pid, port = int(sys.argv[1]), int(sys.argv[2])
    attackers_n = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
    seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 20
    base, _ = rss_kib(pid)
    talker, listener = connect(port), connect(port)
    listener.setblocking(False)
    talker.sendall(b"/nick talker\n")
    attackers = []
    for i in range(attackers_n):
        sock = connect(port, 4096)
        sock.setblocking(False)
        burst = f"/nick q{i:04}\n".encode() + b"x\n" * 29
        try:
            sock.send(burst)
        except OSError:
            pass
        attackers.append(sock)
    start = time.monotonic()
    peak = 0
    worst = 0.0
    buffer = b""
    said = heard = 0
    next_say = next_attack = start
    last_heard = start
    while time.monotonic() - start < seconds:
        now = time.monotonic()
        if now >= next_say:
            talker.sendall(f"t {now:.6f}\n".encode())
            said += 1
            next_say += 0.5
        if now >= next_attack:
            for sock in attackers:
                try:
                    sock.send(b"x\n")
                except OSError:
                    pass
            next_attack += 1 / 3
        try:
            while True:
                chunk = listener.recv(65536)
                if not chunk:
                    raise SystemExit("the listener was disconnected")
                buffer += chunk
        except BlockingIOError:
            pass
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            if line.startswith(b"<talker> t "):
                sent = float(line.split()[2])
                now = time.monotonic()
                worst = max(worst, now - sent)
                if now - sent > 0.5:
                    print(f"  at {sent - start:5.1f} s a line waited {(now - sent) * 1000:.0f} ms")
                heard += 1
                last_heard = now
        rss, hwm = rss_kib(pid)
        if hwm > peak and hwm // 10240 != peak // 10240:
            print(f"  at {now - start:5.1f} s peak RSS {hwm / 1024:.0f} MiB")
        peak = max(peak, hwm)
        time.sleep(0.01)
    print(f"baseline RSS {base / 1024:.1f} MiB; peak RSS {peak / 1024:.1f} MiB")
    print(f"talker lines said {said}, heard {heard}; longest wait {worst * 1000:.0f} ms")
    for sock in attackers:
        sock.close()
    time.sleep(5)
    rss, _ = rss_kib(pid)
    print(f"RSS 5 s after the attackers left: {rss / 1024:.1f} MiB")


main()
