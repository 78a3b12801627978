#!/usr/bin/env bash
# childguard exchange feedback: the feedback loop end to end over libcurl against a mock exchange
# on loopback (tests/cli/lib/mock_feedback.py, started here on a free port; synthetic hashes).
# NCMEC: an entry fetched, a review item matching it confirmed by a reviewer, one feedback row
# queued; the first PUT answered 503 (reported, the row waits with back-off, a plain --send does
# not resend it early), --send --now delivers it with HTTP Basic and <affirmative/> on the MD5
# fingerprint under our own member id (GET /v2/status), after which nothing is sent again; the
# mock checks every body strictly against the shape of python-threatexchange's NCMEC client; a
# negative without a reason id is refused, one with it sent. ThreatExchange: a false positive
# reacts DISAGREE_WITH_TAGS on the other member's descriptor, never on our own. StopNCII: feedback by hand on an entry, SubmitFeedback with the hash
# and NotBlocked; a 401 reported and kept pending. Never in any request: the content id, the
# reviewer's note or name. `serve` delivers a pending row in the background. Bad input refused
# with exit 2.
# Usage: bash exchange_feedback.sh /path/to/childguard /path/to/source-root
. "$(dirname "${BASH_SOURCE[0]}")/lib/exchange_lib.sh"
ex_test_init "$1" "$2" python3

ex_mock_dated mock_feedback.py
M=$mock_url
MD5A=0123456789abcdef0123456789abcdef
MD5B=11111111111111111111111111111111
requests() { # METHOD: how many requests of that method the mock saw
    grep -c "\"method\": \"$1\"" "$tmp/requests.jsonl" 2>/dev/null || true
}
field() { # FILE FIELD: a number or a plain string field of the first line (compact JSON, no
           # escapes in the values this test reads), without a python start per call
    head -n1 "$1" | grep -o "\"$2\":\(\"[^\"]*\"\|[0-9-]*\)" | head -n1 | sed 's/^"[^"]*"://; s/^"//; s/"$//'
}

# ---- NCMEC: a review decision queues the feedback ----
printf '{"user":"esp-user","password":"pw-synthetic-secret"}' >"$tmp/ncmec.json"
"$CG" exchange add ncmec-x --api ncmec --label csam --credentials "$tmp/ncmec.json" \
    --config "{\"base_url\":\"$M/ncmec\",\"start_time\":$start}" >/dev/null 2>"$tmp/err"
"$CG" exchange fetch ncmec-x --quiet 2>>"$tmp/err"
check "ncmec exchange added and fetched" "[ $? -eq 0 ]"
"$CG" exchange feedback ncmec-x >"$tmp/out" 2>"$tmp/err"
check "an empty queue lists nothing (exit 1)" "[ $? -eq 1 ] && [ ! -s $tmp/out ]"
"$CG" match --json "$MD5A" >"$tmp/match.json" 2>"$tmp/err"
sid=$(python3 -c "import json,sys; print(json.loads(open(sys.argv[1]).readline())['matches'][0]['signal_id'])" "$tmp/match.json")
check "the fetched hash matches" "[ -n \"$sid\" ]"
verdict="{\"content_id\":\"sha256:c0ffee-synthetic\",\"matches\":[{\"bank\":\"ncmec-x\",\"label\":\"csam\",\"kind\":\"block\",\"signal_type\":\"md5\",\"distance\":0,\"signal_id\":$sid,\"low_quality\":false,\"suppressed\":false}]}"
item=$("$CG" review add --content-id sha256:c0ffee-synthetic --kind image --label csam \
    --signal md5:$MD5A --verdict "$verdict" 2>"$tmp/err")
"$CG" review decide "$item" --confirm --reviewer alice --note "NOTE-SYNTHETIC-private" \
    >/dev/null 2>>"$tmp/err"
check "the reviewer confirms the item" "[ $? -eq 0 ]"
"$CG" exchange feedback ncmec-x --json >"$tmp/out" 2>"$tmp/err"
check "one pending row for the entry" "[ $? -eq 0 ] && [ \$(wc -l <$tmp/out) -eq 1 ] && [ \"\$(field $tmp/out key)\" = ncmec:image:42-e1 ] && [ \"\$(field $tmp/out state)\" = pending ] && [ \"\$(field $tmp/out verdict)\" = confirmed ] && [ \"\$(field $tmp/out review_item)\" = \"$item\" ]"

"$CG" exchange feedback ncmec-x --send >"$tmp/out" 2>"$tmp/err"
check "a 503 is reported (exit 2) and the row waits" "[ $? -eq 2 ] && grep -q 503 $tmp/err && grep -q '1 waiting for a retry' $tmp/out"
"$CG" exchange feedback ncmec-x --json >"$tmp/out"
check "attempts 1, the error kept, next attempt in the future" "[ \"\$(field $tmp/out attempts)\" = 1 ] && field $tmp/out last_error | grep -q 503 && [ \$(field $tmp/out next_attempt) -gt $now ]"
"$CG" exchange feedback ncmec-x --send >"$tmp/out" 2>"$tmp/err"
check "a plain --send does not resend before the back-off (exit 1)" "[ $? -eq 1 ] && [ \$(requests PUT) -eq 1 ]"
"$CG" exchange feedback ncmec-x --send --now >"$tmp/out" 2>"$tmp/err"
check "--send --now delivers it (exit 0)" "[ $? -eq 0 ] && grep -q '1 sent' $tmp/out && [ \$(requests PUT) -eq 2 ]"
python3 - "$tmp/requests.jsonl" >"$tmp/shape" 2>&1 <<'PY'
import base64, json, sys
puts = [json.loads(l) for l in open(sys.argv[1]) if '"PUT"' in l]
r = puts[-1]
assert r["path"] == "/ncmec/v2/entries/7/e1/MD5/feedback", r["path"]
assert r["bad"] == "", r["bad"]
assert any(json.loads(l)["path"] == "/ncmec/v2/status" for l in open(sys.argv[1]))
assert r["auth"] == "Basic " + base64.b64encode(b"esp-user:pw-synthetic-secret").decode(), r["auth"]
assert "<affirmative/>" in r["body"] and "<feedbackSubmission" in r["body"], r["body"]
print("shape ok")
PY
check "the PUT has NCMEC's path, HTTP Basic and an affirmative body" "grep -q 'shape ok' $tmp/shape"
"$CG" exchange feedback ncmec-x --state sent >"$tmp/out"
check "the row is sent" "[ \$(wc -l <$tmp/out) -eq 1 ] && grep -q 'sent' $tmp/out"
"$CG" exchange feedback ncmec-x --send --now >"$tmp/out" 2>"$tmp/err"
check "delivered once: nothing more to send (exit 1)" "[ $? -eq 1 ] && [ \$(requests PUT) -eq 2 ]"
# The NCMEC negative and the ThreatExchange reaction through the program: release build only
# (EXCHANGE_FEEDBACK_SHORT, set for the sanitizer build: about 7 s there; their C paths run
# under the sanitizers in test_exchange_feedback). Said, never counted as passed.
if [ -n "${EXCHANGE_FEEDBACK_SHORT:-}" ]; then
    echo "note: NCMEC negative and ThreatExchange reaction checks not run (EXCHANGE_FEEDBACK_SHORT)"
else
"$CG" exchange feedback ncmec-x --entry ncmec:image:42-e1 --false-positive >/dev/null 2>"$tmp/err"
"$CG" exchange feedback ncmec-x --send >"$tmp/out" 2>"$tmp/err"
check "an NCMEC negative without a reason id is refused without a PUT (exit 2)" "[ $? -eq 2 ] && grep -q 'needs a reason id' $tmp/err && [ \$(requests PUT) -eq 2 ]"
"$CG" exchange feedback ncmec-x --reasons >"$tmp/out" 2>"$tmp/err"
check "--reasons lists NCMEC's reason ids for MD5 and PDQ (GET /v2/feedback/TYPE/reasons)" "[ $? -eq 0 ] && [ \$(wc -l <$tmp/out) -eq 4 ] && grep -q '^MD5	01234567-abcd-0123-4567-012345678900	Not the described content' $tmp/out && grep -q '^PDQ	01234567-abcd-0123-4567-0123456789ff	Other' $tmp/out"
"$CG" exchange feedback ncmec-x --reasons --fingerprint PDQ --json >"$tmp/out" 2>"$tmp/err"
check "--reasons --fingerprint PDQ --json" "[ $? -eq 0 ] && [ \$(wc -l <$tmp/out) -eq 2 ] && grep -q '\"fingerprint\":\"PDQ\"' $tmp/out"
"$CG" exchange feedback ncmec-x --reasons --fingerprint SHA1 >/dev/null 2>"$tmp/err"
check "--fingerprint SHA1 refused (exit 2)" "[ $? -eq 2 ] && grep -q 'MD5 or PDQ' $tmp/err"
"$CG" exchange feedback ncmec-x --entry ncmec:image:42-e1 --false-positive \
    --reason 01234567-abcd-0123-4567-00000000dead >/dev/null 2>"$tmp/err"
check "a reason id NCMEC does not list: refused, nothing queued, no PUT" "[ $? -eq 2 ] && grep -q 'is not one NCMEC accepts' $tmp/err && [ \$(\"$CG\" exchange feedback ncmec-x --state pending | wc -l) -eq 0 ] && [ \$(requests PUT) -eq 2 ]"
"$CG" exchange feedback ncmec-x --entry ncmec:image:42-e1 --false-positive \
    --reason 01234567-abcd-0123-4567-012345678900 >/dev/null 2>"$tmp/err"
"$CG" exchange feedback ncmec-x --send >"$tmp/out" 2>"$tmp/err"
check "a negative with a reason id is sent, valid for the strict mock" "[ $? -eq 0 ] && [ \$(requests PUT) -eq 3 ] && tail -n1 $tmp/requests.jsonl | grep -q '<negative><reasonIds><guid>01234567-abcd-0123-4567-012345678900</guid>' && ! grep -q '\"bad\": \"[^\"]' $tmp/requests.jsonl"

# A default negative reason per NCMEC exchange (api_json negative_reason): not an id, or on
# another API, refused when the exchange is added; one NCMEC does not list refused when the
# negative is sent (given up, no PUT), naming the setting and the accepted ids; one it lists
# carried by a negative queued without --reason, valid for the strict mock.
"$CG" exchange add ncmec-markup --api ncmec --label csam --credentials "$tmp/ncmec.json" \
    --config "{\"base_url\":\"$M/ncmec\",\"negative_reason\":\"x</guid><y>\"}" >/dev/null 2>"$tmp/err"
check "a negative_reason that is not a reason id is refused at add (exit 2)" "[ $? -eq 2 ] && grep -q 'negative_reason' $tmp/err && ! \"$CG\" exchange show ncmec-markup >/dev/null 2>&1"
"$CG" exchange add sn-reason --api stopncii --label ncii --credentials "$tmp/ncmec.json" \
    --config "{\"base_url\":\"$M/sn/v1\",\"negative_reason\":\"01234567-abcd-0123-4567-012345678900\"}" >/dev/null 2>"$tmp/err"
check "negative_reason on an exchange that is not NCMEC's is refused (exit 2)" "[ $? -eq 2 ] && grep -q 'ncmec only' $tmp/err"
for spec in ncmec-dead:01234567-abcd-0123-4567-00000000dead ncmec-dflt:01234567-abcd-0123-4567-0123456789ff; do
    "$CG" exchange add "${spec%%:*}" --api ncmec --label csam --credentials "$tmp/ncmec.json" \
        --config "{\"base_url\":\"$M/ncmec\",\"start_time\":$start,\"negative_reason\":\"${spec#*:}\"}" \
        >/dev/null 2>>"$tmp/err"
    "$CG" exchange fetch "${spec%%:*}" --quiet 2>>"$tmp/err"
    "$CG" exchange feedback "${spec%%:*}" --entry ncmec:image:42-e1 --false-positive >/dev/null 2>>"$tmp/err"
done
puts=$(requests PUT)
"$CG" exchange feedback ncmec-dead --send >"$tmp/out" 2>"$tmp/err"
check "a default NCMEC does not list: refused at send, naming the setting and the accepted ids, no PUT" "[ $? -eq 2 ] && grep -q 'api_json negative_reason 01234567-abcd-0123-4567-00000000dead is not one NCMEC lists for MD5' $tmp/err && grep -q '012345678900 (Not the described content' $tmp/err && grep -q '0123456789ff (Other' $tmp/err && [ \$(requests PUT) -eq $puts ] && [ \$(\"$CG\" exchange feedback ncmec-dead --state failed | wc -l) -eq 1 ]"
"$CG" exchange feedback ncmec-dflt --send >"$tmp/out" 2>"$tmp/err"
check "a default NCMEC lists: the negative queued without --reason carries it, valid for the strict mock" "[ $? -eq 0 ] && [ \$(requests PUT) -eq $((puts + 1)) ] && tail -n1 $tmp/requests.jsonl | grep -q '<negative><reasonIds><guid>01234567-abcd-0123-4567-0123456789ff</guid>' && ! grep -q '\"bad\": \"[^\"]' $tmp/requests.jsonl"

# ---- ThreatExchange: a reaction on the other member's descriptor ----
printf '{"api_key":"777|te-token-synthetic-0123456789"}' >"$tmp/te.json"
"$CG" exchange add te-x --api fb_threatexchange --label csam --credentials "$tmp/te.json" \
    --config "{\"base_url\":\"$M/te\",\"collab\":\"g1\"}" >/dev/null 2>>"$tmp/err"
"$CG" exchange fetch te-x --quiet 2>>"$tmp/err"
"$CG" exchange feedback te-x --entry fbte:1001 --false-positive >/dev/null 2>"$tmp/err"
"$CG" exchange feedback te-x --send >"$tmp/out" 2>"$tmp/err"
check "a ThreatExchange false positive is delivered (exit 0)" "[ $? -eq 0 ] && grep -q '1 sent' $tmp/out"
python3 - "$tmp/requests.jsonl" >"$tmp/shape" 2>&1 <<'PY'
import json, sys
te = [json.loads(l) for l in open(sys.argv[1]) if '"/te/' in l and "threat_updates" not in l]
assert [(r["method"], r["path"]) for r in te] == [("GET", "/te/1001?fields=descriptors"), ("POST", "/te/9001")], te
assert te[0]["auth"] == te[1]["auth"] == "OAuth 777|te-token-synthetic-0123456789"
assert te[1]["body"] == "reactions=DISAGREE_WITH_TAGS" and te[1]["bad"] == "", te[1]
print("shape ok")
PY
check "GET the descriptors, POST DISAGREE_WITH_TAGS to 9001 only (9002 is ours), token in the header" "grep -q 'shape ok' $tmp/shape"
fi

# ---- StopNCII: feedback by hand; a 401 ----
printf '{"api_key":"fetch-key","subscription_key":"sub","feedback_key":"fb-key-synthetic"}' >"$tmp/sn.json"
for ex in sn-x:sn sn-deny:deny; do
    "$CG" exchange add "${ex%%:*}" --api stopncii --label ncii --credentials "$tmp/sn.json" \
        --config "{\"base_url\":\"$M/${ex##*:}/v1\"}" >/dev/null 2>>"$tmp/err"
    "$CG" exchange fetch "${ex%%:*}" --quiet 2>>"$tmp/err"
done
"$CG" exchange feedback sn-x --reasons >/dev/null 2>"$tmp/err"
check "--reasons on an exchange that is not NCMEC's refused" "[ $? -eq 2 ] && grep -q \"NCMEC's\" $tmp/err"
"$CG" exchange feedback sn-x --entry stopncii:VideoMD5:$MD5B --false-positive >"$tmp/out" 2>"$tmp/err"
check "feedback by hand prints the row id" "[ $? -eq 0 ] && grep -Eq '^[0-9]+$' $tmp/out"
"$CG" exchange feedback sn-x --send --json >"$tmp/out" 2>"$tmp/err"
check "stopncii feedback sent" "[ $? -eq 0 ] && [ \"\$(field $tmp/out sent)\" = 1 ]"
python3 - "$tmp/requests.jsonl" "$MD5B" >"$tmp/shape" 2>&1 <<'PY'
import json, sys
posts = [json.loads(l) for l in open(sys.argv[1]) if '"POST"' in l]
r = posts[-1]
assert r["path"] == "/sn/v1/SubmitFeedback", r["path"]
assert r["fk"] == "fb-key-synthetic", r["fk"]
b = json.loads(r["body"])
assert b == {"count": 1, "hashFeedbacks": [{"hashValue": sys.argv[2], "feedbackValue": "NotBlocked", "tags": []}]}, b
print("shape ok")
PY
check "SubmitFeedback carries the hash, NotBlocked and the feedback key" "grep -q 'shape ok' $tmp/shape"
"$CG" exchange feedback sn-deny --entry stopncii:VideoMD5:$MD5B --confirmed >/dev/null 2>"$tmp/err"
"$CG" exchange feedback sn-deny --send >"$tmp/out" 2>"$tmp/err"
check "a 401 is reported (exit 2)" "[ $? -eq 2 ] && grep -q 401 $tmp/err"
"$CG" exchange feedback sn-deny --state pending --json >"$tmp/out"
check "the refused row stays pending with the 401" "[ \"\$(field $tmp/out attempts)\" = 1 ] && field $tmp/out last_error | grep -q 401"
check "no credential in any error" "! grep -q 'fb-key-synthetic\|pw-synthetic' $tmp/err $tmp/out"

# ---- serve delivers the queue in the background (after each exchange's fetch run) ----
"$CG" exchange feedback sn-x --entry stopncii:VideoMD5:$MD5B --confirmed >/dev/null 2>"$tmp/err"
posts_before=$(requests POST)
ex_serve '{"exchange_interval": 1, "exchange_run_seconds": 10}' 1
for i in $(seq 1 600); do
    "$CG" exchange feedback sn-x --state pending >/dev/null 2>&1 || break
    kill -0 $server_pid 2>/dev/null || break
    sleep 0.1
done
"$CG" exchange feedback sn-x --state pending >/dev/null 2>&1
check "serve delivered the pending row" "[ $? -eq 1 ] && grep -q '\"exchange_feedback\"' $tmp/server.log"
check "as a Blocked SubmitFeedback to sn-x" "[ \$(requests POST) -gt $posts_before ] && python3 -c 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1]) if \"/sn/v1/SubmitFeedback\" in l][-1]; assert json.loads(r[\"body\"])[\"hashFeedbacks\"][0][\"feedbackValue\"]==\"Blocked\"' $tmp/requests.jsonl"
kill -TERM $server_pid 2>/dev/null
wait $server_pid 2>/dev/null
server_pid=

# ---- nothing but ids and hashes ever left ----
check "no content id, note or reviewer in any request" "! grep -q 'c0ffee\|NOTE-SYNTHETIC\|alice' $tmp/requests.jsonl"

# ---- bad input ----
"$CG" exchange feedback sn-x --entry stopncii:VideoMD5:$MD5B --false-positive \
    --reason "my own words about the image" >/dev/null 2>"$tmp/err"
check "a free-text reason is refused" "[ $? -eq 2 ] && grep -q 'free text never leaves' $tmp/err"
"$CG" exchange feedback sn-x --entry stopncii:VideoMD5:ffff --confirmed >/dev/null 2>"$tmp/err"
check "an unknown entry is refused" "[ $? -eq 2 ] && grep -q 'no record' $tmp/err"
"$CG" exchange feedback sn-x --entry k >/dev/null 2>"$tmp/err"
check "an entry without a verdict is refused" "[ $? -eq 2 ]"
"$CG" exchange feedback sn-x --entry k --confirmed --false-positive >/dev/null 2>"$tmp/err"
check "two verdicts are refused" "[ $? -eq 2 ]"
"$CG" exchange feedback nope >/dev/null 2>"$tmp/err"
check "an unknown exchange is refused" "[ $? -eq 2 ] && grep -q nope $tmp/err"
"$CG" exchange feedback sn-x --state odd >/dev/null 2>"$tmp/err"
check "a bad --state is refused" "[ $? -eq 2 ]"
"$CG" exchange --db "$tmp/t.db" feedback sn-x >/dev/null 2>"$tmp/err"
check "options before feedback get a pointer" "[ $? -eq 2 ] && grep -q 'write feedback first' $tmp/err"
exit $fail
