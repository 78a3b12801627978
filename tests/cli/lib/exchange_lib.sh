# Sourced by the exchange command-line tests (tests/cli/exchange_*.sh): the set-up they share — a
# mock exchange on a free loopback port, API keys, `childguard serve` with the exchange fetcher —
# and the request helper of the server tests, over lib/serve_common.sh (sourced here). The checks
# stay in each test; these only start things and say (by their exit status) whether they came up.
#   . "$(dirname "${BASH_SOURCE[0]}")/lib/exchange_lib.sh"
#   ex_test_init "$1" "$2" curl python3
. "$(dirname "${BASH_SOURCE[0]}")/serve_common.sh"

# ex_test_init CG ROOT TOOL...: the tests' preamble: `set -u`, CG (the program) and ROOT (the
# source tree) from the test's arguments, then cg_test_init TOOL... (tmp and its cleanup; a skip
# naming a missing tool).
ex_test_init() {
    set -u
    CG=$1
    ROOT=$2
    shift 2
    cg_test_init "$@"
}

# ex_mock SCRIPT ARG...: starts tests/cli/lib/SCRIPT (mock_exchange.py, mock_feedback.py) as
# `python3 SCRIPT PORT ARG...` on a free port, tracked for the cleanup. Sets mock_port, mock_pid
# and mock_url (http://127.0.0.1:PORT). 0 once it accepts connections, 1 after 10 s.
ex_mock() {
    local script=$1
    shift
    mock_port=$(free_port)
    python3 "$ROOT/tests/cli/lib/$script" "$mock_port" "$@" &
    mock_pid=$!
    cg_track "$mock_pid"
    mock_url="http://127.0.0.1:$mock_port"
    cg_wait_port "$mock_port"
}

# ex_mock_dated SCRIPT: the command-line tests' mock: ex_mock SCRIPT "$tmp/requests.jsonl" START
# with START three days ago to the minute (the date its records start from, the exchanges'
# start_time). Sets now and start, and exports CHILDGUARD_EXCHANGE_KEY=$tmp/exchange.key (the
# key file `childguard exchange add` makes). Returns ex_mock's status.
ex_mock_dated() {
    now=$(date +%s)
    start=$(( (now - 3 * 86400) / 60 * 60 ))
    export CHILDGUARD_EXCHANGE_KEY=$tmp/exchange.key
    ex_mock "$1" "$tmp/requests.jsonl" "$start"
}

# ex_key NAME ARG...: makes an API key NAME (`childguard keys create NAME ARG...`, e.g. --scope all
# --tenant beta) and prints its token; nothing when it fails (the caller checks it is there).
ex_key() {
    "$CG" keys create "$@" 2>/dev/null | grep -m1 '^cgk_'
}

# ex_serve CONFIG_JSON [THREADS]: starts `childguard serve` with that configuration (written to
# $tmp/serve.json) on a free port with the test's database and audit log, THREADS request
# threads (default 2); output to $tmp/server.out and $tmp/server.log. Sets port, B (its URL) and
# server_pid (stopped by the cleanup). The caller checks it came up: cg_wait_live "$B" "$server_pid".
ex_serve() {
    echo "$1" >"$tmp/serve.json"
    port=$(free_port)
    B="http://127.0.0.1:$port"
    "$CG" serve --config "$tmp/serve.json" --listen "127.0.0.1:$port" --db "$CHILDGUARD_DB" \
        --log "$CHILDGUARD_AUDIT_LOG" --threads "${2:-2}" >>"$tmp/server.out" 2>>"$tmp/server.log" &
    server_pid=$!
}

# req KEY METHOD PATH [BODY]: one request to the server at $B ("" KEY: none), a JSON body when
# given; prints the status code, the body goes to $tmp/out.
req() {
    local key=$1 m=$2 p=$3
    shift 3
    curl -s -o "$tmp/out" -w '%{http_code}' -X "$m" ${key:+-H "Authorization: Bearer $key"} \
        -H 'Content-Type: application/json' ${1:+--data-binary "$1"} "$B$p"
}

# jget EXPR: a Python expression over the JSON reply in $tmp/out (d), printed; nothing when the
# reply is not JSON or the expression fails (the check comparing it then fails).
jget() {
    python3 -c "import json,sys; d=json.load(open('$tmp/out')); print($1)" 2>/dev/null
}
