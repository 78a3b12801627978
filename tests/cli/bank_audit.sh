#!/usr/bin/env bash
# childguard bank and the audit log: every changing subcommand (create, add, import, disable,
# enable, delete) appends one bank_change record to the log beside the database (or --log),
# `childguard audit verify` passes and `audit show` lists them; reading subcommands (list,
# show, export) never create a log; a failed change records nothing; --no-audit writes no log.
set -u
CG=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # description, condition
    if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; cat "$tmp/err" 2>/dev/null | head -5; fi
}
unset CHILDGUARD_AUDIT_LOG
export CHILDGUARD_DB=$tmp/db/t.db CHILDGUARD_ACTOR=cli-tester
mkdir -p "$tmp/db"
log=$tmp/db/audit.log
records() { if [ -f "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }
A=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
B=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
C=cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc

"$CG" bank create known --label csam 2>"$tmp/err"
check "bank create" "[ $? -eq 0 ] && [ \$(records $log) -eq 1 ]"
"$CG" bank list >/dev/null 2>"$tmp/err" && "$CG" bank show known >/dev/null 2>>"$tmp/err" \
    && "$CG" bank export known >/dev/null 2>>"$tmp/err"
check "list, show and export append nothing" "[ $? -eq 0 ] && [ \$(records $log) -eq 1 ]"
"$CG" bank add known "$A" >"$tmp/out" 2>"$tmp/err"
check "bank add appends one record" "[ $? -eq 0 ] && [ \$(records $log) -eq 2 ]"
printf '%s\n%s\nnot-a-hash\n%s\n' "$B" "$C" "$A" >"$tmp/list.txt"
"$CG" bank import known "$tmp/list.txt" >"$tmp/out" 2>"$tmp/err"
check "bank import appends one record for the file" "[ $? -eq 0 ] && [ \$(records $log) -eq 3 ]"
"$CG" bank disable known "$A" >"$tmp/out" 2>"$tmp/err"
check "disabling a signal appends one record" "[ $? -eq 0 ] && [ \$(records $log) -eq 4 ]"
"$CG" bank enable known 2>"$tmp/err"
check "enabling the bank appends one record" "[ $? -eq 0 ] && [ \$(records $log) -eq 5 ]"
"$CG" bank create known 2>"$tmp/err"
check "a failed create records nothing" "[ $? -eq 2 ] && [ \$(records $log) -eq 5 ]"
"$CG" bank add known nothex 2>"$tmp/err"
check "a rejected hash records nothing" "[ $? -eq 2 ] && [ \$(records $log) -eq 5 ]"

"$CG" audit verify --log "$log" >"$tmp/out" 2>"$tmp/err"
check "audit verify passes" "[ $? -eq 0 ]"
"$CG" audit show --log "$log" >"$tmp/out" 2>"$tmp/err"
check "audit show lists the bank_change records" \
    "[ $? -eq 0 ] && [ \$(grep -c 'bank_change' $tmp/out) -eq 5 ] && grep -q 'cli-tester' $tmp/out && grep -q 'bank:known' $tmp/out"
for op in bank_create signal_add import signal_disable bank_update; do
    check "audit show has a $op record" "grep -q '\"op\":\"$op\"' $tmp/out"
done
check "the import record has its counts" \
    "grep '\"op\":\"import\"' $tmp/out | grep -q '\"added\":2' && grep '\"op\":\"import\"' $tmp/out | grep -q '\"merged\":1' && grep '\"op\":\"import\"' $tmp/out | grep -q '\"rejected\":1'"

"$CG" bank --log "$tmp/other.log" create second 2>"$tmp/err"
check "--log PATH writes there" "[ $? -eq 0 ] && [ \$(records $tmp/other.log) -eq 1 ] && [ \$(records $log) -eq 5 ]"
"$CG" bank delete second --yes --log "$tmp/other.log" 2>"$tmp/err"
check "--log after the subcommand, bank delete" "[ $? -eq 0 ] && [ \$(records $tmp/other.log) -eq 2 ] && grep -q bank_delete $tmp/other.log"
"$CG" audit verify --log "$tmp/other.log" >"$tmp/out" 2>"$tmp/err"
check "the other log verifies" "[ $? -eq 0 ]"

# A fresh database without a log: reading creates none; --no-audit changes without one.
export CHILDGUARD_DB=$tmp/fresh/f.db
mkdir -p "$tmp/fresh"
"$CG" bank --no-audit create scratch 2>"$tmp/err"
check "--no-audit create works" "[ $? -eq 0 ]"
"$CG" bank add scratch "$A" --no-audit >"$tmp/out" 2>"$tmp/err"
check "--no-audit add works" "[ $? -eq 0 ]"
"$CG" bank list >/dev/null 2>"$tmp/err"
check "list works" "[ $? -eq 0 ]"
check "--no-audit and reading wrote no log" "[ ! -e $tmp/fresh/audit.log ]"
"$CG" bank --no-audit --log "$tmp/x.log" create y 2>"$tmp/err"
check "--log with --no-audit is an error" "[ $? -eq 2 ] && [ ! -e $tmp/x.log ]"

# An actor longer than 63 bytes is refused before anything changes.
CHILDGUARD_ACTOR=$(printf 'x%.0s' $(seq 70)) "$CG" bank create toolong 2>"$tmp/err"
check "an over-long actor is an error" "[ $? -eq 2 ] && grep -q actor $tmp/err"
"$CG" bank show toolong >/dev/null 2>"$tmp/err"
check "and the bank was not created" "[ $? -eq 2 ]"

exit $fail
