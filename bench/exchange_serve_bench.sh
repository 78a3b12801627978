#!/usr/bin/env bash
# exchange_serve_bench: `childguard serve` lookups/s under wrk without and during exchange
# back-fills, alternating in one run on one server (issue 18: "lookups unaffected during
# back-fills"), and the back-fills' records/s.
#
#   bench/exchange_serve_bench.sh [CHILDGUARD] [--records N] [--rounds R] [--page-size P]
#                                 [--seconds S] [--connections C] [--threads T]
#                                 [--nice N] [--duty PERCENT] [--refresh-ms MS]
#
# A mock StopNCII on loopback (bench/exchange_mock.py) holds R data sets of N synthetic Active
# PDQ records (default 3 x 100,000), pages of P (default 1000). The server starts with an empty
# database and an API key; wrk (one thread, C connections: it shares the cores with the server)
# asks GET /m/raw_lookup?signal_type=pdq&signal=<hex> (10,000 queries: a tenth of them records
# of the first data set, the rest random). Then, R times:
#   quiet:   S seconds of wrk, no back-fill running;
#   during:  POST /c/exchanges for data set k (bank bench-k), wrk in windows of S seconds until
#            its status says up_to_date (a poller reads the status route every 0.25 s); the last
#            window, which the back-fill's end cut, is left out unless it is the only one;
# and a last quiet phase. Each round's ratio is its during rate over the mean of the quiet
# phases either side of it (the bank grows by N records a round: the two quiet phases bracket
# the index the back-fill ran on). The back-fill's records/s is fetched_items over the time from
# POST to up_to_date (HTTP from the mock and JSON parsing included). The poller also sums the
# server threads' CPU time over the back-fill by thread name (/proc/PID/task/*/stat):
# cg-fetch (fetcher threads), cg-refresh and cg-rebuild (the matcher's), the rest (request
# threads, libmicrohttpd) as "other".
# --nice, --duty and --refresh-ms go into the server's config (exchange_nice,
# exchange_duty_percent, refresh_ms; defaults: serve's own: duty 25 since 2026-12-07, so pass
# --duty 100 to compare with figures taken before).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
CG=$root/build/programs/childguard
records=100000 rounds=3 psize=1000 seconds=5 conns=16 sthreads=2 nice= duty= refresh=
usage="usage: $0 [CHILDGUARD] [--records N] [--rounds R] [--page-size P] [--seconds S] [--connections C] [--threads T] [--nice N] [--duty PERCENT] [--refresh-ms MS]"
while [ $# -gt 0 ]; do
    case $1 in
        --records) records=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --page-size) psize=$2; shift 2 ;;
        --seconds) seconds=$2; shift 2 ;;
        --connections) conns=$2; shift 2 ;;
        --threads) sthreads=$2; shift 2 ;;
        --nice) nice=$2; shift 2 ;;
        --duty) duty=$2; shift 2 ;;
        --refresh-ms) refresh=$2; shift 2 ;;
        -*) echo "$usage" >&2; exit 2 ;;
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

# The poller: STATUS_URL TOKEN PID OUT. Every 0.25 s reads the exchange's status and the server
# threads' CPU ticks; when up_to_date, writes {"t_done", "items", "cpu": {name: seconds}}.
cat >"$tmp/poll.py" <<'PY'
import glob, json, os, sys, time, urllib.request
url, token, pid, out = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
hz = os.sysconf("SC_CLK_TCK")
def ticks():
    t = {}
    for f in glob.glob("/proc/%s/task/*/stat" % pid):
        try:
            s = open(f).read()
        except OSError:
            continue
        name = s[s.index("(") + 1:s.rindex(")")]
        rest = s[s.rindex(")") + 2:].split()
        t[f.split("/")[4]] = (name, int(rest[11]) + int(rest[12]))
    return t
base, peak = ticks(), {}
while True:
    for tid, v in ticks().items():
        peak[tid] = v
    try:
        req = urllib.request.Request(url, headers={"Authorization": "Bearer " + token})
        st = json.load(urllib.request.urlopen(req, timeout=30))
    except Exception:
        st = {}
    if st.get("up_to_date"):
        done = time.time()
        cpu = {}
        for tid, (name, tk) in peak.items():
            k = name if name in ("cg-fetch", "cg-refresh", "cg-rebuild") else "other"
            cpu[k] = cpu.get(k, 0) + (tk - base.get(tid, (name, 0))[1]) / hz
        json.dump({"t_done": done, "items": st.get("fetched_items", 0), "cpu": cpu}, open(out + ".tmp", "w"))
        os.rename(out + ".tmp", out)
        break
    time.sleep(0.25)
PY

mport=$(free_port)
python3 "$root/bench/exchange_mock.py" "$mport" "$records" &
mpid=$!
db=$tmp/ex.db
token=$("$CG" keys --db "$db" create bench --scope all --rate 1000000 2>/dev/null | grep -o 'cgk_[0-9]*_[0-9a-f]*' | head -1)
[ -n "$token" ] || { echo "exchange_serve_bench: could not create a key" >&2; exit 2; }
{
    printf '{"exchange_interval": 1, "exchange_run_seconds": 3600'
    [ -n "$nice" ] && printf ', "exchange_nice": %s' "$nice"
    [ -n "$duty" ] && printf ', "exchange_duty_percent": %s' "$duty"
    [ -n "$refresh" ] && printf ', "refresh_ms": %s' "$refresh"
    printf '}\n'
} >"$tmp/serve.json"
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
show() { # LABEL RESULT...
    awk -v l="$1" '{printf "  %-24s %9.0f lookups/s   p50 %7.3f ms   p99 %7.3f ms   (%d requests, %d errors, %.1f s)\n", l, $2, $3, $4, $5, $6, $7}'
}

echo "childguard serve on $(nproc) cores (load average $(cut -d' ' -f1-3 /proc/loadavg)), wrk -t1 -c$conns, server threads $sthreads, $rounds rounds of $records records in pages of $psize, config $(cat "$tmp/serve.json")"
quiet=() during=() rates=() errors=0
q=$(wrk_once "$seconds"); echo "$q" | show "quiet (bank 0)"
quiet+=("$(echo "$q" | awk '{print $2}')"); errors=$((errors + $(echo "$q" | awk '{print $6}')))
for k in $(seq 1 "$rounds"); do
    rm -f "$tmp/done.json"
    t0=$(date +%s.%N)
    code=$(curl -s -o "$tmp/create.out" -w '%{http_code}' -X POST -H "Authorization: Bearer $token" \
        -H 'Content-Type: application/json' \
        --data-binary "{\"bank\":\"bench-$k\",\"api\":\"stopncii\",\"api_json\":{\"base_url\":\"http://127.0.0.1:$mport/s$k/v1\",\"page_size\":$psize},\"credentials\":{\"api_key\":\"k\",\"subscription_key\":\"s\"}}" \
        "$B/c/exchanges")
    [ "$code" = 201 ] || { echo "exchange_serve_bench: POST /c/exchanges: $code $(cat "$tmp/create.out")" >&2; exit 2; }
    python3 "$tmp/poll.py" "$B/c/exchange/bench-$k/status" "$token" "$pid" "$tmp/done.json" &
    ppid=$!
    : >"$tmp/windows"
    while :; do
        r=$(wrk_once "$seconds")
        errors=$((errors + $(echo "$r" | awk '{print $6}')))
        if [ -s "$tmp/done.json" ]; then
            # This window saw the back-fill end: kept only when it is the only one.
            [ -s "$tmp/windows" ] || echo "$r" >>"$tmp/windows"
            break
        fi
        echo "$r" >>"$tmp/windows"
        kill -0 "$pid" 2>/dev/null || { cat "$tmp/server.err" >&2; exit 2; }
    done
    wait "$ppid" || true
    p50=$(awk '{print $3}' "$tmp/windows" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
    d=$(awk -v p50="$p50" '{req += $5; dur += $7; if ($4 > p99) p99 = $4}
        END {printf "RESULT %.1f %.3f %.3f %d 0 %.1f", req / dur, p50, p99, req, dur}' "$tmp/windows")
    echo "$d" | show "during back-fill $k"
    echo "    ($(wc -l <"$tmp/windows") windows; p50 the median window's, p99 the worst window's)"
    during+=("$(echo "$d" | awk '{print $2}')")
    python3 - "$tmp/done.json" "$t0" "$k" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); t = d["t_done"] - float(sys.argv[2])
cpu = d["cpu"]
print("    back-fill %s: %d records in %.1f s: %.0f records/s; server CPU-s during it: %s" % (
    sys.argv[3], d["items"], t, d["items"] / t,
    ", ".join("%s %.1f" % (k, cpu.get(k, 0)) for k in ("cg-fetch", "cg-refresh", "cg-rebuild", "other"))))
PY
    rates+=("$(python3 -c "import json,sys; d=json.load(open('$tmp/done.json')); print('%.0f' % (d['items'] / (d['t_done'] - $t0)))")")
    q=$(wrk_once "$seconds"); echo "$q" | show "quiet (bank $k x $records)"
    quiet+=("$(echo "$q" | awk '{print $2}')"); errors=$((errors + $(echo "$q" | awk '{print $6}')))
done
python3 - "${quiet[*]}" "${during[*]}" "${rates[*]}" <<'PY'
import statistics, sys
q = [float(x) for x in sys.argv[1].split()]
d = [float(x) for x in sys.argv[2].split()]
r = [float(x) for x in sys.argv[3].split()]
ratios = [d[i] / ((q[i] + q[i + 1]) / 2) for i in range(len(d))]
print("  ratios during / quiet either side: %s; median %.2f" % (
    " ".join("%.2f" % x for x in ratios), statistics.median(ratios)))
print("  back-fill records/s: %s; median %.0f" % (" ".join("%.0f" % x for x in r), statistics.median(r)))
PY
echo "  failed requests: $errors"
grep -c '"event":"exchange_fetch"' "$tmp/server.err" | awk '{print "  fetch runs logged: " $1}'
grep '"event":"exchange_error"' "$tmp/server.err" | head -3 || true
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
kill -TERM "$pid"; wait "$pid" || true; pid=
