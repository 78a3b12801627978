# Shared by the queue tests (tests/cli/queue_*.sh, serve_queue.sh) and the queue benchmarks
# (bench/queue_bench.sh, bench/scale_bench.sh): the start-up of a test, free ports, nats-server
# start, counts from the store (SQLite or PostgreSQL) and from JetStream's monitoring endpoint,
# and the issue-17 run (queue_kill_run: N jobs, two workers, one killed with kill -9) that
# queue_workers.sh runs on SQLite and queue_pg.sh on PostgreSQL.
#   . "$(dirname "${BASH_SOURCE[0]}")/lib/queue_lib.sh"
#   queue_test_init TOOL...    # skips (exit 77) naming a missing tool
# Without queue_test_init (the benchmarks) the caller provides $tmp.

# queue_test_init TOOL...: sets tmp (removed at exit unless QUEUE_KEEP is set), pids (killed
# with SIGKILL at exit; add with pids+=(PID)), fail=0, at_exit (commands run at exit after the
# kills, e.g. stopping a PostgreSQL), CHILDGUARD_DB and CHILDGUARD_AUDIT_LOG in $tmp,
# USER=tester.
queue_test_init() {
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null || { echo "SKIPPED: $tool missing"; exit 77; }
    done
    tmp=$(mktemp -d)
    pids=()
    at_exit=()
    fail=0
    trap queue_test_cleanup EXIT
    export CHILDGUARD_DB=$tmp/t.db CHILDGUARD_AUDIT_LOG=$tmp/audit.log USER=tester
}

queue_test_cleanup() {
    local p c
    for p in "${pids[@]}"; do
        kill -KILL "$p" 2>/dev/null && wait "$p" 2>/dev/null
    done
    for c in "${at_exit[@]}"; do eval "$c"; done
    if [ -n "${QUEUE_KEEP:-}" ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}

# check NAME EXPR: evaluates EXPR, prints ok or FAIL (and sets fail=1).
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi; }

phase() { echo "# $1 (at ${SECONDS}s)"; }

# queue_make_files DIR N WORD: N synthetic files DIR/fNNNNNN.bin, "synthetic WORD job I\n",
# and their MD5s (one a line) in DIR.md5 (for a block bank: each job then records a review item).
queue_make_files() {
    mkdir -p "$1"
    python3 - "$1" "$2" "$3" <<'PY'
import hashlib, os, sys
d, n, word = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
with open(d + ".md5", "w") as m:
    for i in range(n):
        b = b"synthetic %s job %d\n" % (word, i)
        with open(os.path.join(d, "f%06d.bin" % i), "wb") as f:
            f.write(b)
        m.write(hashlib.md5(b).hexdigest() + "\n")
PY
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# nats_start NAME PORT MPORT [extra args...]: a JetStream server storing under $tmp/NAME;
# prints its pid. Waits (bounded) until its monitoring port answers.
nats_start() {
    local name=$1 port=$2 mport=$3
    shift 3
    nats-server -js -n "$name" -sd "$tmp/$name" -a 127.0.0.1 -p "$port" -m "$mport" "$@" \
        >>"$tmp/$name.log" 2>&1 &
    local pid=$!
    for _ in $(seq 1 100); do
        curl -s -o /dev/null "http://127.0.0.1:$mport/healthz" 2>/dev/null && break
        sleep 0.1
    done
    echo "$pid"
}

# stream_field MPORT STREAM EXPR: EXPR (Python, over the stream's detail s) for a stream, as one
# server's monitoring endpoint sees it ("" if unknown).
stream_field() {
    curl -s "http://127.0.0.1:$1/jsz?streams=true" 2>/dev/null | python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
except Exception:
    sys.exit(0)
for a in d.get("account_details") or []:
    for s in a.get("stream_detail") or []:
        if s["name"] == sys.argv[1]:
            print(eval(sys.argv[2]))' "$2" "$3"
}

# stream_msgs MPORT STREAM: the messages a stream holds.
stream_msgs() { stream_field "$1" "$2" 's["state"]["messages"]'; }

# stream_leader MPORT STREAM: the server name leading a stream.
stream_leader() { stream_field "$1" "$2" '(s.get("cluster") or {}).get("leader", "")'; }

# queue_tls_ca DIR NAME: a test CA of its own (DIR/NAME.crt, DIR/NAME.key; P-256, 2 days).
# queue_tls_cert DIR NAME CN SAN [CA]: a certificate DIR/NAME.crt + .key for CN with the
# subjectAltName SAN ("IP:127.0.0.1", "DNS:worker"...), signed by CA (default "ca"). Shared by
# queue_deploy.sh (the cluster's per-role certificates) and serve_queue.sh (serve over TLS).
queue_tls_ca() {
    mkdir -p "$1" &&
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
            -subj "/CN=childguard test $2" -keyout "$1/$2.key" -out "$1/$2.crt" 2>/dev/null
}
queue_tls_cert() {
    local d=$1 ca=${5:-ca}
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$3" \
        -keyout "$d/$2.key" -out "$d/$2.csr" 2>/dev/null &&
        printf 'subjectAltName=%s\n' "$4" >"$d/$2.ext" &&
        openssl x509 -req -in "$d/$2.csr" -CA "$d/$ca.crt" -CAkey "$d/$ca.key" \
            -CAcreateserial -days 2 -extfile "$d/$2.ext" -out "$d/$2.crt" 2>/dev/null
}

# queue_nats: starts one JetStream server n1 on free ports; sets port, mport and U
# (its URL) and checks that it answers.
queue_nats() {
    port=$(free_port)
    mport=$(free_port)
    U=nats://127.0.0.1:$port
    pids+=("$(nats_start n1 "$port" "$mport")")
    check "nats-server with JetStream answers" "curl -s -o /dev/null http://127.0.0.1:$mport/healthz"
}

# sql DB QUERY: one value (or rows, tab-separated) from the store: DB is a SQLite file (the
# sqlite3 shell: these run in polling loops, and a python3 start costs more on a loaded machine)
# or a postgresql:// location (psql).
sql() {
    case $1 in
    postgresql://* | postgres://*)
        psql -X -q -A -t -F "$(printf '\t')" -d "$1" -c "$2" ;;
    *)
        sqlite3 -readonly -separator "$(printf '\t')" -cmd ".timeout 30000" "$1" "$2" ;;
    esac
}

# wait_done DB N SECONDS: waits until the ledger holds N done jobs; 0 when it does (bounded).
wait_done() {
    local i
    for i in $(seq 1 $(($3 * 10))); do
        [ "$(sql "$1" "SELECT count(*) FROM jobs WHERE state='done'" 2>/dev/null)" = "$2" ] && return 0
        sleep 0.1
    done
    return 1
}

# audit_counts KIND LOG...: per subject, how many records of KIND over the logs (each worker
# host keeps its own); prints "max total".
audit_counts() {
    python3 -c '
import json, sys, collections
c = collections.Counter()
for path in sys.argv[2:]:
    for line in open(path):
        r = json.loads(line)
        if r.get("kind") != sys.argv[1]:
            continue
        d = r.get("data")
        if isinstance(d, str):
            d = json.loads(d)
        key = r.get("subject", "")
        if sys.argv[1] == "review":
            if (d or {}).get("action") != "add":
                continue
            key = (d or {}).get("content_id", key)
        c[key] += 1
print(max(c.values()) if c else 0, sum(c.values()))' "$@"
}

# queue_worker LOGNAME [args...]: starts `$CG worker` on $U in the background (concurrency 2, a
# short ack wait and back-off so a killed worker's jobs come back soon); stderr to
# $tmp/LOGNAME.log; its pid in $wpid (and in pids). QUEUE_WORKER_ENV: NAME=VALUE words put in
# its environment (its own audit log, say).
queue_worker() {
    local log=$1
    shift
    env ${QUEUE_WORKER_ENV:-} "$CG" worker --nats "$U" --concurrency 2 --ack-wait 2000 \
        --backoff 200 --no-classify --stats-every 0 "$@" 2>>"$tmp/$log.log" &
    wpid=$!
    pids+=("$wpid")
}

# queue_ready LOGNAME: waits (bounded) for the worker's "ready" line.
queue_ready() {
    for _ in $(seq 1 300); do grep -q 'ready:' "$tmp/$1.log" 2>/dev/null && return 0; sleep 0.1; done
    return 1
}

# queue_kill_run DB N FILES AUDIT_A AUDIT_B: the issue's test on the store DB (a SQLite file
# or a postgresql:// location) with the bank of FILES' MD5s in it: the N files submitted with a
# callback, two workers (A writing its audit records to AUDIT_A, B to AUDIT_B: the same file
# or one per host), A killed with kill -9 once a quarter are recorded. Checks that every job
# has exactly one ledger row (done), one review item, one outbox row (the callback) and one
# verdict on the results stream, at most one decision and one review-add audit record each
# (a kill between a commit and its audit append loses that record: at most the killed worker's
# concurrency, 2), the logs verify, and the work queue is empty. Expects $CG, $U, $mport, $tmp.
# Leaves worker B running (its pid in $worker_b) and the submitted ids in $tmp/ids.txt.
queue_kill_run() {
    local db=$1 n=$2 files=$3 la=$4 lb=$5 a d dmax dtotal rmax rtotal logs
    logs=$la
    [ "$lb" != "$la" ] && logs="$la $lb"
    phase "$n jobs, 2 workers, kill -9"
    "$CG" submit --nats "$U" --quiet --callback job-done "$files" >"$tmp/ids.txt" 2>"$tmp/submit.log"
    check "submit queues $n jobs (exit 0)" "[ \$? -eq 0 ] && [ \$(wc -l <$tmp/ids.txt) -eq $n ]"
    check "submit prints a summary" "grep -q '$n jobs queued, 0 failed' $tmp/submit.log"
    phase "submitted"
    QUEUE_WORKER_ENV="CHILDGUARD_AUDIT_LOG=$la" queue_worker wA
    a=$wpid
    QUEUE_WORKER_ENV="CHILDGUARD_AUDIT_LOG=$lb" queue_worker wB
    worker_b=$wpid
    # Kill A once a quarter of the jobs are recorded (bounded wait).
    d=0
    for _ in $(seq 1 1200); do
        d=$(sql "$db" "SELECT count(*) FROM jobs WHERE state='done'" 2>/dev/null || echo 0)
        [ "${d:-0}" -ge $((n / 4)) ] && break
        sleep 0.1
    done
    kill -KILL "$a"
    wait "$a" 2>/dev/null
    check "worker A killed with kill -9 mid-stream (done when killed: $d of $n)" \
        "[ ${d:-0} -ge $((n / 4)) ] && [ ${d:-0} -lt $n ]"
    wait_done "$db" "$n" $((60 + n / 20))
    check "all $n jobs recorded after the kill (A's unacked jobs redelivered)" "[ \$? -eq 0 ]"
    phase "recorded"
    check "no job recorded twice: $n ledger rows, all done" \
        "[ \"\$(sql '$db' \"SELECT count(*), count(DISTINCT id), count(*) FILTER (WHERE state='done') FROM jobs\")\" = \"$n	$n	$n\" ]"
    cut -f1 "$tmp/ids.txt" | sort >"$tmp/ids.sorted"
    sql "$db" "SELECT id FROM jobs WHERE state='done'" | sort >"$tmp/done.sorted"
    check "every submitted id has its row, and no other row" \
        "[ \$(sort -u $tmp/ids.sorted | wc -l) -eq $n ] && cmp -s $tmp/ids.sorted $tmp/done.sorted"
    check "one review item per job, none twice" \
        "[ \"\$(sql '$db' 'SELECT count(*), count(DISTINCT content_id) FROM review_items')\" = \"$n	$n\" ]"
    check "each ledger row names its own review item" \
        "[ \"\$(sql '$db' 'SELECT count(DISTINCT j.review_id) FROM jobs j JOIN review_items r ON r.id = j.review_id')\" = $n ]"
    sql "$db" "SELECT payload FROM outbox WHERE target='job-done'" >"$tmp/outbox.txt"
    check "one callback row in the outbox per job, none twice" \
        "python3 -c '
import json, sys
jobs = [json.loads(l)[\"job\"] for l in open(sys.argv[1])]
ids = set(l.strip() for l in open(sys.argv[2]))
sys.exit(0 if len(jobs) == len(ids) and set(jobs) == ids else 1)' $tmp/outbox.txt $tmp/ids.sorted"
    read -r dmax dtotal < <(audit_counts decision $logs)
    read -r rmax rtotal < <(audit_counts review $logs)
    check "no decision record twice (max $dmax per content; $dtotal of $n written)" \
        "[ $dmax -eq 1 ] && [ $dtotal -ge $((n - 2)) ] && [ $dtotal -le $n ]"
    check "no review-add record twice (max $rmax; $rtotal of $n)" \
        "[ $rmax -eq 1 ] && [ $rtotal -le $n ] && [ $rtotal -ge $((n - 2)) ]"
    for l in $logs; do
        check "the audit log $(basename "$l") verifies" "\"$CG\" audit verify --log $l >/dev/null 2>&1"
    done
    for _ in $(seq 1 100); do [ "$(stream_msgs "$mport" CG_JOBS_RESULTS)" = "$n" ] && break; sleep 0.1; done
    check "one verdict per job on the results stream ($(stream_msgs "$mport" CG_JOBS_RESULTS))" \
        "[ \"\$(stream_msgs $mport CG_JOBS_RESULTS)\" = $n ]"
    check "the work queue is empty" "[ \"\$(stream_msgs $mport CG_JOBS)\" = 0 ]"
}

# nats_hpub PORT SUBJECT BODYFILE [HEADER: VALUE]...: publishes BODYFILE's bytes (/dev/null:
# none) as one message with exactly these
# headers, through the NATS protocol itself (no client library: a test's hostile job can carry
# any header, or lack one, as no childguard command would send it). Waits for JetStream's
# acknowledgement; prints it ({"stream":…,"seq":…}); exit 1 without one (bounded: 10 s).
nats_hpub() {
    python3 - "$@" <<'PY'
import json, socket, sys
port, subject, headers = int(sys.argv[1]), sys.argv[2], sys.argv[4:]
with open(sys.argv[3], "rb") as b:
    body = b.read()
s = socket.create_connection(("127.0.0.1", port), timeout=10)
f = s.makefile("rb")
f.readline()  # INFO
h = ("NATS/1.0\r\n" + "".join(x + "\r\n" for x in headers) + "\r\n").encode()
s.sendall(b'CONNECT {"verbose":false,"pedantic":false,"headers":true,"protocol":1}\r\n'
          b"SUB _INBOX.cgtest 1\r\n"
          + b"HPUB %s _INBOX.cgtest %d %d\r\n" % (subject.encode(), len(h), len(h) + len(body))
          + h + body + b"\r\n")
while True:
    line = f.readline()
    if not line:
        sys.exit(1)
    if line.startswith(b"PING"):
        s.sendall(b"PONG\r\n")
    elif line.startswith(b"-ERR"):
        sys.stderr.write(line.decode())
        sys.exit(1)
    elif line.startswith(b"MSG") or line.startswith(b"HMSG"):
        n = int(line.split()[-1])
        ack = f.read(n + 2)[:n]
        if line.startswith(b"HMSG"):
            ack = ack[int(line.split()[-2]):]
        print(ack.decode())
        sys.exit(0 if "seq" in json.loads(ack) else 1)
PY
}
