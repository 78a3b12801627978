#!/usr/bin/env bash
# childguard serve end to end, over real HTTP on loopback: the server is started on a free port
# with a temporary database and audit log, API keys are made with `childguard keys`, and curl
# drives every route. Checked: HMA 1.x shapes (/h, /m, /c, /status), the native /v1 routes
# (scan, messages, review claim/decide/report, audit verify, bank export/import, policy
# reload), auth (no key, bad key, wrong scope, revoked key: 401/403), a per-key rate limit
# (429 + Retry-After), the body limit (413, declared and chunked), malformed bodies and bad
# values (4xx JSON errors, never a crash), a bank change visible to /m/raw_lookup in < 1 s,
# concurrent clients, and SIGTERM under load (exit 0, the audit log still verifies, the
# database still opens).
# Usage: bash serve.sh /path/to/childguard /path/to/source-root [testdata]
set -u
CG=$1
tmp=$(mktemp -d)
[ -n "${SERVE_KEEP:-}" ] && echo "keeping $tmp"
server_pid=
cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
    fi
    [ -n "${SERVE_KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
check() { # description, condition
    if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; head -c 600 "$tmp/out" 2>/dev/null; echo; fi
}
for tool in curl python3 convert; do
    command -v $tool >/dev/null || { echo "SKIPPED: $tool missing"; exit 77; }
done
export CHILDGUARD_DB=$tmp/t.db
export CHILDGUARD_AUDIT_LOG=$tmp/audit.log
export USER=tester

# ---- keys ------------------------------------------------------------------------------------
mkkey() { # name scopes [rate] [holder]
    "$CG" keys create "$1" --scope "$2" ${3:+--rate $3} ${4:+--holder "$4"} 2>"$tmp/err" | grep -m1 '^cgk_'
}
ADMIN=$(mkkey admin all)
HASHER=$(mkkey hasher hash)
MATCHER=$(mkkey matcher match)
READER=$(mkkey reader bank:read)
WRITER=$(mkkey writer bank:write,bank:read)
REVIEWER=$(mkkey reviewer review "" alice)
REVIEWER2=$(mkkey reviewer2 review "" bob)
DIST=$(mkkey dist match,match:distance)
SCANNER=$(mkkey scanner scan)
SLOW=$(mkkey slow match 2)
REVOKED=$(mkkey gone match)
check "keys created" "[ -n \"$ADMIN\" ] && [ -n \"$SLOW\" ] && [ -n \"$REVOKED\" ]"
"$CG" keys revoke gone >/dev/null 2>"$tmp/err"
check "a key revoked" "[ $? -eq 0 ]"

# ---- images (synthetic) -----------------------------------------------------------------------
convert -size 256x256 gradient:red-blue -fill white -draw "rectangle 40,40 140,200" "$tmp/a.png"
convert -size 300x200 plasma:fractal -seed 7 "$tmp/b.jpg" 2>/dev/null ||
    convert -size 300x200 gradient:green-yellow -fill black -draw "circle 150,100 150,160" "$tmp/b.jpg"
convert -size 256x256 gradient:red-blue -fill white -draw "rectangle 40,40 140,200" \
    -fill black -draw "point 10,10" "$tmp/a2.png"
printf 'not an image at all\n' >"$tmp/plain.txt"

# ---- start -----------------------------------------------------------------------------------
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
B="http://127.0.0.1:$port"
"$CG" serve --listen 127.0.0.1:$port --db "$CHILDGUARD_DB" --log "$CHILDGUARD_AUDIT_LOG" \
    --threads 4 --max-body 1048576 --rate 1000 --refresh-ms 200 >"$tmp/server.out" 2>"$tmp/server.log" &
server_pid=$!
up=0
for _ in $(seq 1 300); do
    if curl -s -o /dev/null "$B/status/live" 2>/dev/null; then up=1; break; fi
    kill -0 $server_pid 2>/dev/null || break
    sleep 0.1
done
check "the server comes up" "[ $up -eq 1 ]"
[ $up -eq 1 ] || { cat "$tmp/server.log"; exit 1; }

# req KEY METHOD PATH [curl args...]: body to $tmp/out, status code on stdout.
req() {
    local key=$1 method=$2 path=$3
    shift 3
    if [ -n "$key" ]; then
        curl -s -o "$tmp/out" -w '%{http_code}' -X "$method" -H "Authorization: Bearer $key" "$@" "$B$path"
    else
        curl -s -o "$tmp/out" -w '%{http_code}' -X "$method" "$@" "$B$path"
    fi
}
py() { python3 -c "import json,sys; j=json.load(open('$tmp/out')); $1"; }
is_error() { # status expected, error code (optional)
    [ "$code" = "$1" ] && py "assert set(j) >= {'error','message'}, j${2:+; assert j['error']=='$2', j}"
}

# ---- status ----------------------------------------------------------------------------------
code=$(req "" GET /status)
check "GET /status: 200 I-AM-ALIVE without a key" "[ $code = 200 ] && [ \"\$(cat $tmp/out)\" = I-AM-ALIVE ]"
code=$(req "" GET /status/live)
check "GET /status/live" "[ $code = 200 ] && grep -q I-AM-ALIVE $tmp/out"
# The help page's guidance (routes_ui.c): public, every child-facing topic in vi and en (the
# browser test ui.help checks the page itself, in the release run only).
code=$(req "" GET /ui/guidance.json)
check "GET /ui/guidance.json: the help topics in vi and en without a key" \
    "[ $code = 200 ] && python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); t=d[\"topics\"]; assert {\"grooming\",\"bullying\",\"personal_data\"} <= set(t); assert t[\"grooming\"][\"recipient\"][\"vi\"][\"text\"] and t[\"grooming\"][\"recipient\"][\"en\"][\"text\"]' $tmp/out"

# ---- auth ------------------------------------------------------------------------------------
code=$(req "" GET /c/banks)
check "no key: 401 JSON" "is_error 401 unauthorized"
code=$(req "cgk_1_0000000000000000000000000000000000000000000000000000000000000000" GET /c/banks)
check "wrong secret: 401" "is_error 401 unauthorized"
code=$(req "garbage" GET /c/banks)
check "malformed token: 401" "is_error 401 unauthorized"
code=$(req "$REVOKED" GET "/m/index/status")
check "revoked key: 401" "is_error 401 unauthorized"
code=$(req "$HASHER" GET /c/banks)
check "wrong scope (hash on bank:read): 403" "is_error 403 forbidden"
code=$(req "$READER" POST /c/banks -d '{"name":"NOPE"}')
check "bank:read cannot create a bank: 403" "is_error 403 forbidden"
code=$(curl -s -o "$tmp/out" -w '%{http_code}' -H "X-API-Key: $READER" "$B/c/banks")
check "X-API-Key header accepted" "[ $code = 200 ]"

# ---- hashing (/h) ----------------------------------------------------------------------------
pdq_a=$("$CG" hash "$tmp/a.png" | cut -d, -f1)
md5_a=$(python3 -c "import hashlib; print(hashlib.md5(open('$tmp/a.png','rb').read()).hexdigest())")
code=$(req "$HASHER" POST /h/hash -F "photo=@$tmp/a.png")
check "POST /h/hash multipart: pdq/md5/sha256 as the CLI computes them" \
    "[ $code = 200 ] && py \"assert j['pdq']=='$pdq_a' and j['md5']=='$md5_a' and len(j['sha256'])==64, j\""
code=$(req "$HASHER" POST /h/hash --data-binary "@$tmp/a.png" -H 'Content-Type: application/octet-stream')
check "POST /h/hash raw body" "[ $code = 200 ] && py \"assert j['pdq']=='$pdq_a'\""
code=$(req "$HASHER" POST "/h/hash?types=pdq" -F "photo=@$tmp/a.png")
check "POST /h/hash?types=pdq: only pdq" "[ $code = 200 ] && py \"assert list(j)==['pdq']\""
code=$(req "$HASHER" POST /h/hash --data-binary "@$tmp/plain.txt")
check "POST /h/hash of a non-image: digests only" "[ $code = 200 ] && py \"assert 'pdq' not in j and 'md5' in j\""
code=$(req "$HASHER" GET "/h/hash?url=http://169.254.169.254/latest")
check "GET /h/hash?url=: 400, no fetch" "is_error 400 url_fetch_disabled"
code=$(req "$HASHER" POST /h/hash)
check "POST /h/hash without content: 400" "is_error 400"
code=$(req "$HASHER" POST /h/hash -F "photo=@$tmp/a.png" -F "photo=@$tmp/b.jpg")
check "two files: 400" "is_error 400"
head -c 3000 /dev/urandom >"$tmp/junk.png"; printf '\x89PNG\r\n\x1a\n' | cat - "$tmp/junk.png" >"$tmp/bad.png"
code=$(req "$HASHER" POST /h/hash -F "photo=@$tmp/bad.png")
check "a corrupt PNG: 422 JSON" "is_error 422"

# ---- limits ----------------------------------------------------------------------------------
head -c 1100000 /dev/zero >"$tmp/big.bin"
code=$(req "$HASHER" POST /h/hash --data-binary "@$tmp/big.bin")
check "body over --max-body: 413 JSON" "is_error 413 payload_too_large"
code=$(req "$HASHER" POST /h/hash -H 'Transfer-Encoding: chunked' --data-binary "@$tmp/big.bin")
check "chunked body over --max-body: 413 JSON" "is_error 413 payload_too_large"

# ---- curation (/c) ---------------------------------------------------------------------------
code=$(req "$WRITER" POST /c/banks -d '{"name":"TEST_BANK","label":"csam"}')
check "POST /c/banks: 201 BankConfig" "[ $code = 201 ] && py \"assert j['name']=='TEST_BANK' and j['matching_enabled_ratio']==1.0 and j['label']=='csam'\""
code=$(req "$WRITER" POST /c/banks -d '{"name":"TEST_BANK"}')
check "POST /c/banks twice: 403 (HMA)" "is_error 403"
code=$(req "$WRITER" POST /c/banks -d '{"name":"bad name!"}')
check "invalid bank name: 400" "is_error 400"
code=$(req "$WRITER" POST /c/banks -d '{"name":')
check "malformed JSON: 400" "is_error 400 bad_json"
code=$(req "$WRITER" POST /c/banks -d '[1,2]')
check "JSON that is not an object: 400" "is_error 400 bad_json"
code=$(req "$WRITER" POST /c/banks -d '{"name":"OTHER_BANK","enabled":false}')
check "a second, disabled bank" "[ $code = 201 ] && py \"assert j['enabled'] is False and j['matching_enabled_ratio']==0\""
code=$(req "$READER" GET /c/banks)
check "GET /c/banks lists both" "[ $code = 200 ] && py \"assert [b['name'] for b in j]==['OTHER_BANK','TEST_BANK']\""
code=$(req "$READER" GET /c/bank/TEST_BANK)
check "GET /c/bank/NAME" "[ $code = 200 ] && py \"assert j['name']=='TEST_BANK'\""
code=$(req "$READER" GET /c/bank/NO_SUCH)
check "unknown bank: 404 JSON" "is_error 404 bank_not_found"
code=$(req "$WRITER" PUT /c/bank/OTHER_BANK -d '{"enabled":true,"description":"d"}')
check "PUT /c/bank/NAME" "[ $code = 200 ] && py \"assert j['enabled'] is True and j['description']=='d'\""
code=$(req "$WRITER" PUT /c/bank/OTHER_BANK -d '{"enabled_ratio":0.5}')
check "fractional enabled_ratio: 400" "is_error 400"
code=$(req "$WRITER" POST /c/bank/TEST_BANK/content -F "photo=@$tmp/a.png")
check "POST /c/bank/NAME/content (upload): id + signals" "[ $code = 200 ] && py \"assert j['signals']['pdq']=='$pdq_a' and j['signals']['md5']=='$md5_a' and j['id']==j['ids']['pdq']\""
content_a=$(py "print(j['id'])")
code=$(req "$WRITER" POST /c/bank/TEST_BANK/signal -d '{"md5":"0123456789abcdef0123456789abcdef"}')
check "POST /c/bank/NAME/signal (HMA shape)" "[ $code = 200 ] && py \"assert j['signals']=={'md5':'0123456789abcdef0123456789abcdef'}\""
md5_id=$(py "print(j['id'])")
code=$(req "$WRITER" POST /c/bank/TEST_BANK/signal -d '{"signal_type":"md5","value":"fedcba9876543210fedcba9876543210"}')
check "POST /c/bank/NAME/signal (signal_type + value)" "[ $code = 200 ] && py \"assert 'md5' in j['ids']\""
code=$(req "$WRITER" POST /c/bank/TEST_BANK/signal -d '{"pdq":"xyz"}')
check "bad hex: 400" "is_error 400 bad_signal"
code=$(req "$WRITER" POST /c/bank/TEST_BANK/signal -d '{"nosuch":"00"}')
check "unknown signal type: 400" "is_error 400 bad_signal_type"
code=$(req "$WRITER" POST /c/bank/NO_SUCH/signal -d '{"md5":"0123456789abcdef0123456789abcdef"}')
check "signal into an unknown bank: 404" "is_error 404"
code=$(req "$READER" GET "/c/bank/TEST_BANK/content/$content_a?include_signals=true")
check "GET content: HMA BankContentResponse" "[ $code = 200 ] && py \"assert j['id']==$content_a and j['bank']['name']=='TEST_BANK' and j['signals']=={'pdq':'$pdq_a'} and j['disable_until_ts']==0\""
code=$(req "$READER" GET "/c/bank/OTHER_BANK/content/$content_a")
check "content of another bank: 404" "is_error 404"
code=$(req "$READER" GET "/c/bank/TEST_BANK/content/abc")
check "non-numeric content id: 404" "is_error 404"

# ---- matching (/m) ---------------------------------------------------------------------------
code=$(req "$MATCHER" GET "/m/raw_lookup?signal_type=pdq&signal=$pdq_a")
check "GET /m/raw_lookup: {matches: [id]}" "[ $code = 200 ] && py \"assert j=={'matches':[$content_a]}, j\""
code=$(req "$DIST" GET "/m/raw_lookup?signal_type=pdq&signal=$pdq_a&include_distance=true")
check "raw_lookup include_distance (match:distance)" "[ $code = 200 ] && py \"assert j=={'matches':[{'bank_content_id':$content_a,'distance':'0'}]}, j\""
code=$(req "$MATCHER" GET "/m/raw_lookup?signal_type=pdq&signal=$pdq_a&include_distance=true")
check "include_distance without match:distance: 403" "is_error 403 forbidden"
code=$(req "$MATCHER" GET "/m/raw_lookup?signal_type=pdq&signal=$pdq_a&banks=OTHER_BANK")
check "raw_lookup banks= filters" "[ $code = 200 ] && py \"assert j=={'matches':[]}\""
code=$(req "$MATCHER" GET "/m/raw_lookup?signal_type=pdq&signal=$pdq_a&banks=NO_SUCH")
check "raw_lookup unknown bank: 400" "is_error 400 unknown_bank"
code=$(req "$MATCHER" GET "/m/raw_lookup?signal_type=pdq&signal=1234")
check "raw_lookup bad hex: 400" "is_error 400 bad_signal"
code=$(req "$MATCHER" GET "/m/raw_lookup?signal_type=nope&signal=1234")
check "raw_lookup unknown type: 400" "is_error 400 bad_signal_type"
code=$(req "$DIST" GET "/m/lookup?signal_type=pdq&signal=$pdq_a")
check "GET /m/lookup: {bank: [{bank_content_id, distance}]}" "[ $code = 200 ] && py \"assert j=={'TEST_BANK':[{'bank_content_id':$content_a,'distance':'0'}]}, j\""
code=$(req "$MATCHER" GET "/m/lookup?signal_type=pdq&signal=$pdq_a")
check "GET /m/lookup without match:distance: no distances" "[ $code = 200 ] && py \"assert j=={'TEST_BANK':[{'bank_content_id':$content_a}]}, j\""
code=$(req "$MATCHER" GET "/m/lookup?url=http://example.com/x.jpg")
check "GET /m/lookup?url=: 400, no fetch" "is_error 400 url_fetch_disabled"
code=$(req "$DIST" POST "/m/lookup" -F "photo=@$tmp/a2.png")
check "POST /m/lookup (file): near match by pdq, keyed by signal type" "[ $code = 200 ] && py \"m=j['pdq']['TEST_BANK'][0]; assert m['bank_content_id']==$content_a and int(m['distance'])<=31 and j['md5']=={}, j\""
code=$(req "$MATCHER" GET "/m/index/status")
check "GET /m/index/status" "[ $code = 200 ] && py \"p=j['pdq']; assert p['present'] is True and p['size']==1 and p['built_to']>0 and j['md5']['size']==3, j\""
code=$(req "$MATCHER" POST /m/compare -d "{\"pdq\":[\"$pdq_a\",\"$pdq_a\"]}")
check "POST /m/compare" "[ $code = 200 ] && py \"assert j=={'pdq':[True,{'distance':0}]}, j\""
code=$(req "$MATCHER" POST /m/compare -d '{"pdq":["00"]}')
check "compare with one hash: 400" "is_error 400"

# A bank change through the API is visible to lookups in under a second.
pdq_new=$(python3 -c "import random; random.seed(5); print('%064x' % random.getrandbits(256))")
code=$(req "$WRITER" POST /c/bank/OTHER_BANK/signal -d "{\"pdq\":\"$pdq_new\"}")
t0=$(date +%s.%N)
seen=0
for _ in $(seq 1 40); do
    c=$(curl -s -H "Authorization: Bearer $MATCHER" "$B/m/raw_lookup?signal_type=pdq&signal=$pdq_new")
    case $c in *'[]'*) sleep 0.025 ;; *) seen=1; break ;; esac
done
t1=$(date +%s.%N)
elapsed=$(python3 -c "print(round($t1 - $t0, 3))")
echo "   (new signal visible after ${elapsed}s)"
check "a bank change is visible to /m/raw_lookup in < 1 s" "[ $seen = 1 ] && python3 -c 'assert $elapsed < 1.0'"
new_id=$(curl -s -H "Authorization: Bearer $MATCHER" "$B/m/raw_lookup?signal_type=pdq&signal=$pdq_new" | python3 -c 'import json,sys; print(json.load(sys.stdin)["matches"][0])')
code=$(req "$WRITER" PUT "/c/bank/OTHER_BANK/content/$new_id" -d "{\"disable_until_ts\": $(( $(date +%s) + 3600 ))}")
check "PUT content disable_until_ts" "[ $code = 200 ] && py \"assert j['disable_until_ts']>0\""
code=$(req "$WRITER" PUT "/c/bank/OTHER_BANK/content/$new_id" -d '{"disable_until_ts": -1}')
check "negative disable_until_ts: 400" "is_error 400"
code=$(req "$WRITER" DELETE "/c/bank/OTHER_BANK/content/$new_id")
check "DELETE content: {deleted: 1}" "[ $code = 200 ] && py \"assert j=={'deleted':1}\""

# ---- rate limit ------------------------------------------------------------------------------
codes=""
# 12 requests at once against a bucket of 2 refilled at 2/s: some must be refused however slow
# the machine (sequential requests on a slow build could each find a refilled token).
codes=$(seq 1 12 | xargs -P 12 -I{} curl -s -D "$tmp/hdr.{}" -o "$tmp/out.{}" -w '%{http_code} ' -H "Authorization: Bearer $SLOW" "$B/m/index/status")
refused=$(grep -l '^HTTP/1.1 429' "$tmp"/hdr.* 2>/dev/null | head -1)
[ -n "$refused" ] && cp "$refused" "$tmp/hdr" && cp "$tmp/out.${refused##*.}" "$tmp/out"
check "a key limited to 2/s gets 429 with Retry-After" "[ -n \"$refused\" ] && grep -qi '^Retry-After: [0-9]' $tmp/hdr && py \"assert j['error']=='rate_limited'\""

# ---- native API (/v1) ------------------------------------------------------------------------
code=$(req "$SCANNER" POST /v1/scan --data-binary "@$tmp/a.png")
check "POST /v1/scan (raw): verdict with the bank match" "[ $code = 200 ] && py \"assert j['kind']=='image' and j['signals']['pdq']=='$pdq_a' and j['matches'][0]['bank']=='TEST_BANK' and 'decision' in j, j\""
code=$(req "$SCANNER" POST /v1/scan -F "file=@$tmp/b.jpg")
check "POST /v1/scan (multipart): verdict named by the upload" "[ $code = 200 ] && py \"assert j['name']=='b.jpg' and j['matches']==[], j\""
code=$(req "$SCANNER" POST /v1/messages -d '{"conversation":"c1","id":"1","sender":"adult","recipient":"kid","ts_ms":1700000000000,"text":"you are so mature for your age. dont tell your parents about us"}')
check "POST /v1/messages: message verdict" "[ $code = 200 ] && py \"assert j['kind']=='message' and j['text']['conversation']=='c1', j\""
code=$(req "$SCANNER" POST /v1/messages -d '{"conversation":"c1","id":"2","sender":"adult","recipient":"kid","ts_ms":1700000060000,"text":"send me a photo of you, our secret"}')
check "the conversation state carries over" "[ $code = 200 ] && py \"assert j['text']['message_id']=='2'\""
code=$(req "$SCANNER" POST /v1/messages -d '{"conversation":"c1"}')
check "message without text: 400" "is_error 400"
code=$(req "$SCANNER" POST /v1/messages -d '{"text": 5}')
check "text not a string: 400" "is_error 400"
code=$(req "$REVIEWER" GET "/v1/review?state=pending")
check "GET /v1/review?state=pending lists the queued scan" "[ $code = 200 ] && py \"assert j['counts']['pending']>=1 and j['items'][0]['state']=='pending'\""
item=$(py "print(j['items'][0]['id'])")
code=$(req "$REVIEWER" GET "/v1/review?state=bogus")
check "unknown review state: 400" "is_error 400"
code=$(req "$REVIEWER" POST "/v1/review/$item/claim")
check "claim: the reviewer is the key's holder" "[ $code = 200 ] && py \"assert j['state']=='claimed' and j['reviewer']=='alice'\""
code=$(req "$REVIEWER2" POST "/v1/review/$item/claim")
check "a second reviewer's claim: 409, without naming the holder" "is_error 409 && ! grep -q alice $tmp/out"
code=$(req "$REVIEWER" POST "/v1/review/$item/decide" -d '{"state":"confirmed","note":"seen"}')
check "decide" "[ $code = 200 ] && py \"assert j['state']=='confirmed'\""
code=$(req "$REVIEWER" POST "/v1/review/$item/decide" -d '{"state":"maybe"}')
check "decide with a bad state: 400" "is_error 400"
code=$(req "$REVIEWER" GET "/v1/review/$item/report?format=json")
check "report draft as JSON" "[ $code = 200 ] && py \"assert j['draft'] is True\""
code=$(req "$REVIEWER" GET "/v1/review/$item/report?format=ncmec-xml")
check "report draft as NCMEC XML" "[ $code = 200 ] && grep -q '<report' $tmp/out"
code=$(req "$REVIEWER" GET "/v1/review/999/report?format=json")
check "report of a missing item: 404" "is_error 404"
code=$(req "$REVIEWER" GET "/v1/audit/verify")
check "audit verify needs admin: 403" "is_error 403"
code=$(req "$ADMIN" GET "/v1/audit/verify")
check "GET /v1/audit/verify" "[ $code = 200 ] && py \"assert j['ok'] is True and j['records']>0\""
code=$(req "$READER" GET "/v1/banks/TEST_BANK/export?format=csv")
check "export (streamed CSV)" "[ $code = 200 ] && head -1 $tmp/out | grep -q '^signal_type,signal' && grep -q $pdq_a $tmp/out"
printf 'md5,signal\n' >/dev/null
printf '%s\n' 00000000000000000000000000000001 00000000000000000000000000000002 zz >"$tmp/list.txt"
code=$(req "$WRITER" POST "/v1/banks/OTHER_BANK/import?format=lines&type=md5" --data-binary "@$tmp/list.txt")
check "import: added 2, rejected 1" "[ $code = 200 ] && py \"assert j['added']==2 and j['rejected']==1, j\""
code=$(req "$WRITER" POST "/v1/banks/NO_SUCH/import?format=lines" --data-binary "@$tmp/list.txt")
check "import into an unknown bank: 404" "is_error 404"
code=$(req "$ADMIN" POST /v1/policy/reload)
check "POST /v1/policy/reload" "[ $code = 200 ] && py \"assert j['reloaded'] is True\""
code=$(req "$MATCHER" GET "/m/raw_lookup?signal_type=pdq&signal=$pdq_a")
check "lookups work after a reload" "[ $code = 200 ] && py \"assert j['matches']==[$content_a]\""
code=$(req "$ADMIN" GET /no/such/route)
check "unknown route: 404 JSON" "is_error 404 not_found"
code=$(req "$ADMIN" PATCH /c/banks)
check "wrong method: 405 JSON" "is_error 405"
code=$(req "$WRITER" DELETE /c/bank/NO_SUCH)
check "DELETE an unknown bank: 404" "is_error 404"

# ---- concurrency -----------------------------------------------------------------------------
seq 1 200 | xargs -P 8 -I{} curl -s -o /dev/null -w '%{http_code}\n' \
    -H "Authorization: Bearer $ADMIN" "$B/m/raw_lookup?signal_type=pdq&signal=$pdq_a" >"$tmp/codes"
check "200 concurrent lookups from 8 clients: all 200" "[ \$(grep -c '^200$' $tmp/codes) -eq 200 ]"
seq 1 64 | xargs -P 8 -I{} sh -c "curl -s -o /dev/null -w '%{http_code}\n' -H 'Authorization: Bearer $ADMIN' -d \"{\\\"md5\\\":\\\"\$(printf '%032x' {})\\\"}\" $B/c/bank/OTHER_BANK/signal" >"$tmp/codes"
check "64 concurrent bank writes from 8 clients: all 200" "[ \$(grep -c '^200$' $tmp/codes) -eq 64 ]"

code=$(req "$WRITER" DELETE /c/bank/TEST_BANK)
check "DELETE /c/bank/NAME" "[ $code = 200 ] && py \"assert j=={'message':'Done'}\""

# ---- logs ------------------------------------------------------------------------------------
check "one JSON log line per request (method, path, status, ms, key)" \
    "python3 -c \"
import json
n = 0
for line in open('$tmp/server.log'):
    j = json.loads(line)
    if 'method' in j:
        assert {'method','path','status','ms','key'} <= set(j), j
        n += 1
assert n > 100, n
\""

# ---- SIGTERM under load ----------------------------------------------------------------------
# The load stops once the server is gone (the stop file), so a busy machine does not spend a
# minute on requests to a closed port.
( seq 1000 1600 | xargs -P 8 -I{} sh -c "[ -e $tmp/stop ] && exit 0; curl -s -o /dev/null -H 'Authorization: Bearer $ADMIN' -d \"{\\\"md5\\\":\\\"\$(printf '%032x' {})\\\"}\" $B/c/bank/OTHER_BANK/signal; curl -s -o /dev/null -H 'Authorization: Bearer $ADMIN' '$B/m/raw_lookup?signal_type=pdq&signal=$pdq_a'" ) >/dev/null 2>&1 &
load=$!
sleep 1
kill -TERM $server_pid
wait $server_pid
rc=$?
server_pid=
touch "$tmp/stop"
wait $load 2>/dev/null
check "SIGTERM under load: the server exits 0" "[ $rc -eq 0 ]"
check "the shutdown is logged as clean" "grep -q '\"event\":\"stopped\"' $tmp/server.log"
check "no sanitizer or crash report" "! grep -qiE 'AddressSanitizer|runtime error|LeakSanitizer' $tmp/server.log"
"$CG" audit verify --log "$CHILDGUARD_AUDIT_LOG" >"$tmp/out" 2>&1
check "the audit log verifies after the shutdown" "[ $? -eq 0 ]"
"$CG" bank list >"$tmp/out" 2>&1
check "the database opens after the shutdown" "[ $? -eq 0 ] && grep -q OTHER_BANK $tmp/out"

[ $fail -eq 0 ] && echo "all serve checks passed"
exit $fail
