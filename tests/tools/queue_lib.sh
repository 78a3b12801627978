# Shared by the queue tests (tests/cli/queue_workers.sh, queue_cluster.sh, serve_queue.sh) and
# bench/queue_bench.sh: free ports, nats-server start/stop, counts from the store and from
# JetStream's monitoring endpoint. Sourced; expects $tmp and sets nothing else global.
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

# stream_msgs MPORT STREAM: the messages a stream holds, as one server sees it ("" if unknown).
stream_msgs() {
    curl -s "http://127.0.0.1:$1/jsz?streams=true" 2>/dev/null | python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
except Exception:
    sys.exit(0)
for a in d.get("account_details") or []:
    for s in a.get("stream_detail") or []:
        if s["name"] == sys.argv[1]:
            print(s["state"]["messages"])' "$2"
}

# stream_leader MPORT STREAM: the server name leading a stream.
stream_leader() {
    curl -s "http://127.0.0.1:$1/jsz?streams=true" 2>/dev/null | python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
except Exception:
    sys.exit(0)
for a in d.get("account_details") or []:
    for s in a.get("stream_detail") or []:
        if s["name"] == sys.argv[1]:
            print((s.get("cluster") or {}).get("leader", ""))' "$2"
}

# sql DB QUERY: one value (or rows, tab-separated) from the SQLite store (the sqlite3 shell:
# these run in polling loops, and a python3 start costs more on a loaded machine).
sql() {
    sqlite3 -readonly -separator "$(printf '\t')" -cmd ".timeout 30000" "$1" "$2"
}

# wait_done DB N SECONDS: waits until the ledger holds N done jobs; 0 when it does.
wait_done() {
    local i
    for i in $(seq 1 $(($3 * 10))); do
        [ "$(sql "$1" "SELECT count(*) FROM jobs WHERE state='done'" 2>/dev/null)" = "$2" ] && return 0
        sleep 0.1
    done
    return 1
}

# audit_counts LOG KIND: per subject, how many records of KIND; prints "max total".
audit_counts() {
    python3 -c '
import json, sys, collections
c = collections.Counter()
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("kind") != sys.argv[2]:
        continue
    d = r.get("data")
    if isinstance(d, str):
        d = json.loads(d)
    key = r.get("subject", "")
    if sys.argv[2] == "review":
        if (d or {}).get("action") != "add":
            continue
        key = (d or {}).get("content_id", key)
    c[key] += 1
print(max(c.values()) if c else 0, sum(c.values()))' "$1" "$2"
}
