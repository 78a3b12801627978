#!/usr/bin/env bash
# Two `childguard serve` processes on one PostgreSQL store (issue 17): a bank change made
# through one (an HTTP add) and one made by the CLI are matched by both. Server a polls the
# change log every 200 ms; server b only every 60 s, so within the bounded wait below it can
# only see a change through PostgreSQL's LISTEN/NOTIFY (store_watch.h), also after its
# listening connection was killed (it reconnects, then refreshes). The PostgreSQL is the
# test run's (the CTest fixture "pg", tests/support/pg_fixture.sh: its URL in
# $CG_TEST_PG_URL_FILE); the store is a schema of this test's own. The second server is polled
# for up to 5 s and the observed delay is printed (no wall-clock threshold: the bounded wait is
# the check). Prints SKIPPED (exit 77) without PostgreSQL or curl.
# Usage: bash store_pg_serve.sh /path/to/childguard
set -u
CG=$1
. "$(dirname "${BASH_SOURCE[0]}")/lib/serve_common.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib/pg_lib.sh"
pg_use_shared
cg_test_init curl python3 psql
pg_store_schema cli_serve_$$
export CHILDGUARD_DB=$pg_db
export CHILDGUARD_AUDIT_LOG=$tmp/audit-cli.log
export USER=tester

mkkey() { "$CG" keys create "$1" --scope "$2" 2>"$tmp/err" | grep -m1 '^cgk_'; }
WRITER=$(mkkey writer bank:write,bank:read)
MATCHER=$(mkkey matcher match)
check "keys created in PostgreSQL" "[ -n \"$WRITER\" ] && [ -n \"$MATCHER\" ]"
"$CG" bank create TEST --label csam >"$tmp/out" 2>"$tmp/err"
check "bank create in PostgreSQL" "[ $? -eq 0 ]"

start() { # name refresh_ms -> sets port_<name>
    local port
    port=$(free_port)
    "$CG" serve --listen 127.0.0.1:$port --db "$CHILDGUARD_DB" --log "$tmp/audit-$1.log" \
        --threads 2 --refresh-ms $2 >"$tmp/$1.out" 2>"$tmp/$1.log" &
    cg_track $!
    cg_wait_live "http://127.0.0.1:$port" $!
    eval "port_$1=$port"
}
start a 200
start b 60000
check "server a comes up" "curl -s -o /dev/null http://127.0.0.1:$port_a/status/live"
check "server b comes up" "curl -s -o /dev/null http://127.0.0.1:$port_b/status/live"

# poll PORT HEX: seconds until /m/raw_lookup on PORT matches HEX, or "never" after 5 s.
poll() { pg_wait_match "$1" "$2" "$MATCHER" 5 0.01; }

pdq1=$(python3 -c "import random; random.seed(17); print('%064x' % random.getrandbits(256))")
code=$(curl -s -o "$tmp/out" -w '%{http_code}' -H "Authorization: Bearer $WRITER" \
    -X POST "http://127.0.0.1:$port_a/c/bank/TEST/signal" -d "{\"pdq\":\"$pdq1\"}")
check "add through server a" "[ $code = 200 ] || [ $code = 201 ]"
d=$(poll "$port_b" "$pdq1")
echo "   (the add through a was matched by b after ${d}s)"
check "server b matches the add made through a" "[ $d != never ]"
d=$(poll "$port_a" "$pdq1")
check "server a matches it too" "[ $d != never ]"

pdq2=$(python3 -c "import random; random.seed(18); print('%064x' % random.getrandbits(256))")
"$CG" bank add TEST "$pdq2" >"$tmp/out" 2>"$tmp/err"
check "bank add by the CLI" "[ $? -eq 0 ]"
da=$(poll "$port_a" "$pdq2")
db=$(poll "$port_b" "$pdq2")
echo "   (the CLI add was matched by a after ${da}s, by b after ${db}s)"
check "both servers match the CLI's add" "[ $da != never ] && [ $db != never ]"

# Kill the listening connections (the servers' LISTEN sessions): they come back within a
# second or so and wake their refreshers; a change made around then is not lost.
psql -q -At "$pg_server" -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
    WHERE query LIKE 'LISTEN childguard_changes%' AND pid <> pg_backend_pid()" >"$tmp/out" 2>"$tmp/err"
check "the listening connections were killed" "[ \"\$(cat $tmp/out)\" -ge 1 ]"
pdq3=$(python3 -c "import random; random.seed(19); print('%064x' % random.getrandbits(256))")
"$CG" bank add TEST "$pdq3" >"$tmp/out" 2>"$tmp/err"
check "bank add right after the listeners were killed" "[ $? -eq 0 ]"
db=$(poll "$port_b" "$pdq3")
echo "   (after the listener was killed, b matched the add after ${db}s)"
check "server b catches up after its listener reconnects" "[ $db != never ]"

for p in $cg_pids; do kill -TERM "$p" 2>/dev/null; done
for p in $cg_pids; do wait "$p"; rc=$?; check "a server exits 0 on SIGTERM" "[ $rc -eq 0 ]"; done
cg_pids=
exit $fail
