#!/usr/bin/env bash
# childguard worker / submit on a real nats-server with JetStream (docs/queue.md), started here on
# free loopback ports and stopped at the end. Synthetic content only: small files of text bytes
# "synthetic queue job N" whose MD5s are put in a block bank, so each job's verdict queues one
# review item and appends one decision record.
#   1. N jobs (QUEUE_TEST_JOBS, default 2000) through 2 worker processes; one is killed with
#      kill -9 mid-stream: every job has exactly one ledger row (done), one review item, at most
#      one decision record (a kill between a commit and its audit append loses that record; it
#      never doubles), one callback row in the outbox, and the results stream holds one verdict
#      per job (tests/cli/lib/queue_lib.sh: queue_kill_run, shared with queue_pg.sh).
#   2. Hostile jobs: paths that leave --root (.., absolute, a symbolic link), content over
#      --max-bytes, a job without an id: each dead-lettered with a reason, the worker goes on.
#   3. A store that is busy (locked by another process) longer than its timeout: the job is
#      nak'ed with back-off and done once the lock goes; with --max-attempts 1 it is
#      dead-lettered.
#   4. SIGTERM: the worker drains and exits 0.
# Usage: bash queue_workers.sh /path/to/childguard /path/to/source-root [testdata]
set -u
CG=$1
. "$(dirname "${BASH_SOURCE[0]}")/lib/queue_lib.sh"
queue_test_init nats-server curl python3 sqlite3
N=${QUEUE_TEST_JOBS:-2000}

# ---- the content and the bank ----
queue_make_files "$tmp/files" "$N" queue
"$CG" bank create known --label csam >/dev/null 2>"$tmp/err"
"$CG" bank import known --type md5 "$tmp/files.md5" >/dev/null 2>>"$tmp/err"
check "a block bank of the $N files' MD5s" "[ \$? -eq 0 ]"

queue_nats

# ---- 1. N jobs, 2 workers, one killed (both write the one audit log) ----
queue_kill_run "$CHILDGUARD_DB" "$N" "$tmp/files" "$CHILDGUARD_AUDIT_LOG" "$CHILDGUARD_AUDIT_LOG"
b=$worker_b
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
queue_worker wH --root "$tmp/root" --max-bytes 4096
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
queue_worker wT --max-attempts 100 --backoff 500 --stream CG_BUSY --ack-wait 30000
t=$wpid
queue_worker wM --max-attempts 1 --stream CG_ONE --ack-wait 30000
m=$wpid
queue_ready wT && queue_ready wM
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
