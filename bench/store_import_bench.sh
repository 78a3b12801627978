#!/usr/bin/env bash
# Runs store_import_bench against a throwaway PostgreSQL 15 started here on a free loopback port
# (tests/support/pg_cluster.sh) and stopped afterwards; the SQLite store goes to a temporary
# directory. Prints the load average before and after.
# Usage: bench/store_import_bench.sh BUILD_DIR [store_import_bench arguments...]
set -u
build=$1
shift
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tmp=$(mktemp -d)
chmod 755 "$tmp"
trap 'bash "$root/tests/support/pg_cluster.sh" stop "$tmp/pg"; rm -rf "$tmp"' EXIT
url=$(bash "$root/tests/support/pg_cluster.sh" start "$tmp/pg") || exit $?
psql -q "$url" -c "CREATE SCHEMA bench" || exit 1
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$build/bench/store_import_bench" --db "$url?options=-csearch_path%3Dbench" --dir "$tmp" "$@"
rc=$?
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $rc
