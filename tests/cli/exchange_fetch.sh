#!/usr/bin/env bash
# childguard exchange: exchanges kept in the store, fetched over HTTP (libcurl) from a mock
# exchange on loopback (tests/cli/lib/mock_exchange.py, started here on a free port; synthetic
# hash values). NCMEC XML with paging/next and a deletion; StopNCII with a malformed page
# (retried, shrunk, skipped: the run ends not up to date, the next one is) and a withdrawn hash
# purged; ThreatExchange with should_delete and a token in its next link. Then the bank
# contents, provenance, status fields, an idempotent full refetch, sealed credentials (not in
# the database in clear, the key file mode 0600), and the attacks: a huge page, a body that
# trickles (timeout), a redirect (not followed), bad credentials (401), plain http off loopback.
# Usage: bash exchange_fetch.sh /path/to/childguard /path/to/source-root
. "$(dirname "${BASH_SOURCE[0]}")/lib/exchange_lib.sh"
ex_test_init "$1" "$2" python3

ex_mock_dated mock_exchange.py
B=$mock_url

bank_has() { # BANK HEX: 0 when the bank holds the value
    "$CG" bank export "$1" --format jsonl 2>/dev/null | grep -q "\"$2\""
}
status_field() { # NAME FIELD
    "$CG" exchange status "$1" --json | python3 -c "import json,sys; print(json.load(sys.stdin)['$2'])"
}
PDQ1=f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22
MD5A=0123456789abcdef0123456789abcdef
MD5B=11111111111111111111111111111111
MD5C=22222222222222222222222222222222
MD5X=33333333333333333333333333333333
MD5Y=44444444444444444444444444444444

"$CG" exchange apis >"$tmp/out"
check "apis lists the three drivers" "grep -q '^ncmec' $tmp/out && grep -q '^stopncii' $tmp/out && grep -q '^fb_threatexchange' $tmp/out"
"$CG" exchange list >/dev/null 2>&1
check "list with no database is an error" "[ $? -eq 2 ]"

# ---- NCMEC ----
printf '{"user":"esp-user","password":"pw-NCMEC-very-secret"}' >"$tmp/ncmec.json"
"$CG" exchange add ncmec-x --api ncmec --label csam --credentials "$tmp/ncmec.json" \
    --config "{\"base_url\":\"$B/ncmec\",\"start_time\":$start}" >"$tmp/out" 2>&1
check "add ncmec" "[ $? -eq 0 ] && grep -q 'credentials sealed' $tmp/out"
check "the key file is made with mode 600" "[ \"\$(stat -c %a $tmp/exchange.key)\" = 600 ]"
check "the password is not in the database in clear" "! grep -rqa 'pw-NCMEC-very-secret' $tmp/t.db*"
"$CG" exchange show ncmec-x >"$tmp/out"
check "show never prints the credentials" "! grep -q 'pw-NCMEC' $tmp/out && grep -q 'sealed' $tmp/out"
"$CG" exchange fetch ncmec-x --json >"$tmp/fetch.jsonl" 2>"$tmp/err"
rc=$?
check "ncmec fetch succeeds with records (exit 0)" "[ $rc -eq 0 ]"
check "ncmec fetch prints JSON lines, the last one done" "tail -n1 $tmp/fetch.jsonl | grep -q '\"done\":true' && tail -n1 $tmp/fetch.jsonl | grep -q '\"up_to_date\":true'"
check "ncmec: HTTP Basic sent" "grep -q \"\$(printf 'Basic %s' \$(printf 'esp-user:pw-NCMEC-very-secret' | base64 -w0))\" $tmp/requests.jsonl"
check "ncmec: the next link was followed" "grep -q 'start=2' $tmp/requests.jsonl"
check "ncmec: e1's md5 and pdq, e3 in the bank" "bank_has ncmec-x $MD5A && bank_has ncmec-x $PDQ1 && bank_has ncmec-x $MD5C"
check "ncmec: e2 deleted on page 2" "! bank_has ncmec-x $MD5B"
check "ncmec status: up_to_date, succeeded, 4 items" "[ \"\$(status_field ncmec-x up_to_date)\" = True ] && [ \"\$(status_field ncmec-x last_fetch_succeeded)\" = True ] && [ \"\$(status_field ncmec-x fetched_items)\" = 4 ] && [ \"\$(status_field ncmec-x running_fetch_start_ts)\" = 0 ]"
prov=$(python3 - "$tmp/t.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
print(";".join("%s|%s|%s|%s" % r for r in c.execute(
    "SELECT l.key, l.member, l.entry_id, l.classification FROM exchange_links l "
    "JOIN signals s ON s.id = l.signal_id ORDER BY l.key, s.signal_type")))
PY
)
check "ncmec provenance: key, member, entry, classification per signal" "[ \"$prov\" = 'ncmec:image:42-e1|42|e1|A1;ncmec:image:42-e1|42|e1|A1;ncmec:image:42-e3|42|e3|A1' ]"
"$CG" exchange fetch ncmec-x --full --quiet
rc=$?
check "a full refetch is idempotent (same 3 signals)" "[ $rc -le 1 ] && [ \"\$($CG bank export ncmec-x --format jsonl | wc -l)\" = 3 ]"

# ---- StopNCII ----
printf '{"api_key":"fk-SN-secret","subscription_key":"sk-SN"}' >"$tmp/sn.json"
"$CG" exchange add sn --api stopncii --credentials - --config "{\"base_url\":\"$B/sn/v1\"}" <"$tmp/sn.json" >/dev/null
check "add stopncii (credentials on stdin)" "[ $? -eq 0 ]"
"$CG" exchange fetch sn >"$tmp/out" 2>"$tmp/err"
rc=$?
check "stopncii: a malformed page skipped: exit 2, not up to date" "[ $rc -eq 2 ] && grep -q 'not up to date' $tmp/out && grep -q 'may be missing' $tmp/err"
check "stopncii: x-functions-key sent" "grep -q '\"fk\": \"fk-SN-secret\"' $tmp/requests.jsonl"
check "stopncii: the withdrawn hash is purged, the active one stays" "bank_has sn $PDQ1 && ! bank_has sn $MD5X"
check "stopncii status: not up to date, last error names the gap" "[ \"\$(status_field sn up_to_date)\" = False ] && \"$CG\" exchange show sn | grep -q 'last_error:.*may be missing'"
"$CG" exchange fetch sn --quiet
rc=$?
check "stopncii: the next run is up to date (nothing new: exit 1)" "[ $rc -eq 1 ] && [ \"\$(status_field sn up_to_date)\" = True ]"

# ---- ThreatExchange ----
printf '{"api_key":"TE-ACCESS-TOKEN"}' >"$tmp/te.json"
"$CG" exchange add te --api fb_threatexchange --credentials "$tmp/te.json" --config "{\"base_url\":\"$B/te\",\"collab\":\"g1\"}" >/dev/null
"$CG" exchange fetch te --quiet
check "te: fetch succeeds" "[ $? -eq 0 ]"
check "te: the token is sent as a header, stripped from the stored link" "grep -q 'OAuth TE-ACCESS-TOKEN' $tmp/requests.jsonl && grep '\"path\": \"/te/g1/threat_updates/?after=c2' $tmp/requests.jsonl >/dev/null && ! grep -qa 'TOKEN-IN-LINK' $tmp/t.db*"
check "te: 1001 kept, 1002 deleted by should_delete" "bank_has te $PDQ1 && ! bank_has te $MD5Y"

"$CG" exchange list >"$tmp/out"
check "list shows the three exchanges" "[ \$(wc -l <$tmp/out) -eq 3 ]"

# ---- attacks ----
add_attack() { # NAME PATH [extra config]
    "$CG" exchange add "$1" --api stopncii --credentials "$tmp/sn.json" --config "{\"base_url\":\"$B/$2\"${3:-}}" >/dev/null
}
add_attack huge huge/v1 ',"max_body":100000'
"$CG" exchange fetch huge --quiet 2>"$tmp/err"
check "a page over max_body is refused (exit 2, named)" "[ $? -eq 2 ] && grep -q 'larger than 100000' $tmp/err && ! bank_has huge $PDQ1"
add_attack slow slow/v1
"$CG" exchange fetch slow --quiet --timeout 2 2>"$tmp/err"
check "a body that trickles times out" "[ $? -eq 2 ] && grep -qi 'timeout' $tmp/err && [ \"\$(status_field slow last_fetch_succeeded)\" = False ]"
add_attack redir redirect/v1
"$CG" exchange fetch redir --quiet 2>"$tmp/err"
check "a redirect is not followed (an error, /stolen never asked)" "[ $? -eq 2 ] && grep -q 'status 302' $tmp/err && ! grep -q '/stolen' $tmp/requests.jsonl"
add_attack bad auth401/v1
"$CG" exchange fetch bad --quiet 2>"$tmp/err"
check "bad credentials (401): exit 2, the status records it, no key in the message" "[ $? -eq 2 ] && grep -q 'status 401' $tmp/err && ! grep -q 'fk-SN' $tmp/err && \"$CG\" exchange show bad | grep -q 'last_fetch_succeeded: false'"
"$CG" exchange add plain --api stopncii --config '{"base_url":"http://example.com/v1"}' >/dev/null 2>"$tmp/err"
check "plain http off loopback is refused at add" "[ $? -eq 2 ] && grep -q 'https' $tmp/err"
"$CG" exchange add badcfg --api stopncii --config '{"base_url":"https://x.test","token":"x"}' >/dev/null 2>"$tmp/err"
check "an unknown config key is refused" "[ $? -eq 2 ] && grep -q 'token' $tmp/err"
printf '{"api_key":"k","password2":"p"}' >"$tmp/badcred.json"
"$CG" exchange add badcred --api stopncii --credentials "$tmp/badcred.json" --config '{}' >/dev/null 2>"$tmp/err"
check "an unknown credential field is refused" "[ $? -eq 2 ] && grep -q 'password2' $tmp/err"
chmod 644 "$tmp/exchange.key"
"$CG" exchange fetch sn --quiet 2>"$tmp/err"
check "a key file others can read is refused" "[ $? -eq 2 ] && grep -q 'chmod 600' $tmp/err"
chmod 600 "$tmp/exchange.key"
CHILDGUARD_EXCHANGE_KEY=$tmp/other.key "$CG" exchange fetch sn --quiet 2>"$tmp/err"
check "another key file cannot open the credentials" "[ $? -eq 2 ]"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tmp/other.key"; chmod 600 "$tmp/other.key"
CHILDGUARD_EXCHANGE_KEY=$tmp/other.key "$CG" exchange fetch sn --quiet 2>"$tmp/err"
check "a wrong key is refused naming the exchange" "[ $? -eq 2 ] && grep -q 'do not open' $tmp/err"

"$CG" exchange disable sn >/dev/null
check "disable" "\"$CG\" exchange show sn | grep -q 'enabled: no'"
"$CG" exchange remove sn >/dev/null
check "remove deletes the exchange and its bank" "! \"$CG\" exchange show sn 2>/dev/null && ! \"$CG\" bank show sn >/dev/null 2>&1"
"$CG" exchange remove te --keep-bank >/dev/null
check "remove --keep-bank keeps the bank" "\"$CG\" bank show te >/dev/null 2>&1"
exit $fail
