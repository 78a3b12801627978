#!/usr/bin/env bash
# childguard serve keeps the engine's live state across a restart (issue 14 item 6): a
# synthetic grooming conversation (written for tests, nothing explicit) is sent half before and
# half after a restart of the server on the same database; its last message must score exactly
# what the same conversation scores when sent whole to one server ("ref"), and more than its
# second half alone ("ctl", the check that the state mattered). A corrupt saved state is then
# refused at start (logged), the server starts fresh and serves. Real HTTP on a free loopback
# port; the servers are started and stopped here.
# Usage: bash serve_state.sh /path/to/childguard /path/to/source-root [testdata]
set -u
CG=$1
tmp=$(mktemp -d)
server_pid=
cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
check() { # description, condition
    if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; head -c 600 "$tmp/out" 2>/dev/null; echo; fi
}
for tool in curl python3 sqlite3; do
    command -v $tool >/dev/null || { echo "SKIPPED: $tool missing"; exit 77; }
done
export CHILDGUARD_DB=$tmp/t.db
export USER=tester
KEY=$("$CG" keys create scanner --scope scan 2>"$tmp/err" | grep -m1 '^cgk_')
check "a key" "[ -n \"$KEY\" ]"

start() {
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    B="http://127.0.0.1:$port"
    "$CG" serve --listen 127.0.0.1:$port --db "$CHILDGUARD_DB" --threads 2 >"$tmp/server.out" 2>"$tmp/server.log" &
    server_pid=$!
    up=0
    for _ in $(seq 1 300); do
        if curl -s -o /dev/null "$B/status/live" 2>/dev/null; then up=1; break; fi
        kill -0 $server_pid 2>/dev/null || break
        sleep 0.1
    done
    check "the server comes up" "[ $up -eq 1 ]"
    [ $up -eq 1 ] || { cat "$tmp/server.log"; exit 1; }
}
stop() {
    kill -TERM "$server_pid"
    wait "$server_pid"
    check "the server stops cleanly (exit 0)" "[ $? -eq 0 ]"
    server_pid=
}
# The synthetic conversation (test fixture): an adult stranger grooming a 12-year-old.
texts=("hey, you're so mature for your age"
       "thanks i'm 12"
       "I understand you better than your parents do"
       "are you alone right now? are your parents home?"
       "this is our little secret, don't tell anyone. delete this chat ok"
       "add me on snap, it's more private"
       "let's meet after school, I can pick you up")
senders=(stranger mia stranger stranger stranger stranger stranger)
recips=(mia stranger mia mia mia mia mia)
send() { # conversation index -> the verdict's grooming risk and alert in $tmp/risk.<conv>.<index>
    local body
    body=$(python3 -c 'import json,sys; print(json.dumps({"conversation":sys.argv[1],"id":str(int(sys.argv[2])+1),"sender":sys.argv[3],"recipient":sys.argv[4],"ts_ms":1772377200000+int(sys.argv[2])*43200000,"text":sys.argv[5]}))' \
        "$1" "$2" "${senders[$2]}" "${recips[$2]}" "${texts[$2]}")
    code=$(curl -s -o "$tmp/out" -w '%{http_code}' -X POST -H "Authorization: Bearer $KEY" -d "$body" "$B/v1/messages")
    [ "$code" = 200 ] || { echo "FAIL: message $2 of $1: HTTP $code"; fail=1; return; }
    python3 -c "import json; j=json.load(open('$tmp/out')); print(repr(j['text']['risk']['grooming']), j['text']['alert'])" >"$tmp/risk.$1.$2"
}

start
for i in 0 1 2 3 4 5 6; do send ref $i; done
for i in 0 1 2 3; do send c1 $i; done
stop
check "the state is in the database (schema 6 engine_state)" \
    "[ \"\$(sqlite3 '$CHILDGUARD_DB' 'SELECT count(*) FROM engine_state WHERE length(state) > 1000')\" = 1 ]"

start
check "nothing refused at start" "! grep -q '\"state\"' '$tmp/server.log'"
for i in 4 5 6; do send c1 $i; done
for i in 4 5 6; do send ctl $i; done
for i in 4 5 6; do
    echo "message $((i + 1)): one run: $(cat "$tmp/risk.ref.$i")  resumed: $(cat "$tmp/risk.c1.$i")  second half alone: $(cat "$tmp/risk.ctl.$i")"
done
check "the trajectory continues across the restart (every later message scores as in one run)" \
    "cmp -s '$tmp/risk.c1.4' '$tmp/risk.ref.4' && cmp -s '$tmp/risk.c1.5' '$tmp/risk.ref.5' && cmp -s '$tmp/risk.c1.6' '$tmp/risk.ref.6'"
check "the saved state mattered (the first message after the restart scores lower alone)" \
    "python3 -c \"import sys; a=float(open('$tmp/risk.ctl.4').read().split()[0]); b=float(open('$tmp/risk.c1.4').read().split()[0]); sys.exit(0 if a < b else 1)\""
stop

# A corrupt saved state: refused at start with a logged reason, a fresh start, serving.
sqlite3 "$CHILDGUARD_DB" "UPDATE engine_state SET state = substr(state, 1, 100)" || fail=1
start
check "a corrupt saved state is refused and logged" "grep -q 'saved engine state refused' '$tmp/server.log'"
send c2 0
check "the server serves after refusing it" "[ -s '$tmp/risk.c2.0' ]"
stop
exit $fail
