#!/usr/bin/env bash
# childguard serve --queue (docs/queue.md): POST /v1/jobs hands content (or a path) to
# `childguard worker` through a real nats-server with JetStream started here on free loopback
# ports, over TLS with client certificates (a CA and certificates made here with openssl; serve
# and the worker take theirs from CHILDGUARD_NATS_*, as in docs/scale.md); GET /v1/jobs/<id>
# answers the state and then the verdict. Attacks: no key, a key without the scan scope,
# another tenant's job ids, ids that are not ids, bodies over the limit (declared and chunked),
# a bad callback; the synchronous /v1/scan keeps working. TLS failures fail fast (exit 2, a
# message naming the URL; run side by side): a client certificate of another CA, a server
# whose certificate does not name the host dialled, a CA that did not sign the server's, no
# client certificate, a certificate that may not publish jobs, serve trusting another CA;
# and serve exits 0 on SIGTERM after TLS (no crash in OpenSSL's exit handler). The test's own
# timeout bounds every wait. Synthetic content only.
# Usage: bash serve_queue.sh /path/to/childguard /path/to/source-root [testdata]
set -u
CG=$1
. "$(dirname "${BASH_SOURCE[0]}")/lib/queue_lib.sh"
queue_test_init nats-server curl python3 sqlite3 openssl

printf 'synthetic queued upload one\n' >"$tmp/one.bin"
mkdir -p "$tmp/root"
printf 'synthetic queued file by path\n' >"$tmp/root/two.bin"
"$CG" bank create known --label csam >/dev/null 2>&1
md5sum "$tmp/one.bin" "$tmp/root/two.bin" | cut -d' ' -f1 >"$tmp/md5.txt"
"$CG" bank import known --type md5 "$tmp/md5.txt" >/dev/null 2>&1
A=$("$CG" keys create scanner-a --scope scan --tenant alpha 2>/dev/null | grep -m1 '^cgk_')
B=$("$CG" keys create scanner-b --scope scan --tenant beta 2>/dev/null | grep -m1 '^cgk_')
R=$("$CG" keys create reviewer --scope review --tenant alpha 2>/dev/null | grep -m1 '^cgk_')
check "keys of two tenants and a review-only key" "[ -n \"$A\" ] && [ -n \"$B\" ] && [ -n \"$R\" ]"

# TLS: the server's certificate names 127.0.0.1 only (so tls://localhost is a mismatch); the
# server requires a client certificate of its CA and maps its subject to a user with the
# permissions of contrib/nats/cluster-common.conf (the worker's may not publish jobs).
T=$tmp/tls
queue_tls_ca "$T" ca && queue_tls_ca "$T" other-ca &&
    queue_tls_cert "$T" server nats-server "IP:127.0.0.1" &&
    queue_tls_cert "$T" client childguard-serve "DNS:serve" &&
    queue_tls_cert "$T" worker childguard-worker "DNS:worker" &&
    queue_tls_cert "$T" stranger childguard-serve "DNS:stranger" other-ca
check "a CA, the server's and clients' certificates made with openssl" "[ \$? -eq 0 ]"
cat >"$tmp/nats-tls.conf" <<EOF
tls { cert_file: "$T/server.crt", key_file: "$T/server.key", ca_file: "$T/ca.crt"
      verify_and_map: true, timeout: 2 }
authorization {
  users = [
    { user: "CN=childguard-serve",
      permissions: { publish: ["CG_JOBS.jobs", "\$JS.API.>"], subscribe: ["_INBOX.>"] } }
    { user: "CN=childguard-worker",
      permissions: { publish: ["CG_JOBS.results", "CG_JOBS.dead", "\$JS.API.>", "\$JS.ACK.>"],
                     subscribe: ["_INBOX.>"] } }
  ]
}
EOF
port=$(free_port)
mport=$(free_port)
U=nats://127.0.0.1:$port
pids+=("$(nats_start n1 "$port" "$mport" -c "$tmp/nats-tls.conf")")
export CHILDGUARD_NATS_CA=$T/ca.crt CHILDGUARD_NATS_CERT=$T/client.crt CHILDGUARD_NATS_KEY=$T/client.key
hport=$(free_port)
H="http://127.0.0.1:$hport"
"$CG" serve --queue --nats "$U" --listen 127.0.0.1:$hport --threads 2 --max-body 65536 \
    --no-classify >"$tmp/serve.out" 2>"$tmp/serve.log" &
pids+=("$!")
for _ in $(seq 1 300); do curl -s -o /dev/null "$H/status/live" && break; sleep 0.1; done
check "serve --queue is up (NATS over TLS with its client certificate)" "curl -s -o /dev/null $H/status/live"
spid=${pids[-1]}
"$CG" serve --queue --listen 127.0.0.1:1 >/dev/null 2>"$tmp/err"
check "--queue without --nats: exit 2" "[ \$? -eq 2 ] && grep -q -- '--nats' $tmp/err"

code() { curl -s -o "$tmp/body" -w '%{http_code}' "$@"; }
# ---- attacks before anything is queued ----
check "POST /v1/jobs without a key: 401" "[ \$(code -X POST --data-binary @$tmp/one.bin $H/v1/jobs) = 401 ]"
check "POST /v1/jobs with a review-only key: 403" \
    "[ \$(code -H 'Authorization: Bearer $R' -X POST --data-binary @$tmp/one.bin $H/v1/jobs) = 403 ]"
head -c 70000 /dev/zero >"$tmp/big.bin"
check "a body over --max-body (declared): 413" \
    "[ \$(code -H 'Authorization: Bearer $A' -X POST --data-binary @$tmp/big.bin $H/v1/jobs) = 413 ]"
check "a body over --max-body (chunked): 413" \
    "[ \$(code -H 'Authorization: Bearer $A' -H 'Transfer-Encoding: chunked' -X POST --data-binary @$tmp/big.bin $H/v1/jobs) = 413 ]"
check "an empty body: 400" \
    "[ \$(code -H 'Authorization: Bearer $A' -X POST $H/v1/jobs) = 400 ]"
check "a bad callback target: 400" \
    "[ \$(code -H 'Authorization: Bearer $A' -X POST --data-binary @$tmp/one.bin '$H/v1/jobs?callback=Bad%20Target') = 400 ]"
check "a JSON body without a path: 400" \
    "[ \$(code -H 'Authorization: Bearer $A' -H 'Content-Type: application/json' -d '{\"x\":1}' $H/v1/jobs) = 400 ]"

# ---- jobs ----
c=$(code -H "Authorization: Bearer $A" -X POST --data-binary @"$tmp/one.bin" "$H/v1/jobs?name=one.bin&callback=guardian")
J1=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$tmp/body" 2>/dev/null)
check "POST /v1/jobs (bytes): 202 with a job id" "[ $c = 202 ] && [ -n \"$J1\" ] && grep -q '\"queued\"' $tmp/body"
c=$(code -H "Authorization: Bearer $A" -H 'Content-Type: application/json' -d '{"path":"two.bin"}' "$H/v1/jobs")
J2=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$tmp/body" 2>/dev/null)
check "POST /v1/jobs (a path): 202" "[ $c = 202 ] && [ -n \"$J2\" ]"
c=$(code -H "Authorization: Bearer $A" -H 'Content-Type: application/json' -d '{"path":"../t.db"}' "$H/v1/jobs")
J3=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$tmp/body" 2>/dev/null)
check "POST /v1/jobs (a path leaving the root) is accepted, to be refused by the worker" "[ $c = 202 ]"
c=$(code -H "Authorization: Bearer $A" "$H/v1/jobs/$J1")
check "GET before a worker ran: queued" "[ $c = 200 ] && grep -q '\"state\": *\"queued\"' $tmp/body"
check "another tenant's job id: 404" "[ \$(code -H 'Authorization: Bearer $B' $H/v1/jobs/$J1) = 404 ]"
check "a review-only key of the same tenant: 403" "[ \$(code -H 'Authorization: Bearer $R' $H/v1/jobs/$J1) = 403 ]"
check "no key: 401" "[ \$(code $H/v1/jobs/$J1) = 401 ]"
check "an id that is not one: 404" "[ \$(code -H 'Authorization: Bearer $A' '$H/v1/jobs/..%2F..%2Fetc') = 404 ]"
check "an unknown id: 404" "[ \$(code -H 'Authorization: Bearer $A' $H/v1/jobs/jdeadbeef) = 404 ]"

CHILDGUARD_NATS_CERT=$T/worker.crt CHILDGUARD_NATS_KEY=$T/worker.key \
    "$CG" worker --nats "$U" --root "$tmp/root" --concurrency 1 --no-classify --stats-every 0 \
    2>"$tmp/worker.log" &
wpid=$!
pids+=("$wpid")
for _ in $(seq 1 300); do
    [ "$(sql "$CHILDGUARD_DB" "SELECT count(*) FROM jobs WHERE state<>'queued'")" = 3 ] && break
    sleep 0.1
done
c=$(code -H "Authorization: Bearer $A" "$H/v1/jobs/$J1")
check "GET after the worker: done, with the verdict and its review item" \
    "[ $c = 200 ] && python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d[\"state\"] == \"done\" and d[\"review_id\"] and d[\"verdict\"][\"matches\"], d
assert d[\"verdict\"][\"name\"] == \"one.bin\"' $tmp/body"
check "the path job is done" "[ \$(code -H 'Authorization: Bearer $A' $H/v1/jobs/$J2) = 200 ] && grep -q '\"done\"' $tmp/body"
check "the escaping path job failed, saying why" \
    "[ \$(code -H 'Authorization: Bearer $A' $H/v1/jobs/$J3) = 200 ] && grep -q '\"failed\"' $tmp/body && grep -q \"'..'\" $tmp/body"
check "the other tenant still sees nothing" "[ \$(code -H 'Authorization: Bearer $B' $H/v1/jobs/$J2) = 404 ]"
check "the callback became one outbox row of the job's tenant" \
    "[ \"\$(sql $CHILDGUARD_DB \"SELECT count(*), tenant FROM outbox WHERE target='guardian' AND payload LIKE '%$J1%'\")\" = \"1	alpha\" ]"
check "the review item belongs to the job's tenant" \
    "[ \"\$(sql $CHILDGUARD_DB \"SELECT tenant FROM review_items WHERE id=(SELECT review_id FROM jobs WHERE id='$J1')\")\" = alpha ]"
check "the synchronous /v1/scan still works" \
    "[ \$(code -H 'Authorization: Bearer $A' -X POST --data-binary @$tmp/one.bin $H/v1/scan) = 200 ]"
kill -TERM "$wpid"
wait "$wpid"
check "the worker over TLS drains on SIGTERM, exit 0" "[ \$? -eq 0 ]"

# ---- TLS failures: fast, exit 2, the URL named ----
# Run side by side (each waits on the network, not on the CPU), then checked in turn.
echo "synthetic tls probe" >"$tmp/probe.bin"
printf 'synthetic probe two\n' >"$tmp/probe2.bin"
cases=()
tls_try() { # N URL ENV...: submit the probes to URL with ENV, in the background;
    local n=$1 url=$2 # $tmp/tlsN.{out,err,rc}
    shift 2
    (env "$@" "$CG" submit --nats "$url" --quiet "$tmp/probe.bin" "$tmp/probe2.bin" >"$tmp/tls$n.out" \
        2>"$tmp/tls$n.err"; echo $? >"$tmp/tls$n.rc") &
    cases+=("$!")
}
tls_try 1 "$U" CHILDGUARD_NATS_CERT="$T/stranger.crt" CHILDGUARD_NATS_KEY="$T/stranger.key"
tls_try 2 "tls://localhost:$port"
tls_try 3 "$U" CHILDGUARD_NATS_CA="$T/other-ca.crt"
tls_try 4 "$U" -u CHILDGUARD_NATS_CERT -u CHILDGUARD_NATS_KEY
# Connected, but the certificate may not publish jobs: the server's permissions violation
# stops submit at once (it used to wait for acknowledgements and retry for minutes).
tls_try 5 "$U" CHILDGUARD_NATS_CERT="$T/worker.crt" CHILDGUARD_NATS_KEY="$T/worker.key"
(CHILDGUARD_NATS_CA=$T/other-ca.crt "$CG" serve --queue --nats "$U" \
    --listen "127.0.0.1:$(free_port)" --no-classify >/dev/null 2>"$tmp/serve-bad.err"
    echo $? >"$tmp/serve-bad.rc") &
cases+=("$!")
wait "${cases[@]}"
tls_check() { # N NAME EXPECTED-WORD URL
    check "$2: exit $(cat "$tmp/tls$1.rc"), named: $(head -c 300 "$tmp/tls$1.err" | tr '\n' ' ')" \
        "[ \"\$(cat $tmp/tls$1.rc)\" = 2 ] && grep -qF -- '$4' $tmp/tls$1.err &&
         grep -qi -- '$3' $tmp/tls$1.err && [ ! -s $tmp/tls$1.out ]"
}
tls_check 1 "a client certificate of another CA" "certificate" "$U"
tls_check 2 "a server certificate that does not name the host (tls://localhost)" "hostname mismatch" \
    "tls://localhost:$port"
tls_check 3 "a server certificate our CA did not sign" "unable to get local issuer" "$U"
tls_check 4 "no client certificate where the server requires one" "tls" "$U"
tls_check 5 "a certificate that may not publish jobs, stopping at the first file" \
    'Permissions Violation for Publish to "\?CG_JOBS.jobs.*2 files not queued' "$U"
check "serve --queue trusting another CA: exit $(cat "$tmp/serve-bad.rc"), the URL named" \
    "[ \"\$(cat $tmp/serve-bad.rc)\" = 2 ] && grep -qF -- '$U' $tmp/serve-bad.err &&
     grep -qi 'unable to get local issuer' $tmp/serve-bad.err"
check "the server took the refused clients in its stride" "curl -s -o /dev/null http://127.0.0.1:$mport/healthz"
kill -TERM "$spid"
wait "$spid"
rc=$?
check "serve --queue over TLS stops on SIGTERM with exit 0 (no crash at exit)" "[ $rc -eq 0 ]"
exit $fail
