# Sourced by the command-line tests that start `childguard serve` (serve_*.sh): the temporary
# directory and its cleanup, `check`, free loopback ports and waiting for a server to answer.
#   . "$(dirname "${BASH_SOURCE[0]}")/lib/serve_common.sh"
#   cg_test_init curl python3 ...     # skips (exit 77) naming a missing tool
# Sets tmp (removed at exit unless SERVE_KEEP is set), fail=0, CHILDGUARD_DB and
# CHILDGUARD_AUDIT_LOG in $tmp, USER=tester. At exit every process whose pid is in server_pid
# or in the list cg_pids (add with cg_track PID) is stopped with SIGTERM and waited for.

server_pid=
cg_pids=

cg_test_cleanup() {
    local p
    for p in $server_pid $cg_pids; do
        if kill -0 "$p" 2>/dev/null; then
            kill -TERM "$p" 2>/dev/null
            wait "$p" 2>/dev/null
        fi
    done
    if [ -n "${SERVE_KEEP:-}" ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}

cg_test_init() { # TOOL...
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null || { echo "SKIPPED: $tool missing"; exit 77; }
    done
    tmp=$(mktemp -d)
    fail=0
    trap cg_test_cleanup EXIT
    export CHILDGUARD_DB=$tmp/t.db CHILDGUARD_AUDIT_LOG=$tmp/audit.log USER=tester
}

cg_track() { cg_pids="$cg_pids $1"; }

# check NAME EXPR: evaluates EXPR; on failure prints the start of $tmp/out (the last reply).
check() {
    if eval "$2"; then
        echo "ok: $1"
    else
        echo "FAIL: $1"
        fail=1
        if [ -s "$tmp/out" ]; then head -c 400 "$tmp/out"; echo; fi
    fi
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# cg_wait_port PORT: 0 once something accepts on 127.0.0.1:PORT (a mock server), 1 after 10 s.
cg_wait_port() {
    local i
    for i in $(seq 1 100); do
        python3 -c "import socket; socket.create_connection(('127.0.0.1', $1), 1)" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# cg_wait_live URL PID: 0 once URL/status/live answers, 1 if PID exits first or after 30 s.
cg_wait_live() {
    local i
    for i in $(seq 1 300); do
        curl -s -o /dev/null "$1/status/live" 2>/dev/null && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}
