#!/usr/bin/env bash
# childguard exchange and review on a PostgreSQL store (issue 17; `--db postgresql://…`).
# Exchanges: an NCMEC exchange
# added with sealed credentials and fetched over HTTP from the mock exchange of exchange_fetch.sh
# (tests/cli/lib/mock_exchange.py on a free loopback port; synthetic hash values), then its
# bank, provenance and status read back from PostgreSQL; the password is not in the database in
# clear; a second run is idempotent; a StopNCII run with a malformed page records its error and
# the next run is up to date; remove deletes the exchange, its credentials and its links.
# Review: an item added with a text excerpt (a synthetic message) says has_excerpt true in
# `review show --json` and `review list --json`, one without says false, and a hostile excerpt
# is refused with the item kept without one. The
# PostgreSQL is the test run's (the CTest fixture "pg": its URL in $CG_TEST_PG_URL_FILE); the
# store is a schema of this test's own. Prints SKIPPED (exit 77) without PostgreSQL or psql.
# Usage: bash store_pg_cli.sh /path/to/childguard /path/to/source-root
set -u
CG=$1
ROOT=$2
. "$(dirname "${BASH_SOURCE[0]}")/lib/serve_common.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib/pg_lib.sh"
pg_use_shared
cg_test_init python3 psql

pg_store_schema cli_exchange_$$
DB=$pg_db
unset CHILDGUARD_DB # every command names the store with --db
sql() { psql -qtA "$DB" -c "$1"; }

now=$(date +%s)
start=$(( (now - 3 * 86400) / 60 * 60 ))
port=$(free_port)
python3 "$ROOT/tests/cli/lib/mock_exchange.py" "$port" "$tmp/requests.jsonl" "$start" &
cg_track $!
cg_wait_port "$port"
B="http://127.0.0.1:$port"
export CHILDGUARD_EXCHANGE_KEY=$tmp/exchange.key
PDQ1=f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22
MD5A=0123456789abcdef0123456789abcdef
MD5B=11111111111111111111111111111111
MD5C=22222222222222222222222222222222
MD5X=33333333333333333333333333333333
export_bank() { # BANK: its signals as JSON lines into $tmp/bank
    "$CG" bank export "$1" --db "$DB" --format jsonl >"$tmp/bank" 2>/dev/null
}
bank_has() { grep -q "\"$1\"" "$tmp/bank"; } # HEX: 0 when the exported bank holds it
status() { # NAME FIELD...: the fields of its status, space-separated
    local name=$1
    shift
    "$CG" exchange status "$name" --db "$DB" --json |
        python3 -c "import json,sys; s=json.load(sys.stdin); print(*[s[f] for f in sys.argv[1:]])" "$@"
}

printf '{"user":"esp-user","password":"pw-NCMEC-very-secret"}' >"$tmp/ncmec.json"
"$CG" exchange add ncmec-x --db "$DB" --api ncmec --label csam --credentials "$tmp/ncmec.json" \
    --config "{\"base_url\":\"$B/ncmec\",\"start_time\":$start}" >"$tmp/out" 2>&1
check "add ncmec in PostgreSQL" "[ $? -eq 0 ] && grep -q 'credentials sealed' $tmp/out"
check "the credentials are stored sealed, not in clear" "[ \"\$(sql 'SELECT count(*) FROM exchange_secrets')\" = 1 ] && ! sql \"SELECT encode(sealed, 'escape') FROM exchange_secrets\" | grep -q 'pw-NCMEC'"
"$CG" exchange fetch ncmec-x --db "$DB" --json >"$tmp/fetch.jsonl" 2>"$tmp/err"
rc=$?
check "ncmec fetch succeeds (exit 0), up to date" "[ $rc -eq 0 ] && tail -n1 $tmp/fetch.jsonl | grep -q '\"up_to_date\":true'"
export_bank ncmec-x
check "ncmec: e1's md5 and pdq, e3 in the bank; e2 deleted" "bank_has $MD5A && bank_has $PDQ1 && bank_has $MD5C && ! bank_has $MD5B"
check "ncmec status read from PostgreSQL" "[ \"\$(status ncmec-x up_to_date fetched_items running_fetch_start_ts)\" = 'True 4 0' ]"
prov=$(sql "SELECT string_agg(l.key || '|' || l.member || '|' || l.entry_id || '|' || l.classification, ';' ORDER BY l.key, s.signal_type) FROM exchange_links l JOIN signals s ON s.id = l.signal_id")
check "ncmec provenance in exchange_links" "[ \"$prov\" = 'ncmec:image:42-e1|42|e1|A1;ncmec:image:42-e1|42|e1|A1;ncmec:image:42-e3|42|e3|A1' ]"
check "the checkpoint is stored" "[ -n \"\$(sql \"SELECT checkpoint FROM exchanges WHERE name = 'ncmec-x'\")\" ]"
"$CG" exchange fetch ncmec-x --db "$DB" --full --quiet
rc=$?
check "a full refetch is idempotent (same 3 signals)" "[ $rc -le 1 ] && [ \"\$($CG bank export ncmec-x --db \"$DB\" --format jsonl | wc -l)\" = 3 ]"

printf '{"api_key":"fk-SN-secret","subscription_key":"sk-SN"}' >"$tmp/sn.json"
"$CG" exchange add sn --db "$DB" --api stopncii --credentials "$tmp/sn.json" \
    --config "{\"base_url\":\"$B/sn/v1\"}" >/dev/null
check "add stopncii" "[ $? -eq 0 ]"
"$CG" exchange fetch sn --db "$DB" >"$tmp/out" 2>"$tmp/err"
rc=$?
check "stopncii: a malformed page skipped: exit 2, not up to date" "[ $rc -eq 2 ] && grep -q 'may be missing' $tmp/err"
export_bank sn
check "stopncii: the withdrawn hash is purged, the active one stays" "bank_has $PDQ1 && ! bank_has $MD5X"
check "stopncii: last_error stored in PostgreSQL" "sql \"SELECT last_error FROM exchanges WHERE name = 'sn'\" | grep -q 'may be missing'"
"$CG" exchange fetch sn --db "$DB" --quiet
rc=$?
check "stopncii: the next run is up to date (exit 1)" "[ $rc -eq 1 ] && [ \"\$(status sn up_to_date)\" = True ]"
"$CG" exchange list --db "$DB" >"$tmp/out"
check "list shows both exchanges" "[ \$(wc -l <$tmp/out) -eq 2 ]"

nid=$(sql "SELECT id FROM exchanges WHERE name = 'ncmec-x'")
check "ncmec-x has links before its removal" "[ \"\$(sql \"SELECT count(*) FROM exchange_links WHERE exchange_id = $nid\")\" = 3 ]"
"$CG" exchange remove ncmec-x --db "$DB" >/dev/null
check "remove deletes the exchange, its credentials, links and bank" "[ \"\$(sql \"SELECT count(*) FROM exchange_links WHERE exchange_id = $nid\")\" = 0 ] && [ \"\$(sql \"SELECT count(*) FROM exchange_secrets WHERE exchange_id = $nid\")\" = 0 ] && [ \"\$(sql 'SELECT count(*) FROM exchange_secrets')\" = 1 ] && ! \"$CG\" bank show ncmec-x --db \"$DB\" >/dev/null 2>&1"
# ---- review items and their text excerpts ----
cat >"$tmp/excerpt.json" <<'JSON'
{"version": 1, "conversation": "c1", "offsets": "utf8_bytes", "messages": [{"id": "7",
 "sender": "adult", "ts_ms": 1772377200000, "text": "let's meet after school",
 "spans": [{"start": 6, "end": 10, "harm": "grooming", "facet": "meeting"}]}]}
JSON
WITH=$("$CG" review add --db "$DB" --content-id conv:c1 --kind message --label grooming \
    --excerpt "$tmp/excerpt.json" 2>"$tmp/err")
check "review add --excerpt in PostgreSQL" "[ $? -eq 0 ] && [ -n \"$WITH\" ] && [ \"\$(sql 'SELECT count(*) FROM review_excerpts')\" = 1 ]"
WITHOUT=$("$CG" review add --db "$DB" --content-id conv:c2 --kind message --label grooming)
field() { python3 -c "import json,sys; print(json.loads(sys.stdin.readline())['has_excerpt'])"; }
check "review show --json: has_excerpt true with one, false without" "[ \"\$($CG review show $WITH --db \"$DB\" --json | field)\" = True ] && [ \"\$($CG review show $WITHOUT --db \"$DB\" --json | field)\" = False ]"
"$CG" review list --db "$DB" --json >"$tmp/list.jsonl"
check "review list --json carries has_excerpt per item" "python3 -c \"import json; d={j['id']: j['has_excerpt'] for j in map(json.loads, open('$tmp/list.jsonl')) if 'id' in j}; assert d[$WITH] is True and d[$WITHOUT] is False, d\""
printf '{"version":1,"messages":[{"id":"1","text":"abc","spans":[{"start":1,"end":9,"harm":"grooming"}]}]}' >"$tmp/bad.json"
BAD=$("$CG" review add --db "$DB" --content-id conv:c3 --kind message --label grooming --excerpt "$tmp/bad.json" 2>"$tmp/err")
rc=$?
check "a hostile excerpt is refused (exit 2, named), the item kept without one" "[ $rc -eq 2 ] && grep -q 'not inside' $tmp/err && [ \"\$(sql 'SELECT count(*) FROM review_excerpts')\" = 1 ] && [ \"\$($CG review show $BAD --db \"$DB\" --json | field)\" = False ]"

psql -q "$pg_server" -c "DROP SCHEMA $pg_schema CASCADE" >/dev/null 2>&1
exit $fail
