#!/usr/bin/env bash
# `childguard serve --db-replica` (docs/scale.md "A read replica", issue 17): a PostgreSQL 15
# primary (tests/support/pg_cluster.sh) and a streaming replica of it (pg_basebackup -R, a hot
# standby on another free loopback port, applying each commit 1 s late:
# recovery_min_apply_delay), both started here as an unprivileged user. serve reads its
# matcher's snapshots from the replica and writes (and LISTENs) on the primary:
#   - a bank change committed on the primary (the CLI, and an HTTP add through serve) is
#     matched by serve; serve polls only every 60 s, and the NOTIFY comes a second before the
#     replica has the change, so within the bounded wait below only the change listener
#     waiting for the replica's replay can explain it (without that wait the refresh would read
#     the replica too early and the change would wait for the 60 s poll); the observed delays
#     are printed (no wall-clock threshold: the bounded wait is the check);
#   - the replica served reads: serve's sessions are on it and its transaction counter grew;
#     the LISTEN session is on the primary;
#   - attacks: --db-replica that is not a postgresql:// URL, or beside a SQLite --db: exit 2;
#     an unreachable replica at start (`match`, any command reads the same way): a line naming
#     it (password masked), reads from the primary, still matches; a bad
#     CHILDGUARD_DB_REPLICA_MAX_LAG there: a line naming it, the default used;
#   - the lag limit (--db-replica-max-lag 3): replay paused on the standby
#     (pg_wal_replay_pause), a change made then is matched all the same (the replica cannot have
#     it: only the fall-back to the primary explains it), with a line saying the replica is over
#     the limit; replay resumed, a change made then is matched and serve says it reads from the
#     replica again; a bad --db-replica-max-lag, or one without --db-replica: exit 2;
#   - the replica stopped under serve: a line, reads go back to the primary, a change made
#     then is still matched; SIGTERM exits 0.
# Release only (tests/CMakeLists.txt): two PostgreSQL servers. Prints SKIPPED (exit 77)
# without the server binaries, psql or curl.
# Usage: bash serve_pg_replica.sh /path/to/childguard /path/to/source-root
set -u
CG=$1
ROOT=$2
. "$(dirname "${BASH_SOURCE[0]}")/lib/queue_lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib/pg_lib.sh" # pg_wait_match only: this test runs its own primary and standbys
queue_test_init curl python3 psql
bin=/usr/lib/postgresql/15/bin
[ -x "$bin/pg_basebackup" ] || { echo "SKIPPED: no $bin/pg_basebackup"; exit 77; }
if [ "$(id -u)" = 0 ]; then as() { runuser -u postgres -- "$@"; }; else as() { "$@"; }; fi

phase "primary and replica"
P0=$(bash "$ROOT/tests/support/pg_cluster.sh" start "$tmp/pg")
rc=$?
[ $rc -eq 77 ] && { echo "SKIPPED: no PostgreSQL server binaries"; exit 77; }
at_exit+=("bash '$ROOT/tests/support/pg_cluster.sh' stop '$tmp/pg'")
check "a primary started ($P0)" "[ $rc -eq 0 ]"
[ $rc -eq 0 ] || exit 1
cl=$(cat "$tmp/pg/cluster")
pport=$(cat "$tmp/pg/port")
user=${P0#postgresql://}
user=${user%%@*}
rport=$(free_port)
as "$bin/pg_basebackup" -h 127.0.0.1 -p "$pport" -U "$user" -D "$cl/replica" -R -X stream \
    --no-sync >"$tmp/basebackup.log" 2>&1
check "pg_basebackup -R made a standby's data directory" "[ \$? -eq 0 ] && [ -f $cl/replica/standby.signal ]"
rstart() {
    as "$bin/pg_ctl" -D "$cl/replica" -l "$cl/replica.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -c port=$rport -c unix_socket_directories=$cl -c fsync=off -c recovery_min_apply_delay=1s" \
        start >/dev/null 2>&1
}
rstop() { as "$bin/pg_ctl" -D "$cl/replica" -m immediate -w stop >/dev/null 2>&1; }
rstart
check "the replica started on port $rport" "[ \$? -eq 0 ]"
# Stopped before the primary's own stop removes the cluster directory.
at_exit=("rstop" "${at_exit[@]}")
R0=postgresql://$user@127.0.0.1:$rport/postgres
check "it is a hot standby streaming from the primary" \
    "[ \"\$(psql -X -At -d $R0 -c 'SELECT pg_is_in_recovery()')\" = t ] &&
     [ \"\$(psql -X -At -d $P0 -c 'SELECT count(*) FROM pg_stat_replication')\" = 1 ]"

schema=cg_replica
psql -X -q -d "$P0" -c "CREATE SCHEMA $schema" >/dev/null
P="$P0?options=-csearch_path%3D$schema"
R="$R0?options=-csearch_path%3D$schema"
export CHILDGUARD_DB=$P CHILDGUARD_AUDIT_LOG=$tmp/audit-cli.log
MATCHER=$("$CG" keys create matcher --scope match 2>/dev/null | grep -m1 '^cgk_')
WRITER=$("$CG" keys create writer --scope bank:write,bank:read 2>/dev/null | grep -m1 '^cgk_')
ADMIN=$("$CG" keys create admin --scope admin 2>/dev/null | grep -m1 '^cgk_')
"$CG" bank create TEST --label csam >/dev/null 2>&1
check "keys and a bank made on the primary" "[ -n \"$MATCHER\" ] && [ -n \"$WRITER\" ] && [ -n \"$ADMIN\" ]"
# replayed: waits (bounded) until the replica has replayed what the primary has written.
replayed() {
    local lsn i
    lsn=$(psql -X -At -d "$P0" -c 'SELECT pg_current_wal_lsn()')
    for i in $(seq 1 100); do
        [ "$(psql -X -At -d "$R0" -c "SELECT pg_last_wal_replay_lsn() >= '$lsn'")" = t ] && return 0
        sleep 0.1
    done
    return 1
}
replayed
check "the replica has the store" "[ \"\$(psql -X -At -d '$R' -c 'SELECT count(*) FROM banks')\" = 1 ]"

phase "attacks on the option"
"$CG" serve --db "$P" --db-replica /tmp/x.db --listen 127.0.0.1:1 >/dev/null 2>"$tmp/err"
check "--db-replica that is not a postgresql:// URL: exit 2" "[ \$? -eq 2 ] && grep -q 'db-replica' $tmp/err"
"$CG" serve --db "$tmp/t.db" --db-replica "$R" --listen 127.0.0.1:1 >/dev/null 2>"$tmp/err"
check "--db-replica beside a SQLite --db: exit 2" "[ \$? -eq 2 ] && grep -q 'db-replica' $tmp/err"
for bad in -1 abc 1e9 nan 2s; do
    "$CG" serve --db "$P" --db-replica "$R" --db-replica-max-lag "$bad" --listen 127.0.0.1:1 \
        >/dev/null 2>"$tmp/err"
    check "--db-replica-max-lag '$bad': exit 2, named" \
        "[ \$? -eq 2 ] && grep -q 'db-replica-max-lag' $tmp/err"
done
"$CG" serve --db "$P" --db-replica-max-lag 3 --listen 127.0.0.1:1 >/dev/null 2>"$tmp/err"
check "--db-replica-max-lag without --db-replica: exit 2" \
    "[ \$? -eq 2 ] && grep -q 'needs --db-replica' $tmp/err"

serve_up() { # NAME REPLICA: starts serve on a free port (polling every 60 s); sets hp
    hp=$(free_port)
    "$CG" serve --listen "127.0.0.1:$hp" --db "$P" --db-replica "$2" --db-replica-max-lag 3 \
        --log "$tmp/audit-$1.log" \
        --threads 2 --refresh-ms 60000 --no-classify >"$tmp/$1.out" 2>"$tmp/$1.log" &
    pids+=("$!")
    for _ in $(seq 1 300); do
        curl -s -o /dev/null "http://127.0.0.1:$hp/status/live" && break
        kill -0 "${pids[-1]}" 2>/dev/null || break
        sleep 0.1
    done
}
# poll PORT HEX: seconds until /m/raw_lookup on PORT matches HEX, or "never" after 10 s.
poll() { pg_wait_match "$1" "$2" "$MATCHER" 10.0 0.01; }
pdq() { python3 -c "import random; random.seed($1); print('%064x' % random.getrandbits(256))"; }
commits() { psql -X -At -d "$R0" -c "SELECT xact_commit FROM pg_stat_database WHERE datname = 'postgres'"; }

phase "serve on the replica"
serve_up a "$R"
spid=${pids[-1]}
check "serve --db-replica is up" "curl -s -o /dev/null http://127.0.0.1:$hp/status/live"
sessions=$(psql -X -At -d "$R0" -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()")
check "serve's matcher reads on the replica ($sessions sessions there)" "[ $sessions -ge 1 ]"
check "its change listener is on the primary" \
    "[ \"\$(psql -X -At -d $P0 -c \"SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN childguard_changes%'\")\" -ge 1 ]"
c0=$(commits)
h1=$(pdq 31)
"$CG" bank add TEST "$h1" >/dev/null 2>"$tmp/err"
check "a bank add on the primary by the CLI" "[ \$? -eq 0 ]"
d1=$(poll "$hp" "$h1")
echo "   (the CLI's add was matched by serve after ${d1}s)"
check "serve matches it, read from the replica after its replay" "[ $d1 != never ]"
h2=$(pdq 32)
code=$(curl -s -o "$tmp/out" -w '%{http_code}' -H "Authorization: Bearer $WRITER" \
    -X POST "http://127.0.0.1:$hp/c/bank/TEST/signal" -d "{\"pdq\":\"$h2\"}")
check "an HTTP add through serve is written on the primary ($code)" \
    "[ $code = 200 ] || [ $code = 201 ]"
d2=$(poll "$hp" "$h2")
echo "   (the HTTP add was matched by serve after ${d2}s)"
check "and matched" "[ $d2 != never ]"
c1=$c0
for _ in $(seq 1 50); do c1=$(commits); [ "$c1" -gt "$c0" ] && break; sleep 0.1; done
check "the replica's transaction counter grew: it served the reads ($c0 -> $c1)" "[ $c1 -gt $c0 ]"
check "no fallback so far" "! grep -q 'read replica' $tmp/a.log"

phase "the lag limit"
# isize: the pdq count of GET /m/index/status (read through serve's read-only handles).
isize() {
    curl -s -H "Authorization: Bearer $MATCHER" "http://127.0.0.1:$hp/m/index/status?signal_type=pdq" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["pdq"]["size"])' 2>/dev/null
}
# isize_is N: polls (bounded, 10 s) until isize says N.
isize_is() {
    local i
    for i in $(seq 1 100); do [ "$(isize)" = "$1" ] && return 0; sleep 0.1; done
    return 1
}
# metric NAME: its value in GET /metrics (the replica as serve's read-only handle sees it now).
metric() {
    curl -s -H "Authorization: Bearer $ADMIN" "http://127.0.0.1:$hp/metrics" |
        awk -v n="$1" '$1 == n { print $2 }'
}
check "GET /m/index/status counts 2 signals" "[ \"\$(isize)\" = 2 ]"
check "/metrics: childguard_db_replica_reads $(metric childguard_db_replica_reads), lag $(metric childguard_db_replica_lag_seconds) s" \
    "[ \"\$(metric childguard_db_replica_reads)\" = 1 ] &&
     awk -v v=\"\$(metric childguard_db_replica_lag_seconds)\" 'BEGIN { exit !(v != \"\" && v + 0 >= 0 && v + 0 < 3) }'"
# Replay paused: the replica falls behind for as long as the test likes. The listener waits
# for it at most the limit (3 s), then serve's matcher reads from the primary.
psql -X -q -d "$R0" -c 'SELECT pg_wal_replay_pause()' >/dev/null 2>&1
check "replay paused on the standby" \
    "[ \"\$(psql -X -At -d $R0 -c 'SELECT pg_get_wal_replay_pause_state()')\" != 'not paused' ]"
h4=$(pdq 34)
"$CG" bank add TEST "$h4" >/dev/null 2>"$tmp/err"
# Read at once: that route's handle has seen the replica behind only now (the lag is the
# age of the oldest position it saw unreplayed): it reads the replica, which lacks h4.
check "GET /m/index/status reads the replica (2 signals there, 3 on the primary)" \
    "[ \"\$(isize)\" = 2 ] && [ \"\$(psql -X -At -d '$P' -c 'SELECT count(*) FROM signals')\" = 3 ]"
d4=$(poll "$hp" "$h4")
echo "   (with replay paused, the add was matched after ${d4}s)"
check "a change made with replay paused is matched (from the primary: the replica cannot have it)" \
    "[ $d4 != never ] && [ \"\$(psql -X -At -d '$R' -c 'SELECT count(*) FROM signals')\" = 2 ]"
check "serve said the replica is over the limit: $(grep -m1 'over the limit' "$tmp/a.log")" \
    "grep -q 'read replica .*:$rport.*behind the primary, over the limit of 3.0 s.*reading from the primary' $tmp/a.log"
check "GET /m/index/status too reads from the primary once the replica is past the limit" \
    "isize_is 3"
check "/metrics: childguard_db_replica_reads 0, lag $(metric childguard_db_replica_lag_seconds) s (over 3)" \
    "[ \"\$(metric childguard_db_replica_reads)\" = 0 ] &&
     awk -v v=\"\$(metric childguard_db_replica_lag_seconds)\" 'BEGIN { exit !(v + 0 > 3) }'"
check "one line for each read-only handle that moved (the matcher's, the route's)" \
    "[ \$(grep -c 'over the limit' $tmp/a.log) = 2 ]"
psql -X -q -d "$R0" -c 'SELECT pg_wal_replay_resume()' >/dev/null 2>&1
replayed
check "replay resumed: the replica has the change" \
    "[ \"\$(psql -X -At -d '$R' -c 'SELECT count(*) FROM signals')\" = 3 ]"
h5=$(pdq 35)
"$CG" bank add TEST "$h5" >/dev/null 2>"$tmp/err"
d5=$(poll "$hp" "$h5")
echo "   (replay resumed, the add was matched after ${d5}s)"
check "a change made after replay resumed is matched" "[ $d5 != never ]"
for _ in $(seq 1 50); do grep -q 'caught up' "$tmp/a.log" && break; sleep 0.1; done
check "serve said it reads from the replica again: $(grep -m1 'caught up' "$tmp/a.log")" \
    "grep -q 'read replica .*:$rport.* caught up .*reading from it again' $tmp/a.log"
check "GET /m/index/status counts 4" "isize_is 4"
check "/metrics: childguard_db_replica_reads 1 again" "[ \"\$(metric childguard_db_replica_reads)\" = 1 ]"
for _ in $(seq 1 50); do [ "$(grep -c 'caught up' "$tmp/a.log")" = 2 ] && break; sleep 0.1; done
check "both handles back on the replica, a line each" "[ \$(grep -c 'caught up' $tmp/a.log) = 2 ]"

phase "the replica lost"
rstop
check "the replica stopped" "[ \$? -eq 0 ]"
h3=$(pdq 33)
"$CG" bank add TEST "$h3" >/dev/null 2>"$tmp/err"
d3=$(poll "$hp" "$h3")
echo "   (with the replica gone, the add was matched after ${d3}s)"
check "a change made with the replica gone is still matched" "[ $d3 != never ]"
check "serve said it reads from the primary: $(grep -m1 'connection lost' "$tmp/a.log")" \
    "grep -q 'read replica .*:$rport.*: connection lost; reading from the primary' $tmp/a.log"
kill -TERM "$spid"
wait "$spid"
check "serve exits 0 on SIGTERM" "[ \$? -eq 0 ]"

phase "a replica unreachable at start"
# The same store code under any command (here `match`, whose matcher reads through a read-only
# handle): one line naming the replica, its password masked; the answer comes from the primary.
bad="postgresql://$user:s3cretpw@127.0.0.1:$(free_port)/postgres?options=-csearch_path%3D$schema"
CHILDGUARD_DB_REPLICA=$bad CHILDGUARD_DB_REPLICA_MAX_LAG=soon "$CG" match --type pdq "$h3" \
    >"$tmp/m.out" 2>"$tmp/m.err"
rc=$?
check "match with an unreachable replica: exit $rc, matched from the primary" \
    "[ $rc -eq 0 ] && grep -qi TEST $tmp/m.out"
check "saying so, naming the replica with its password masked: $(head -c 200 "$tmp/m.err")" \
    "grep -q 'read replica postgresql://$user:\\*\\*\\*@127.0.0.1:.*reading from the primary' $tmp/m.err &&
     ! grep -q s3cretpw $tmp/m.err"
check "a bad CHILDGUARD_DB_REPLICA_MAX_LAG outside serve: named, the default used" \
    "grep -q \"CHILDGUARD_DB_REPLICA_MAX_LAG 'soon': not a number of seconds.*using 5\" $tmp/m.err"
phase "end"
[ "$fail" -eq 0 ] || { echo "--- serve's stderr:"; tail -n 30 "$tmp/a.log"; }
exit $fail
