#!/usr/bin/env bash
# The issue-17 test of scan jobs on the PostgreSQL store (docs/queue.md, docs/scale.md): one
# nats-server with JetStream and one PostgreSQL 15, both started here on free loopback ports
# (tests/support/pg_cluster.sh) and stopped at the end. Synthetic content only: small files of
# text bytes whose MD5s are in a block bank, so every job records a review item, a callback row
# in the outbox and audit records. Every count below is read from PostgreSQL with psql.
#   1. N jobs (QUEUE_PG_JOBS, default 10,000; the ASan pass sets fewer: tests/CMakeLists.txt)
#      through 2 worker processes, each with its own audit log as on two hosts; one killed with
#      kill -9 mid-stream: every job exactly one ledger row, review item, outbox row and
#      verdict; no audit record twice (queue_kill_run in tests/cli/lib/queue_lib.sh, the same
#      checks queue_workers.sh makes on SQLite).
#   2. Hostile jobs published with raw headers: SQL in the job id and in the tenant, no id, a
#      redelivery of a done job without JetStream's duplicate id, the same id under another
#      tenant: dead-lettered, replayed or recorded apart; the tables intact.
#   3. The workers' PostgreSQL sessions terminated (pg_terminate_backend) inside their
#      transactions (held there by a lock) with M jobs queued (QUEUE_PG_MORE, default 300): the
#      store reconnects, every job recorded once, none dead-lettered.
# Usage: bash queue_pg.sh /path/to/childguard /path/to/source-root [testdata]
set -u
CG=$1
ROOT=$2
. "$(dirname "${BASH_SOURCE[0]}")/lib/queue_lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib/pg_lib.sh"
queue_test_init nats-server curl python3 psql
N=${QUEUE_PG_JOBS:-10000}
M=${QUEUE_PG_MORE:-300}

phase "PostgreSQL and nats-server"
pg_own_start # stopped at exit, after the workers
pg=$pg_server
export CHILDGUARD_DB=$pg

queue_make_files "$tmp/files" "$N" pg
queue_make_files "$tmp/more" "$M" more
printf 'synthetic pg beta job\n' >"$tmp/beta.bin"
md5sum "$tmp/beta.bin" | cut -d' ' -f1 | cat "$tmp/files.md5" "$tmp/more.md5" - >"$tmp/all.md5"
"$CG" bank create known --label csam >/dev/null 2>"$tmp/err"
"$CG" bank import known --type md5 "$tmp/all.md5" >/dev/null 2>>"$tmp/err"
check "a block bank of the $((N + M + 1)) files' MD5s in PostgreSQL" \
    "[ \$? -eq 0 ] && [ \"\$(sql $pg 'SELECT count(*) FROM signals')\" = $((N + M + 1)) ]"

queue_nats

# ---- 1. N jobs, 2 workers with their own audit logs, one killed ----
queue_kill_run "$pg" "$N" "$tmp/files" "$tmp/audit-a.log" "$tmp/audit-b.log"
b=$worker_b

# ---- 2. hostile jobs with raw headers (worker B still running) ----
phase "hostile jobs"
first=$(head -n1 "$tmp/ids.sorted")
pub() { nats_hpub "$port" CG_JOBS.jobs "$tmp/files/f000000.bin" "$@" >/dev/null; }
pub "Cg-Job: x');DROP TABLE jobs;--"
check "a job id carrying SQL is published" "[ \$? -eq 0 ]"
pub "Cg-Job: evil-tenant-1" "Cg-Tenant: a' OR 'a'='a"
check "a tenant carrying SQL is published" "[ \$? -eq 0 ]"
pub "Cg-Tenant: default"
check "a job without Cg-Job is published" "[ \$? -eq 0 ]"
# The same id again, without Nats-Msg-Id (JetStream keeps it): the ledger makes it a replay.
pub "Cg-Job: $first" "Cg-Callback: job-done"
check "a done job published again without JetStream's duplicate id" "[ \$? -eq 0 ]"
# The same id under another tenant is another job: the ledger's key is tenant + id.
nats_hpub "$port" CG_JOBS.jobs "$tmp/beta.bin" "Cg-Job: $first" "Cg-Tenant: beta" \
    "Cg-Callback: job-done" >/dev/null
check "the same id under tenant beta" "[ \$? -eq 0 ]"
for _ in $(seq 1 300); do
    [ "$(grep -c 'dead-lettered' "$tmp/wB.log")" -ge 3 ] &&
        [ "$(sql "$pg" "SELECT count(*) FROM jobs WHERE tenant='beta'")" = 1 ] &&
        [ "$(stream_msgs "$mport" CG_JOBS)" = 0 ] && break
    sleep 0.1
done
check "the id with SQL in it is dead-lettered, named on stderr" \
    "grep -qF \"job x');DROP TABLE jobs;--: dead-lettered: no valid Cg-Job\" $tmp/wB.log"
check "the tenant with SQL in it is dead-lettered" \
    "grep -q 'job evil-tenant-1: dead-lettered: invalid Cg-Tenant' $tmp/wB.log"
check "the job without an id is dead-lettered" "grep -qF 'job (no id): dead-lettered' $tmp/wB.log"
check "three dead letters, the worker goes on" \
    "[ \$(grep -c 'dead-lettered' $tmp/wB.log) -eq 3 ] && kill -0 $b"
check "the tables are intact: still $N default-tenant rows, none for the hostile tenant" \
    "[ \"\$(sql $pg \"SELECT count(*) FROM jobs WHERE tenant='default'\")\" = $N ] &&
     [ \"\$(sql $pg \"SELECT count(*) FROM jobs WHERE tenant NOT IN ('default', 'beta')\")\" = 0 ]"
check "the redelivered done job recorded nothing: $N review items, $N outbox rows" \
    "[ \"\$(sql $pg \"SELECT count(*) FROM review_items WHERE tenant='default'\")\" = $N ] &&
     [ \"\$(sql $pg \"SELECT count(*) FROM outbox WHERE payload LIKE '%\\\"$first\\\"%' AND tenant='default'\")\" = 1 ]"
check "the same id under tenant beta is recorded apart (its own row and review item)" \
    "[ \"\$(sql $pg \"SELECT count(*) FROM jobs j JOIN review_items r ON r.id = j.review_id
        WHERE j.tenant='beta' AND j.id='$first' AND r.tenant='beta' AND j.state='done'\")\" = 1 ]"
# The results stream holds N verdicts, 3 dead letters and beta's verdict; the replay's verdict
# too when the first one is older than the stream's duplicate window (2 min).
r=$(stream_msgs "$mport" CG_JOBS_RESULTS)
check "the dead letters and beta's verdict on the results stream ($r)" \
    "[ ${r:-0} -ge $((N + 4)) ] && [ ${r:-0} -le $((N + 5)) ]"

# ---- 3. the workers' sessions terminated in the middle of their transactions ----
# A psql session takes the ledger table's strongest lock, so every worker's next job waits
# inside its transaction (not a timing: the lock holds them there); then every other session
# is terminated, the lock let go. Each failed attempt is nak'ed, the store reconnects
# (src/store/postgresql: a lost connection is reset outside a transaction), the retry records.
phase "PostgreSQL sessions terminated mid-transaction"
QUEUE_WORKER_ENV="CHILDGUARD_AUDIT_LOG=$tmp/audit-a.log" queue_worker wA2
a2=$wpid
queue_ready wA2
mkfifo "$tmp/lock.in"
psql -X -q -A -t -d "$pg" <"$tmp/lock.in" >"$tmp/lock.out" 2>&1 &
lockpsql=$!
pids+=("$lockpsql")
exec 7>"$tmp/lock.in"
echo "BEGIN; LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE; SELECT 'locked', pg_backend_pid();" >&7
for _ in $(seq 1 300); do grep -q '^locked' "$tmp/lock.out" && break; sleep 0.1; done
lockpid=$(grep '^locked' "$tmp/lock.out" | cut -d'|' -f2)
check "a session holds the ledger's lock" "[ -n \"$lockpid\" ]"
"$CG" submit --nats "$U" --quiet --callback job-done "$tmp/more" >"$tmp/more.txt" 2>>"$tmp/submit.log"
check "submit queues $M more jobs" "[ \$? -eq 0 ] && [ \$(wc -l <$tmp/more.txt) -eq $M ]"
total=$((N + 1 + M))
waiting=0
for _ in $(seq 1 600); do
    waiting=$(sql "$pg" "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'
        AND pid <> $lockpid")
    [ "${waiting:-0}" -ge 2 ] && break
    sleep 0.1
done
killed=$(sql "$pg" "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
    WHERE pid NOT IN (pg_backend_pid(), $lockpid) AND datname = current_database()
    AND backend_type = 'client backend'")
echo "ROLLBACK;" >&7
exec 7>&-
wait "$lockpsql"
check "the workers' sessions terminated inside their transactions ($waiting waiting on the lock, $killed terminated)" \
    "[ ${waiting:-0} -ge 2 ] && [ ${killed:-0} -ge ${waiting:-0} ]"
wait_done "$pg" "$total" 120
check "every job recorded after the store reconnected" "[ \$? -eq 0 ]"
cut -f1 "$tmp/more.txt" | sort >"$tmp/more.sorted"
sql "$pg" "SELECT id FROM jobs WHERE state='done' AND tenant='default'" | sort >"$tmp/done2.sorted"
check "none recorded twice: ledger rows are exactly the submitted ids" \
    "sort -m $tmp/ids.sorted $tmp/more.sorted | cmp -s - $tmp/done2.sorted"
check "one review item per job" \
    "[ \"\$(sql $pg 'SELECT count(*), count(DISTINCT (tenant, content_id)) FROM review_items')\" = \"$total	$total\" ]"
check "one callback row per job" \
    "[ \"\$(sql $pg 'SELECT count(*), count(DISTINCT (tenant, payload::json->>'\"'job'\"'))
        FROM outbox')\" = \"$total	$total\" ]"
check "no job failed or dead-lettered under the reconnects" \
    "[ \"\$(sql $pg \"SELECT count(*) FROM jobs WHERE state <> 'done'\")\" = 0 ] &&
     [ \$(cat $tmp/wA2.log $tmp/wB.log | grep -c 'dead-lettered') -eq 3 ]"
read -r dmax dtotal < <(audit_counts decision "$tmp/audit-a.log" "$tmp/audit-b.log")
check "no decision record twice over both logs (max $dmax; $dtotal of $total)" "[ $dmax -eq 1 ]"
check "the work queue is empty" "[ \"\$(stream_msgs $mport CG_JOBS)\" = 0 ]"
kill -TERM "$b" "$a2"
wait "$b"
rb=$?
wait "$a2"
check "SIGTERM: both workers drain and exit 0" "[ $rb -eq 0 ] && [ \$? -eq 0 ]"
phase "end"
exit $fail
