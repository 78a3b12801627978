#!/usr/bin/env bash
# childguard serve: a back-fill yields the CPU to lookups (issue 18, docs/exchange.md "Lookups
# during a back-fill"). On a mock StopNCII on loopback (tests/cli/lib/mock_exchange.py, free
# port; synthetic hashes):
#   - hostile exchange_nice / exchange_duty_percent values are refused at start, naming the key;
#   - the fetcher thread (named cg-fetch) runs at the configured nice while its request is in
#     flight (a stuck exchange holds it), and the matcher's refresher (cg-refresh) does not;
#   - with exchange_duty_percent 1 the fetcher pauses between pages (the run's log line says
#     how long) and still fetches the exchange to the end (500 records, every lookup answered);
#   - stopping the server during such a back-fill (in a pause or waiting for a held page) stops
#     it cleanly, the run logged;
#   - a run that stops on its time bound with pages waiting is due again at the next tick, not
#     exchange_interval later (an hour here): the exchange is fetched to the end.
# Usage: bash serve_backfill.sh /path/to/childguard /path/to/source-root
set -u
CG=$1
ROOT=$2
. "$(dirname "${BASH_SOURCE[0]}")/lib/serve_common.sh"
cg_test_init curl python3

ADMIN=$("$CG" keys create admin --scope all 2>/dev/null | grep -m1 '^cgk_')
check "key made" "[ -n \"$ADMIN\" ]"

# Hostile configuration values: refused with the key's name, the server never starts.
n=0
for bad in '"exchange_nice": 20' '"exchange_nice": "low"' '"exchange_duty_percent": 0' \
    '"exchange_duty_percent": 50.5'; do
    n=$((n + 1))
    echo "{$bad}" >"$tmp/bad$n.json"
    "$CG" serve --config "$tmp/bad$n.json" --listen 127.0.0.1:$(free_port) --db "$CHILDGUARD_DB" \
        >"$tmp/bad$n.out" 2>"$tmp/bad$n.err"
    rc=$?
    key=${bad%%\":*}; key=${key#\"}
    check "config {$bad} is refused, naming $key" "[ $rc -ne 0 ] && grep -q '$key' $tmp/bad$n.err"
done

RUN_SECONDS=60
mport=$(free_port)
touch "$tmp/requests.jsonl.hang"
python3 "$ROOT/tests/cli/lib/mock_exchange.py" "$mport" "$tmp/requests.jsonl" 0 &
cg_track $!
check "the mock exchange comes up" "cg_wait_port $mport"
M="http://127.0.0.1:$mport"
echo "{\"exchange_interval\": 1, \"exchange_run_seconds\": $RUN_SECONDS, \"exchange_nice\": 7, \"exchange_duty_percent\": 1}" >"$tmp/serve.json"
port=$(free_port)
B="http://127.0.0.1:$port"
"$CG" serve --config "$tmp/serve.json" --listen 127.0.0.1:$port --db "$CHILDGUARD_DB" \
    --log "$CHILDGUARD_AUDIT_LOG" --threads 2 --refresh-ms 100 >>"$tmp/server.out" 2>>"$tmp/server.log" &
server_pid=$!
check "the server comes up" "cg_wait_live $B $server_pid"

req() { # METHOD PATH [BODY] -> status code, body in $tmp/out
    local m=$1 p=$2
    shift 2
    curl -s -o "$tmp/out" -w '%{http_code}' -X "$m" -H "Authorization: Bearer $ADMIN" \
        -H 'Content-Type: application/json' ${1:+--data-binary "$1"} "$B$p"
}
create() { # BANK PATH
    req POST /c/exchanges "{\"bank\":\"$1\",\"api\":\"stopncii\",\"api_json\":{\"base_url\":\"$M/$2/v1\"},\"credentials\":{\"api_key\":\"k\",\"subscription_key\":\"s\"}}"
}
# thread_nice NAME: the nice of the server's threads called NAME, one a line (/proc/PID/task).
thread_nice() {
    python3 - "$server_pid" "$1" <<'PY'
import glob, sys
for f in glob.glob("/proc/%s/task/*/stat" % sys.argv[1]):
    try:
        s = open(f).read()
    except OSError:
        continue
    if s[s.index("(") + 1:s.rindex(")")] == sys.argv[2]:
        print(s[s.rindex(")") + 2:].split()[16])
PY
}

code=$(create a-hang hang)
check "a stuck exchange is created" "[ $code = 201 ]"
for _ in $(seq 1 300); do
    grep -q '/hang/' "$tmp/requests.jsonl" 2>/dev/null && break
    sleep 0.1
done
check "its request is in flight" "grep -q '/hang/' $tmp/requests.jsonl"
nices=$(thread_nice cg-fetch | sort -u | tr '\n' ' ')
check "the fetcher thread runs at nice 7 (got: $nices)" "[ \"$nices\" = '7 ' ]"
rnices=$(thread_nice cg-refresh | sort -u | tr '\n' ' ')
check "the matcher's refresher keeps nice 0 (got: $rnices)" "[ \"$rnices\" = '0 ' ]"
check "no priority error logged" "! grep -q 'cannot lower' $tmp/server.log"
rm -f "$tmp/requests.jsonl.hang" # the stuck run ends with an empty set

# Five pages of 100 at a duty of 1 %: paused between pages, fetched to the end.
code=$(create b-big big)
check "a five-page exchange is created" "[ $code = 201 ]"
for _ in $(seq 1 1200); do
    req GET /c/exchange/b-big/status >/dev/null
    grep -q '"up_to_date":true' "$tmp/out" && break
    sleep 0.1
done
check "it is fetched to the end (500 records)" "grep -q '\"up_to_date\":true' $tmp/out && grep -q '\"fetched_items\":500' $tmp/out"
paused=$(grep '"event":"exchange_fetch"' "$tmp/server.log" | grep '"exchange":"b-big"' | grep -o 'paused [0-9]*' | cut -d' ' -f2 | sort -n | tail -1)
echo "   (b-big's run paused ${paused:-?} ms between its pages)"
check "its run paused between pages (duty 1 %)" "[ -n \"$paused\" ] && [ $paused -gt 0 ]"
# Visible within a refresh (polled: the bound is cli.serve's to check, not this test's).
for _ in $(seq 1 100); do
    miss=0
    for i in 01 02 05; do
        curl -s -o "$tmp/out" -H "Authorization: Bearer $ADMIN" \
            "$B/m/raw_lookup?signal_type=md5&signal=${i}$(printf '%030d' 7)"
        grep -q '"matches":\[[0-9]' "$tmp/out" || miss=$((miss + 1))
    done
    [ $miss -eq 0 ] && break
    sleep 0.1
done
check "hashes of pages 1, 2 and 5 match through /m/raw_lookup" "[ $miss -eq 0 ]"

# Stopping while a fetcher pauses: the same five pages into another bank; page 3 is held by the
# mock, so the run is in page 1's or 2's pause or waiting for page 3 when the server stops.
touch "$tmp/requests.jsonl.hold"
code=$(create c-big big)
check "a third exchange is created" "[ $code = 201 ]"
for _ in $(seq 1 300); do
    req GET /c/exchange/c-big/status >/dev/null
    grep -q '"fetched_items":[1-9]' "$tmp/out" && break
    sleep 0.1
done
check "its first page is applied" "grep -q '\"fetched_items\":[1-9]' $tmp/out"
kill -TERM "$server_pid"; wait "$server_pid"; rc=$?; server_pid=
rm -f "$tmp/requests.jsonl.hold"
check "the server stops cleanly" "[ $rc -eq 0 ]"
paused=$(grep '"exchange":"c-big"' "$tmp/server.log" | grep -o 'paused [0-9]*' | tail -1 | cut -d' ' -f2)
echo "   (c-big's run paused ${paused:-?} ms before the stop)"
check "the run was logged with its pauses" "[ -n \"$paused\" ]"

# A back-fill goes on at the next tick when a run stops on its bound, not an interval later:
# exchange_interval an hour, runs of one second (with the 1 % duty's pauses a five-page fetch
# takes several), the exchange still fetched to the end.
echo '{"exchange_interval": 3600, "exchange_run_seconds": 1, "exchange_duty_percent": 1}' >"$tmp/serve2.json"
port=$(free_port)
B="http://127.0.0.1:$port"
"$CG" serve --config "$tmp/serve2.json" --listen 127.0.0.1:$port --db "$CHILDGUARD_DB" \
    --log "$CHILDGUARD_AUDIT_LOG" --threads 2 >>"$tmp/server.out" 2>>"$tmp/server2.log" &
server_pid=$!
check "the second server comes up" "cg_wait_live $B $server_pid"
code=$(create d-big big)
check "a fourth exchange is created" "[ $code = 201 ]"
for _ in $(seq 1 600); do
    req GET /c/exchange/d-big/status >/dev/null
    grep -q '"up_to_date":true' "$tmp/out" && break
    sleep 0.1
done
runs=$(grep '"event":"exchange_fetch"' "$tmp/server2.log" | grep -c '"exchange":"d-big"')
echo "   (d-big fetched in $runs run(s) of at most a second)"
check "fetched to the end over runs bounded at a second, an hour's interval notwithstanding" "grep -q '\"fetched_items\":500' $tmp/out && grep -q '\"up_to_date\":true' $tmp/out"
kill -TERM "$server_pid"; wait "$server_pid"; rc=$?; server_pid=
check "the second server stops cleanly" "[ $rc -eq 0 ]"
exit $fail
