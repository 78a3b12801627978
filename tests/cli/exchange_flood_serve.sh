#!/usr/bin/env bash
# childguard serve: the flood quarantine over HTTP (docs/exchange.md "Flood quarantine").
# An exchange (the file driver, one synthetic PDQ hash, the bank's PDQ threshold 256: a "too
# broad" hash that matches every image) with api_json flood_per_hour 2; images are scanned
# through POST /v1/scan and GET /c/exchange/<name>/flood shows the counter (the same image again
# counts once), then the quarantine after the third different image; the status route carries the
# summary under "flood" with HMA's keys unchanged. Attack tests: no key 401, a scan-only key 403,
# another tenant's exchange 404, a key limited to another bank 404, unknown and hostile names 404.
# Images: synthetic gradients made by ImageMagick.
# Usage: bash exchange_flood_serve.sh /path/to/childguard /path/to/source-root
. "$(dirname "${BASH_SOURCE[0]}")/lib/exchange_lib.sh"
ex_test_init "$1" "$2" curl python3 convert

convert -size 256x256 gradient:red-blue -fill white -draw "rectangle 40,40 140,200" "$tmp/a.png"
convert -size 256x256 gradient:green-yellow -fill black -draw "circle 128,128 128,200" "$tmp/b.png"
convert -size 256x256 gradient:white-black -fill red -draw "rectangle 20,100 230,150" "$tmp/c.png"
PDQ=f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22
echo "$PDQ" >"$tmp/list.txt"
"$CG" bank create fl --threshold pdq=256 >/dev/null 2>"$tmp/err"
"$CG" bank create other >/dev/null 2>>"$tmp/err"
"$CG" exchange add fl --api file --adopt-bank \
    --config "{\"base_url\":\"file://$tmp/list.txt\",\"flood_per_hour\":2}" >/dev/null 2>>"$tmp/err"
"$CG" exchange fetch fl --quiet >/dev/null 2>>"$tmp/err"
check "the exchange holds its hash" "\"$CG\" bank export fl --format lines 2>/dev/null | grep -q $PDQ"

ADMIN=$(ex_key admin --scope all)
SCANNER=$(ex_key scanner --scope scan)
READER=$(ex_key reader --scope bank:read)
NARROW=$(ex_key narrow --scope bank:read --banks other)
BETA=$(ex_key beta --scope all --tenant beta)
check "keys made" "[ -n \"$ADMIN\" ] && [ -n \"$SCANNER\" ] && [ -n \"$READER\" ] && [ -n \"$NARROW\" ] && [ -n \"$BETA\" ]"
ex_serve '{"exchange_fetch": 0}'
check "the server comes up" "cg_wait_live $B $server_pid"

scan() { curl -s -o /dev/null -H "Authorization: Bearer $SCANNER" --data-binary "@$1" "$B/v1/scan"; }

code=$(req "$READER" GET /c/exchange/fl/flood)
check "before any match: limit 2 from the exchange, nothing counting or quarantined" \
    "[ $code = 200 ] && [ \"\$(jget 'd[\"limit_per_hour\"], d[\"limit_from\"], d[\"signals_counting\"], d[\"quarantined\"], d[\"counting\"], d[\"bank\"]')\" = \"2 exchange 0 0 [] fl\" ]"
scan "$tmp/a.png"
code=$(req "$READER" GET /c/exchange/fl/flood)
check "one image: the signal counts 1 this hour" \
    "[ $code = 200 ] && [ \"\$(jget 'd[\"counting\"][0][\"signal\"], d[\"counting\"][0][\"count\"], d[\"counting\"][0][\"limit\"], d[\"matches_this_hour\"]')\" = \"$PDQ 1 2 1\" ]"
scan "$tmp/a.png"
scan "$tmp/a.png"
code=$(req "$READER" GET /c/exchange/fl/flood)
check "the same image again counts once (re-uploads cannot switch a signal off)" \
    "[ $code = 200 ] && [ \"\$(jget 'd[\"counting\"][0][\"count\"]')\" = 1 ]"
scan "$tmp/b.png"
code=$(req "$READER" GET /c/exchange/fl/status)
check "the status route: HMA's keys kept, the flood summary added" \
    "[ $code = 200 ] && [ \"\$(jget '\"checkpoint_ts\" in d and \"up_to_date\" in d, d[\"flood\"][\"matches_this_hour\"], d[\"flood\"][\"signals_counting\"], d[\"flood\"][\"quarantined\"]')\" = 'True 2 1 0' ]"
scan "$tmp/c.png"
code=$(req "$READER" GET /c/exchange/fl/flood)
check "a third different image: quarantined and listed, no longer counting" \
    "[ $code = 200 ] && [ \"\$(jget 'd[\"quarantined\"], d[\"quarantined_signals\"][0][\"signal\"], d[\"signals_counting\"]')\" = \"1 $PDQ 0\" ]"
code=$(req "$READER" GET /c/exchange/fl/status)
check "the status route counts the quarantine" "[ $code = 200 ] && [ \"\$(jget 'd[\"flood\"][\"quarantined\"]')\" = 1 ]"

code=$(req "" GET /c/exchange/fl/flood)
check "no key: 401" "[ $code = 401 ]"
code=$(req "$SCANNER" GET /c/exchange/fl/flood)
check "a scan-only key: 403" "[ $code = 403 ]"
code=$(req "$BETA" GET /c/exchange/fl/flood)
check "another tenant's exchange: 404" "[ $code = 404 ] && ! grep -q $PDQ $tmp/out"
code=$(req "$NARROW" GET /c/exchange/fl/flood)
check "a key limited to another bank: 404" "[ $code = 404 ] && ! grep -q $PDQ $tmp/out"
code=$(req "$READER" GET /c/exchange/nope/flood)
check "an unknown exchange: 404" "[ $code = 404 ]"
code=$(req "$READER" GET "/c/exchange/..%2Ffl/flood")
check "a hostile name: 404" "[ $code = 404 ]"
long=$(head -c 3000 /dev/zero | tr '\0' x)
code=$(req "$READER" GET "/c/exchange/$long/flood")
check "a 3000-byte name: refused, the server goes on" "[ $code = 404 ] || [ $code = 414 ] || [ $code = 400 ]"
check "the server still answers" "[ \"\$(req $READER GET /c/exchange/fl/flood)\" = 200 ]"
kill -TERM "$server_pid"; wait "$server_pid"; rc=$?; server_pid=
check "the server stops cleanly" "[ $rc -eq 0 ]"
exit $fail
