# Sourced by the command-line tests on PostgreSQL (store_pg_*.sh, queue_pg.sh; serve_pg_replica.sh
# for pg_wait_match alone): the start-up and stop of their server, over
# tests/support/pg_cluster.sh (initdb + pg_ctl as an unprivileged user on a free loopback port)
# and the CTest fixture "pg" (tests/support/pg_fixture.sh).
#   . "$(dirname "${BASH_SOURCE[0]}")/lib/pg_lib.sh"
#
# pg_use_shared: the test run's PostgreSQL (the fixture's URL in $CG_TEST_PG_URL_FILE); prints
#   SKIPPED and exits 77 without it. Sets pg_server (its URL). The fixture stops the server.
#
# pg_own_start: a PostgreSQL of this test's own (one it may restart or whose sessions it may
#   end without disturbing the other tests); prints SKIPPED and exits 77 without the server
#   binaries, FAIL and the server's log and exits 1 when it does not start. Sets pg_server (its
#   URL), pg_dir (pg_cluster.sh's directory, outside $tmp) and pg_cluster_dir (the cluster's,
#   where server.log is). Call it after the caller's own EXIT trap is set (cg_test_init,
#   queue_test_init or a trap of the test's): it chains onto that trap, which runs first (the
#   clients stop before their server), then stops the server (immediate mode) and removes
#   pg_dir, on every exit path that runs the EXIT trap (an exit, a failure, SIGTERM, SIGINT).
# pg_own_restart: pg_cluster.sh restart (fast mode, same port); its status, errors on stderr.
#
# pg_store_schema NAME: creates schema NAME on $pg_server (a check, so the caller's `check` and
#   $tmp must exist) and sets pg_schema=NAME and pg_db, the URL of a store in that schema (each
#   test keeps its store in a schema of its own: the shared server holds every test's).
#
# pg_wait_match PORT HEX KEY SECONDS STEP: polls `childguard serve` on 127.0.0.1:PORT
#   (/m/raw_lookup, PDQ HEX, API key KEY) every STEP seconds until it matches, at most SECONDS;
#   prints the seconds it took, or "never" (a bank change reaching the servers of a store: the
#   bounded wait is the check, the time is only printed).

pg_lib_support=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../support" && pwd)
pg_dir=
pg_lib_prev_exit=

pg_use_shared() {
    [ -n "${CG_TEST_PG_URL_FILE:-}" ] && [ -s "$CG_TEST_PG_URL_FILE" ] ||
        { echo "SKIPPED: no PostgreSQL for this run (CG_TEST_PG_URL_FILE)"; exit 77; }
    pg_server=$(cat "$CG_TEST_PG_URL_FILE")
}

pg_store_schema() { # NAME
    psql -q "$pg_server" -c "CREATE SCHEMA $1" >/dev/null 2>"$tmp/err"
    check "a schema for the store" "[ $? -eq 0 ]"
    pg_schema=$1
    pg_db="$pg_server?options=-csearch_path%3D$1"
}

pg_wait_match() { # PORT HEX KEY SECONDS STEP
    python3 - "$@" <<'PY'
import json, sys, time, urllib.request
port, hexv, key = sys.argv[1], sys.argv[2], sys.argv[3]
limit, step = float(sys.argv[4]), float(sys.argv[5])
t0 = time.monotonic()
while time.monotonic() - t0 < limit:
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/m/raw_lookup?signal_type=pdq&signal={hexv}",
        headers={"Authorization": "Bearer " + key})
    try:
        with urllib.request.urlopen(req, timeout=2) as r:
            if json.load(r).get("matches"):
                print(round(time.monotonic() - t0, 3))
                sys.exit(0)
    except Exception:
        pass
    time.sleep(step)
print("never")
PY
}

# The EXIT trap once pg_own_start ran: the caller's trap, then the server's stop. The shell's
# exit status stays the one it exited with (an EXIT trap does not change it).
pg_lib_exit() {
    [ -n "$pg_lib_prev_exit" ] && eval "$pg_lib_prev_exit"
    if [ -n "$pg_dir" ]; then
        bash "$pg_lib_support/pg_cluster.sh" stop "$pg_dir"
        rm -rf "$pg_dir"
    fi
}

pg_own_start() {
    local rc
    # The caller's EXIT trap, as `trap -p` quotes it: trap -- 'COMMAND' EXIT.
    eval "set -- $(trap -p EXIT)"
    pg_lib_prev_exit=${3:-}
    pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/cg-pglib.XXXXXX") ||
        { echo "FAIL: a directory for PostgreSQL"; exit 1; }
    chmod 755 "$pg_dir" # the server's user (postgres when run as root) reads it
    trap pg_lib_exit EXIT
    pg_server=$(bash "$pg_lib_support/pg_cluster.sh" start "$pg_dir" 2>"$pg_dir/start.err")
    rc=$?
    [ $rc -eq 77 ] && { echo "SKIPPED: no PostgreSQL server binaries"; exit 77; }
    if [ $rc -ne 0 ] || [ -z "$pg_server" ]; then
        echo "FAIL: a PostgreSQL of this test's own (pg_cluster.sh start)"
        cat "$pg_dir/start.err"
        exit 1
    fi
    pg_cluster_dir=$(cat "$pg_dir/cluster")
    echo "ok: a PostgreSQL of this test's own"
}

pg_own_restart() {
    bash "$pg_lib_support/pg_cluster.sh" restart "$pg_dir"
}
