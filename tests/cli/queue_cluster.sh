#!/usr/bin/env bash
# The job queue on a three-node JetStream cluster (docs/queue.md), all on loopback ports chosen
# here: the streams have 3 replicas; a worker holds the three URLs; once a quarter of the jobs
# are recorded the leader of the jobs stream is killed with kill -9. Work goes on after the
# election: every job is recorded exactly once (ledger, review items), at most one decision
# record each, one verdict each on the results stream. Synthetic content only.
# QUEUE_CLUSTER_JOBS sets the size (default 600).
# Usage: bash queue_cluster.sh /path/to/childguard /path/to/source-root [testdata]
set -u
CG=$1
. "$(dirname "${BASH_SOURCE[0]}")/lib/queue_lib.sh"
queue_test_init nats-server curl python3 sqlite3
N=${QUEUE_CLUSTER_JOBS:-600}

queue_make_files "$tmp/files" "$N" cluster
"$CG" bank create known --label csam >/dev/null 2>&1
"$CG" bank import known --type md5 "$tmp/files.md5" >/dev/null 2>&1

declare -A port mport cport spid
for n in n1 n2 n3; do
    port[$n]=$(free_port)
    mport[$n]=$(free_port)
    cport[$n]=$(free_port)
done
routes="nats://127.0.0.1:${cport[n1]},nats://127.0.0.1:${cport[n2]},nats://127.0.0.1:${cport[n3]}"
for n in n1 n2 n3; do
    spid[$n]=$(nats_start "$n" "${port[$n]}" "${mport[$n]}" --cluster_name cgtest \
        --cluster "nats://127.0.0.1:${cport[$n]}" --routes "$routes")
    pids+=("${spid[$n]}")
done
U="nats://127.0.0.1:${port[n1]},nats://127.0.0.1:${port[n2]},nats://127.0.0.1:${port[n3]}"
# The JetStream meta leader is elected once the routes are up (bounded wait).
meta_leader() {
    curl -s "http://127.0.0.1:$1/jsz" 2>/dev/null |
        python3 -c 'import json,sys; print((json.load(sys.stdin).get("meta_cluster") or {}).get("leader",""))' 2>/dev/null
}
for _ in $(seq 1 300); do
    [ -n "$(meta_leader "${mport[n1]}")" ] && break
    sleep 0.1
done
check "a three-node JetStream cluster with a meta leader" "[ -n \"\$(meta_leader ${mport[n1]})\" ]"

"$CG" submit --nats "$U" --replicas 3 --quiet "$tmp/files" >"$tmp/ids.txt" 2>"$tmp/submit.log"
check "submit queues $N jobs on streams of 3 replicas" "[ \$? -eq 0 ] && [ \$(wc -l <$tmp/ids.txt) -eq $N ]"
"$CG" worker --nats "$U" --replicas 3 --concurrency 2 --ack-wait 2000 --backoff 200 \
    --no-classify --stats-every 0 2>"$tmp/worker.log" &
w=$!
pids+=("$w")
for _ in $(seq 1 600); do
    d=$(sql "$CHILDGUARD_DB" "SELECT count(*) FROM jobs WHERE state='done'" 2>/dev/null)
    [ "${d:-0}" -ge $((N / 4)) ] && break
    sleep 0.1
done
leader=$(stream_leader "${mport[n1]}" CG_JOBS)
[ -z "$leader" ] && leader=$(stream_leader "${mport[n2]}" CG_JOBS)
check "the jobs stream has a leader ($leader)" "[ -n \"$leader\" ] && [ -n \"\${spid[$leader]:-}\" ]"
kill -KILL "${spid[$leader]}"
wait "${spid[$leader]}" 2>/dev/null
check "the leader killed with kill -9 mid-run (done when killed: $d of $N)" "[ ${d:-0} -lt $N ]"
live=n1
[ "$leader" = n1 ] && live=n2
wait_done "$CHILDGUARD_DB" "$N" 120
check "work continues after the election: all $N jobs recorded" "[ \$? -eq 0 ]"
check "none recorded twice: $N ledger rows" \
    "[ \"\$(sql $CHILDGUARD_DB 'SELECT count(*), count(DISTINCT id) FROM jobs')\" = \"$N	$N\" ]"
check "one review item per job" \
    "[ \"\$(sql $CHILDGUARD_DB 'SELECT count(*), count(DISTINCT content_id) FROM review_items')\" = \"$N	$N\" ]"
read -r dmax dtotal < <(audit_counts decision "$CHILDGUARD_AUDIT_LOG")
check "no decision record twice (max $dmax; $dtotal of $N)" "[ $dmax -eq 1 ] && [ $dtotal -le $N ]"
for _ in $(seq 1 100); do [ "$(stream_msgs "${mport[$live]}" CG_JOBS_RESULTS)" = "$N" ] && break; sleep 0.1; done
check "one verdict per job on the results stream, seen from $live ($(stream_msgs "${mport[$live]}" CG_JOBS_RESULTS))" \
    "[ \"\$(stream_msgs ${mport[$live]} CG_JOBS_RESULTS)\" = $N ]"
check "the work queue is empty" "[ \"\$(stream_msgs ${mport[$live]} CG_JOBS)\" = 0 ]"
kill -TERM "$w"
wait "$w"
check "the worker drains and exits 0" "[ \$? -eq 0 ]"
exit $fail
