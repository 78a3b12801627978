#!/usr/bin/env bash
# childguard serve: HMA's exchange routes and the fetch scheduler. An exchange is created by
# POST /c/exchanges with its credentials (sealed by the server), fetched in the background from
# a mock StopNCII on loopback (tests/cli/lib/mock_exchange.py, free port; synthetic hashes) and
# its status read at /c/exchange/<name>/status; lookups keep answering during the fetch. Attack
# tests: no key 401, a bank:read key changing 403, another tenant's exchange 404, a huge body
# 413, plain http off loopback 400, a file:// list over HTTP 400.
# Usage: bash exchange_serve.sh /path/to/childguard /path/to/source-root
. "$(dirname "${BASH_SOURCE[0]}")/lib/exchange_lib.sh"
ex_test_init "$1" "$2" curl python3

ex_mock mock_exchange.py "$tmp/requests.jsonl" 0
M=$mock_url

ADMIN=$(ex_key admin --scope all)
READER=$(ex_key reader --scope bank:read)
OTHER=$(ex_key other-admin --scope all --tenant beta)
check "keys made" "[ -n \"$ADMIN\" ] && [ -n \"$READER\" ] && [ -n \"$OTHER\" ]"
ex_serve '{"exchange_interval": 1, "exchange_run_seconds": 10}'
check "the server comes up" "cg_wait_live $B $server_pid"


code=$(req "$ADMIN" GET /c/exchanges/apis)
check "GET /c/exchanges/apis lists the drivers" "[ $code = 200 ] && grep -q stopncii $tmp/out && grep -q ncmec $tmp/out"
body="{\"bank\":\"sn\",\"api\":\"stopncii\",\"api_json\":{\"base_url\":\"$M/sn/v1\"},\"credentials\":{\"api_key\":\"fk-SERVE-secret\",\"subscription_key\":\"s\"}}"
code=$(req "" POST /c/exchanges "$body")
check "no key: 401" "[ $code = 401 ]"
code=$(req "$READER" POST /c/exchanges "$body")
check "a bank:read key cannot create: 403" "[ $code = 403 ]"
big=$(python3 -c "print('{\"bank\":\"x\",\"api\":\"stopncii\",\"api_json\":{\"base_url\":\"' + 'a'*40000 + '\"}}')")
code=$(req "$ADMIN" POST /c/exchanges "$big")
check "a huge body: 413" "[ $code = 413 ]"
code=$(req "$ADMIN" POST /c/exchanges '{"bank":"p","api":"stopncii","api_json":{"base_url":"http://example.com"}}')
check "plain http off loopback: 400" "[ $code = 400 ]"
code=$(req "$ADMIN" POST /c/exchanges '{"bank":"f","api":"file","api_json":{"base_url":"file:///etc/passwd"}}')
check "a file:// list over HTTP (the server reading its own files): 400" "[ $code = 400 ] && grep -q 'command line only' $tmp/out"
code=$(req "$ADMIN" POST /c/exchanges '{"bank":"p","api":"nope"}')
check "an unknown api: 400" "[ $code = 400 ]"
code=$(req "$ADMIN" POST /c/exchanges "$body")
check "POST /c/exchanges: 201, credentials not echoed" "[ $code = 201 ] && grep -q '\"has_credentials\":true' $tmp/out && ! grep -q 'fk-SERVE' $tmp/out"
code=$(req "$ADMIN" POST /c/exchanges "$body")
check "the same exchange again: 409" "[ $code = 409 ]"

for _ in $(seq 1 300); do
    req "$READER" GET /c/exchange/sn/status >/dev/null
    grep -q '"up_to_date":true' "$tmp/out" && break
    sleep 0.1
done
check "the scheduler fetched it: status up_to_date, succeeded, items" "grep -q '\"up_to_date\":true' $tmp/out && grep -q '\"last_fetch_succeeded\":true' $tmp/out && grep -q '\"fetched_items\":[1-9]' $tmp/out && grep -q '\"running_fetch_start_ts\":0' $tmp/out"
check "the sealed key was sent to the exchange" "grep -q 'fk-SERVE-secret' $tmp/requests.jsonl"
check "the password is not in the database in clear" "! grep -rqa 'fk-SERVE-secret' $tmp/t.db*"
for _ in $(seq 1 100); do
    code=$(req "$ADMIN" GET "/m/raw_lookup?signal_type=pdq&signal=f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22")
    grep -q '"matches":\[[0-9]' "$tmp/out" && [ "$code" = 200 ] && break
    sleep 0.1
done
check "the fetched hash matches through the matcher" "[ $code = 200 ] && grep -q '\"matches\":\[[0-9]' $tmp/out"

code=$(req "$READER" GET /c/exchanges)
check "GET /c/exchanges lists it" "[ $code = 200 ] && grep -q '\"name\":\"sn\"' $tmp/out"
code=$(req "$READER" GET /c/exchange/sn)
check "GET /c/exchange/sn" "[ $code = 200 ] && grep -q '\"api\":\"stopncii\"' $tmp/out && ! grep -q 'fk-SERVE' $tmp/out"
code=$(req "$OTHER" GET /c/exchange/sn)
check "another tenant's exchange: 404" "[ $code = 404 ]"
code=$(req "$OTHER" GET /c/exchanges)
check "another tenant lists none" "[ $code = 200 ] && [ \"\$(cat $tmp/out)\" = '[]' ]"
code=$(req "$OTHER" DELETE /c/exchange/sn)
check "another tenant cannot delete it: 404" "[ $code = 404 ]"
code=$(req "$READER" PUT /c/exchange/sn '{"enabled":false}')
check "a bank:read key cannot change it: 403" "[ $code = 403 ]"
code=$(req "$ADMIN" PUT /c/exchange/sn '{"enabled":false}')
check "PUT disables it" "[ $code = 200 ] && grep -q '\"enabled\":false' $tmp/out"
code=$(req "$ADMIN" PUT /c/exchange/sn '{"api_json":{"base_url":"http://evil.example"}}')
check "PUT with an off-loopback http URL: 400" "[ $code = 400 ]"
code=$(req "$ADMIN" DELETE /c/exchange/sn)
check "DELETE removes it" "[ $code = 200 ] && [ \"\$(req $ADMIN GET /c/exchange/sn)\" = 404 ]"
code=$(req "$ADMIN" GET /c/bank/sn)
check "with its bank" "[ $code = 404 ]"
kill -TERM "$server_pid"; wait "$server_pid"; rc=$?; server_pid=
check "the server stops cleanly with the scheduler" "[ $rc -eq 0 ]"
exit $fail
