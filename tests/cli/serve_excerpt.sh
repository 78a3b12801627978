#!/usr/bin/env bash
# childguard serve: text review items keep a conversation excerpt only when the policy turns
# text quarantine on, and GET /v1/review/<id>/excerpt hands it only to the reviewer of the same
# tenant who claimed the item, audited first (docs/review.md "Text excerpts", docs/api.md).
# Attacks replayed over real HTTP on loopback against a server this script starts: no key (401),
# a key without the review scope (403), another tenant's item (404, as if it did not exist), an
# item with no excerpt (404), malformed item ids (400), a reviewer who has not claimed it (409);
# `review add --excerpt` refuses hostile files with a clear error. The messages are synthetic,
# written for tests.
# Usage: bash serve_excerpt.sh /path/to/childguard /path/to/source-root
set -u
CG=$1
SRC=$2
. "$(dirname "${BASH_SOURCE[0]}")/lib/serve_common.sh"
cg_test_init curl python3
mkkey() { # name scopes holder [tenant]
    "$CG" keys create "$1" --scope "$2" --holder "$3" ${4:+--tenant "$4"} 2>/dev/null | grep -m1 '^cgk_'
}
keyid() { echo "$1" | cut -d_ -f2; }

SCAN_A=$(mkkey acme-scan scan acme-ingest acme)
ANA=$(mkkey ana review ana acme)
BO=$(mkkey bo review bo acme)
HASH_A=$(mkkey acme-hash hash svc acme)
REVIEW_B=$(mkkey globex-review review gina globex)
check "keys" "[ -n \"$SCAN_A\" ] && [ -n \"$ANA\" ] && [ -n \"$REVIEW_B\" ]"

# The shipped policy with text quarantine on (7 days, at most 4 messages, 2 KiB of text).
python3 - "$SRC/data/policy/default.json" "$tmp/policy.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["quarantine"] = {"text": {"enabled": True, "max_messages": 4, "max_bytes": 2048, "retention_days": 7}}
json.dump(p, open(sys.argv[2], "w"))
PY

port=$(free_port)
B="http://127.0.0.1:$port"
"$CG" serve --listen 127.0.0.1:$port --db "$CHILDGUARD_DB" --log "$CHILDGUARD_AUDIT_LOG" \
    --policy "$tmp/policy.json" --threads 2 >"$tmp/server.out" 2>"$tmp/server.log" &
server_pid=$!
up=0
cg_wait_live "$B" "$server_pid" && up=1
check "the server comes up with text quarantine on" "[ $up -eq 1 ]"
[ $up -eq 1 ] || { cat "$tmp/server.log"; exit 1; }

req() { # KEY METHOD PATH [curl args...]: body to $tmp/out, status on stdout
    local key=$1 method=$2 path=$3
    shift 3
    curl -s -o "$tmp/out" -w '%{http_code}' -X "$method" -H "Authorization: Bearer $key" "$@" "$B$path"
}
py() { python3 -c "import json,sys; j=json.load(open('$tmp/out')); $1"; }
msg() { # key conversation id text
    python3 -c 'import json,sys; print(json.dumps({"conversation": sys.argv[1], "id": sys.argv[2], "sender": "adult", "recipient": "kid", "ts_ms": 1700000000000 + int(sys.argv[2]) * 60000, "text": sys.argv[3]}))' "$2" "$3" "$4" >"$tmp/msg.json"
    curl -s -o "$tmp/out" -w '%{http_code}' -H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
        --data-binary "@$tmp/msg.json" "$B/v1/messages"
}

i=0
while IFS= read -r line; do
    i=$((i + 1))
    code=$(msg "$SCAN_A" c1 $i "$line")
done <<'MSGS'
hey, you're so mature for your age
what did you have for lunch today
I understand you better than your parents do
are you alone right now? are your parents home?
this is our little secret, don't tell anyone. delete this chat ok
add me on snap, it's more private
let's meet after school, I can pick you up
MSGS
ITEM=$(py "print(j.get('review_id') or 0)")
check "the conversation went to review (item $ITEM)" "[ $code = 200 ] && [ \"$ITEM\" -gt 0 ]"

code=$(req "$ANA" GET "/v1/review/$ITEM/excerpt")
check "before the claim: 409" "[ $code = 409 ]"
code=$(req "$ANA" GET "/v1/review/$ITEM")
check "the item says it has an excerpt (has_excerpt), without showing it" "[ $code = 200 ] && py \"assert j['has_excerpt'] is True and 'excerpt' not in j\""
code=$(req "$ANA" GET "/v1/review")
check "the list says so too" "[ $code = 200 ] && py \"assert [i['has_excerpt'] for i in j['items'] if i['id']==$ITEM] == [True]\""
code=$(req "$ANA" POST "/v1/review/$ITEM/claim" -d '{}')
check "ana claims the item" "[ $code = 200 ]"
before=$(grep -c review_excerpt "$CHILDGUARD_AUDIT_LOG")
code=$(req "$ANA" GET "/v1/review/$ITEM/excerpt")
check "the claimant gets the excerpt" "[ $code = 200 ] && py \"assert j['version']==1 and j['offsets']=='utf8_bytes' and j['conversation']=='c1'\""
check "it holds the newest messages with evidence, as sent, and not the one without" \
    "py \"t=[m['text'] for m in j['messages']]; assert t[-1]==\\\"let's meet after school, I can pick you up\\\" and not any('lunch' in x for x in t), t\""
check "every span lies inside its message, with a harm" \
    "py \"assert all(0<=s['start']<s['end']<=len(m['text'].encode()) and s['harm'] for m in j['messages'] for s in m['spans']) and any(m['spans'] for m in j['messages'])\""
check "within the policy's caps (4 messages, 2048 bytes)" \
    "py \"assert len(j['messages'])<=4 and sum(len(m['text'].encode()) for m in j['messages'])<=2048\""
sha=$(python3 -c "import hashlib; print(hashlib.sha256(open('$tmp/out','rb').read()).hexdigest())")
audit_has() {
    python3 - "$CHILDGUARD_AUDIT_LOG" "$1" <<'PY'
import json, sys
cond = sys.argv[2]
for line in open(sys.argv[1]):
    r = json.loads(line)
    d = r.get("data")
    if isinstance(d, str):
        try:
            r["data"] = json.loads(d)
        except ValueError:
            pass
    elif d is None:
        r["data"] = {}
    if eval(cond):
        sys.exit(0)
sys.exit(1)
PY
}
check "the hand-out is audited: who, which item, the SHA-256 of what was sent" \
    "audit_has \"r['kind']=='review_excerpt' and r['subject']=='review:$ITEM' and r['actor']=='api:$(keyid "$ANA")(ana)' and r['data']['sha256']=='$sha' and r['data']['tenant']=='acme'\""
check "one audit record per hand-out" "[ \$(grep -c review_excerpt $CHILDGUARD_AUDIT_LOG) -eq \$((before + 1)) ]"
check "keeping the excerpt was audited too (action excerpt)" \
    "audit_has \"r['kind']=='review' and r['data'].get('action')=='excerpt' and r['data']['item']==$ITEM\""
code=$(req "$ANA" GET "/v1/review/$ITEM")
check "the item and its verdict JSON still hold no message text" \
    "[ $code = 200 ] && ! grep -q 'meet after school' $tmp/out"

# ---- attacks
code=$(curl -s -o "$tmp/out" -w '%{http_code}' "$B/v1/review/$ITEM/excerpt")
check "no key: 401" "[ $code = 401 ]"
code=$(req "$HASH_A" GET "/v1/review/$ITEM/excerpt")
check "a key without the review scope: 403" "[ $code = 403 ]"
code=$(req "$REVIEW_B" GET "/v1/review/$ITEM/excerpt")
check "another tenant's reviewer: 404, as if there were no item" "[ $code = 404 ] && ! grep -q 'meet' $tmp/out"
code=$(req "$BO" GET "/v1/review/$ITEM/excerpt")
check "a reviewer of the same tenant who has not claimed it: 409" "[ $code = 409 ] && ! grep -q 'meet' $tmp/out"
for bad in 0 -1 abc 1x 0x10 1.0 +$ITEM 0$ITEM%20 99999999999999999999 "$ITEM$ITEM$ITEM$ITEM$ITEM$ITEM$ITEM$ITEM$ITEM$ITEM$ITEM$ITEM$ITEM$ITEM$ITEM$ITEM$ITEM$ITEM$ITEM"; do
    code=$(req "$ANA" GET "/v1/review/$bad/excerpt")
    check "malformed item id '$bad': 400" "[ $code = 400 ]"
done
code=$(req "$ANA" GET "/v1/review/123456789/excerpt")
check "an item that does not exist: 404" "[ $code = 404 ]"
# An admin key of the tenant may look whoever holds the item, and also when nobody does (unlike
# a preview's reveal, which needs a claimed item even for an admin: review_held.c).
ADM=$(mkkey acme-admin admin adm acme)
code=$(req "$ADM" GET "/v1/review/$ITEM/excerpt")
check "an admin key while ana holds the item: 200" "[ $code = 200 ] && grep -q 'meet' $tmp/out"
code=$(req "$ANA" POST "/v1/review/$ITEM/release" -d '{}')
check "ana releases the item" "[ $code = 200 ]"
code=$(req "$ADM" GET "/v1/review/$ITEM/excerpt")
check "an admin key on the unclaimed item: 200" "[ $code = 200 ]"
code=$(req "$ANA" GET "/v1/review/$ITEM/excerpt")
check "ana after releasing it: 409" "[ $code = 409 ] && ! grep -q 'meet' $tmp/out"
code=$(req "$ADM" GET "/v1/review/$ITEM/reveal?level=1")
check "an admin key's reveal of an unclaimed item: 409 (previews need a claim)" "[ $code = 409 ]"

# An item without an excerpt (added by hand, no --excerpt; the default tenant): 404 even for
# the reviewer who claimed it.
DORA=$(mkkey dora review dora)
PLAIN=$("$CG" review add --content-id conv:plain --kind message --label grooming)
code=$(req "$DORA" POST "/v1/review/$PLAIN/claim" -d '{}')
check "dora claims the plain item" "[ $code = 200 ]"
code=$(req "$DORA" GET "/v1/review/$PLAIN/excerpt")
check "no excerpt stored: 404" "[ $code = 404 ]"
code=$(req "$DORA" GET "/v1/review/$PLAIN")
check "... and the item says has_excerpt false" "[ $code = 200 ] && py \"assert j['has_excerpt'] is False\""

# ---- review add --excerpt: hostile files refused, nothing stored
printf '{"version":1,"messages":[{"id":"1","text":"a\xffb"}]}' >"$tmp/bad-utf8.json"
printf '{"version":1,"messages":[{"id":"1","text":"abc","spans":[{"start":0,"end":99,"harm":"grooming"}]}]}' >"$tmp/bad-span.json"
python3 -c 'import json; print(json.dumps({"version":1,"messages":[{"id":str(i),"text":"x"} for i in range(40)]}))' >"$tmp/many.json"
for f in bad-utf8 bad-span many; do
    out=$("$CG" review add --content-id "conv:$f" --kind message --label grooming --excerpt "$tmp/$f.json" 2>"$tmp/err")
    rc=$?
    check "review add --excerpt $f: exit 2 with a message naming the item" "[ $rc -eq 2 ] && grep -q 'review item' $tmp/err && grep -q 'excerpt' $tmp/err"
done
"$CG" review add --content-id conv:x --kind message --label grooming --excerpt "$tmp/nonexistent.json" 2>"$tmp/err"
check "review add --excerpt of a missing file: exit 2 naming it" "[ $? -eq 2 ] && grep -q nonexistent $tmp/err"
"$CG" review add --content-id conv:y --kind message --label grooming --excerpt "$tmp/many.json" --retention-days 0 2>"$tmp/err"
check "--retention-days 0 is refused" "[ $? -eq 2 ] && grep -q retention $tmp/err"

kill -TERM $server_pid
wait $server_pid
rc=$?
server_pid=
check "the server stops cleanly" "[ $rc -eq 0 ]"
check "no sanitizer or crash report" "! grep -qiE 'AddressSanitizer|runtime error|LeakSanitizer' $tmp/server.log"
out=$("$CG" review purge-excerpts)
check "purge-excerpts: nothing has expired yet" "[ \"$out\" = '0 expired excerpts deleted' ]"
if command -v sqlite3 >/dev/null; then
    sqlite3 "$CHILDGUARD_DB" "UPDATE review_excerpts SET expires = 1 WHERE item_id = $ITEM"
    out=$("$CG" review purge-excerpts --json)
    check "purge-excerpts deletes an expired excerpt" \
        '[ "$out" = "{\"purged\":1}" ] && [ $(sqlite3 "$CHILDGUARD_DB" "SELECT count(*) FROM review_excerpts") -eq 0 ]'
fi
"$CG" audit verify --log "$CHILDGUARD_AUDIT_LOG" >/dev/null 2>&1
check "the audit log verifies" "[ $? -eq 0 ]"
[ $fail -eq 0 ] && echo "all serve excerpt checks passed"
exit $fail
