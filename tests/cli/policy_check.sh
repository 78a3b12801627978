#!/usr/bin/env bash
# childguard policy check: the shipped defaults are valid and give the decisions on the
# sample facts; a policy with a typo is refused naming the file, line and key.
set -u
CG=$1
ROOT=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; head -5 "$tmp/err"; fi; }
"$CG" policy check "$ROOT/data/policy/default.json" >"$tmp/out" 2>"$tmp/err"
check "the shipped defaults are valid (exit 0)" "[ \$? -eq 0 ] && grep -q 'valid, ' $tmp/out"
"$CG" policy check "$ROOT/data/policy/default.json" --sample "$ROOT/tests/policy/samples.json" >"$tmp/out" 2>"$tmp/err"
check "csam match: block, queue_review, draft_report" "grep -A3 'known CSAM' $tmp/out | grep -q 'actions: block, queue_review, draft_report'"
check "allow-list match: allow only" "grep -A2 'allow-list:\$' $tmp/out | grep -q 'actions: allow\$' || grep -A3 'false positive on the allow-list' $tmp/out | grep -q 'actions: allow\$'"
"$CG" policy check "$ROOT/tests/policy/typo.json" >"$tmp/out" 2>"$tmp/err"
check "a typo is refused naming file, line and key (exit 2)" "[ \$? -eq 2 ] && grep -q 'typo.json:7: rules\[1\].when.bank_kind' $tmp/err"
printf '{"version": 1, "rules": [' >"$tmp/bad.json"
"$CG" policy check "$tmp/bad.json" >"$tmp/out" 2>"$tmp/err"
check "malformed JSON is refused (exit 2)" "[ \$? -eq 2 ] && grep -q 'bad.json' $tmp/err"
"$CG" policy check "$tmp/none.json" >"$tmp/out" 2>"$tmp/err"
check "a missing policy is an error" "[ \$? -eq 2 ]"
exit $fail
