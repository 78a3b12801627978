#!/usr/bin/env bash
# A throwaway PostgreSQL 15 for the store tests (issue 17): a new cluster in DIR, on a free
# loopback port, owned by an unprivileged user (initdb refuses root; CI runs as root, so the
# cluster runs as "postgres" there and as the caller otherwise), trust authentication on
# 127.0.0.1 only. As root the cluster lives in a directory of postgres's own under /tmp (a test's
# DIR is usually not reachable by another user), named in DIR/cluster and removed by stop.
#   pg_cluster.sh start DIR   prints the location: postgresql://USER@127.0.0.1:PORT/postgres
#   pg_cluster.sh stop DIR    stops it (immediate mode) and leaves DIR to the caller
#   pg_cluster.sh restart DIR restarts it (fast mode: sessions are ended, a clean shutdown), on
#                             the same port with the same options
# Exit 77 when the server binaries are missing (the caller skips), 1 on a failure (the
# server's log is printed).
set -u
bin=/usr/lib/postgresql/15/bin
cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: pg_cluster.sh start|stop|restart DIR" >&2; exit 2; }
[ -x "$bin/initdb" ] && [ -x "$bin/pg_ctl" ] || { echo "pg_cluster: no $bin/initdb" >&2; exit 77; }

if [ "$(id -u)" = 0 ]; then
    user=postgres
    as() { runuser -u postgres -- "$@"; }
else
    user=$(id -un)
    as() { "$@"; }
fi

case $cmd in
start)
    mkdir -p "$dir" || exit 1
    if [ "$(id -u)" = 0 ]; then
        cl=$(as mktemp -d /tmp/cg-pg.XXXXXX) || exit 1
    else
        cl=$dir/cluster.d
        mkdir -p "$cl" || exit 1
    fi
    echo "$cl" >"$dir/cluster"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as "$bin/initdb" -D "$cl/data" -U "$user" -A trust --no-sync -E UTF8 --locale=C.UTF-8 \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    as "$bin/pg_ctl" -D "$cl/data" -l "$cl/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$cl -c fsync=off" \
        start >/dev/null 2>&1 || { cat "$cl/server.log" >&2; exit 1; }
    echo "$port" >"$dir/port"
    echo "postgresql://$user@127.0.0.1:$port/postgres"
    ;;
stop)
    [ -f "$dir/cluster" ] || exit 0
    cl=$(cat "$dir/cluster")
    [ -d "$cl/data" ] && as "$bin/pg_ctl" -D "$cl/data" -m immediate -w stop >/dev/null 2>&1
    [ "$(id -u)" = 0 ] && case $cl in /tmp/cg-pg.*) rm -rf "$cl" ;; esac
    rm -f "$dir/cluster"
    ;;
restart)
    [ -f "$dir/cluster" ] || { echo "pg_cluster: no cluster in $dir" >&2; exit 1; }
    cl=$(cat "$dir/cluster")
    as "$bin/pg_ctl" -D "$cl/data" -l "$cl/server.log" -m fast -w -t 60 restart >/dev/null 2>&1 ||
        { cat "$cl/server.log" >&2; exit 1; }
    ;;
*)
    echo "usage: pg_cluster.sh start|stop|restart DIR" >&2
    exit 2
    ;;
esac
