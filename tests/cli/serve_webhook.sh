#!/usr/bin/env bash
# childguard serve: notify actions become signed webhooks that survive failures and restarts.
# A synthetic sextortion conversation (tests/text/fixtures/sextortion_en.jsonl, written for
# tests) is posted to /v1/messages; the default policy notifies the guardian. A local receiver
# (python3) first answers 500 (the delivery is retried with back-off), the server is then
# stopped with the entry still pending, the receiver starts answering 200, the server comes back
# and delivers it: exactly the payload (ids and decision, no message text), signed with
# HMAC-SHA256 over "<timestamp>.<body>". /metrics shows the deliveries and the outbox.
# Usage: bash serve_webhook.sh /path/to/childguard /path/to/source-root [testdata]
set -u
CG=$1
ROOT=$2
. "$(dirname "${BASH_SOURCE[0]}")/lib/serve_common.sh"
cg_test_init curl python3

# The receiver: records every POST (headers + body) as a JSON line; answers with the status in
# $tmp/answer (500 or 200).
cat >"$tmp/recv.py" <<'PY'
import http.server, json, sys
out, answer = sys.argv[2], sys.argv[3]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        code = int(open(answer).read().strip())
        with open(out, "a") as f:
            f.write(json.dumps({"code": code, "path": self.path, "headers": dict(self.headers),
                                "body": body.decode()}) + "\n")
        self.send_response(code); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
rport=$(free_port)
echo 500 >"$tmp/answer"
python3 "$tmp/recv.py" "$rport" "$tmp/got.jsonl" "$tmp/answer" &
recv_pid=$!
cg_track $recv_pid

cat >"$tmp/serve.json" <<EOF2
{"webhooks": [{"target": "guardian", "url": "http://127.0.0.1:$rport/hook", "secret": "s3cret-for-tests",
               "allow_plain_http": true}],
 "webhook_poll_ms": 100, "webhook_backoff_s": 1, "webhook_max_attempts": 50, "outbox_max_pending": 1}
EOF2
# Refused configurations (issue 13.11): an unsigned webhook, and plain http:// without
# allow_plain_http. The server does not start.
cat >"$tmp/unsigned.json" <<EOF2
{"webhooks": [{"target": "guardian", "url": "https://127.0.0.1:$rport/hook"}]}
EOF2
cat >"$tmp/plain.json" <<EOF2
{"webhooks": [{"target": "guardian", "url": "http://127.0.0.1:$rport/hook", "secret": "x"}]}
EOF2
ADMIN=$("$CG" keys create admin --scope all 2>/dev/null | grep -m1 '^cgk_')
check "an admin key" "[ -n \"$ADMIN\" ]"

port=$(free_port)
B="http://127.0.0.1:$port"
timeout 20 "$CG" serve --config "$tmp/unsigned.json" --listen 127.0.0.1:$port --db "$CHILDGUARD_DB" >/dev/null 2>"$tmp/refused"
check "an unsigned webhook is refused at start" "[ $? -eq 2 ] && grep -q 'secret' $tmp/refused"
timeout 20 "$CG" serve --config "$tmp/plain.json" --listen 127.0.0.1:$port --db "$CHILDGUARD_DB" >/dev/null 2>"$tmp/refused"
check "an http:// webhook without allow_plain_http is refused at start" "[ $? -eq 2 ] && grep -q 'https://' $tmp/refused"
start() {
    "$CG" serve --config "$tmp/serve.json" --listen 127.0.0.1:$port --db "$CHILDGUARD_DB" \
        --log "$CHILDGUARD_AUDIT_LOG" --threads 2 >>"$tmp/server.out" 2>>"$tmp/server.log" &
    server_pid=$!
    cg_wait_live "$B" "$server_pid"
}
stop() { kill -TERM "$server_pid"; wait "$server_pid"; local rc=$?; server_pid=; return $rc; }
check "the server comes up with the webhook config" "start"

python3 - "$ROOT/tests/text/fixtures/sextortion_en.jsonl" "$tmp/msgs" <<'PY'
import json, sys, os
os.makedirs(sys.argv[2], exist_ok=True)
for i, l in enumerate(open(sys.argv[1])):
    if l.strip():
        open("%s/%02d.json" % (sys.argv[2], i), "w").write(l)
PY
last=
notifies=0
for f in "$tmp"/msgs/*.json; do
    last=$(curl -s -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
        --data-binary @"$f" "$B/v1/messages")
    case $last in *'"notify"'*) notifies=$((notifies + 1)) ;; esac
done
echo "$last" >"$tmp/last.json"
check "the conversation's last verdict notifies the guardian" \
    "python3 -c \"import json; v=json.load(open('$tmp/last.json')); assert any(a['action']=='notify' and a.get('target')=='guardian' for a in v['decision']['actions']), v['decision']\""

# Failures are retried (the receiver answers 500): wait for at least two attempts.
for _ in $(seq 1 100); do
    [ "$(grep -c . "$tmp/got.jsonl" 2>/dev/null || echo 0)" -ge 2 ] && break
    sleep 0.1
done
check "a failed delivery is retried with back-off" "[ \$(grep -c '\"code\": 500' $tmp/got.jsonl) -ge 2 ]"
code=$(curl -s -o "$tmp/metrics" -w '%{http_code}' -H "Authorization: Bearer $ADMIN" "$B/metrics")
check "/metrics counts failed deliveries and a pending outbox entry" \
    "[ $code = 200 ] && grep -q 'childguard_webhook_deliveries_total{result=\"failed\"} [1-9]' $tmp/metrics && grep -q 'childguard_outbox_entries{state=\"pending\"} [1-9]' $tmp/metrics"
echo "   ($notifies verdicts notified; outbox_max_pending 1)"
check "the outbox is bounded: one entry pending, the others dropped and counted" \
    "grep -q 'childguard_outbox_entries{state=\"pending\"} 1\$' $tmp/metrics && { [ $notifies -le 1 ] || grep -q 'childguard_events_total{event=\"outbox_full\"} [1-9]' $tmp/metrics; }"
check "/metrics has request counts and latency histograms" \
    "grep -q 'childguard_http_requests_total{route=\"/v1/messages\",code=\"2xx\"}' $tmp/metrics && grep -q 'childguard_http_request_duration_seconds_bucket' $tmp/metrics && grep -q 'childguard_index_signals' $tmp/metrics"
code=$(curl -s -o /dev/null -w '%{http_code}' "$B/metrics")
check "/metrics needs a key" "[ $code = 401 ]"

# A restart with the entry still pending loses nothing.
check "SIGTERM: the server stops cleanly" "stop"
echo 200 >"$tmp/answer"
n_before=$(grep -c . "$tmp/got.jsonl")
check "the server comes back" "start"
for _ in $(seq 1 100); do
    grep -q '"code": 200' "$tmp/got.jsonl" && break
    sleep 0.1
done
check "after the restart the pending notification is delivered" "grep -q '\"code\": 200' $tmp/got.jsonl"
python3 - "$tmp/got.jsonl" "$ROOT/tests/text/fixtures/sextortion_en.jsonl" >"$tmp/verify.out" 2>&1 <<'PY'
import hmac, hashlib, json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
ok = [r for r in rows if r["code"] == 200]
ids = [r["headers"]["X-Childguard-Delivery"] for r in ok]
assert ok and len(ids) == len(set(ids)), "an entry delivered twice: %s" % ids
assert set(ids) == {r["headers"]["X-Childguard-Delivery"] for r in rows}, "an entry never delivered"
texts = [json.loads(l)["text"] for l in open(sys.argv[2]) if l.strip()]
for r in ok:
    h = {k.lower(): v for k, v in r["headers"].items()}
    body = r["body"]
    mac = hmac.new(b"s3cret-for-tests", ("%s.%s" % (h["x-childguard-timestamp"], body)).encode(), hashlib.sha256).hexdigest()
    assert h["x-childguard-signature"] == "sha256=" + mac, "bad signature"
    assert h["x-childguard-target"] == "guardian"
    p = json.loads(body)
    assert p["target"] == "guardian" and p["content_id"].startswith("msg:s1/") and "notify" in p["actions"], p
    assert p["tenant"] == "default", p
    assert not any(t in body for t in texts), "message text in the payload"
print("verified")
PY
check "each delivery is signed (HMAC-SHA256), carries ids and the decision, never message text" \
    "grep -q verified $tmp/verify.out || { cat $tmp/verify.out; false; }"
sleep 0.5
check "and no entry is delivered twice (the outbox marks them)" "python3 -c \"import json; ids=[json.loads(l)['headers']['X-Childguard-Delivery'] for l in open('$tmp/got.jsonl') if json.loads(l)['code']==200]; assert len(ids)==len(set(ids))\""
check "SIGTERM again" "stop"
exit $fail
