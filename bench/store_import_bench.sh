#!/usr/bin/env bash
# Runs store_import_bench against a throwaway PostgreSQL 15 started here on a free loopback port
# (tests/support/pg_cluster.sh: fsync off) and stopped afterwards; the SQLite store goes to a
# temporary directory. Prints the load average before and after, and per-statement times of the
# timed PostgreSQL imports from the server's log (log_min_duration_statement = 0 on that server; each timed import runs as application_name pg_empty_T / pg_full_T):
#   copy    the COPY into the staging table, open while the client reads and parses the file
#           (so it holds the client's parsing too), from its start to its end;
#   insert  the merge's INSERT ... SELECT into signals;
#   fill    the merge's UPDATE (only when the file held merges);
#   commit  the COMMIT;
#   other   every other statement of the import (begin, bank row, staging table, truncate...).
# Usage: bench/store_import_bench.sh BUILD_DIR [store_import_bench arguments...]
set -u
build=$1
shift
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tmp=$(mktemp -d)
chmod 755 "$tmp"
trap 'bash "$root/tests/support/pg_cluster.sh" stop "$tmp/pg"; rm -rf "$tmp"' EXIT
url=$(bash "$root/tests/support/pg_cluster.sh" start "$tmp/pg") || exit $?
cluster=$(cat "$tmp/pg/cluster")
psql -q "$url" -c "CREATE SCHEMA bench" || exit 1
psql -q "$url" -c "ALTER SYSTEM SET log_line_prefix = '%a '" \
    -c "ALTER SYSTEM SET log_min_duration_statement = 0" -c "SELECT pg_reload_conf()" \
    >/dev/null || exit 1
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$build/bench/store_import_bench" --db "$url?options=-csearch_path%3Dbench" --dir "$tmp" "$@"
rc=$?
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
# "pg_empty_0 LOG:  duration: 12.3 ms  statement: COPY ..." (or "execute <unnamed>: ...")
awk '$1 ~ /^pg_(empty|full)_[0-9]+$/ && $3 == "duration:" {
    ms = $4; sql = $0; sub(/.*(statement|execute [^:]*): /, "", sql)
    kind = "other"
    if (sql ~ /^COPY cg_import_stage/) kind = "copy"
    else if (sql ~ /^INSERT INTO signals/) kind = "insert"
    else if (sql ~ /^UPDATE signals/) kind = "fill"
    else if (sql ~ /^COMMIT/) kind = "commit"
    t[$1 " " kind] += ms / 1000; seen[$1] = 1
}
END {
    n = 0
    for (a in seen) apps[++n] = a
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (apps[j] < apps[i]) { x = apps[i]; apps[i] = apps[j]; apps[j] = x }
    if (n) print "server time per statement kind (s):"
    for (i = 1; i <= n; i++) {
        a = apps[i]
        printf "  %-12s copy %7.2f  insert %7.2f  fill %6.2f  commit %6.2f  other %6.2f\n", a,
            t[a " copy"], t[a " insert"], t[a " fill"], t[a " commit"], t[a " other"]
    }
}' "$cluster/server.log"
exit $rc
