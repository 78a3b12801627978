#!/usr/bin/env python3
"""End-to-end latency of scan jobs (bench/scale_bench.sh, issue 17): submit -> verdict.

Publishes K jobs on STREAM.jobs at an offered rate (jobs/s), each with its own Cg-Job id and a
file's bytes as the content (the job format of docs/queue.md), and listens on STREAM.results
for the verdicts (a core subscription: every verdict the workers publish also reaches it). A
job's latency is the time from just before its publish to its verdict's arrival here: the
queue, a worker's scan, the store's commit (PostgreSQL) and the verdict's publish. Speaks the
NATS protocol itself (no client library in Debian for Python).

    scale_latency.py PORT STREAM RATE FILE...    prints "p50_ms p99_ms max_ms got sent"

The files are used in turn; ids are "lat-<run>-<n>" so runs do not collide. Bounded: gives up
on the missing verdicts 60 s after the last publish.
"""
import os
import socket
import sys
import threading
import time


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    f = s.makefile("rb")
    f.readline()  # INFO
    s.sendall(b'CONNECT {"verbose":false,"pedantic":false,"headers":true,"protocol":1}\r\n')
    return s, f


def headers_of(block):
    out = {}
    for line in block.decode("utf-8", "replace").split("\r\n")[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            out[k.strip()] = v.strip()
    return out


def listen(port, subject, arrived, stop):
    s, f = connect(port)
    s.settimeout(None)  # a daemon thread: it ends with the process
    s.sendall(b"SUB %s 1\r\nPING\r\n" % subject.encode())
    ready.set()
    while not stop.is_set():
        line = f.readline()
        if not line:
            return
        if line.startswith(b"PING"):
            s.sendall(b"PONG\r\n")
        elif line.startswith(b"HMSG"):
            parts = line.split()
            hlen, total = int(parts[-2]), int(parts[-1])
            data = f.read(total + 2)
            job = headers_of(data[:hlen]).get("Cg-Job")
            if job is not None and job not in arrived:
                arrived[job] = time.monotonic()


ready = threading.Event()


def main():
    port, stream, rate = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
    files = sys.argv[4:]
    bodies = [open(p, "rb").read() for p in files]
    run = "%x%x" % (os.getpid(), int(time.time()) & 0xFFFF)
    arrived, sent = {}, {}
    stop = threading.Event()
    t = threading.Thread(target=listen, args=(port, stream + ".results", arrived, stop),
                         daemon=True)
    t.start()
    ready.wait(10)
    time.sleep(0.2)  # the subscription registered before the first verdict can come
    s, f = connect(port)
    s.settimeout(None)
    t0 = time.monotonic()
    for n, body in enumerate(bodies):
        due = t0 + n / rate
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        job = "lat-%s-%d" % (run, n)
        h = ("NATS/1.0\r\nCg-Job: %s\r\nNats-Msg-Id: %s\r\n\r\n" % (job, job)).encode()
        sent[job] = time.monotonic()
        # No reply subject: the stream stores it; a PING/PONG at the end proves the server had
        # every publish (the acks would add a round trip per job to the measured path).
        s.sendall(b"HPUB %s.jobs %d %d\r\n" % (stream.encode(), len(h), len(h) + len(body))
                  + h + body + b"\r\n")
    s.sendall(b"PING\r\n")
    while True:
        line = f.readline()
        if not line or line.startswith(b"PONG"):
            break
    deadline = time.monotonic() + 60
    while len([j for j in sent if j in arrived]) < len(sent) and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    lat = sorted((arrived[j] - sent[j]) * 1000.0 for j in sent if j in arrived)
    if not lat:
        print("nan nan nan 0 %d" % len(sent))
        return 1
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
    print("%.1f %.1f %.1f %d %d" % (p(0.50), p(0.99), lat[-1], len(lat), len(sent)))
    return 0 if len(lat) == len(sent) else 1


if __name__ == "__main__":
    sys.exit(main())
