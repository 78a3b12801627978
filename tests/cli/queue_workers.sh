#!/usr/bin/env bash
# childguard worker / submit on a real nats-server with JetStream (docs/queue.md), started here on
# free loopback ports and stopped at the end. Synthetic content only: small files of text bytes
# "synthetic queue job N" whose MD5s are put in a block bank, so each job's verdict queues one
# review item and appends one decision record.
#   1. N jobs (QUEUE_TEST_JOBS, default 2000) through 2 worker processes; one is killed with
#      kill -9 mid-stream: every job has exactly one ledger row (done), one review item, at most
#      one decision record (a kill between a commit and its audit append loses that record; it
#      never doubles), and the results stream holds one verdict per job.
#   2. Hostile jobs: paths that leave --root (.., absolute, a symbolic link), content over
#      --max-bytes, a job without an id: each dead-lettered with a reason, the worker goes on.
#   3. A store that is busy (locked by another process) longer than its timeout: the job is
#      nak'ed with back-off and done once the lock goes; with --max-attempts 1 it is
#      dead-lettered.
#   4. SIGTERM: the worker drains and exits 0.
# Usage: bash queue_workers.sh /path/to/childguard /path/to/source-root [testdata]
set -u
CG=$1
ROOT=$2
tmp=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do
        kill -KILL "$p" 2>/dev/null && wait "$p" 2>/dev/null
    done
    [ -n "${QUEUE_KEEP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi; }
for tool in nats-server curl python3 sqlite3; do
    command -v $tool >/dev/null || { echo "SKIPPED: $tool missing"; exit 77; }
done
. "$ROOT/tests/tools/queue_lib.sh"
N=${QUEUE_TEST_JOBS:-2000}
export CHILDGUARD_DB=$tmp/t.db CHILDGUARD_AUDIT_LOG=$tmp/audit.log USER=tester

# ---- the content and the bank ----
mkdir -p "$tmp/files"
python3 - "$tmp/files" "$N" <<'PY'
import hashlib, os, sys
d, n = sys.argv[1], int(sys.argv[2])
with open(os.path.join(d, "..", "md5.txt"), "w") as m:
    for i in range(n):
        b = b"synthetic queue job %d\n" % i
        open(os.path.join(d, "f%05d.bin" % i), "wb").write(b)
        m.write(hashlib.md5(b).hexdigest() + "\n")
PY
"$CG" bank create known --label csam >/dev/null 2>"$tmp/err"
"$CG" bank import known --type md5 "$tmp/md5.txt" >/dev/null 2>>"$tmp/err"
check "a block bank of the $N files' MD5s" "[ \$? -eq 0 ]"

port=$(free_port)
mport=$(free_port)
U=nats://127.0.0.1:$port
pid=$(nats_start n1 "$port" "$mport")
pids+=("$pid")
check "nats-server with JetStream answers" "curl -s -o /dev/null http://127.0.0.1:$mport/healthz"

worker() { # worker LOGNAME [args...]: starts a worker in the background; its pid in $wpid
    local log=$1
    shift
    "$CG" worker --nats "$U" --concurrency 2 --ack-wait 2000 --backoff 200 --no-classify \
        --stats-every 0 "$@" 2>>"$tmp/$log.log" &
    wpid=$!
    pids+=("$wpid")
}
ready() { # ready LOGNAME: waits (bounded) for the worker's "ready" line
    for _ in $(seq 1 300); do grep -q 'ready:' "$tmp/$1.log" 2>/dev/null && return 0; sleep 0.1; done
    return 1
}
phase() { echo "# $1 (at ${SECONDS}s)"; }

# ---- 1. N jobs, 2 workers, one killed ----
phase "N jobs, 2 workers, kill -9"
"$CG" submit --nats "$U" --quiet "$tmp/files" >"$tmp/ids.txt" 2>"$tmp/submit.log"
check "submit queues $N jobs (exit 0)" "[ \$? -eq 0 ] && [ \$(wc -l <$tmp/ids.txt) -eq $N ]"
check "submit prints a summary" "grep -q '$N jobs queued, 0 failed' $tmp/submit.log"
worker wA
a=$wpid
worker wB
b=$wpid
# Kill A once a quarter of the jobs are recorded (bounded wait).
for _ in $(seq 1 600); do
    d=$(sql "$CHILDGUARD_DB" "SELECT count(*) FROM jobs WHERE state='done'" 2>/dev/null || echo 0)
    [ "${d:-0}" -ge $((N / 4)) ] && break
    sleep 0.1
done
kill -KILL "$a"
wait "$a" 2>/dev/null
check "worker A killed with kill -9 mid-stream (done when killed: $d of $N)" "[ ${d:-0} -lt $N ]"
wait_done "$CHILDGUARD_DB" "$N" 90
check "all $N jobs recorded after the kill (A's unacked jobs redelivered)" "[ \$? -eq 0 ]"
check "no job recorded twice: $N ledger rows, all done" \
    "[ \"\$(sql $CHILDGUARD_DB 'SELECT count(*), count(DISTINCT id) FROM jobs')\" = \"$N	$N\" ]"
check "every submitted id has a row" \
    "[ \"\$(cut -f1 $tmp/ids.txt | sort -u | wc -l)\" = $N ] && python3 -c '
import sqlite3, sys
ids = set(l.split(chr(9))[0] for l in open(sys.argv[2]))
got = set(r[0] for r in sqlite3.connect(sys.argv[1]).execute(\"SELECT id FROM jobs WHERE state=\\\"done\\\"\"))
sys.exit(0 if ids == got else 1)' $CHILDGUARD_DB $tmp/ids.txt"
check "one review item per job, none twice" \
    "[ \"\$(sql $CHILDGUARD_DB 'SELECT count(*), count(DISTINCT content_id) FROM review_items')\" = \"$N	$N\" ]"
check "each ledger row names its review item" \
    "[ \"\$(sql $CHILDGUARD_DB 'SELECT count(DISTINCT j.review_id) FROM jobs j JOIN review_items r ON r.id = j.review_id')\" = $N ]"
read -r dmax dtotal < <(audit_counts "$CHILDGUARD_AUDIT_LOG" decision)
read -r rmax rtotal < <(audit_counts "$CHILDGUARD_AUDIT_LOG" review)
check "no decision record twice (max $dmax per content; $dtotal of $N written)" \
    "[ $dmax -eq 1 ] && [ $dtotal -ge $((N - 4)) ] && [ $dtotal -le $N ]"
check "no review-add record twice (max $rmax; $rtotal of $N)" "[ $rmax -eq 1 ] && [ $rtotal -le $N ] && [ $rtotal -ge $((N - 4)) ]"
check "the audit log verifies" "\"$CG\" audit verify --log $CHILDGUARD_AUDIT_LOG >/dev/null 2>&1"
for _ in $(seq 1 50); do [ "$(stream_msgs "$mport" CG_JOBS_RESULTS)" = "$N" ] && break; sleep 0.1; done
check "one verdict per job on the results stream ($(stream_msgs "$mport" CG_JOBS_RESULTS))" \
    "[ \"\$(stream_msgs $mport CG_JOBS_RESULTS)\" = $N ]"
check "the work queue is empty" "[ \"\$(stream_msgs $mport CG_JOBS)\" = 0 ]"
kill -TERM "$b"
wait "$b"
check "SIGTERM: worker B drains and exits 0" "[ \$? -eq 0 ] && grep -q 'stopped:' $tmp/wB.log"

# ---- 2. hostile jobs ----
phase "hostile jobs"
mkdir -p "$tmp/root/sub"
echo "synthetic file inside the root" >"$tmp/root/ok.bin"
echo "synthetic secret outside the root" >"$tmp/outside.bin"
ln -s "$tmp/outside.bin" "$tmp/root/link.bin"
ln -s "$tmp" "$tmp/root/sub/up"
head -c 5000 /dev/zero >"$tmp/root/big.bin"
"$CG" submit --nats "$U" --quiet --paths ok.bin ../outside.bin "$tmp/outside.bin" link.bin \
    sub/up/outside.bin sub/../ok.bin big.bin missing.bin >"$tmp/hostile.txt" 2>>"$tmp/submit.log"
check "submit --paths queues 8 path jobs" "[ \$(wc -l <$tmp/hostile.txt) -eq 8 ]"
worker wH --root "$tmp/root" --max-bytes 4096
h=$wpid
wait_done "$CHILDGUARD_DB" "$((N + 1))" 30
for _ in $(seq 1 100); do
    [ "$(sql "$CHILDGUARD_DB" "SELECT count(*) FROM jobs WHERE state='failed'")" = 7 ] && break
    sleep 0.1
done
st() { sql "$CHILDGUARD_DB" "SELECT state FROM jobs WHERE id='$(grep -P "\t$1\$" "$tmp/hostile.txt" | cut -f1)'"; }
why() { sql "$CHILDGUARD_DB" "SELECT error FROM jobs WHERE id='$(grep -P "\t$1\$" "$tmp/hostile.txt" | cut -f1)'"; }
check "a path inside --root is scanned" "[ \"\$(st ok.bin)\" = done ]"
check "'..' is refused" "[ \"\$(st ../outside.bin)\" = failed ] && why ../outside.bin | grep -q \"'..'\""
check "an absolute path is refused" "[ \"\$(st $tmp/outside.bin)\" = failed ] && why $tmp/outside.bin | grep -q absolute"
check "a symbolic link to a file outside is refused" "[ \"\$(st link.bin)\" = failed ] && why link.bin | grep -q 'symbolic link'"
check "a symbolic link to a directory outside is refused" "[ \"\$(st sub/up/outside.bin)\" = failed ]"
check "'..' inside a path is refused" "[ \"\$(st sub/../ok.bin)\" = failed ]"
check "content over --max-bytes is refused" "[ \"\$(st big.bin)\" = failed ] && why big.bin | grep -q 'at most 4096'"
check "a missing file is dead-lettered" "[ \"\$(st missing.bin)\" = failed ]"
check "the dead letters are on STREAM.dead (with the results)" \
    "[ \"\$(stream_msgs $mport CG_JOBS_RESULTS)\" = $((N + 8)) ]"
check "the worker names each refusal on stderr and goes on" \
    "[ \$(grep -c 'dead-lettered' $tmp/wH.log) -eq 7 ] && kill -0 $h"
kill -TERM "$h"
wait "$h"

# ---- 3. a busy store: nak with back-off, then done; dead-lettered after --max-attempts ----
# Two workers on two streams; another process holds the store's write lock until told to let
# go (bounded): each job's attempts wait out the busy timeout (5 s) and fail. The first worker
# says it retries; the second (--max-attempts 1) dead-letters at once. Then the lock goes and
# the first worker's next retry records its job. No step depends on how fast anything runs.
phase "busy store"
printf 'synthetic busy-store job\n' >"$tmp/busy1.bin"
printf 'synthetic busy-store job two\n' >"$tmp/busy2.bin"
# Their own streams, whose consumers get an ack wait longer than an attempt that waits out the
# busy timeout (with 2 s the job would be delivered again while its first attempt still waits).
worker wT --max-attempts 100 --backoff 500 --stream CG_BUSY --ack-wait 30000
t=$wpid
worker wM --max-attempts 1 --stream CG_ONE --ack-wait 30000
m=$wpid
ready wT && ready wM
check "two workers ready" "[ \$? -eq 0 ]"
python3 - "$CHILDGUARD_DB" "$tmp/locked" "$tmp/release" <<'PY' &
import os, sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
c.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
for _ in range(3000):  # at most 300 s: a guard against a hang, not a timing
    if os.path.exists(sys.argv[3]):
        break
    time.sleep(0.1)
c.execute("ROLLBACK")
PY
lock_pid=$!
pids+=("$lock_pid")
for _ in $(seq 1 600); do [ -e "$tmp/locked" ] && break; sleep 0.1; done
"$CG" submit --nats "$U" --stream CG_BUSY --quiet "$tmp/busy1.bin" >"$tmp/busy.txt" 2>>"$tmp/submit.log"
"$CG" submit --nats "$U" --stream CG_ONE --quiet "$tmp/busy2.bin" >"$tmp/busy2.txt" 2>>"$tmp/submit.log"
for _ in $(seq 1 1200); do
    grep -q 'retry in' "$tmp/wT.log" && grep -q 'dead-lettered' "$tmp/wM.log" && break
    sleep 0.1
done
check "a job that meets a locked store is nak'ed, the retry said with its delay" \
    "grep -q 'attempt 1 failed, retry in 500 ms.*locked' $tmp/wT.log"
check "with --max-attempts 1 a failing job is dead-lettered" "grep -q 'dead-lettered.*locked' $tmp/wM.log"
touch "$tmp/release"
wait "$lock_pid"
wait_done "$CHILDGUARD_DB" "$((N + 2))" 120
check "once the store is free, the retried job is done" "[ \$? -eq 0 ]"
# The dead letter's ledger row could not be written while the store was locked (the worker said
# so on stderr): the job is not recorded, and its dead letter is on STREAM.dead.
check "the dead-lettered job has no done row" \
    "[ \"\$(sql $CHILDGUARD_DB \"SELECT count(*) FROM jobs WHERE id='\$(cut -f1 $tmp/busy2.txt)' AND state='done'\")\" = 0 ]"
kill -TERM "$t" "$m"
wait "$t" "$m"

# ---- usage errors ----
phase "usage errors"
"$CG" worker --concurrency 2 >/dev/null 2>"$tmp/err"
check "worker without --nats: exit 2 and a message" "[ \$? -eq 2 ] && grep -q -- '--nats' $tmp/err"
"$CG" submit --nats "$U" >/dev/null 2>"$tmp/err"
check "submit without files: exit 1" "[ \$? -eq 1 ]"
"$CG" submit --nats "$U" --quiet "$tmp/nope.bin" >/dev/null 2>"$tmp/err"
check "submit of a missing file: exit 2, named" "[ \$? -eq 2 ] && grep -q nope.bin $tmp/err"
"$CG" worker --nats nats://127.0.0.1:1 --db "$CHILDGUARD_DB" >/dev/null 2>"$tmp/err" &
np=$!
pids+=("$np")
for _ in $(seq 1 300); do kill -0 $np 2>/dev/null || break; sleep 0.1; done
kill -KILL $np 2>/dev/null
wait $np
check "worker with no server: exit 2 naming the URL" "[ \$? -eq 2 ] && grep -q '127.0.0.1:1' $tmp/err"
phase "end"
exit $fail
