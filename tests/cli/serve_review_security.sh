#!/usr/bin/env bash
# childguard serve: who may change what is blocked, and who may see what (issue 13 items 1, 4,
# 6, 7, 8, 9). Each attack of the security review is replayed over real HTTP on loopback against
# a server this script starts, and shown to do no harm:
#   1  a review-only key cannot act as another reviewer nor write a bank; allow-listing content
#      of a csam match takes two different reviewers (and the content stays blocked until the
#      second); escalated items need review:senior; an admin key acting for a reviewer is
#      audited as both; the audit actor is api:<key id>(<holder>);
#   4  a second tenant neither reads nor alters another tenant's conversation state, review
#      items or report drafts; the conversation table is bounded (evictions in /metrics);
#   6  every report draft and preview handed out over HTTP is in the audit log first;
#   7  a revoked key is refused on its next request, even with a one-hour key cache;
#   8  error replies carry neither the database path nor reviewer names (the log has them);
#   9  a key limited to some banks cannot probe the others, and sees distances only with
#      match:distance.
# Fixtures: synthetic images drawn by ImageMagick; synthetic messages written for tests.
# Usage: bash serve_review_security.sh /path/to/childguard /path/to/source-root [testdata]
set -u
CG=$1
. "$(dirname "${BASH_SOURCE[0]}")/lib/serve_common.sh"
cg_test_init curl python3 convert
mkkey() { # name scopes holder [tenant] [banks]
    "$CG" keys create "$1" --scope "$2" --holder "$3" ${4:+--tenant "$4"} ${5:+--banks "$5"} 2>/dev/null | grep -m1 '^cgk_'
}
keyid() { echo "$1" | cut -d_ -f2; }

ADMIN=$(mkkey admin all root)
SCANNER=$(mkkey scanner scan scanner)
MALLORY=$(mkkey mallory review mallory)
ALICE=$(mkkey alice review,bank:write alice)
BOB=$(mkkey bob review,bank:write bob)
CAROL=$(mkkey carol review:senior,bank:write carol)
SCAN_A=$(mkkey acme-scan scan acme-ingest acme)
REVIEW_A=$(mkkey acme-review review acme-reviewer acme)
SCAN_B=$(mkkey globex-scan scan globex-ingest globex)
REVIEW_B=$(mkkey globex-review review,bank:write globex-reviewer globex)
MATCHER=$(mkkey matcher match matcher)
LIMITED=$(mkkey limited match,bank:read,scan partner "" fp_allow)
check "keys with holders, tenants and a bank list" "[ -n \"$ADMIN\" ] && [ -n \"$LIMITED\" ] && [ -n \"$REVIEW_B\" ]"

convert -size 256x256 gradient:red-blue -fill white -draw "rectangle 40,40 140,200" "$tmp/a.png"
convert -size 256x256 gradient:green-yellow -fill black -draw "circle 128,128 128,200" "$tmp/b.png"
convert -size 256x256 gradient:white-black -fill red -draw "rectangle 20,100 230,150" "$tmp/c.png"

port=$(free_port)
B="http://127.0.0.1:$port"
cat >"$tmp/serve.json" <<EOF2
{"key_cache": 3600, "max_conversations": 3}
EOF2
"$CG" serve --config "$tmp/serve.json" --listen 127.0.0.1:$port --db "$CHILDGUARD_DB" \
    --log "$CHILDGUARD_AUDIT_LOG" --threads 2 --refresh-ms 100 >"$tmp/server.out" 2>"$tmp/server.log" &
server_pid=$!
up=0
cg_wait_live "$B" "$server_pid" && up=1
check "the server comes up" "[ $up -eq 1 ]"
[ $up -eq 1 ] || { cat "$tmp/server.log"; exit 1; }

req() { # KEY METHOD PATH [curl args...]: body to $tmp/out, status on stdout
    local key=$1 method=$2 path=$3
    shift 3
    curl -s -o "$tmp/out" -w '%{http_code}' -X "$method" -H "Authorization: Bearer $key" "$@" "$B$path"
}
py() { python3 -c "import json,sys; j=json.load(open('$tmp/out')); $1"; }
audit_has() { # python condition on r (each audit record, data parsed into r['data'])
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
blocked() { # file key: 0 when a scan of the file is blocked
    curl -s -H "Authorization: Bearer $2" --data-binary "@$1" "$B/v1/scan" |
        python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["decision"]["blocked"] else 1)'
}

# ---- banks and the items to review (default tenant) ----------------------------------------------
code=$(req "$ADMIN" POST /c/banks -d '{"name":"csam_hashes","label":"csam"}')
check "a csam block bank" "[ $code = 201 ]"
code=$(req "$ADMIN" POST /c/banks -d '{"name":"fp_allow","kind":"allow","label":"reviewed"}')
check "an allow bank" "[ $code = 201 ]"
for f in a b c; do
    code=$(req "$ADMIN" POST /c/bank/csam_hashes/content -F "photo=@$tmp/$f.png")
    [ "$code" = 200 ] || echo "adding $f: $code"
done
sleep 0.5
for f in a b c; do
    code=$(req "$SCANNER" POST /v1/scan --data-binary "@$tmp/$f.png")
    [ "$code" = 200 ] || echo "scanning $f: $code"
done
code=$(req "$ALICE" GET "/v1/review?state=pending")
check "three scans of known content queued three items" "[ $code = 200 ] && py \"assert j['counts']['pending']==3, j['counts']\""
ids=$(py "print(' '.join(str(i['id']) for i in sorted(j['items'], key=lambda i: i['id'])))")
set -- $ids
ITEM_A=$1 ITEM_B=$2 ITEM_C=$3

# ---- item 1: reviewer identity, bank:write, two reviewers ---------------------------------------
code=$(req "$MALLORY" POST "/v1/review/$ITEM_A/claim" -d '{"reviewer":"alice"}')
check "a review key cannot claim as someone else (403)" "[ $code = 403 ]"
code=$(req "$MALLORY" POST "/v1/review/$ITEM_A/decide" -d '{"reviewer":"alice","state":"false_positive","bank":"fp_allow"}')
check "nor decide as someone else (403)" "[ $code = 403 ]"
code=$(req "$MALLORY" POST "/v1/review/$ITEM_A/decide" -d '{"state":"false_positive","bank":"fp_allow"}')
check "a decision into a bank needs bank:write besides review (403)" "[ $code = 403 ] && grep -q bank:write $tmp/out"
check "the content is still blocked" "blocked $tmp/a.png $SCANNER"
code=$(req "$ALICE" POST "/v1/review/$ITEM_A/claim")
check "alice claims as herself" "[ $code = 200 ] && py \"assert j['reviewer']=='alice'\""
code=$(req "$ALICE" POST "/v1/review/$ITEM_A/decide" -d '{"state":"false_positive","bank":"fp_allow","note":"benign"}')
check "alice's false positive on a csam match is only a proposal (item pending again)" \
    "[ $code = 200 ] && py \"assert j['state']=='pending' and j['proposal']['by']=='alice' and j['proposal']['bank']=='fp_allow' and j['bank_signal_count']==0, j\""
code=$(req "$ADMIN" GET "/v1/banks/fp_allow/export?format=csv")
check "the proposal added nothing to the allow bank" "[ $code = 200 ] && ! grep -q 'review:' $tmp/out"
check "the content is still blocked after the proposal" "blocked $tmp/a.png $SCANNER"
code=$(req "$ALICE" POST "/v1/review/$ITEM_A/decide" -d '{"state":"false_positive","bank":"fp_allow"}')
check "alice cannot confirm her own proposal (409)" "[ $code = 409 ]"
code=$(req "$BOB" POST "/v1/review/$ITEM_A/decide" -d '{"state":"false_positive","bank":"fp_allow"}')
check "bob, a second reviewer, confirms it" \
    "[ $code = 200 ] && py \"assert j['state']=='false_positive' and j['reviewer']=='bob' and j['confirmed_by']=='bob' and j['proposal']['by']=='alice' and j['bank_signal_count']>0, j\""
code=$(req "$ADMIN" GET "/v1/banks/fp_allow/export?format=csv")
check "now the allow bank holds the item's signals" "[ $code = 200 ] && grep -q 'review:$ITEM_A' $tmp/out"
ok=0
for _ in $(seq 1 300); do blocked "$tmp/a.png" "$SCANNER" || { ok=1; break; }; sleep 0.1; done
check "and the content is allow-listed" "[ $ok -eq 1 ]"
check "the audit records name the key and its holder: api:<id>(alice) proposed, api:<id>(bob) decided" \
    "audit_has \"r['actor']=='api:$(keyid "$ALICE")(alice)' and r['data'].get('action')=='propose'\" && audit_has \"r['actor']=='api:$(keyid "$BOB")(bob)' and r['data'].get('action')=='decide' and r['data'].get('proposed_by')=='alice'\""

code=$(req "$ALICE" POST "/v1/review/$ITEM_B/decide" -d '{"state":"escalated","note":"unsure"}')
check "alice escalates item B" "[ $code = 200 ] && py \"assert j['state']=='escalated'\""
code=$(req "$BOB" POST "/v1/review/$ITEM_B/decide" -d '{"state":"confirmed","bank":"csam_hashes"}')
check "an escalated item cannot be decided without review:senior (403)" "[ $code = 403 ] && grep -q review:senior $tmp/out"
code=$(req "$CAROL" POST "/v1/review/$ITEM_B/decide" -d '{"state":"confirmed","bank":"csam_hashes"}')
check "a senior reviewer decides it" "[ $code = 200 ] && py \"assert j['state']=='confirmed' and j['reviewer']=='carol'\""

code=$(req "$ADMIN" POST "/v1/review/$ITEM_C/claim" -d '{"reviewer":"dana"}')
check "an admin key may act for a named reviewer" "[ $code = 200 ] && py \"assert j['reviewer']=='dana'\""
check "and that is audited as both (actor: the admin key; reviewer: dana)" \
    "audit_has \"r['actor']=='api:$(keyid "$ADMIN")(root)' and r['data'].get('reviewer')=='dana' and r['data'].get('action')=='claim'\""

# ---- item 8: generic errors ------------------------------------------------------------------------
code=$(req "$ALICE" POST "/v1/review/$ITEM_A/decide" -d '{"state":"confirmed"}')
rid=$(py "print(j.get('request', 0))")
check "an error reply names neither the database path nor a reviewer" \
    "[ $code = 400 ] && ! grep -q '$tmp' $tmp/out && ! grep -q bob $tmp/out && ! grep -q '\\.db' $tmp/out"
check "the server log has the details under the request id" \
    "grep '\"request\":$rid,' $tmp/server.log | grep -q 'already decided'"

# ---- item 6: report drafts and previews are audited --------------------------------------------------
code=$(req "$BOB" GET "/v1/review/$ITEM_B/report?format=json")
sha=$(python3 -c "import hashlib; print(hashlib.sha256(open('$tmp/out','rb').read()).hexdigest())")
check "a report draft over HTTP is audited with its SHA-256 and the key" \
    "[ $code = 200 ] && audit_has \"r['kind']=='report_draft' and r['data']['sha256']=='$sha' and r['actor']=='api:$(keyid "$BOB")(bob)' and r['subject']=='review:$ITEM_B'\""
PREVIEW_ITEM=$("$CG" review add --content-id sha256:preview-test --kind image --label other \
    --preview-from "$tmp/c.png" 2>"$tmp/err")
code=$(req "$ALICE" GET "/v1/review/$PREVIEW_ITEM/preview")
sha=$(python3 -c "import hashlib; print(hashlib.sha256(open('$tmp/out','rb').read()).hexdigest())")
check "a preview shown over HTTP is audited with its SHA-256" \
    "[ $code = 200 ] && head -c 2 $tmp/out | grep -q P5 && audit_has \"r['kind']=='review_preview' and r['data']['sha256']=='$sha' and r['actor']=='api:$(keyid "$ALICE")(alice)'\""

# ---- item 4: tenants ---------------------------------------------------------------------------------
msg() { # key conversation id text
    curl -s -o "$tmp/out" -w '%{http_code}' -H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
        -d "{\"conversation\":\"$2\",\"id\":\"$3\",\"sender\":\"adult\",\"recipient\":\"kid\",\"ts_ms\":$((1700000000000 + $3 * 60000)),\"text\":\"$4\"}" "$B/v1/messages"
}
msg "$SCAN_A" c1 1 "you are so mature for your age. dont tell your parents about us" >/dev/null
msg "$SCAN_A" c1 2 "send me a photo of you, our secret. are you alone right now?" >/dev/null
code=$(msg "$SCAN_A" c1 3 "lets meet after school, i can pick you up. delete this chat")
risk_a=$(py "print(j['text']['risk']['grooming'])")
code=$(msg "$SCAN_B" c1 1 "hello, how was the match yesterday?")
risk_b=$(py "print(j['text']['risk']['grooming'])")
echo "   (grooming risk: acme c1 $risk_a, globex c1 $risk_b)"
check "another tenant posting to the same conversation id starts from nothing" \
    "python3 -c 'assert $risk_a > 0.3 and $risk_b < 0.1'"
code=$(req "$SCAN_A" POST /v1/scan --data-binary "@$tmp/b.png")
code=$(req "$REVIEW_A" GET "/v1/review")
check "acme's reviewers see acme's items" "[ $code = 200 ] && py \"assert j['counts']['pending']>=1 and j['items']\""
ACME_ITEM=$(py "print(j['items'][0]['id'])")
code=$(req "$REVIEW_B" GET "/v1/review")
check "globex's reviewers see none of acme's items" "[ $code = 200 ] && py \"assert all(i['id']!=$ACME_ITEM for i in j['items'])\""
code=$(req "$REVIEW_B" GET "/v1/review/$ACME_ITEM")
check "nor read one (404)" "[ $code = 404 ]"
code=$(req "$REVIEW_B" POST "/v1/review/$ACME_ITEM/claim")
check "nor claim it (404)" "[ $code = 404 ]"
code=$(req "$REVIEW_B" POST "/v1/review/$ACME_ITEM/decide" -d '{"state":"false_positive"}')
check "nor decide it (404)" "[ $code = 404 ]"
code=$(req "$REVIEW_B" GET "/v1/review/$ACME_ITEM/report?format=json")
check "nor draft its report (404)" "[ $code = 404 ]"
code=$(req "$ALICE" GET "/v1/review/$ACME_ITEM")
check "the default tenant does not see it either" "[ $code = 404 ]"
code=$(req "$REVIEW_A" GET "/v1/review/$ACME_ITEM")
check "acme's item is unchanged" "[ $code = 200 ] && py \"assert j['state']=='pending'\""
for i in 1 2 3 4 5 6 7 8; do msg "$SCANNER" "many-$i" 1 "hi there" >/dev/null; done
curl -s -H "Authorization: Bearer $ADMIN" "$B/metrics" >"$tmp/metrics"
check "the conversation table is bounded (max 3) and evictions are counted" \
    "[ \$(awk '\$1==\"childguard_conversations\" {print \$2}' $tmp/metrics) -le 3 ] && [ \$(awk '\$1==\"childguard_conversations_evicted_total\" {print \$2}' $tmp/metrics) -ge 7 ]"

# ---- item 9: bank permissions, distances --------------------------------------------------------------
pdq_a=$("$CG" hash "$tmp/a.png" | cut -d, -f1)
code=$(req "$MATCHER" GET "/m/raw_lookup?signal_type=pdq&signal=$pdq_a")
check "a match key finds the csam bank's signal" "[ $code = 200 ] && py \"assert len(j['matches'])>=1\""
code=$(req "$LIMITED" GET "/m/raw_lookup?signal_type=pdq&signal=$pdq_a&banks=csam_hashes")
check "a key limited to fp_allow cannot name csam_hashes (as if it did not exist)" "[ $code = 400 ] && py \"assert j['error']=='unknown_bank'\""
code=$(req "$LIMITED" GET "/m/lookup?signal_type=pdq&signal=$pdq_a")
check "its lookups return only its banks' matches, without distances" "[ $code = 200 ] && py \"assert 'csam_hashes' not in j and all('distance' not in m for v in j.values() for m in v), j\""
code=$(req "$LIMITED" GET /c/banks)
check "its bank list shows only fp_allow" "[ $code = 200 ] && py \"assert [b['name'] for b in j]==['fp_allow'], j\""
code=$(req "$LIMITED" GET /c/bank/csam_hashes)
check "the other bank is 404 to it" "[ $code = 404 ]"
code=$(req "$LIMITED" POST /v1/scan --data-binary "@$tmp/c.png")
check "its scan verdicts leave other banks' matches out, and every distance" \
    "[ $code = 200 ] && py \"assert all(m['bank']=='fp_allow' for m in j['matches']) and 'distance' not in json.dumps(j['matches']), j['matches']\""

# ---- item 7: revocation on the next request -------------------------------------------------------------
code1=$(req "$MATCHER" GET /m/index/status)
code2=$(req "$MATCHER" GET /m/index/status)
"$CG" keys revoke matcher >/dev/null 2>&1
code3=$(req "$MATCHER" GET /m/index/status)
check "a revoked key is refused on its very next request (key cache of an hour)" "[ $code1 = 200 ] && [ $code2 = 200 ] && [ $code3 = 401 ]"
if command -v sqlite3 >/dev/null; then
    code1=$(req "$LIMITED" GET "/m/index/status")
    sqlite3 "$CHILDGUARD_DB" "UPDATE api_keys SET scopes = 1 WHERE name = 'limited'"
    code2=$(req "$LIMITED" GET "/m/index/status")
    check "a scope taken away by any writer (here the sqlite3 shell) counts on the next request" "[ $code1 = 200 ] && [ $code2 = 403 ]"
fi

kill -TERM $server_pid
wait $server_pid
rc=$?
server_pid=
check "the server stops cleanly" "[ $rc -eq 0 ]"
check "no sanitizer or crash report" "! grep -qiE 'AddressSanitizer|runtime error|LeakSanitizer' $tmp/server.log"
"$CG" audit verify --log "$CHILDGUARD_AUDIT_LOG" >/dev/null 2>&1
check "the audit log verifies" "[ $? -eq 0 ]"
if command -v sqlite3 >/dev/null; then
    # A CLI process revoked a key while the server had many connections open: nothing lost.
    check "the database passes integrity_check" "[ \"\$(sqlite3 $CHILDGUARD_DB 'pragma integrity_check')\" = ok ]"
fi
[ $fail -eq 0 ] && echo "all serve review-security checks passed"
exit $fail
