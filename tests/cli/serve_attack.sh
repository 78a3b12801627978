#!/usr/bin/env bash
# childguard serve under the connection and memory attacks of issue 13 (items 2, 3, 10, 12) and
# the listen address of issue 20.9, each reproduced on loopback against a server this script
# starts on a free port. Every loop is bounded; every wait has a generous limit and checks
# behaviour (who answered, what was closed, what the server holds), never how fast.
#   - anonymous bodies: 8 connections posting 31 MiB to an unknown route and to a route they
#     have no key for are answered at the headers; the server's peak memory does not grow;
#   - a body over the route's limit (lookups take a few KiB) is refused at the headers;
#   - the server-wide buffer: a second upload that would pass max_buffered gets 503 at once;
#   - slowloris: 200 half-written requests from one address leave /status/live answering
#     (per-address limit), and the header deadline closes them; a body that trickles is closed
#     by the body-rate floor;
#   - failed authentications from one address: 401 until the burst is spent, then 429 before
#     the token is looked at, while other addresses are unaffected;
#   - --no-auth off loopback refuses to start; --listen localhost:PORT works; a busy port is
#     one line.
# Attackers bind 127.0.0.2/127.0.0.3 as their source address (Linux routes all of 127/8 to lo)
# so that the probes from 127.0.0.1 are a different client.
# Usage: bash serve_attack.sh /path/to/childguard /path/to/source-root [testdata]
set -u
CG=$1
. "$(dirname "${BASH_SOURCE[0]}")/lib/serve_common.sh"
cg_test_init curl python3
python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.2", 0))' 2>/dev/null ||
    { echo "SKIPPED: cannot bind 127.0.0.2 (loopback aliases)"; exit 77; }

HASHER=$("$CG" keys create hasher --scope hash,match 2>/dev/null | grep -m1 '^cgk_')
check "a key" "[ -n \"$HASHER\" ]"

port=$(free_port)
B="http://127.0.0.1:$port"
start() { # extra config JSON
    echo "$1" >"$tmp/serve.json"
    "$CG" serve --config "$tmp/serve.json" --listen 127.0.0.1:$port --db "$CHILDGUARD_DB" \
        --log "$CHILDGUARD_AUDIT_LOG" --threads 2 >>"$tmp/server.out" 2>>"$tmp/server.log" &
    server_pid=$!
    cg_wait_live "$B" "$server_pid"
}
stop() { kill -TERM "$server_pid"; wait "$server_pid"; local rc=$?; server_pid=; return $rc; }
hwm() { awk '/^VmHWM/ {print $2}' "/proc/$server_pid/status"; }   # peak RSS, KiB
metric() { curl -s -H "Authorization: Bearer $ADMIN" "$B/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
ADMIN=$("$CG" keys create admin --scope all 2>/dev/null | grep -m1 '^cgk_')

cat >"$tmp/attack.py" <<'PY'
# Attack clients. Each command prints one summary line; every loop is bounded.
import socket, sys, threading, time

def conn(port, src="127.0.0.2"):
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(30)
    s.connect(("127.0.0.1", port))
    return s

def closed(s):
    """1 when the server closed s (EOF or reset), reading and discarding any reply."""
    s.setblocking(False)
    try:
        while True:
            d = s.recv(65536)
            if d == b"":
                return 1
    except BlockingIOError:
        return 0
    except OSError:
        return 1

def bodies(port, paths, mib):
    """POSTs mib MiB to each path at once; prints each reply's status line."""
    out = []
    def one(path):
        s = conn(port)
        head = "POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (path, mib << 20)
        s.sendall(head.encode())
        chunk = b"\0" * (1 << 20)
        try:
            for _ in range(mib):
                s.sendall(chunk)
        except OSError:
            pass  # the server answered and closed: the rest was never read
        try:
            s.settimeout(30)
            line = s.recv(200).split(b"\r\n")[0].decode()
        except OSError as e:
            line = "no reply (%s)" % e.__class__.__name__
        out.append(line)
        s.close()
    ts = [threading.Thread(target=one, args=(p,)) for p in paths]
    [t.start() for t in ts]
    [t.join() for t in ts]
    print(";".join(sorted(out)))

def slowloris(port, n, wait_s):
    """Opens n half-written requests, trickles a byte into each every second for up to wait_s
    seconds, and prints: opened, closed at once, still open after the probe, closed at the end."""
    socks = []
    for _ in range(n):
        s = conn(port)
        s.sendall(b"GET /status/live HTTP/1.1\r\nHost: x\r\n")
        socks.append(s)
    time.sleep(1)
    at_once = sum(closed(s) for s in socks)
    print("opened %d closed_at_once %d" % (n, at_once), flush=True)
    end = time.time() + wait_s
    alive = [s for s in socks if not closed(s)]
    while alive and time.time() < end:
        time.sleep(1)
        nxt = []
        for s in alive:
            try:
                s.setblocking(True)
                s.settimeout(5)
                s.sendall(b"X-Slow: 1\r\n")
            except OSError:
                continue
            if not closed(s):
                nxt.append(s)
        alive = nxt
    print("still_open_at_end %d" % len(alive), flush=True)

def slow_body(port, token, wait_s):
    """Valid headers for a 1 MiB upload, then 10 bytes a second: prints whether it was closed."""
    s = conn(port, "127.0.0.2")
    s.sendall(("POST /h/hash HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
               "Content-Length: %d\r\n\r\n" % (token, 1 << 20)).encode())
    end = time.time() + wait_s
    while time.time() < end:
        try:
            s.setblocking(True)
            s.sendall(b"\0" * 10)
        except OSError:
            break
        time.sleep(1)
        if closed(s):
            print("closed")
            return
    print("open")

def hold_upload(port, token, mib, ready, release):
    """Headers of a mib MiB upload and one byte; holds the connection until release exists."""
    import os
    s = conn(port, "127.0.0.1")
    s.sendall(("POST /h/hash HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
               "Content-Length: %d\r\n\r\n\0" % (token, mib << 20)).encode())
    open(ready, "w").close()
    for _ in range(600):
        if os.path.exists(release):
            break
        time.sleep(0.1)
    s.close()

cmd = sys.argv[1]
port = int(sys.argv[2])
if cmd == "bodies":
    bodies(port, sys.argv[4].split(","), int(sys.argv[3]))
elif cmd == "slowloris":
    slowloris(port, int(sys.argv[3]), float(sys.argv[4]))
elif cmd == "slow_body":
    slow_body(port, sys.argv[3], float(sys.argv[4]))
elif cmd == "hold_upload":
    hold_upload(port, sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6])
PY

# ---- item 2: no pre-auth memory ----------------------------------------------------------------
check "the server comes up (default limits: 32 MiB bodies)" "start '{}'"
curl -s -o /dev/null -H "Authorization: Bearer $HASHER" -F "photo=@/dev/null" "$B/h/hash"
before=$(hwm)
python3 "$tmp/attack.py" bodies "$port" 31 /nope,/nope,/nope,/nope,/h/hash,/h/hash,/h/hash,/h/hash >"$tmp/out"
after=$(hwm)
echo "   (peak RSS $before -> $after KiB; replies: $(cat "$tmp/out"))"
check "31 MiB bodies to an unknown route and without a key are answered at the headers (404, 401)" \
    "[ \$(tr ';' '\n' <$tmp/out | grep -c ' 404 ') -eq 4 ] && [ \$(tr ';' '\n' <$tmp/out | grep -c ' 401 ') -eq 4 ]"
check "and the server's peak memory did not grow by the bodies (< 32 MiB for 248 MiB sent)" \
    "[ \$((after - before)) -lt 32768 ]"
head -c 100000 /dev/zero | tr '\0' ' ' >"$tmp/100k.json"
code=$(curl -s -o "$tmp/out" -w '%{http_code}' -H "Authorization: Bearer $HASHER" \
    -H 'Content-Type: application/json' --data-binary "@$tmp/100k.json" "$B/m/compare")
check "a 100 KB body to a lookup route (limit 16 KiB): 413 at the headers" "[ $code = 413 ]"
code=$(curl -s -o "$tmp/out" -w '%{http_code}' -X GET -H "Authorization: Bearer $HASHER" --data-binary 'x=1' "$B/m/index/status")
check "a body on a GET route: 413" "[ $code = 413 ]"
check "stop" "stop"

# ---- item 2: the server-wide buffer -------------------------------------------------------------
check "restart with max_buffered 4 MiB" "start '{\"max_buffered\": 4194304}'"
rm -f "$tmp/ready" "$tmp/release"
python3 "$tmp/attack.py" hold_upload "$port" "$HASHER" 3 "$tmp/ready" "$tmp/release" &
holder=$!
for _ in $(seq 1 300); do [ -e "$tmp/ready" ] && break; sleep 0.1; done
sleep 0.5
head -c 3000000 /dev/zero >"$tmp/3m.bin"
code=$(curl -s -o "$tmp/out" -w '%{http_code}' -D "$tmp/hdr" -H "Authorization: Bearer $HASHER" \
    --data-binary "@$tmp/3m.bin" "$B/h/hash")
check "while 3 MiB are promised to one upload, a second 3 MiB upload gets 503 + Retry-After" \
    "[ $code = 503 ] && grep -qi '^Retry-After:' $tmp/hdr && grep -q overloaded $tmp/out"
code=$(curl -s -o /dev/null -w '%{http_code}' "$B/status/live")
check "/status/live still answers" "[ $code = 200 ]"
touch "$tmp/release"
wait $holder
for _ in $(seq 1 100); do [ "$(metric childguard_buffered_bytes)" = 0 ] && break; sleep 0.1; done
code=$(curl -s -o "$tmp/out" -w '%{http_code}' -H "Authorization: Bearer $HASHER" \
    --data-binary "@$tmp/3m.bin" "$B/h/hash")
check "once it is gone, the same upload is accepted" "[ $code = 200 ]"
check "/metrics counts the refusal" "[ \"\$(curl -s -H 'Authorization: Bearer $ADMIN' $B/metrics | grep -c 'childguard_events_total{event=\"buffer_full\"} [1-9]')\" = 1 ]"
check "stop" "stop"

# ---- item 3: slowloris ----------------------------------------------------------------------------
check "restart with header_timeout 60 (the per-address limit alone)" "start '{\"header_timeout\": 60, \"connection_limit\": 128}'"
python3 "$tmp/attack.py" slowloris "$port" 200 8 >"$tmp/loris" &
loris=$!
for _ in $(seq 1 300); do grep -q opened "$tmp/loris" && break; sleep 0.1; done
code=$(curl -s -m 20 -o "$tmp/out" -w '%{http_code}' "$B/status/live")
echo "   ($(head -1 "$tmp/loris"))"
check "200 half-written requests from one address: /status/live still answers another" "[ $code = 200 ] && grep -q I-AM-ALIVE $tmp/out"
check "the address was held to per_ip_connections (64): the rest closed at once" \
    "python3 -c \"import re; m=re.search(r'opened (\\d+) closed_at_once (\\d+)', open('$tmp/loris').read()); assert int(m.group(1))-int(m.group(2)) <= 64 and int(m.group(2)) > 0, m.group(0)\""
wait $loris
check "stop" "stop"
# (One failure refilled a minute: the auth checks below never wait long enough for a refill,
# however slow the build, e.g. under sanitizers.)
check "restart with header_timeout 2" "start '{\"header_timeout\": 2, \"auth_failures_per_minute\": 1}'"
python3 "$tmp/attack.py" slowloris "$port" 50 60 >"$tmp/loris"
echo "   ($(tr '\n' ' ' <"$tmp/loris"))"
check "requests whose headers never complete are closed by the deadline though they keep trickling" \
    "grep -q 'still_open_at_end 0' $tmp/loris"
check "/metrics counts them" "[ \"\$(curl -s -H 'Authorization: Bearer $ADMIN' $B/metrics | grep -c 'childguard_events_total{event=\"header_timeout\"} [1-9]')\" = 1 ]"
python3 "$tmp/attack.py" slow_body "$port" "$HASHER" 60 >"$tmp/out"
check "a body trickling 10 bytes/s (floor 1024) is closed" "grep -q closed $tmp/out"
check "/metrics counts it" "[ \"\$(curl -s -H 'Authorization: Bearer $ADMIN' $B/metrics | grep -c 'childguard_events_total{event=\"slow_body\"} [1-9]')\" = 1 ]"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $HASHER" "$B/m/index/status")
check "normal requests are unaffected" "[ $code = 200 ]"

# ---- item 10: failed authentications per address ----------------------------------------------------
codes=""
for i in $(seq 1 14); do
    codes="$codes $(curl -s -o /dev/null -w '%{http_code}' --interface 127.0.0.3 \
        -H "Authorization: Bearer cgk_1_$(printf '%064d' $i)" "$B/m/index/status")"
done
echo "   (bad tokens from 127.0.0.3:$codes)"
check "bad tokens: 401 for the burst (10), then 429" \
    "[ \$(echo $codes | tr ' ' '\n' | grep -c 401) -eq 10 ] && [ \$(echo $codes | tr ' ' '\n' | grep -c 429) -eq 4 ]"
code=$(curl -s -o "$tmp/out" -w '%{http_code}' -D "$tmp/hdr" --interface 127.0.0.3 -H "Authorization: Bearer $HASHER" "$B/m/index/status")
check "the limited address gets 429 with Retry-After even with a good key (no lookup is made)" \
    "[ $code = 429 ] && grep -qi '^Retry-After: [0-9]' $tmp/hdr && grep -q too_many_failures $tmp/out"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $HASHER" "$B/m/index/status")
check "another address is unaffected" "[ $code = 200 ]"
check "/metrics counts limited attempts" "[ \"\$(curl -s -H 'Authorization: Bearer $ADMIN' $B/metrics | grep -c 'childguard_events_total{event=\"auth_failures_limited\"} [1-9]')\" = 1 ]"
check "stop" "stop"
check "no sanitizer or crash report in the server log" "! grep -qiE 'AddressSanitizer|runtime error|LeakSanitizer' $tmp/server.log"

# ---- item 12 and issue 20.9: where the server listens ---------------------------------------------
timeout 20 "$CG" serve --no-auth --listen 0.0.0.0:$port >/dev/null 2>"$tmp/err"
check "--no-auth on 0.0.0.0 refuses to start (exit 2, says why)" "[ $? -eq 2 ] && grep -q 'not a loopback' $tmp/err"
"$CG" serve --listen "localhost:$port" --db "$CHILDGUARD_DB" >/dev/null 2>"$tmp/lh.log" &
server_pid=$!
up=0
for _ in $(seq 1 300); do
    curl -s -o /dev/null "http://localhost:$port/status/live" 2>/dev/null && { up=1; break; }
    kill -0 $server_pid 2>/dev/null || break
    sleep 0.1
done
check "--listen localhost:PORT (a host name) serves" "[ $up -eq 1 ]"
timeout 20 "$CG" serve --listen "localhost:$port" --db "$CHILDGUARD_DB" >/dev/null 2>"$tmp/err"
rc=$?
echo "   (busy port: $(cat "$tmp/err"))"
check "a busy port: exit 2 and exactly one line saying the address is in use" \
    "[ $rc -eq 2 ] && [ \$(wc -l <$tmp/err) -eq 1 ] && grep -q 'already in use' $tmp/err"
check "stop" "stop"
timeout 20 "$CG" serve --listen "no-such-host.invalid:$port" >/dev/null 2>"$tmp/err"
check "a host name that does not resolve: exit 2, one line" "[ $? -eq 2 ] && [ \$(wc -l <$tmp/err) -eq 1 ] && grep -q 'does not resolve' $tmp/err"

[ $fail -eq 0 ] && echo "all serve attack checks passed"
exit $fail
