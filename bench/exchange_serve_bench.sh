#!/usr/bin/env bash
# exchange_serve_bench: `childguard serve` lookups/s under wrk without and during an exchange
# back-fill, same server, same run (issue 18: "lookups unaffected during back-fills").
#
#   bench/exchange_serve_bench.sh [CHILDGUARD] [--records N] [--page-size P] [--seconds S]
#                                 [--connections C] [--threads T]
#
# A mock StopNCII on loopback (bench/exchange_mock.py) holds N synthetic Active PDQ records
# (default 500,000) in pages of P (default 1000). The server starts with an empty database and
# an API key; wrk (one thread, C connections: it shares the 2 cores with the server) asks
#   GET /m/raw_lookup?signal_type=pdq&signal=<hex>   (10,000 queries: a tenth of them records
#                                                     of the exchange, the rest random)
#   1. "quiet, before": S seconds before the exchange exists (an empty bank);
#   2. "during back-fill": POST /c/exchanges, then wrk in windows of S seconds until the status
#      route says up_to_date (the fetcher thread applying page after page meanwhile);
#   3. "quiet, after": S seconds with the N records in the bank (the largest index of the run).
# Prints requests/s and p50/p99 of each phase, the ratios during/before and during/after, and
# the back-fill's records/s through serve (fetched_items over the time from POST to
# up_to_date, measured by this script; the HTTP fetch from the mock is included).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
CG=$root/build/programs/childguard
records=500000 psize=1000 seconds=10 conns=16 sthreads=2
while [ $# -gt 0 ]; do
    case $1 in
        --records) records=$2; shift 2 ;;
        --page-size) psize=$2; shift 2 ;;
        --seconds) seconds=$2; shift 2 ;;
        --connections) conns=$2; shift 2 ;;
        --threads) sthreads=$2; shift 2 ;;
        -*) echo "usage: $0 [CHILDGUARD] [--records N] [--page-size P] [--seconds S] [--connections C] [--threads T]" >&2; exit 2 ;;
        *) CG=$(cd "$(dirname "$1")" && pwd)/$(basename "$1"); shift ;;
    esac
done
command -v wrk >/dev/null || { echo "exchange_serve_bench: wrk is missing (scripts/install-deps.sh installs it)" >&2; exit 2; }
[ -x "$CG" ] || { echo "exchange_serve_bench: $CG is not built" >&2; exit 2; }

tmp=$(mktemp -d)
pid= mpid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
    [ -n "$mpid" ] && kill "$mpid" 2>/dev/null
    wait 2>/dev/null; rm -rf "$tmp"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

python3 - "$records" "$tmp/queries.txt" <<'PY'
import hashlib, random, sys
n = int(sys.argv[1]); rnd = random.Random(7)
with open(sys.argv[2], "w") as q:
    for i in range(10000):
        q.write((hashlib.sha256(str(rnd.randrange(n)).encode()).hexdigest() if i % 10 == 0
                 else "%064x" % rnd.getrandbits(256)) + "\n")
PY

mport=$(free_port)
python3 "$root/bench/exchange_mock.py" "$mport" "$records" &
mpid=$!
db=$tmp/ex.db
token=$("$CG" keys --db "$db" create bench --scope all --rate 1000000 2>/dev/null | grep -o 'cgk_[0-9]*_[0-9a-f]*' | head -1)
[ -n "$token" ] || { echo "exchange_serve_bench: could not create a key" >&2; exit 2; }
echo '{"exchange_interval": 1, "exchange_run_seconds": 600}' >"$tmp/serve.json"
port=$(free_port)
"$CG" serve --config "$tmp/serve.json" --db "$db" --listen "127.0.0.1:$port" --threads "$sthreads" \
    --log "$tmp/audit.log" --errors-only-log >"$tmp/server.out" 2>"$tmp/server.err" &
pid=$!
for _ in $(seq 1 600); do
    curl -s -o /dev/null "http://127.0.0.1:$port/status/live" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || { cat "$tmp/server.err" >&2; exit 2; }
    sleep 0.2
done
B="http://127.0.0.1:$port"

wrk_once() { # SECONDS -> "RESULT rps p50 p99 requests errors duration"
    CG_TOKEN=$token CG_QUERIES=$tmp/queries.txt wrk -t 1 -c "$conns" -d "${1}s" --latency \
        -s "$root/bench/wrk_lookup.lua" "$B" 2>&1 | grep '^RESULT'
}
status() { curl -s -H "Authorization: Bearer $token" "$B/c/exchange/bench/status"; }
show() { # LABEL RESULT...
    awk -v l="$1" '{printf "  %-22s %9.0f lookups/s   p50 %7.3f ms   p99 %7.3f ms   (%d requests, %d errors, %.1f s)\n", l, $2, $3, $4, $5, $6, $7}'
}

echo "childguard serve on $(nproc) cores (load average $(cut -d' ' -f1-3 /proc/loadavg)), wrk -t1 -c$conns, server threads $sthreads, $records records in pages of $psize"
before=$(wrk_once "$seconds")
echo "$before" | show "quiet, before"

t0=$(date +%s.%N)
code=$(curl -s -o "$tmp/create.out" -w '%{http_code}' -X POST -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' \
    --data-binary "{\"bank\":\"bench\",\"api\":\"stopncii\",\"api_json\":{\"base_url\":\"http://127.0.0.1:$mport/v1\",\"page_size\":$psize},\"credentials\":{\"api_key\":\"k\",\"subscription_key\":\"s\"}}" \
    "$B/c/exchanges")
[ "$code" = 201 ] || { echo "exchange_serve_bench: POST /c/exchanges: $code $(cat "$tmp/create.out")" >&2; exit 2; }
reqs=0 dur=0 errs=0 windows=0 p50s= p99s=
while :; do
    r=$(wrk_once "$seconds")
    reqs=$((reqs + $(echo "$r" | awk '{print $5}')))
    errs=$((errs + $(echo "$r" | awk '{print $6}')))
    dur=$(awk -v a="$dur" -v b="$(echo "$r" | awk '{print $7}')" 'BEGIN {print a + b}')
    p50s="$p50s $(echo "$r" | awk '{print $3}')"; p99s="$p99s $(echo "$r" | awk '{print $4}')"
    windows=$((windows + 1))
    if status | grep -q '"up_to_date":true'; then break; fi
    kill -0 "$pid" 2>/dev/null || { cat "$tmp/server.err" >&2; exit 2; }
done
t1=$(date +%s.%N)
items=$(status | python3 -c 'import json,sys; print(json.load(sys.stdin)["fetched_items"])')
during_rps=$(awk -v r="$reqs" -v d="$dur" 'BEGIN {printf "%.1f", r / d}')
echo "RESULT $during_rps $(echo $p50s | tr ' ' '\n' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}') $(echo $p99s | tr ' ' '\n' | sort -n | tail -1) $reqs $errs $dur" | show "during back-fill"
echo "    ($windows windows; p50 is the median window's, p99 the worst window's)"
after=$(wrk_once "$seconds")
echo "$after" | show "quiet, after"
awk -v d="$during_rps" -v b="$(echo "$before" | awk '{print $2}')" -v a="$(echo "$after" | awk '{print $2}')" \
    -v n="$items" -v t0="$t0" -v t1="$t1" 'BEGIN {
    printf "  ratio during/before %.2f, during/after %.2f\n", d / b, d / a
    printf "  back-fill: %d records applied in %.1f s through serve: %.0f records/s (HTTP fetch included)\n", n, t1 - t0, n / (t1 - t0) }'
grep -c '"event":"exchange_fetch"' "$tmp/server.err" | awk '{print "  fetch runs logged: " $1}'
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
kill -TERM "$pid"; wait "$pid" || true; pid=
