#!/usr/bin/env bash
# queue_bench: scan jobs per second through NATS JetStream (`childguard submit` + `worker`,
# docs/queue.md) against the synchronous `childguard scan` of the same files, in the same run.
#
#   bench/queue_bench.sh [CHILDGUARD] [--n N] [--concurrency C] [--audit]
#
# N synthetic files (default 5000; small text bytes, so the figures are the queue's and the
# record step's cost, not decoding), each's MD5 in a block bank, so every job records a review
# item (and with --audit a decision record, fsync'd) like a real hit. Runs, each on a fresh
# database:
#   sync      childguard scan --jobs C over the files (engine + record in one process)
#   submit    childguard submit of the N files (publish rate, the stream's acks waited for)
#   queue x1  one worker process (--concurrency C) draining the N queued jobs
#   queue x2  two worker processes (--concurrency C each) draining them (one database)
# and prints jobs/s for each. A local nats-server with JetStream on free loopback ports.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
CG=$root/build/programs/childguard
N=5000 C=2 audit=0
while [ $# -gt 0 ]; do
    case $1 in
        --n) N=$2; shift 2 ;;
        --concurrency) C=$2; shift 2 ;;
        --audit) audit=1; shift ;;
        -*) echo "usage: $0 [CHILDGUARD] [--n N] [--concurrency C] [--audit]" >&2; exit 2 ;;
        *) CG=$(cd "$(dirname "$1")" && pwd)/$(basename "$1"); shift ;;
    esac
done
for tool in nats-server curl python3 sqlite3; do
    command -v $tool >/dev/null || { echo "queue_bench: $tool missing" >&2; exit 77; }
done
tmp=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT
. "$root/tests/cli/lib/queue_lib.sh"
now() { date +%s.%N; }
rate() { python3 -c "import sys; print('%.0f' % (float(sys.argv[1]) / (float(sys.argv[3]) - float(sys.argv[2]))))" "$@"; }
auditopt=(--no-audit)
[ $audit = 1 ] && auditopt=()

queue_make_files "$tmp/files" "$N" bench
fresh_db() { # fresh_db NAME: a database with the bank, in $db
    db=$tmp/$1.db
    CHILDGUARD_DB=$db "$CG" bank --no-audit create known --label csam >/dev/null 2>&1
    CHILDGUARD_DB=$db "$CG" bank --no-audit import known --type md5 "$tmp/files.md5" >/dev/null 2>&1
}

echo "queue_bench: $N jobs, concurrency $C per process, audit $([ $audit = 1 ] && echo on || echo off), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
# ---- sync ----
fresh_db sync
t0=$(now)
CHILDGUARD_DB=$db "$CG" scan --jobs "$C" --quiet --no-classify "${auditopt[@]}" "$tmp/files" \
    >/dev/null 2>"$tmp/scan.err" || true
t1=$(now)
[ "$(sql "$db" 'SELECT count(*) FROM review_items')" = "$N" ] || { echo "sync scan: not every file recorded" >&2; cat "$tmp/scan.err" >&2; exit 2; }
echo "sync      scan --jobs $C        $(rate "$N" "$t0" "$t1") jobs/s"

port=$(free_port)
mport=$(free_port)
pids+=("$(nats_start n1 "$port" "$mport")")
U=nats://127.0.0.1:$port
run_queue() { # run_queue STREAM WORKERS
    local stream=$1 workers=$2 t0 t1 w
    fresh_db "$stream"
    t0=$(now)
    "$CG" submit --nats "$U" --stream "$stream" --quiet "$tmp/files" >/dev/null 2>"$tmp/submit.err"
    t1=$(now)
    [ "$workers" = 1 ] && echo "submit    publish               $(rate "$N" "$t0" "$t1") jobs/s"
    wp=()
    t0=$(now)
    for w in $(seq 1 "$workers"); do
        CHILDGUARD_DB=$db "$CG" worker --nats "$U" --stream "$stream" --concurrency "$C" \
            --no-classify --stats-every 0 --quiet "${auditopt[@]}" 2>>"$tmp/worker.err" &
        wp+=("$!")
        pids+=("$!")
    done
    wait_done "$db" "$N" 600 || { echo "queue: not every job recorded" >&2; tail "$tmp/worker.err" >&2; exit 2; }
    t1=$(now)
    kill -TERM "${wp[@]}"
    wait "${wp[@]}" || true
    echo "queue x$workers  worker x$workers (-c $C)    $(rate "$N" "$t0" "$t1") jobs/s (start-up of the workers included)"
}
run_queue B1 1
run_queue B2 2
