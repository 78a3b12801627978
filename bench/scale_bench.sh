#!/usr/bin/env bash
# scale_bench: the figures of issue 17's deployment (docs/scale.md), all in one run so that the
# ratios hold on a loaded machine: scan jobs through NATS JetStream on the PostgreSQL store with
# 1 and 2 worker processes, end-to-end latency, bank-change propagation between two `serve`
# processes on one PostgreSQL, import rates; each against the single-process SQLite figure
# measured in the same run.
#
#   bench/scale_bench.sh [CHILDGUARD] [--n N] [--lat-jobs K] [--import I] [--trials T]
#                        [--only "scan queue latency propagate import"]
#
#   N  synthetic files (default 3000; small text bytes whose MD5s are in a block bank, so each
#      job records a review item, a ledger row and audit records, like a real hit: the figures
#      are the queue's and the store's cost, not decoding)
#   K  jobs for the latency run (default 400), offered at half the 2-worker rate just measured
#   I  PDQ signals for the import run (default 200000, random, fixed seed)
#   T  bank changes for the propagation run (default 10)
#
# Runs (a nats-server and a PostgreSQL 15 of its own, on free loopback ports; fresh store each):
#   scan        childguard scan --jobs 1 of the N files, SQLite (the single-process baseline)
#   scan pg     the same on the PostgreSQL store
#   queue x1    one worker process (--concurrency 1) on PostgreSQL draining the N queued jobs
#   queue x2    two worker processes (--concurrency 1 each) on PostgreSQL
#               (rates from the moment every worker is ready; CPU ms per job of the workers
#               and of PostgreSQL's processes from /proc: the load-independent cost)
#   latency     submit -> verdict on the results stream (bench/scale_latency.py), 2 workers,
#               on PostgreSQL and on SQLite
#   propagate   a `bank add` through the CLI until a second `serve` matches it: on
#               PostgreSQL the server refreshes only on LISTEN/NOTIFY (--refresh-ms 60000);
#               on SQLite two serves on one file poll (--refresh-ms 200, the default)
#   import      childguard bank import of I PDQ signals into an empty bank, SQLite and PostgreSQL
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
CG=$root/build/programs/childguard
N=3000 K=400 I=200000 T=10 ONLY="scan queue latency propagate import"
usage() { echo "usage: $0 [CHILDGUARD] [--n N] [--lat-jobs K] [--import I] [--trials T] [--only STAGES]" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case $1 in
        --n) N=$2; shift 2 ;;
        --lat-jobs) K=$2; shift 2 ;;
        --import) I=$2; shift 2 ;;
        --trials) T=$2; shift 2 ;;
        --only) ONLY=$2; shift 2 ;;
        -*) usage ;;
        *) CG=$(cd "$(dirname "$1")" && pwd)/$(basename "$1"); shift ;;
    esac
done
for tool in nats-server curl python3 sqlite3 psql; do
    command -v $tool >/dev/null || { echo "scale_bench: $tool missing" >&2; exit 77; }
done
tmp=$(mktemp -d)
pids=()
pg=
cleanup() {
    for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
    bash "$root/tests/support/pg_cluster.sh" stop "$tmp/pg" || true
    rm -rf "$tmp"
}
trap cleanup EXIT
. "$root/tests/cli/lib/queue_lib.sh"
export USER=bench
now() { date +%s.%N; }
calc() { python3 -c "import sys; print($1)" "${@:2}" 2>/dev/null || echo n/a; }
rate() { calc "'%.0f' % (float(sys.argv[1]) / (float(sys.argv[3]) - float(sys.argv[2])))" "$@"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
# cpu_ticks PID...: the user + system clock ticks the processes have used so far.
cpu_ticks() {
    local p t=0 f
    for p in "$@"; do
        f=$(cut -d' ' -f14,15 "/proc/$p/stat" 2>/dev/null) || continue
        t=$((t + ${f% *} + ${f#* }))
    done
    echo $t
}
# pg_procs: the PostgreSQL server's processes (the postmaster and its children).
pg_procs() {
    local pm
    pm=$(head -n1 "$(cat "$tmp/pg/cluster")/data/postmaster.pid")
    echo "$pm $(ps -o pid= --ppid "$pm" | tr -d ' ' | tr '\n' ' ')"
}
HZ=$(getconf CLK_TCK)

echo "scale_bench: N=$N K=$K I=$I T=$T, $(nproc) CPUs, load $(load) (a shared machine: loaded)"
queue_make_files "$tmp/files" "$N" scale
queue_make_files "$tmp/lat" "$K" latency
cat "$tmp/files.md5" "$tmp/lat.md5" >"$tmp/all.md5"
pg=$(bash "$root/tests/support/pg_cluster.sh" start "$tmp/pg")
nport=$(free_port)
mport=$(free_port)
pids+=("$(nats_start n1 "$nport" "$mport")")
U=nats://127.0.0.1:$nport
schema_n=0
# fresh DB: a new store with the bank in it, in $db: a SQLite file, or a schema of its own in
# the PostgreSQL.
fresh() {
    if [ "$1" = pg ]; then
        schema_n=$((schema_n + 1))
        psql -X -q -d "$pg" -c "CREATE SCHEMA s$schema_n" >/dev/null
        db="$pg?options=-csearch_path%3Ds$schema_n"
    else
        db=$tmp/s$((schema_n += 1)).db
    fi
    CHILDGUARD_DB=$db "$CG" bank --no-audit create known --label csam >/dev/null 2>&1
    CHILDGUARD_DB=$db "$CG" bank --no-audit import known --type md5 "$tmp/all.md5" >/dev/null 2>&1
}
declare -A R
for k in scan_sqlite scan_pg queue_1 queue_2 cpu_worker_1 cpu_worker_2 cpu_pg_1 cpu_pg_2 lat50_pg \
    lat99_pg lat50_sqlite lat99_sqlite prop50_pg propmax_pg prop50_sqlite propmax_sqlite \
    import_sqlite import_pg; do
    R[$k]=n/a # a stage not run (--only)
done
stage() { case " $ONLY " in *" $1 "*) return 0 ;; esac; return 1; }

# ---- scan: the single-process figures ----
stage scan && for b in sqlite pg; do
    fresh $b
    t0=$(now)
    CHILDGUARD_DB=$db CHILDGUARD_AUDIT_LOG=$tmp/scan-$b.log "$CG" scan --jobs 1 --quiet \
        --no-classify "$tmp/files" >/dev/null 2>"$tmp/scan.err" || true
    t1=$(now)
    [ "$(sql "$db" 'SELECT count(*) FROM review_items')" = "$N" ] ||
        { echo "scan ($b): not every file recorded" >&2; cat "$tmp/scan.err" >&2; exit 2; }
    R[scan_$b]=$(rate "$N" "$t0" "$t1")
    echo "scan $b: ${R[scan_$b]} files/s (load $(load))"
done

# start_workers STREAM COUNT: COUNT worker processes (--concurrency 1) on STREAM and the store
# $db, their pids in wp; returns once each has said it is ready (bounded).
start_workers() {
    local w
    wp=()
    for w in $(seq 1 "$2"); do
        CHILDGUARD_DB=$db CHILDGUARD_AUDIT_LOG=$tmp/audit-$1-$w.log "$CG" worker --nats "$U" \
            --stream "$1" --concurrency 1 --no-classify --stats-every 0 2>>"$tmp/w$1-$w.log" &
        wp+=("$!")
        pids+=("$!")
    done
    for w in $(seq 1 "$2"); do
        for _ in $(seq 1 600); do grep -q 'ready:' "$tmp/w$1-$w.log" && break; sleep 0.05; done
    done
}

# ---- queue on PostgreSQL: 1 and 2 worker processes ----
stream_n=0
run_queue() { # run_queue WORKERS: sets R[queue_W], R[cpu_worker_W], R[cpu_pg_W]
    local workers=$1 t0 t1 w d0 wt pt0 pt1 pp
    stream_n=$((stream_n + 1))
    local stream=Q$stream_n
    fresh pg
    "$CG" submit --nats "$U" --stream "$stream" --quiet "$tmp/files" >/dev/null 2>"$tmp/submit.err"
    pp=$(pg_procs)
    pt0=$(cpu_ticks $pp)
    start_workers "$stream" "$workers"
    t0=$(now)
    d0=$(sql "$db" "SELECT count(*) FROM jobs WHERE state='done'")
    wait_done "$db" "$N" 1200 || { echo "queue: not every job recorded" >&2; tail "$tmp"/w*.log >&2; exit 2; }
    t1=$(now)
    wt=$(cpu_ticks "${wp[@]}")
    pp="$pp $(pg_procs)"
    pt1=$(cpu_ticks $(echo "$pp" | tr ' ' '\n' | sort -u))
    kill -TERM "${wp[@]}" 2>/dev/null || true
    wait "${wp[@]}" || true
    R[queue_$workers]=$(rate "$((N - d0))" "$t0" "$t1")
    R[cpu_worker_$workers]=$(calc "'%.2f' % (int(sys.argv[1]) * 1000.0 / int(sys.argv[3]) / int(sys.argv[2]))" "$wt" "$N" "$HZ")
    R[cpu_pg_$workers]=$(calc "'%.2f' % (max(0, int(sys.argv[1])) * 1000.0 / int(sys.argv[3]) / int(sys.argv[2]))" "$((pt1 - pt0))" "$N" "$HZ")
    echo "queue x$workers on pg: ${R[queue_$workers]} jobs/s ($((N - d0)) jobs after all were ready); CPU per job: workers ${R[cpu_worker_$workers]} ms, PostgreSQL ${R[cpu_pg_$workers]} ms (load $(load))"
}
if stage queue; then
    run_queue 1
    run_queue 2
fi

# ---- latency: submit -> verdict, 2 workers, PostgreSQL and SQLite ----
lat_rate=$(calc "'%.0f' % max(5.0, float(sys.argv[1]) / 2)" "${R[queue_2]:-20}")
stage latency && for b in pg sqlite; do
    stream_n=$((stream_n + 1))
    stream=L$stream_n
    fresh $b
    start_workers "$stream" 2
    read -r p50 p99 pmax got sent < <(python3 "$root/bench/scale_latency.py" "$nport" "$stream" \
        "$lat_rate" "$tmp"/lat/*.bin || true)
    kill -TERM "${wp[@]}" 2>/dev/null || true
    wait "${wp[@]}" || true
    R[lat50_$b]=$p50
    R[lat99_$b]=$p99
    echo "latency $b: p50 $p50 ms, p99 $p99 ms, max $pmax ms ($got of $sent verdicts; offered $lat_rate jobs/s; load $(load))"
done

# ---- bank-change propagation between two serves ----
propagate() { # propagate BACKEND: sets R[prop50_B], R[propmax_B]
    local b=$1 key pa pb refresh_b out
    fresh "$b"
    key=$(CHILDGUARD_DB=$db CHILDGUARD_AUDIT_LOG=$tmp/keys.log "$CG" keys create matcher --scope match 2>"$tmp/keys.err" | grep -m1 "^cgk_" || true)
    [ -n "$key" ] || { echo "propagate ($b): no key" >&2; cat "$tmp/keys.err" >&2; exit 2; }
    refresh_b=200
    [ "$b" = pg ] && refresh_b=60000
    pa=$(free_port)
    pb=$(free_port)
    CHILDGUARD_DB=$db "$CG" serve --listen 127.0.0.1:$pa --db "$db" --log "$tmp/sa-$b.log" \
        --threads 1 --refresh-ms 200 >/dev/null 2>"$tmp/sa-$b.err" &
    pids+=("$!")
    local sa=$!
    CHILDGUARD_DB=$db "$CG" serve --listen 127.0.0.1:$pb --db "$db" --log "$tmp/sb-$b.log" \
        --threads 1 --refresh-ms $refresh_b >/dev/null 2>"$tmp/sb-$b.err" &
    pids+=("$!")
    local sb=$!
    for p in $pa $pb; do
        for _ in $(seq 1 600); do curl -s -o /dev/null "http://127.0.0.1:$p/status/live" && break; sleep 0.05; done
    done
    out=$(python3 - "$CG" "$db" "$pb" "$key" "$T" "$tmp/prop-$b.log" <<'PY'
import json, os, random, subprocess, sys, time, urllib.request
cg, db, port, key, trials, log = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6]
rnd = random.Random(17)
env = dict(os.environ, CHILDGUARD_DB=db, CHILDGUARD_AUDIT_LOG=log)
got = []
for _ in range(trials):
    h = "%064x" % rnd.getrandbits(256)
    t0 = time.monotonic()
    subprocess.run([cg, "bank", "add", "known", h], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t1 = time.monotonic()  # committed: the change is visible from here on
    while time.monotonic() - t1 < 10.0:
        req = urllib.request.Request(
            "http://127.0.0.1:%s/m/raw_lookup?signal_type=pdq&signal=%s" % (port, h),
            headers={"Authorization": "Bearer " + key})
        try:
            with urllib.request.urlopen(req, timeout=2) as r:
                if json.load(r).get("matches"):
                    got.append((time.monotonic() - t1) * 1000.0)
                    break
        except Exception:
            pass
        time.sleep(0.002)
    time.sleep(0.3)
got.sort()
if not got:
    print("nan nan 0")
else:
    print("%.0f %.0f %d" % (got[len(got) // 2], got[-1], len(got)))
PY
)
    kill -0 $sa $sb 2>/dev/null || { echo "propagate ($b): a serve exited" >&2; cat "$tmp"/s[ab]-$b.err >&2; }
    kill -TERM $sa $sb 2>/dev/null || true
    wait $sa $sb || true
    read -r R[prop50_$b] R[propmax_$b] n <<<"$out"
    echo "propagation $b: p50 ${R[prop50_$b]} ms, max ${R[propmax_$b]} ms ($n of $T changes seen by the second serve within 10 s; refresh of the second serve: $refresh_b ms; load $(load))"
}
if stage propagate; then
    propagate pg
    propagate sqlite
fi

# ---- import ----
python3 -c '
import random, sys
r = random.Random(4242)
with open(sys.argv[1], "w") as f:
    for _ in range(int(sys.argv[2])):
        f.write("%064x\n" % r.getrandbits(256))' "$tmp/pdq.txt" "$I"
stage import && for b in sqlite pg; do
    fresh $b
    CHILDGUARD_DB=$db "$CG" bank --no-audit create imp --label csam >/dev/null
    t0=$(now)
    CHILDGUARD_DB=$db "$CG" bank --no-audit import imp --type pdq "$tmp/pdq.txt" >/dev/null
    t1=$(now)
    R[import_$b]=$(rate "$I" "$t0" "$t1")
    echo "import $b: ${R[import_$b]} signals/s into an empty bank (load $(load))"
done

# ---- summary (a stage not run leaves n/a) ----
set +e
r() { calc "'%.2f' % (float(sys.argv[1]) / float(sys.argv[2]))" "$1" "$2" 2>/dev/null || echo "n/a"; }
eff=$(calc "'%.2f' % (float(sys.argv[1]) / (2 * float(sys.argv[2])))" "${R[queue_2]}" "${R[queue_1]}")
proj=$(calc "'%.0f' % (1000.0 / float(sys.argv[1]))" "${R[cpu_worker_2]}")
cat <<EOF

| figure | PostgreSQL / queue | SQLite single process | ratio |
| --- | ---: | ---: | ---: |
| scan --jobs 1 (files/s) | ${R[scan_pg]} | ${R[scan_sqlite]} | $(r "${R[scan_pg]}" "${R[scan_sqlite]}") |
| queue, 1 worker (jobs/s) | ${R[queue_1]} | ${R[scan_sqlite]} | $(r "${R[queue_1]}" "${R[scan_sqlite]}") |
| queue, 2 workers (jobs/s) | ${R[queue_2]} | ${R[scan_sqlite]} | $(r "${R[queue_2]}" "${R[scan_sqlite]}") |
| scaling 1 -> 2 workers (x2 / (2 x1)) | $eff | | |
| latency p50 / p99 (ms), 2 workers | ${R[lat50_pg]} / ${R[lat99_pg]} | ${R[lat50_sqlite]} / ${R[lat99_sqlite]} (queue on SQLite) | $(r "${R[lat50_pg]}" "${R[lat50_sqlite]}") / $(r "${R[lat99_pg]}" "${R[lat99_sqlite]}") |
| bank change seen by a 2nd serve, p50 / max (ms) | ${R[prop50_pg]} / ${R[propmax_pg]} (NOTIFY) | ${R[prop50_sqlite]} / ${R[propmax_sqlite]} (poll 200 ms) | $(r "${R[prop50_pg]}" "${R[prop50_sqlite]}") |
| import into an empty bank (signals/s) | ${R[import_pg]} | ${R[import_sqlite]} | $(r "${R[import_pg]}" "${R[import_sqlite]}") |
| CPU per job, 2 workers (ms): worker / PostgreSQL | ${R[cpu_worker_2]} / ${R[cpu_pg_2]} | | |

Projection (assumption: the CPU per job above stays constant as workers are added, each worker
process has a core of its own, and PostgreSQL and NATS run on other machines with headroom):
one worker core does about $proj jobs/s; PostgreSQL spends ${R[cpu_pg_2]} ms of CPU per job,
i.e. one PostgreSQL core per $(calc "'%.0f' % (1000.0 / max(0.01, float(sys.argv[1])))" "${R[cpu_pg_2]}") jobs/s.
load at the end: $(load)
EOF
