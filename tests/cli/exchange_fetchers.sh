#!/usr/bin/env bash
# childguard serve: one fetcher thread per exchange, each run bounded (issue 18). Two exchanges
# on a mock StopNCII on loopback (tests/cli/lib/mock_exchange.py, free port; synthetic hashes):
# "a-hang" is stuck (the mock holds its request while $tmp/requests.jsonl.hang exists), "b-good"
# answers five pages. "a-hang" sorts first, so a scheduler that runs exchanges one after the
# other would reach "b-good" only when "a-hang"'s run ends; here "b-good" is fetched to the end
# while "a-hang" is still in flight. Then "a-hang"'s run ends at its bound
# (exchange_run_seconds, the request in flight included: its timeout is cut to what is left of
# the run) as a failed run naming the timeout, long before the mock would answer (a minute).
# "b-good"'s run pauses between its pages: serve's default duty cycle (exchange_duty_percent 25).
# Usage: bash exchange_fetchers.sh /path/to/childguard /path/to/source-root
. "$(dirname "${BASH_SOURCE[0]}")/lib/exchange_lib.sh"
ex_test_init "$1" "$2" curl python3

RUN_SECONDS=8
touch "$tmp/requests.jsonl.hang"
check "the mock exchange comes up" "ex_mock mock_exchange.py \"$tmp/requests.jsonl\" 0"
M=$mock_url

ADMIN=$(ex_key admin --scope all)
check "key made" "[ -n \"$ADMIN\" ]"
# exchange_nice 0: the good exchange must finish within the stuck run's bound even when other
# jobs load the machine (a nice-10 fetcher gets a tenth of their share).
ex_serve "{\"exchange_interval\": 1, \"exchange_run_seconds\": $RUN_SECONDS, \"exchange_nice\": 0}"
check "the server comes up" "cg_wait_live $B $server_pid"

field() { # NAME: an integer field of $tmp/out
    python3 -c "import json,sys; v=json.load(open('$tmp/out'))['$1']; print(int(v))"
}

code=$(req "$ADMIN" POST /c/exchanges "{\"bank\":\"a-hang\",\"api\":\"stopncii\",\"api_json\":{\"base_url\":\"$M/hang/v1\"},\"credentials\":{\"api_key\":\"k\",\"subscription_key\":\"s\"}}")
check "the stuck exchange is created" "[ $code = 201 ]"
# Its run has started (the mock saw its request) before the good one exists.
for _ in $(seq 1 300); do
    grep -q '/hang/' "$tmp/requests.jsonl" 2>/dev/null && break
    sleep 0.1
done
check "the stuck exchange's request is in flight" "grep -q '/hang/' $tmp/requests.jsonl"
code=$(req "$ADMIN" POST /c/exchanges "{\"bank\":\"b-good\",\"api\":\"stopncii\",\"api_json\":{\"base_url\":\"$M/big/v1\"},\"credentials\":{\"api_key\":\"k\",\"subscription_key\":\"s\"}}")
check "the good exchange is created" "[ $code = 201 ]"

for _ in $(seq 1 300); do
    req "$ADMIN" GET /c/exchange/b-good/status >/dev/null
    grep -q '"up_to_date":true' "$tmp/out" && break
    sleep 0.1
done
check "the good exchange is fetched to the end (500 records)" "grep -q '\"up_to_date\":true' $tmp/out && grep -q '\"fetched_items\":500' $tmp/out"
# serve's default duty cycle (exchange_duty_percent 25, not set here): its run paused between
# its pages for three times its own CPU time (100 would not pause at all).
paused=$(grep '"event":"exchange_fetch"' "$tmp/server.log" | grep '"exchange":"b-good"' | grep -o 'paused [0-9]*' | cut -d' ' -f2 | sort -n | tail -1)
check "at the default duty (25 %) the good exchange's run paused between pages (${paused:-?} ms)" "[ -n \"$paused\" ] && [ $paused -gt 0 ]"
req "$ADMIN" GET /c/exchange/a-hang/status >/dev/null
hang_start=$(field running_fetch_start_ts)
hang_done=$(field last_fetch_complete_ts)
check "meanwhile the stuck exchange is still running (it did not hold the good one up)" "[ $hang_start -gt 0 ] && [ $hang_done -eq 0 ]"

for _ in $(seq 1 600); do
    req "$ADMIN" GET /c/exchange/a-hang/status >/dev/null
    [ "$(field last_fetch_complete_ts)" -gt 0 ] && break
    sleep 0.1
done
hang_done=$(field last_fetch_complete_ts)
check "the stuck run ends as a failed run" "[ $hang_done -gt 0 ] && grep -q '\"last_fetch_succeeded\":false' $tmp/out && grep -q '\"running_fetch_start_ts\":0' $tmp/out"
failures=$(field consecutive_failures)
req "$ADMIN" GET /c/exchange/a-hang >/dev/null
check "its last_error names the timeout" "grep -q 'last_error\":\"[^\"]*\\(Timeout was reached\\|time is spent\\)' $tmp/out"
# Bounded: the run took about RUN_SECONDS, not the minute the mock holds it (a generous bound,
# not a timing measurement: the two outcomes are 8 s against 60 s).
check "the stuck run ended at its bound, not when the mock let go" "[ \$((hang_done - hang_start)) -lt 40 ]"
check "the mock still holds (nobody answered the stuck request)" "[ -e $tmp/requests.jsonl.hang ]"
check "the stuck exchange backs off (no answer is a transient failure)" "[ $failures -ge 1 ]"

# Shutdown while a request is in flight: a third stuck exchange; stopping aborts its request
# (the log names why) instead of waiting for its timeout.
code=$(req "$ADMIN" POST /c/exchanges "{\"bank\":\"c-hang\",\"api\":\"stopncii\",\"api_json\":{\"base_url\":\"$M/hang/v1\"},\"credentials\":{\"api_key\":\"k\",\"subscription_key\":\"s\"}}")
check "a second stuck exchange is created" "[ $code = 201 ]"
for _ in $(seq 1 300); do
    [ "$(grep -c '/hang/' "$tmp/requests.jsonl")" -ge 2 ] && break
    sleep 0.1
done
check "its request is in flight" "[ \$(grep -c '/hang/' $tmp/requests.jsonl) -ge 2 ]"
kill -TERM "$server_pid"; wait "$server_pid"; rc=$?; server_pid=
check "the server stops cleanly with its fetcher threads" "[ $rc -eq 0 ]"
check "the request in flight was aborted by the shutdown, not timed out" "grep -q 'c-hang.*the server is stopping' $tmp/server.log"
rm -f "$tmp/requests.jsonl.hang"
exit $fail
