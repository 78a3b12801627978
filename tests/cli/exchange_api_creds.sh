#!/usr/bin/env bash
# childguard serve: HMA's per-API credential routes (docs/api.md "Exchanges", docs/exchange.md
# "Credentials per API"). GET|POST /c/exchanges/api/<api> and its /schema; credentials set for
# an API are sealed in <key file>.api-credentials and used by an exchange that has none of its
# own (an exchange's own take precedence), against tests/cli/lib/mock_exchange.py on a free
# loopback port (synthetic values). Attack tests: no key, a bank:read key setting, an admin key
# limited to some banks, another tenant, an unknown api, malformed / deeply nested / huge JSON,
# NUL and control characters, a value over the cap, unknown or missing fields, credentials for
# an API that takes none; no answer ever holds a secret, the file never holds one in clear.
# Usage: bash exchange_api_creds.sh /path/to/childguard /path/to/source-root
. "$(dirname "${BASH_SOURCE[0]}")/lib/exchange_lib.sh"
ex_test_init "$1" "$2" curl python3
t0=$(date +%s)

ex_mock mock_exchange.py "$tmp/requests.jsonl" 0
M=$mock_url

ADMIN=$(ex_key admin --scope all)
READER=$(ex_key reader --scope bank:read)
NARROW=$(ex_key narrow --scope all --banks sn)
OTHER=$(ex_key other-admin --scope all --tenant beta)
check "keys made" "[ -n \"$ADMIN\" ] && [ -n \"$READER\" ] && [ -n \"$NARROW\" ] && [ -n \"$OTHER\" ]"
ex_serve '{"exchange_interval": 1, "exchange_run_seconds": 10}'
check "the server comes up" "cg_wait_live $B $server_pid"

: >"$tmp/all-replies"
keep() { cat "$tmp/out" >>"$tmp/all-replies"; echo >>"$tmp/all-replies"; }

code=$(req "$READER" GET /c/exchanges/api/stopncii); keep
check "GET: HMA's shape, nothing set yet" "[ $code = 200 ] && grep -q '\"supports_authentification\":true' $tmp/out && grep -q '\"has_set_authentification\":false' $tmp/out"
code=$(req "$READER" GET /c/exchanges/api/stopncii/schema); keep
check "schema: config and credential fields" "[ $code = 200 ] && python3 -c \"
import json; d = json.load(open('$tmp/out'))
c = [f['name'] for f in d['config_schema']['fields']]; k = {f['name']: f['required'] for f in d['credentials_schema']['fields']}
assert 'base_url' in c and 'page_size' in c, c
assert k == {'api_key': True, 'subscription_key': True, 'feedback_key': False}, k\""
code=$(req "$READER" GET /c/exchanges/api/file/schema); keep
check "schema of an API without credentials: credentials_schema null" "[ $code = 200 ] && grep -q '\"credentials_schema\":null' $tmp/out"
code=$(req "$READER" GET /c/exchanges/api/fb_threatexchange/schema); keep
check "schema of ThreatExchange names collab" "[ $code = 200 ] && grep -q '\"collab\"' $tmp/out"
code=$(req "$READER" GET /c/exchanges/api/ncmec/schema); keep
check "NCMEC's schema names negative_reason, optional" "[ $code = 200 ] && [ \"\$(jget '[f[\"required\"] for f in d[\"config_schema\"][\"fields\"] if f[\"name\"] == \"negative_reason\"]')\" = '[False]' ]"

code=$(req "$READER" GET /c/exchanges/api/package/schema); keep
check "the package exchange's schema: trusted_keys, full_url, no credentials" "[ $code = 200 ] && grep -q '\"trusted_keys\"' $tmp/out && grep -q '\"full_url\"' $tmp/out && grep -q '\"credentials_schema\":null' $tmp/out"
PK=RWTGBWbUMjIX6JCznGBuaXToMc0woPmYT4PEcuISGsBJIO70+2e56wKH
code=$(req "$ADMIN" POST /c/exchanges "{\"bank\":\"pk1\",\"api\":\"package\",\"api_json\":{\"base_url\":\"file:///etc\",\"trusted_keys\":[\"$PK\"]}}")
check "a package exchange reading this machine's disk, over HTTP: 400" "[ $code = 400 ] && grep -q 'command line only' $tmp/out"
code=$(req "$ADMIN" POST /c/exchanges "{\"bank\":\"pk1\",\"api\":\"package\",\"api_json\":{\"base_url\":\"https://example.org/p.tar\",\"trusted_keys\":[\"$PK\"],\"full_url\":\"file:///etc\"}}")
check "a file:// full_url over HTTP: 400" "[ $code = 400 ]"
code=$(req "$ADMIN" POST /c/exchanges "{\"bank\":\"pk1\",\"api\":\"package\",\"api_json\":{\"base_url\":\"https://example.org/p.tar\"}}")
check "a package exchange without trusted_keys: 400" "[ $code = 400 ] && grep -q 'needs base_url and trusted_keys' $tmp/out"
code=$(req "$ADMIN" POST /c/exchanges "{\"bank\":\"pk1\",\"api\":\"package\",\"enabled\":false,\"api_json\":{\"base_url\":\"https://example.org/p.tar\",\"trusted_keys\":[\"$PK\"]}}")
check "a package exchange at an https URL over HTTP: 201" "[ $code = 201 ] && grep -q '\"api\":\"package\"' $tmp/out"
SN='{"credential_json":{"api_key":"fk-API-secret","subscription_key":"sub-API-secret"}}'
code=$(req "" POST /c/exchanges/api/stopncii "$SN")
check "no key: 401" "[ $code = 401 ]"
code=$(req "" GET /c/exchanges/api/stopncii)
check "no key, GET: 401" "[ $code = 401 ]"
code=$(req "$READER" POST /c/exchanges/api/stopncii "$SN")
check "a bank:read key cannot set: 403" "[ $code = 403 ]"
code=$(req "$NARROW" POST /c/exchanges/api/stopncii "$SN")
check "an admin key limited to some banks cannot set tenant-wide credentials: 403" "[ $code = 403 ]"
code=$(req "$ADMIN" POST /c/exchanges/api/nope "$SN")
check "an unknown api: 400" "[ $code = 400 ] && grep -q 'no such Exchange API' $tmp/out"
code=$(req "$ADMIN" GET /c/exchanges/api/nope/schema)
check "an unknown api's schema: 400" "[ $code = 400 ]"
code=$(req "$ADMIN" POST /c/exchanges/api/stopncii '{"credential_json":{"api_key":"fk-LEAK-me"')
check "malformed JSON: 400, the body never quoted" "[ $code = 400 ] && ! grep -q LEAK $tmp/out"
deep=$(python3 -c "print('{\"credential_json\":' + '['*5000 + ']'*5000 + '}')")
code=$(req "$ADMIN" POST /c/exchanges/api/stopncii "$deep")
check "deeply nested JSON: 400" "[ $code = 400 ]"
big=$(python3 -c "print('{\"credential_json\":{\"api_key\":\"' + 'a'*40000 + '\",\"subscription_key\":\"s\"}}')")
code=$(req "$ADMIN" POST /c/exchanges/api/stopncii "$big")
check "a huge body: 413" "[ $code = 413 ]"
long=$(python3 -c "print('{\"credential_json\":{\"api_key\":\"' + 'a'*1025 + '\",\"subscription_key\":\"s\"}}')")
code=$(req "$ADMIN" POST /c/exchanges/api/stopncii "$long")
check "a value over the 1024-byte cap: 400" "[ $code = 400 ]"
code=$(req "$ADMIN" POST /c/exchanges/api/stopncii '{"credential_json":{"api_key":"fk\u0000LEAK","subscription_key":"s"}}')
check "a NUL in a value: 400, not quoted" "[ $code = 400 ] && ! grep -q LEAK $tmp/out"
code=$(req "$ADMIN" POST /c/exchanges/api/stopncii '{"credential_json":{"api_key":"fk\r\nX-Injected: LEAK","subscription_key":"s"}}')
check "a CR/LF (header injection) in a value: 400, not quoted" "[ $code = 400 ] && ! grep -q LEAK $tmp/out"
code=$(req "$ADMIN" POST /c/exchanges/api/stopncii '{"credential_json":{"api_key":7,"subscription_key":"s"}}')
check "a value that is not a string: 400" "[ $code = 400 ]"
code=$(req "$ADMIN" POST /c/exchanges/api/stopncii '{"credential_json":{"api_key":"LEAKx","subscription_key":"s","password":"p"}}')
check "a field the API does not take: 400, no value quoted" "[ $code = 400 ] && grep -q password $tmp/out && ! grep -q LEAK $tmp/out"
code=$(req "$ADMIN" POST /c/exchanges/api/stopncii '{"credential_json":{"api_key":"k"}}')
check "a required field missing: 400" "[ $code = 400 ] && grep -q subscription_key $tmp/out"
code=$(req "$ADMIN" POST /c/exchanges/api/stopncii '{"credential_json":"k"}')
check "credential_json not an object: 400" "[ $code = 400 ]"
code=$(req "$ADMIN" POST /c/exchanges/api/stopncii '{"credential_json":{},"extra":1}')
check "an unknown body field: 400" "[ $code = 400 ]"
code=$(req "$ADMIN" POST /c/exchanges/api/file '{"credential_json":{"api_key":"k"}}')
check "credentials for an API that takes none: 400" "[ $code = 400 ]"
check "nothing refused was stored" "[ ! -e $tmp/t.db.exchange-key.api-credentials ]"

code=$(req "$ADMIN" POST /c/exchanges/api/stopncii "$SN"); keep
check "POST sets them: has_set true, not echoed" "[ $code = 200 ] && grep -q '\"has_set_authentification\":true' $tmp/out && ! grep -q API-secret $tmp/out"
code=$(req "$ADMIN" POST /c/exchanges/api/fb_threatexchange '{"credential_json":{"api_key":"TOK-API-secret"}}'); keep
check "and for ThreatExchange" "[ $code = 200 ] && grep -q '\"has_set_authentification\":true' $tmp/out"
code=$(req "$ADMIN" POST /c/exchanges/api/stopncii '{"credential_json":null}'); keep
check "credential_json null changes nothing (HMA)" "[ $code = 200 ] && grep -q '\"has_set_authentification\":true' $tmp/out"
code=$(req "$READER" GET /c/exchanges/api/stopncii); keep
check "GET says set, without the secret" "[ $code = 200 ] && grep -q '\"has_set_authentification\":true' $tmp/out"
check "its credential_status: set, usable, from the API file beside the default key file, no path" "[ \"\$(jget 'd[\"credential_status\"][\"set\"], d[\"credential_status\"][\"usable\"], d[\"credential_status\"][\"source\"], d[\"credential_status\"][\"file\"], d[\"credential_status\"][\"key_file_from\"], d[\"credential_status\"][\"error\"]')\" = 'True True api t.db.exchange-key.api-credentials default None' ] && ! grep -q '$tmp' $tmp/out"
code=$(req "$OTHER" GET /c/exchanges/api/stopncii); keep
check "another tenant's key: not set for its tenant" "[ $code = 200 ] && grep -q '\"has_set_authentification\":false' $tmp/out"
f=$tmp/t.db.exchange-key.api-credentials
check "the credentials file is 0600 and holds no secret in clear" "[ \"\$(stat -c %a $f)\" = 600 ] && ! grep -q 'API-secret' $f"

# Precedence: an exchange with its own credentials uses them; one without uses its API's.
echo "setup and attacks: $(( $(date +%s) - t0 )) s"
code=$(req "$ADMIN" POST /c/exchanges "{\"bank\":\"own\",\"api\":\"stopncii\",\"api_json\":{\"base_url\":\"$M/big/v1\"},\"credentials\":{\"api_key\":\"fk-OWN-secret\",\"subscription_key\":\"s\"}}"); keep
check "an exchange with credentials of its own" "[ $code = 201 ]"
code=$(req "$ADMIN" POST /c/exchanges "{\"bank\":\"te1\",\"api\":\"fb_threatexchange\",\"api_json\":{\"base_url\":\"$M/te\",\"collab\":\"g1\"}}"); keep
check "an exchange without: has_credentials false" "[ $code = 201 ] && grep -q '\"has_credentials\":false' $tmp/out"
for _ in $(seq 1 300); do
    grep -q 'TOK-API-secret' "$tmp/requests.jsonl" 2>/dev/null && grep -q 'fk-OWN-secret' "$tmp/requests.jsonl" && break
    sleep 0.1
done
check "the exchange without credentials fetched with its API's token" "grep -q '\"auth\": \"OAuth TOK-API-secret\"' $tmp/requests.jsonl"
check "the exchange with its own used them, never the API's" "grep -q 'fk-OWN-secret' $tmp/requests.jsonl && ! grep -q 'fk-API-secret' $tmp/requests.jsonl"
echo "fetches seen: $(( $(date +%s) - t0 )) s"
code=$(req "$READER" GET /c/exchanges); keep
check "no answer ever held a secret" "! grep -q -e API-secret -e OWN-secret $tmp/all-replies"

code=$(req "$ADMIN" POST /c/exchanges/api/stopncii '{"credential_json":{}}'); keep
check "{} clears them" "[ $code = 200 ] && grep -q '\"has_set_authentification\":false' $tmp/out"
code=$(req "$READER" GET /c/exchanges/api/fb_threatexchange); keep
check "clearing one API leaves the other" "[ $code = 200 ] && grep -q '\"has_set_authentification\":true' $tmp/out"
code=$(req "$READER" GET /c/exchange/te1); keep
check "an exchange using its API's credentials says so" "[ $code = 200 ] && [ \"\$(jget 'd[\"credential_status\"][\"source\"], d[\"credential_status\"][\"usable\"]')\" = 'api True' ]"
code=$(req "$READER" GET /c/exchange/own); keep
check "an exchange with its own credentials says so" "[ $code = 200 ] && [ \"\$(jget 'd[\"credential_status\"][\"source\"], d[\"credential_status\"][\"usable\"]')\" = 'exchange True' ]"
chmod 644 "$f"
code=$(req "$READER" GET /c/exchanges/api/fb_threatexchange)
check "a credentials file others can read is refused: the status names the file and the fix, not its directory" "[ $code = 200 ] && [ \"\$(jget 'd[\"credential_status\"][\"usable\"]')\" = False ] && grep -q 't.db.exchange-key.api-credentials: the API credentials file must be' $tmp/out && grep -q 'chmod 600' $tmp/out && ! grep -q '$tmp' $tmp/out && grep -q 'chmod 600' $tmp/server.log"
chmod 600 "$f"
code=$(req "$READER" GET /c/exchanges/api/fb_threatexchange)
check "the route keeps going once it is fixed" "[ $code = 200 ] && grep -q '\"has_set_authentification\":true' $tmp/out"
# A sealed value that does not open (the file edited, or sealed with another key file).
cp "$f" "$tmp/creds.bak"
python3 - "$f" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
h = d["tenants"]["default"]["fb_threatexchange"]
d["tenants"]["default"]["fb_threatexchange"] = h[:-2] + ("00" if h[-2:] != "00" else "11")
open(sys.argv[1], "w").write(json.dumps(d))
PY
code=$(req "$READER" GET /c/exchanges/api/fb_threatexchange); keep
check "a sealed value that does not open: set, not usable, the error names the file" "[ $code = 200 ] && [ \"\$(jget 'd[\"credential_status\"][\"set\"], d[\"credential_status\"][\"usable\"]')\" = 'True False' ] && grep -q 't.db.exchange-key.api-credentials: exchange api:fb_threatexchange: stored credentials do not open' $tmp/out"
code=$(req "$READER" GET /c/exchange/te1); keep
check "and the exchange using them says it cannot" "[ $code = 200 ] && [ \"\$(jget 'd[\"credential_status\"][\"source\"], d[\"credential_status\"][\"usable\"]')\" = 'api False' ] && grep -q 'do not open' $tmp/out"
# The server's fetcher opens them by the same rule (exchange_creds_open): its next run of te1
# stops there and records why in the exchange's own status.
for _ in $(seq 1 100); do
    req "$READER" GET /c/exchange/te1 >/dev/null
    jget 'd["last_error"]' | grep -q 'do not open' && break
    sleep 0.1
done
check "the fetcher's run of te1 records that its API's credentials do not open" "jget 'd[\"last_error\"]' | grep -q 'exchange-key.api-credentials: exchange api:fb_threatexchange: stored credentials do not open' && ! grep -q API-secret $tmp/out"
printf 'garbled{' >"$f"
code=$(req "$READER" GET /c/exchanges/api/fb_threatexchange); keep
check "a garbled file: the error names it" "[ $code = 200 ] && grep -q 't.db.exchange-key.api-credentials: not an API credentials file' $tmp/out"
cp "$tmp/creds.bak" "$f"
code=$(req "$READER" GET /c/exchanges/api/fb_threatexchange)
check "restored: usable again" "[ $code = 200 ] && [ \"\$(jget 'd[\"credential_status\"][\"usable\"]')\" = True ]"
check "no answer ever held a secret (statuses included)" "! grep -q -e API-secret -e OWN-secret $tmp/all-replies"
kill -TERM "$server_pid"; wait "$server_pid"; rc=$?; server_pid=
check "the server stops cleanly" "[ $rc -eq 0 ]"
exit $fail
