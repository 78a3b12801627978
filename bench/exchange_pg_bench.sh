#!/usr/bin/env bash
# exchange_bench --apply-only against a throwaway PostgreSQL 15 started here on a free loopback
# port (tests/support/pg_cluster.sh: fsync off) and stopped afterwards, then the same run on a
# temporary SQLite file, in the same session (bench/RESULTS.md "Exchanges: apply speed"). With
# EXCHANGE_BENCH_BEFORE=/path/to/another/exchange_bench, that binary runs first on each store
# (a before/after pair in one session); each run gets a database of its own.
# Usage: bench/exchange_pg_bench.sh BUILD_DIR [exchange_bench arguments, default
#        --pages 10 --page-size 1000]
set -u
build=$1
shift
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(--pages 10 --page-size 1000)
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tmp=$(mktemp -d)
chmod 755 "$tmp"
trap 'bash "$root/tests/support/pg_cluster.sh" stop "$tmp/pg"; rm -rf "$tmp"' EXIT
url=$(bash "$root/tests/support/pg_cluster.sh" start "$tmp/pg") || exit $?
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
bins=()
[ -n "${EXCHANGE_BENCH_BEFORE:-}" ] && bins+=("$EXCHANGE_BENCH_BEFORE")
bins+=("$build/bench/exchange_bench")
n=0
for b in "${bins[@]}"; do
    n=$((n + 1))
    psql -q "$url" -c "CREATE DATABASE run$n" || exit 1
    echo "PostgreSQL, $b:"
    "$b" --apply-only --db "${url%/*}/run$n" "${args[@]}" || exit $?
done
for b in "${bins[@]}"; do
    echo "SQLite, $b:"
    "$b" --apply-only "${args[@]}" || exit $?
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
