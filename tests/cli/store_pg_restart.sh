#!/usr/bin/env bash
# PostgreSQL restarted under load (issue 17): a `childguard serve` and a loop of CLI imports
# (one file per `bank import`, one transaction each) run against a PostgreSQL this test starts
# itself (tests/support/pg_cluster.sh: a restart would disturb the other tests' shared server);
# it is restarted with `pg_ctl restart -m fast` (every session ended) while both are busy.
# Afterwards:
#   - the import loop goes on: 3 imports succeed after the restart (bounded: 200 attempts);
#   - nothing committed is lost: every file whose import exited 0 is wholly in the bank, and the
#     bank holds nothing that was not in an attempted file (an import cut by the restart either
#     committed whole or not at all; one whose COMMIT reply was lost may be there whole);
#     checked on the exported bank, and on the server log's clean shutdown;
#   - serve answers: /status/live, a lookup of a value imported before the restart, and a bank
#     change made after the restart is matched (polled for up to 10 s: the bounded wait is the
#     check, no wall-clock threshold); serve exits 0 on SIGTERM.
# Prints SKIPPED (exit 77) without the PostgreSQL server binaries, curl or python3.
# Usage: bash store_pg_restart.sh /path/to/childguard SOURCE_DIR
set -u
CG=$1
SRC=${2:-$(cd "$(dirname "$0")/../.." && pwd)}
for tool in curl python3 psql; do
    command -v $tool >/dev/null || { echo "SKIPPED: $tool missing"; exit 77; }
done
tmp=$(mktemp -d)
chmod 755 "$tmp"
pids=()
cleanup() {
    touch "$tmp/stop"
    for p in "${pids[@]}"; do
        kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
check() { # description, condition
    if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; head -c 600 "$tmp/err" 2>/dev/null; echo; fi
}
. "$SRC/tests/cli/lib/pg_lib.sh"
pg_own_start # stopped at exit, after cleanup
pg_store_schema restart
export CHILDGUARD_DB=$pg_db
export CHILDGUARD_AUDIT_LOG=$tmp/audit-cli.log
export USER=tester

MATCHER=$("$CG" keys create matcher --scope match 2>"$tmp/err" | grep -m1 '^cgk_')
check "a key" "[ -n \"$MATCHER\" ]"
"$CG" bank create TEST --label csam >/dev/null 2>"$tmp/err"
check "bank create" "[ $? -eq 0 ]"

# 200 list files of 100 distinct synthetic PDQ values each (file i: values of seed i).
python3 - "$tmp" <<'PY'
import random, sys
for i in range(200):
    r = random.Random(1000 + i)
    with open(f"{sys.argv[1]}/list{i}.txt", "w") as f:
        for _ in range(100):
            f.write("%064x\n" % r.getrandbits(256))
PY

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$CG" serve --listen 127.0.0.1:$port --db "$CHILDGUARD_DB" --log "$tmp/audit-serve.log" \
    --threads 2 --refresh-ms 200 >"$tmp/serve.out" 2>"$tmp/serve.log" &
pids+=($!)
for _ in $(seq 1 300); do
    curl -s -o /dev/null "http://127.0.0.1:$port/status/live" 2>/dev/null && break
    kill -0 "${pids[-1]}" 2>/dev/null || break
    sleep 0.1
done
check "serve comes up" "curl -s -o /dev/null http://127.0.0.1:$port/status/live"

# lookup HEX [SECONDS]: seconds until serve matches HEX, or "never" (bounded wait).
lookup() { pg_wait_match "$port" "$1" "$MATCHER" "${2:-10}" 0.05; }

# The import loop: one file per attempt, in order; "i rc after_restart" per attempt.
(
    for i in $(seq 0 199); do
        [ -e "$tmp/stop" ] && break
        after=0
        [ -e "$tmp/restarted" ] && after=1
        "$CG" bank import -q TEST "$tmp/list$i.txt" >/dev/null 2>>"$tmp/import.err"
        echo "$i $? $after" >>"$tmp/attempts"
        [ $after -eq 1 ] && [ "$(awk '$2 == 0 && $3 == 1' "$tmp/attempts" | wc -l)" -ge 3 ] && break
    done
) &
loop=$!
pids+=($loop)
# Serve is busy too: lookups in a loop until the end.
(
    while [ ! -e "$tmp/stop" ]; do
        curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $MATCHER" \
            "http://127.0.0.1:$port/m/raw_lookup?signal_type=pdq&signal=$(head -1 "$tmp/list0.txt")" \
            >>"$tmp/requests" 2>/dev/null
        sleep 0.1
    done
) &
pids+=($!)

# Restart once a few imports have committed.
for _ in $(seq 1 600); do
    [ "$(awk '$2 == 0' "$tmp/attempts" 2>/dev/null | wc -l)" -ge 2 ] && break
    kill -0 $loop 2>/dev/null || break
    sleep 0.05
done
before=$(awk '$2 == 0' "$tmp/attempts" 2>/dev/null | wc -l)
check "imports commit before the restart ($before)" "[ $before -ge 2 ]"
pg_own_restart 2>"$tmp/err"
check "pg_ctl restart -m fast" "[ $? -eq 0 ]"
touch "$tmp/restarted"
wait $loop
after=$(awk '$2 == 0 && $3 == 1' "$tmp/attempts" | wc -l)
failed=$(awk '$2 != 0' "$tmp/attempts" | wc -l)
echo "   ($(wc -l <"$tmp/attempts") import attempts: $before committed before the restart, $failed failed around it, $after after it)"
check "imports go on after the restart" "[ $after -ge 3 ]"
check "a failed import says why" "[ $failed -eq 0 ] || [ -s $tmp/import.err ]"

d=$(lookup "$(head -1 "$tmp/list0.txt")")
check "serve still matches a value imported before the restart" "[ $d != never ]"
pdq=$(python3 -c "import random; random.seed(4242); print('%064x' % random.getrandbits(256))")
"$CG" bank add TEST "$pdq" >/dev/null 2>"$tmp/err"
check "a bank add after the restart" "[ $? -eq 0 ]"
d=$(lookup "$pdq")
echo "   (the add after the restart was matched by serve after ${d}s)"
check "serve matches a bank change made after the restart" "[ $d != never ]"
check "serve answers /status/live" "curl -sf -o /dev/null http://127.0.0.1:$port/status/live"
touch "$tmp/stop"
sleep 0.2
check "serve answered lookups during the run" "grep -q '^200$' $tmp/requests"

# Nothing committed is lost: the export against the attempts.
"$CG" bank export TEST --format lines -o "$tmp/export.txt" 2>"$tmp/err"
check "bank export" "[ $? -eq 0 ]"
python3 - "$tmp" "$pdq" >"$tmp/verdict" <<'PY'
import sys
tmp, extra = sys.argv[1], sys.argv[2]
have = {l.strip() for l in open(f"{tmp}/export.txt") if l.strip()}
ok, attempted = set(), set()
for line in open(f"{tmp}/attempts"):
    i, rc, _ = line.split()
    vals = {l.strip() for l in open(f"{tmp}/list{i}.txt")}
    attempted |= vals
    if rc == "0":
        ok |= vals
missing = ok - have
stray = have - attempted - {extra}
partial = [i for i in range(200) if 0 < len({l.strip() for l in open(f"{tmp}/list{i}.txt")} & have) < 100]
print(len(missing), len(stray), len(partial))
PY
read -r missing stray partial <"$tmp/verdict"
check "every committed import is in the bank (missing: $missing)" "[ $missing -eq 0 ]"
check "nothing in the bank that was not imported (stray: $stray)" "[ $stray -eq 0 ]"
check "no file is in the bank in part (partial: $partial)" "[ $partial -eq 0 ]"
check "the restart was a clean shutdown" "grep -q 'database system is shut down' $pg_cluster_dir/server.log"

kill -TERM "${pids[0]}" 2>/dev/null
wait "${pids[0]}"
rc=$?
check "serve exits 0 on SIGTERM" "[ $rc -eq 0 ]"
pids=("${pids[@]:1}")
exit $fail
