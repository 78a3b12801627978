#!/usr/bin/env bash
# childguard keys end to end: create prints a token once (with a warning on stderr) and JSON
# with --json; a duplicate live name, an unknown scope, an all-digit name and a bad --rate are
# errors (exit 2); list as text and JSON never shows a secret; an empty list exits 1; revoke by
# name and by id, a second revoke is an error, a revoked name can be reused; the audit log has
# create and revoke records, verifies, and never contains a secret.
set -u
CG=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # description, condition
    if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; head -5 "$tmp/err" "$tmp/out" 2>/dev/null; fi
}
export CHILDGUARD_DB=$tmp/t.db
export CHILDGUARD_AUDIT_LOG=$tmp/audit.log
export CHILDGUARD_ACTOR=keys-tester
command -v python3 >/dev/null || { echo "SKIPPED: python3 missing"; exit 77; }

"$CG" keys create web --scope hash,match --rate 5 >"$tmp/out" 2>"$tmp/err"
check "create prints one token" "[ $? -eq 0 ] && [ \$(wc -l <$tmp/out) -eq 1 ] && grep -Eq '^cgk_1_[0-9a-f]{64}\$' $tmp/out"
check "create warns that the token is not stored" "grep -q 'not stored' $tmp/err && ! grep -q cgk_ $tmp/err"
tok1=$(cat "$tmp/out")
"$CG" keys create ops --scope all --json >"$tmp/out" 2>"$tmp/err"
check "create --json" "[ $? -eq 0 ] && python3 -c 'import json; j=json.load(open(\"$tmp/out\")); assert j[\"id\"]==2 and j[\"name\"]==\"ops\" and j[\"token\"].startswith(\"cgk_2_\") and \"admin\" in j[\"scopes\"]'"
tok2=$(python3 -c "import json; print(json.load(open('$tmp/out'))['token'])")

"$CG" keys create web --scope hash >"$tmp/out" 2>"$tmp/err"
check "a second live key of a name is refused" "[ $? -eq 2 ] && grep -q 'already exists' $tmp/err && [ ! -s $tmp/out ]"
"$CG" keys create other --scope hash,bogus >"$tmp/out" 2>"$tmp/err"
check "an unknown scope is an error naming it" "[ $? -eq 2 ] && grep -q bogus $tmp/err"
"$CG" keys create 42 --scope hash >"$tmp/out" 2>"$tmp/err"
check "an all-digit name is refused" "[ $? -eq 2 ] && grep -q digits $tmp/err"
"$CG" keys create other --scope hash --rate -3 >"$tmp/out" 2>"$tmp/err"
check "a bad --rate is an error" "[ $? -eq 2 ]"
"$CG" keys create other >"$tmp/out" 2>"$tmp/err"
check "create without --scope is an error" "[ $? -eq 2 ]"
"$CG" keys frobnicate >"$tmp/out" 2>"$tmp/err"
check "an unknown subcommand is an error" "[ $? -eq 2 ] && grep -q frobnicate $tmp/err"

"$CG" keys list >"$tmp/out" 2>"$tmp/err"
check "list: a header, then two live keys, oldest first" "[ $? -eq 0 ] && [ \"\$(cut -f1,2,7 $tmp/out | tr '\t\n' ': ')\" = 'ID:NAME:STATE 1:web:live 2:ops:live ' ]"
check "list shows scopes and rate" "grep -q \$'^1\tweb\thash,match\t5\t' $tmp/out"
check "list shows holder, tenant and banks (defaults: the name, default, *)" "grep -q \$'^1\tweb\t.*\tweb\tdefault\t\\*\$' $tmp/out"
"$CG" keys create ana-review --db "$tmp/x.db" --log "$tmp/x.log" --scope review:senior --holder "Ana Lima" --tenant acme --banks "fp-allow, csam" >"$tmp/out" 2>"$tmp/err"
check "create --holder --tenant --banks; review:senior implies review" "[ $? -eq 0 ] && grep -q 'for Ana Lima, tenant acme (scopes review,review:senior; banks fp-allow,csam)' $tmp/err"
"$CG" keys create bad-tenant --db "$tmp/x.db" --log "$tmp/x.log" --scope hash --tenant 'a b' >"$tmp/out" 2>"$tmp/err"
check "a bad --tenant is an error naming it" "[ $? -eq 2 ] && grep -q tenant $tmp/err"
"$CG" keys create bad-banks --db "$tmp/x.db" --log "$tmp/x.log" --scope hash --banks 'ok,,x' >"$tmp/out" 2>"$tmp/err"
check "a bad --banks list is an error naming it" "[ $? -eq 2 ] && grep -q banks $tmp/err"
"$CG" keys list --json >"$tmp/out" 2>"$tmp/err"
check "list --json: one object per line" "[ $? -eq 0 ] && python3 -c '
import json
rows=[json.loads(l) for l in open(\"$tmp/out\")]
assert [r[\"name\"] for r in rows]==[\"web\",\"ops\"] and rows[0][\"rate\"]==5 and rows[0][\"live\"]
assert all(\"token\" not in r and \"secret\" not in str(r) for r in rows)'"
check "list never prints a secret" "! grep -q \"\${tok1#cgk_1_}\" $tmp/out && ! grep -q \"\${tok2#cgk_2_}\" $tmp/out"

"$CG" keys revoke web >"$tmp/out" 2>"$tmp/err"
check "revoke by name" "[ $? -eq 0 ] && grep -q 'revoked' $tmp/out"
"$CG" keys revoke web >"$tmp/out" 2>"$tmp/err"
check "a second revoke is an error" "[ $? -eq 2 ] && grep -q 'no live API key' $tmp/err"
"$CG" keys revoke 2 >"$tmp/out" 2>"$tmp/err"
check "revoke by id" "[ $? -eq 0 ]"
"$CG" keys revoke 99 >"$tmp/out" 2>"$tmp/err"
check "revoke of an unknown id is an error" "[ $? -eq 2 ] && grep -q 99 $tmp/err"
"$CG" keys revoke >"$tmp/out" 2>"$tmp/err"
check "revoke without an argument is an error" "[ $? -eq 2 ]"
"$CG" keys create web --scope scan >"$tmp/out" 2>"$tmp/err"
check "a revoked key's name can be reused" "[ $? -eq 0 ] && grep -Eq '^cgk_3_[0-9a-f]{64}\$' $tmp/out"
tok3=$(cat "$tmp/out")
"$CG" keys list >"$tmp/out" 2>"$tmp/err"
check "list shows revoked keys with their revocation time" "[ $? -eq 0 ] && [ \$(cut -f7 $tmp/out | grep -c 'Z\$') -eq 2 ] && [ \$(cut -f7 $tmp/out | grep -c '^live\$') -eq 1 ]"

check "the audit log has 2+1 creates and 2 revokes by the actor" "[ \$(grep -c '\"create\"' $tmp/audit.log) -eq 3 ] && [ \$(grep -c '\"revoke\"' $tmp/audit.log) -eq 2 ] && grep -q keys-tester $tmp/audit.log"
check "the audit log never contains a secret" "! grep -q \"\${tok1#cgk_1_}\" $tmp/audit.log && ! grep -q \"\${tok2#cgk_2_}\" $tmp/audit.log && ! grep -q \"\${tok3#cgk_3_}\" $tmp/audit.log"
"$CG" audit verify --log "$tmp/audit.log" >"$tmp/out" 2>"$tmp/err"
check "the audit log verifies" "[ $? -eq 0 ]"

"$CG" keys create x --scope hash --db "$tmp/e2.db" >/dev/null 2>"$tmp/err"
"$CG" keys revoke x --db "$tmp/e2.db" >/dev/null 2>"$tmp/err"
"$CG" keys list --db "$tmp/e2.db" >"$tmp/out" 2>"$tmp/err"
check "--db works; revoked keys are still listed" "[ $? -eq 0 ] && [ \$(tail -n +2 $tmp/out | wc -l) -eq 1 ]"
# A database without any key (made by another command): an empty list exits 1.
"$CG" bank create b1 --db "$tmp/e3.db" >/dev/null 2>"$tmp/err"
"$CG" keys list --db "$tmp/e3.db" >"$tmp/out" 2>"$tmp/err"
check "an empty key list exits 1" "[ $? -eq 1 ] && [ ! -s $tmp/out ]"
"$CG" keys --help >"$tmp/out" 2>"$tmp/err"
check "--help" "[ $? -eq 0 ] && grep -q 'shown once' $tmp/out"
exit $fail
