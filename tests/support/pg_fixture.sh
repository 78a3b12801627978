#!/usr/bin/env bash
# The PostgreSQL of one test run (the CTest fixture "pg": tests/CMakeLists.txt). One server for
# all the postgresql store cases, not one per case; each case keeps its stores in schemas of its
# own (tests/unit/cg_test_store.c).
#   pg_fixture.sh start DIR   starts it (pg_cluster.sh) and writes its URL to DIR/url; when the
#                             server binaries are missing it prints SKIPPED, writes no URL (the
#                             cases then report SKIPPED, exit 77) and succeeds
#   pg_fixture.sh stop DIR    stops it and removes DIR/url
set -u
here=$(cd "$(dirname "$0")" && pwd)
cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: pg_fixture.sh start|stop DIR" >&2; exit 2; }
case $cmd in
start)
    mkdir -p "$dir" || exit 1
    rm -f "$dir/url"
    bash "$here/pg_cluster.sh" stop "$dir" # a server left by an interrupted run
    url=$(bash "$here/pg_cluster.sh" start "$dir")
    rc=$?
    if [ $rc -eq 77 ]; then
        echo "SKIPPED: no PostgreSQL server binaries; the postgresql store cases will skip"
        exit 0
    fi
    [ $rc -eq 0 ] || exit 1
    echo "$url" >"$dir/url.tmp" && mv "$dir/url.tmp" "$dir/url" || exit 1
    echo "PostgreSQL for the store tests: $url"
    ;;
stop)
    rm -f "$dir/url"
    bash "$here/pg_cluster.sh" stop "$dir"
    ;;
*)
    echo "usage: pg_fixture.sh start|stop DIR" >&2
    exit 2
    ;;
esac
