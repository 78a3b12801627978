#!/usr/bin/env bash
# childguard exchange fetch: a fetch killed with SIGKILL between two pages resumes from the
# stored checkpoint without losing or repeating a record, and 429/503 answers are waited out
# (Retry-After in seconds or as an HTTP date honoured, a garbage one ignored) with the back-off
# visible in the status. A file exchange (a list at a path) drops what the list no longer holds. Against tests/cli/lib/mock_exchange.py on a free loopback port
# (synthetic hash values).
# Usage: bash exchange_resume.sh /path/to/childguard /path/to/source-root
. "$(dirname "${BASH_SOURCE[0]}")/lib/exchange_lib.sh"
ex_test_init "$1" "$2" python3

ex_mock mock_exchange.py "$tmp/requests.jsonl" 0
B=$mock_url
export CHILDGUARD_EXCHANGE_KEY=$tmp/exchange.key
printf '{"api_key":"fk","subscription_key":"sk"}' >"$tmp/sn.json"
status_field() { # NAME FIELD
    "$CG" exchange status "$1" --json | python3 -c "import json,sys; print(json.load(sys.stdin)['$2'])"
}
sql() {
    python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute(sys.argv[2]).fetchone()[0])" "$tmp/t.db" "$1"
}

# ---- kill -9 between pages ----
"$CG" exchange add big --api stopncii --credentials "$tmp/sn.json" --config "{\"base_url\":\"$B/big/v1\",\"page_size\":100}" >/dev/null
touch "$tmp/requests.jsonl.hold"
"$CG" exchange fetch big --quiet >/dev/null 2>&1 &
fpid=$!
for i in $(seq 1 300); do
    grep -q 'nextPageToken=p3' "$tmp/requests.jsonl" 2>/dev/null && break
    sleep 0.1
done
check "the fetch reached page 3 (held by the mock)" "grep -q 'nextPageToken=p3' $tmp/requests.jsonl"
kill -9 $fpid
wait $fpid 2>/dev/null
check "after kill -9: pages 1 and 2 in the bank, exactly (200 signals)" "[ \"\$(sql 'SELECT count(*) FROM signals s JOIN banks b ON b.id = s.bank_id WHERE b.name = \"big\"')\" = 200 ]"
check "after kill -9: 200 items counted, the checkpoint at page 3" "[ \"\$(status_field big fetched_items)\" = 200 ] && sql 'SELECT checkpoint FROM exchanges WHERE name = \"big\"' | grep -q 'p3'"
check "after kill -9: the run shows as started and never ended (a stuck fetch is visible)" "[ \"\$(status_field big running_fetch_start_ts)\" != 0 ]"
rm -f "$tmp/requests.jsonl.hold"
: >"$tmp/requests.jsonl"
"$CG" exchange fetch big --quiet
check "the next fetch resumes and completes" "[ $? -eq 0 ] && [ \"\$(status_field big up_to_date)\" = True ]"
check "it resumed at page 3 (pages 1 and 2 not asked again)" "! grep -q 'nextPageToken=p2' $tmp/requests.jsonl && ! grep -q 'startTimestamp=0&pageSize=100\"' $tmp/requests.jsonl && grep -q 'nextPageToken=p3' $tmp/requests.jsonl"
check "no loss, no duplicate: 500 signals, 500 links, 500 items" "[ \"\$(sql 'SELECT count(*) FROM signals s JOIN banks b ON b.id = s.bank_id WHERE b.name = \"big\"')\" = 500 ] && [ \"\$(sql 'SELECT count(*) FROM exchange_links l JOIN exchanges e ON e.id = l.exchange_id WHERE e.name = \"big\"')\" = 500 ] && [ \"\$(status_field big fetched_items)\" = 500 ]"
check "every page's hashes are there once" "[ \"\$(sql 'SELECT count(DISTINCT value) FROM signals s JOIN banks b ON b.id = s.bank_id WHERE b.name = \"big\"')\" = 500 ]"

# ---- back-off ----
now=$(date +%s)
"$CG" exchange add busy --api stopncii --credentials "$tmp/sn.json" --config "{\"base_url\":\"$B/busy/v1\"}" >/dev/null
"$CG" exchange fetch busy --quiet 2>"$tmp/err"
check "503: exit 2, named" "[ $? -eq 2 ] && grep -q '503' $tmp/err"
check "503 with Retry-After 120: one failure, the next fetch not before now + 120" "[ \"\$(status_field busy consecutive_failures)\" = 1 ] && [ \"\$(status_field busy next_fetch_ts)\" -ge $((now + 120)) ]"
"$CG" exchange fetch busy --quiet 2>/dev/null
check "a second 503: two failures in a row" "[ \"\$(status_field busy consecutive_failures)\" = 2 ]"
"$CG" exchange add busydate --api stopncii --credentials "$tmp/sn.json" --config "{\"base_url\":\"$B/busydate/v1\"}" >/dev/null
"$CG" exchange fetch busydate --quiet 2>/dev/null
check "Retry-After as an HTTP date (300 s ahead) is honoured" "[ \"\$(status_field busydate next_fetch_ts)\" -ge $((now + 280)) ]"
"$CG" exchange add busybad --api stopncii --credentials "$tmp/sn.json" --config "{\"base_url\":\"$B/busybad/v1\"}" >/dev/null
now=$(date +%s)
"$CG" exchange fetch busybad --quiet 2>"$tmp/err"
check "429 with a garbage Retry-After: the plain back-off (15..30 s)" "[ $? -eq 2 ] && n=\$(status_field busybad next_fetch_ts) && [ \$n -ge $((now + 15)) ] && [ \$n -le $((now + 31)) ]"
"$CG" exchange show busy >"$tmp/out"
check "show names the back-off" "grep -q 'consecutive_failures: 2' $tmp/out && grep -q 'next_fetch_ts:' $tmp/out"
# ---- a file exchange: the list is the whole truth ----
printf '%s\n%s\n' 55555555555555555555555555555555 66666666666666666666666666666666 >"$tmp/list.txt"
"$CG" exchange add flist --api file --config "{\"base_url\":\"file://$tmp/list.txt\"}" >/dev/null
"$CG" exchange fetch flist --quiet
check "file exchange: the list's two hashes" "[ $? -eq 0 ] && [ \"\$($CG bank export flist --format jsonl | wc -l)\" = 2 ]"
printf '%s\n' 66666666666666666666666666666666 >"$tmp/list.txt"
"$CG" exchange fetch flist --quiet
check "file exchange: a hash removed from the list leaves the bank" "[ \"\$($CG bank export flist --format jsonl | wc -l)\" = 1 ] && $CG bank export flist --format jsonl | grep -q 6666"
"$CG" exchange add frel --api file --config '{"base_url":"file://../list.txt"}' >/dev/null 2>"$tmp/err"
check "file exchange: a relative path is refused at add" "[ $? -eq 2 ]"
exit $fail
