#!/usr/bin/env bash
# The database location of the commands (docs/banks.md, docs/cli.md): "sqlite:PATH" is the same
# file as PATH (and the audit log goes beside it); a PostgreSQL URL without a server is refused
# (not built, or cannot connect), with exit status 2, and leaves nothing behind.
set -u
CG=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # description, condition
    if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; cat "$tmp/err" 2>/dev/null | head -5; fi
}
unset CHILDGUARD_AUDIT_LOG CHILDGUARD_DB
export CHILDGUARD_ACTOR=cli-tester
mkdir -p "$tmp/db"
A=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa

"$CG" bank --db "sqlite:$tmp/db/t.db" create known --label csam 2>"$tmp/err"
check "bank create at sqlite:PATH" "[ $? -eq 0 ] && [ -f $tmp/db/t.db ] && [ -f $tmp/db/audit.log ]"
"$CG" bank --db "sqlite:$tmp/db/t.db" add known "$A" >"$tmp/out" 2>"$tmp/err"
check "bank add at sqlite:PATH" "[ $? -eq 0 ]"
"$CG" bank --db "$tmp/db/t.db" list >"$tmp/out" 2>"$tmp/err"
check "the plain path is the same database" "[ $? -eq 0 ] && grep -q '^known ' $tmp/out"
"$CG" match --db "sqlite:$tmp/db/t.db" "$A" >"$tmp/out" 2>"$tmp/err"
check "match at sqlite:PATH finds the hash" "[ $? -eq 0 ] && grep -q known $tmp/out"
"$CG" bank --db "sqlite:$tmp/db/none.db" list >"$tmp/out" 2>"$tmp/err"
check "a missing sqlite:PATH is an error naming it" "[ $? -eq 2 ] && grep -q 'none.db: no database yet' $tmp/err"
# Nothing listens on port 1: a build with PostgreSQL fails to connect, one without says it is
# not built; either way exit status 2 and a message naming PostgreSQL.
for url in postgresql://localhost:1/banks postgres://u@127.0.0.1:1/b; do
    (cd "$tmp" && "$CG" bank --db "$url" list >"$tmp/out" 2>"$tmp/err")
    check "bank list at $url: refused" "[ $? -eq 2 ] && grep -q -e 'database not built' -e 'cannot connect to PostgreSQL' $tmp/err && grep -q PostgreSQL $tmp/err"
    (cd "$tmp" && "$CG" bank --db "$url" create x --label y >"$tmp/out" 2>"$tmp/err")
    check "bank create at $url without --log: refused" "[ $? -eq 2 ] && grep -q -e 'database not built' -e 'cannot connect to PostgreSQL' -e 'give the audit log with --log' $tmp/err"
    (cd "$tmp" && "$CG" bank --db "$url" --log "$tmp/db/url-audit.log" create x --label y >"$tmp/out" 2>"$tmp/err")
    check "bank create at $url: refused" "[ $? -eq 2 ] && grep -q -e 'database not built' -e 'cannot connect to PostgreSQL' $tmp/err"
done
check "nothing was created for the URLs" "[ -z \"\$(ls -A $tmp | grep -v -e '^db$' -e '^out$' -e '^err$')\" ]"
exit $fail
