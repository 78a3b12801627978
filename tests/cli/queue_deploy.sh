#!/usr/bin/env bash
# The deployment files of docs/scale.md (contrib/systemd, contrib/nats), checked as far as a
# machine without the deployment can:
#   1. systemd: the template units pass `systemd-analyze verify` (no warning at all) with the
#      program path pointed at this build, and `systemd-analyze security --offline` rates each
#      at most 2.0 ("OK"); serve-front.json is a config `childguard serve` starts with.
#   2. NATS: certificates made here (openssl, a CA of this test's own); the three node configs
#      rendered onto loopback ports chosen here pass `nats-server -t`, then run as a
#      three-node JetStream cluster with the mTLS users and permissions of cluster-common.conf:
#      a worker (its certificate) records jobs that the operator's certificate submits, on
#      streams of 3 replicas. Attacks: the worker's certificate may not publish jobs (it would
#      choose their tenant), a client without a certificate and one that trusts another CA are
#      refused, and the error messages mask a password given in a URL.
# Synthetic content only. Usage: bash queue_deploy.sh /path/to/childguard /path/to/source-root
set -u
CG=$(realpath "$1")
ROOT=$2
. "$(dirname "${BASH_SOURCE[0]}")/lib/queue_lib.sh"
queue_test_init nats-server curl python3 sqlite3 openssl
C=$ROOT/contrib

# ---- 1. systemd units ----
phase "systemd units"
if command -v systemd-analyze >/dev/null; then
    mkdir -p "$tmp/units"
    for u in childguard-serve@ childguard-worker@; do
        sed "s#/usr/local/bin/childguard#$CG#" "$C/systemd/$u.service" >"$tmp/units/$u.service"
    done
    (cd "$tmp/units" && systemd-analyze verify --man=no ./childguard-serve@a.service \
        ./childguard-worker@1.service) >"$tmp/verify.out" 2>&1
    rc=$?
    check "systemd-analyze verify: both template units, no warning" "[ $rc -eq 0 ] && [ ! -s $tmp/verify.out ]"
    [ -s "$tmp/verify.out" ] && cat "$tmp/verify.out"
    # A unit with a typo must fail the same check (the check can fail).
    sed 's/^NoNewPrivileges=/NoNewPrivilegs=/' "$tmp/units/childguard-worker@.service" \
        >"$tmp/units/typo@.service"
    (cd "$tmp/units" && systemd-analyze verify --man=no ./typo@1.service) >"$tmp/typo.out" 2>&1
    check "a misspelt key is caught by the same check" "[ -s $tmp/typo.out ]"
    for u in childguard-serve@a childguard-worker@1; do
        e=$(cd "$tmp/units" && systemd-analyze security --offline=true --no-pager "./$u.service" 2>&1 |
            sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
        check "$u: exposure ${e:-?} (systemd-analyze security), at most 2.0" \
            "[ -n \"$e\" ] && python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) <= 2.0 else 1)' $e"
    done
else
    echo "skipped (not counted as passed): systemd-analyze missing, units not verified"
fi
port=$(free_port)
"$CG" serve --config "$C/systemd/serve-front.json" --listen 127.0.0.1:$port --db "$tmp/front.db" \
    --log "$tmp/front-audit.log" >"$tmp/front.out" 2>"$tmp/front.err" &
sp=$!
pids+=("$sp")
up=1
for _ in $(seq 1 300); do
    curl -s -o /dev/null "http://127.0.0.1:$port/status/live" && { up=0; break; }
    kill -0 $sp 2>/dev/null || break
    sleep 0.1
done
check "childguard serve starts with contrib/systemd/serve-front.json" "[ $up -eq 0 ]"
kill -TERM $sp
wait $sp
check "and stops on SIGTERM with exit 0" "[ \$? -eq 0 ]"

# ---- 2. the NATS cluster config ----
phase "NATS cluster config"
queue_tls_ca "$tmp/tls" ca && queue_tls_ca "$tmp/tls" other-ca &&
    queue_tls_cert "$tmp/tls" server nats-server "IP:127.0.0.1,DNS:localhost" &&
    queue_tls_cert "$tmp/tls" worker childguard-worker "DNS:worker" &&
    queue_tls_cert "$tmp/tls" operator childguard-operator "DNS:operator" &&
    queue_tls_cert "$tmp/tls" stranger childguard-operator "DNS:stranger" other-ca
check "a CA, server and client certificates made with openssl" "[ \$? -eq 0 ]"

declare -A P M R S
for n in 1 2 3; do P[$n]=$(free_port); M[$n]=$(free_port); R[$n]=$(free_port); done
for n in 1 2 3; do
    d=$tmp/nats-$n
    mkdir -p "$d"
    sed -e "s#/etc/nats/tls#$tmp/tls#g" -e "s#/var/lib/nats/jetstream#$d/js#" \
        -e "s#^listen: 0.0.0.0:4222#listen: 127.0.0.1:${P[$n]}#" \
        -e "s#^http: 127.0.0.1:8222#http: 127.0.0.1:${M[$n]}#" \
        -e "s#listen: 0.0.0.0:6222#listen: 127.0.0.1:${R[$n]}#" \
        -e "s#nats-route://nats-1.internal:6222#nats-route://127.0.0.1:${R[1]}#" \
        -e "s#nats-route://nats-2.internal:6222#nats-route://127.0.0.1:${R[2]}#" \
        -e "s#nats-route://nats-3.internal:6222#nats-route://127.0.0.1:${R[3]}#" \
        "$C/nats/cluster-common.conf" >"$d/cluster-common.conf"
    cp "$C/nats/nats-$n.conf" "$d/"
done
check "the rendered configs changed only addresses and paths" \
    "[ \$(grep -c 127.0.0.1 $tmp/nats-1/cluster-common.conf) -eq 6 ] &&
     ! grep -v '^ *#' $tmp/nats-1/cluster-common.conf | grep -q 'internal\\|/etc/nats\\|/var/lib'"
for n in 1 2 3; do
    nats-server -c "$tmp/nats-$n/nats-$n.conf" -t >"$tmp/t$n.out" 2>&1
    check "nats-server -t: nats-$n.conf is valid" "[ \$? -eq 0 ] && grep -q valid $tmp/t$n.out"
done
for n in 1 2 3; do
    nats-server -c "$tmp/nats-$n/nats-$n.conf" >>"$tmp/nats-$n.log" 2>&1 &
    S[$n]=$!
    pids+=("${S[$n]}")
done
meta_leader() {
    curl -s "http://127.0.0.1:$1/jsz" 2>/dev/null |
        python3 -c 'import json,sys; print((json.load(sys.stdin).get("meta_cluster") or {}).get("leader",""))' 2>/dev/null
}
for _ in $(seq 1 300); do [ -n "$(meta_leader "${M[1]}")" ] && break; sleep 0.1; done
check "three nodes over TLS routes elect a JetStream meta leader ($(meta_leader "${M[1]}"))" \
    "[ -n \"\$(meta_leader ${M[1]})\" ]"

U="nats://127.0.0.1:${P[1]},nats://127.0.0.1:${P[2]},nats://127.0.0.1:${P[3]}"
certenv() { # certenv ROLE: the environment words that give a command ROLE's certificate
    echo "CHILDGUARD_NATS_CA=$tmp/tls/ca.crt"
    [ "$1" = none ] || echo "CHILDGUARD_NATS_CERT=$tmp/tls/$1.crt CHILDGUARD_NATS_KEY=$tmp/tls/$1.key"
}
J=40
queue_make_files "$tmp/files" "$J" deploy
"$CG" bank create known --label csam >/dev/null 2>&1
"$CG" bank import known --type md5 "$tmp/files.md5" >/dev/null 2>&1
env $(certenv operator) "$CG" submit --nats "$U" --replicas 3 --quiet "$tmp/files" >"$tmp/ids.txt" 2>"$tmp/submit.err"
check "the operator's certificate submits $J jobs on streams of 3 replicas" \
    "[ \$? -eq 0 ] && [ \$(wc -l <$tmp/ids.txt) -eq $J ]"
env $(certenv worker) "$CG" worker --nats "$U" --replicas 3 --concurrency 2 --no-classify --stats-every 0 \
    2>"$tmp/worker.log" &
w=$!
pids+=("$w")
wait_done "$CHILDGUARD_DB" "$J" 120
check "a worker with its certificate records them all, once each" \
    "[ \$? -eq 0 ] && [ \"\$(sql $CHILDGUARD_DB 'SELECT count(*), count(DISTINCT id) FROM jobs')\" = \"$J	$J\" ]"
for _ in $(seq 1 100); do [ "$(stream_msgs "${M[1]}" CG_JOBS_RESULTS)" = "$J" ] && break; sleep 0.1; done
check "the worker may publish the verdicts ($(stream_msgs "${M[1]}" CG_JOBS_RESULTS) on the results stream)" \
    "[ \"\$(stream_msgs ${M[1]} CG_JOBS_RESULTS)\" = $J ]"

# Attacks.
# The worker's certificate publishing a job: the server answers a permissions violation (the
# raw protocol over TLS, so the answer is read at once; `childguard submit` with that
# certificate only times out, after minutes: reported, not tested here).
printf 'synthetic job from the wrong role\n' >"$tmp/evil.bin"
tls_pub() { # tls_pub ROLE PORT SUBJECT: prints the server's first answer to a PUB
    python3 - "$tmp/tls" "$1" "$2" "$3" <<'PY'
import socket, ssl, sys
d, role, port, subject = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
ctx = ssl.create_default_context(cafile=d + "/ca.crt")
ctx.load_cert_chain(d + "/" + role + ".crt", d + "/" + role + ".key")
raw = socket.create_connection(("127.0.0.1", port), timeout=10)
raw.recv(4096)  # INFO, in clear; TLS starts after it
s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
f = s.makefile("rb")
s.sendall(b'CONNECT {"verbose":false,"pedantic":false,"protocol":1}\r\n'
          b"PUB %s 4\r\nevil\r\nPING\r\n" % subject.encode())
while True:
    line = f.readline()
    if not line or line.startswith(b"-ERR") or line.startswith(b"PONG"):
        print(line.decode().strip())
        break
PY
}
ans=$(tls_pub worker "${P[1]}" CG_JOBS.jobs 2>&1)
check "the worker's certificate may not publish a job: $ans" "echo \"\$ans\" | grep -q 'Permissions Violation for Publish'"
ans=$(tls_pub operator "${P[1]}" CG_JOBS.probe 2>&1)
check "the same publish with the operator's certificate is allowed: $ans" "[ \"\$ans\" = PONG ]"
env $(certenv none) "$CG" submit --nats "$U" --quiet "$tmp/evil.bin" >/dev/null 2>"$tmp/nocert.err"
rc=$?
check "a client without a certificate is refused (exit $rc, a message, no crash)" \
    "[ $rc -eq 2 ] && [ -s $tmp/nocert.err ]"
CHILDGUARD_NATS_CA=$tmp/tls/other-ca.crt CHILDGUARD_NATS_CERT=$tmp/tls/stranger.crt \
    CHILDGUARD_NATS_KEY=$tmp/tls/stranger.key "$CG" submit --nats "$U" --quiet "$tmp/evil.bin" \
    >/dev/null 2>"$tmp/stranger.err"
rc=$?
check "a client of another CA is refused (exit $rc)" "[ $rc -eq 2 ]"
CHILDGUARD_NATS_CERT=$tmp/tls/operator.crt "$CG" submit --nats "$U" --quiet "$tmp/evil.bin" \
    >/dev/null 2>"$tmp/half.err"
check "a certificate without its key is a usage error naming both variables" \
    "[ \$? -eq 2 ] && grep -q 'CHILDGUARD_NATS_CERT and CHILDGUARD_NATS_KEY' $tmp/half.err"
"$CG" submit --nats "nats://cg:hunter2secret@127.0.0.1:1,nats://127.0.0.1:1" --quiet \
    "$tmp/evil.bin" >/dev/null 2>"$tmp/pw.err"
check "a password in a --nats URL is masked in the message" \
    "! grep -q hunter2secret $tmp/pw.err && grep -qF 'nats://cg:***@127.0.0.1:1,nats://127.0.0.1:1' $tmp/pw.err"
check "the worker is still running" "kill -0 $w"
kill -TERM "$w"
wait "$w"
rc=$?
# After TLS, libnats's exit handler and OpenSSL's used to free the same list: a crash at exit
# (queue_tls_prepare in programs/queue/link.c). The exit status says whether it is back.
check "and drains on SIGTERM, exit 0 (no crash in OpenSSL's exit handler after TLS)" \
    "[ $rc -eq 0 ] && grep -q 'stopped:' $tmp/worker.log"
phase "end"
exit $fail
