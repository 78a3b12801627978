#!/usr/bin/env bash
# Runs pg_copy_bench against a throwaway PostgreSQL 15 started here on a free loopback port
# (tests/support/pg_cluster.sh) and stopped afterwards.
# Usage: bench/pg_copy_bench.sh BUILD_DIR [pg_copy_bench arguments...]
set -u
build=$1
shift
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tmp=$(mktemp -d)
trap '"$root/tests/support/pg_cluster.sh" stop "$tmp/pg"; rm -rf "$tmp"' EXIT
url=$("$root/tests/support/pg_cluster.sh" start "$tmp/pg") || exit $?
"$build/bench/pg_copy_bench" --db "$url" "$@"
