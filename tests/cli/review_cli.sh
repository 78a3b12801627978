#!/usr/bin/env bash
# childguard review end to end: items added by hand (review add), listed by priority then age
# with filters, shown as text and JSON, claimed by two reviewers (the second refused), claimed
# with --next, released, decided (confirm feeding a block bank, false positive an allow bank,
# escalate then re-decide), a wrong bank kind and a second decision refused, a preview written
# as a PGM, counts, every change in a verifying audit log, and bad input giving exit 2.
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
unset CHILDGUARD_REVIEWER
export USER=tester
command -v python3 >/dev/null || { echo "SKIPPED: python3 missing"; exit 77; }

# A synthetic colour image for the preview (a gradient with squares), as an RGB PNG.
python3 - "$tmp" <<'PY'
import struct, sys, zlib
def png(path, w, h, f):
    raw = b"".join(b"\x00" + b"".join(bytes(f(x, y)) for x in range(w)) for y in range(h))
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    open(path, "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
png(sys.argv[1] + "/img.png", 600, 300,
    lambda x, y: ((x * 255 // 600), (255 if (x // 20 + y // 20) % 2 else 0), (y * 255 // 300)))
PY

md5a=0123456789abcdef0123456789abcdef
pdqa=f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0
md5b=fedcba9876543210fedcba9876543210
md5c=00112233445566778899aabbccddeeff

"$CG" bank create confirmed --label csam >/dev/null 2>"$tmp/err"
"$CG" bank create fp --kind allow >/dev/null 2>"$tmp/err"
check "banks created" "[ $? -eq 0 ]"

"$CG" review list >"$tmp/out" 2>"$tmp/err"
check "an empty queue lists nothing (exit 1)" "[ $? -eq 1 ] && [ ! -s $tmp/out ]"

"$CG" review add --content-id sha256:aaa --kind image --label csam --signal md5:$md5a \
    --signal pdq:$pdqa --reason "csam_block" --priority 1 --verdict '{"score":0.9}' \
    --preview-from "$tmp/img.png" >"$tmp/out" 2>"$tmp/err"
check "review add prints the new id" "[ $? -eq 0 ] && [ \"\$(cat $tmp/out)\" = 1 ]"
"$CG" review add --content-id sha256:bbb --kind image --label csam --signal md5:$md5b \
    --priority 3 >"$tmp/out" 2>"$tmp/err"
check "second item" "[ $? -eq 0 ] && [ \"\$(cat $tmp/out)\" = 2 ]"
"$CG" review add --content-id msg:c1/7 --kind message --label grooming --signal md5:$md5c \
    >"$tmp/out" 2>"$tmp/err"
check "third item" "[ $? -eq 0 ] && [ \"\$(cat $tmp/out)\" = 3 ]"

"$CG" review list >"$tmp/out" 2>"$tmp/err"
check "list: a header, then priority first, then oldest" "[ $? -eq 0 ] && [ \"\$(cut -f1 $tmp/out | tr '\n' ' ')\" = 'ID 2 1 3 ' ]"
"$CG" review list --label grooming --json >"$tmp/out" 2>"$tmp/err"
check "list --label --json" "[ $? -eq 0 ] && [ \$(wc -l <$tmp/out) -eq 1 ] && python3 -c 'import json,sys; j=json.loads(open(\"$tmp/out\").read()); assert j[\"id\"]==3 and j[\"kind\"]==\"message\"'"
"$CG" review list --state bogus >"$tmp/out" 2>"$tmp/err"
check "an unknown state is an error naming it" "[ $? -eq 2 ] && grep -q bogus $tmp/err"

"$CG" review show 1 >"$tmp/out" 2>"$tmp/err"
check "show: fields, signals and the pretty verdict" "[ $? -eq 0 ] && grep -q 'sha256:aaa' $tmp/out && grep -q \"md5 $md5a\" $tmp/out && grep -q '\"score\": 0.9' $tmp/out && grep -q 'preview     yes' $tmp/out"
"$CG" review show 1 --json >"$tmp/out" 2>"$tmp/err"
check "show --json carries the verdict" "[ $? -eq 0 ] && python3 -c 'import json; j=json.load(open(\"$tmp/out\")); assert j[\"verdict\"][\"score\"]==0.9 and len(j[\"signals\"])==2'"
"$CG" review show 99 >"$tmp/out" 2>"$tmp/err"
check "show of a missing item is an error naming it" "[ $? -eq 2 ] && grep -q 99 $tmp/err"
"$CG" review show abc >"$tmp/out" 2>"$tmp/err"
check "a non-numeric id is an error" "[ $? -eq 2 ]"

"$CG" review preview 1 -o "$tmp/p.pgm" >"$tmp/out" 2>"$tmp/err"
check "preview written as a 256x128 greyscale PGM" "[ $? -eq 0 ] && [ \"\$(head -c 15 $tmp/p.pgm | tr '\n' ' ')\" = 'P5 256 128 255 ' ]"
check "showing the preview is audited (review_preview, item 1)" "grep -q '\"kind\":\"review_preview\".*\"subject\":\"review:1\"' $tmp/audit.log || grep '\"kind\":\"review_preview\"' $tmp/audit.log | grep -q 'review:1'"
"$CG" review preview 2 -o "$tmp/p2.pgm" >"$tmp/out" 2>"$tmp/err"
check "an item without a preview: exit 1" "[ $? -eq 1 ] && [ ! -e $tmp/p2.pgm ]"

"$CG" review claim 2 --reviewer alice >"$tmp/out" 2>"$tmp/err"
check "alice claims 2" "[ $? -eq 0 ] && grep -q 'claimed 2 for alice' $tmp/out"
"$CG" review claim 2 --reviewer bob >"$tmp/out" 2>"$tmp/err"
check "bob cannot claim alice's item (exit 2, names alice)" "[ $? -eq 2 ] && grep -q alice $tmp/err"
CHILDGUARD_REVIEWER=bob "$CG" review claim --next >"$tmp/out" 2>"$tmp/err"
check "bob (from \$CHILDGUARD_REVIEWER) claims the next: item 1" "[ $? -eq 0 ] && grep -q 'claimed 1 for bob' $tmp/out"
"$CG" review list --reviewer bob >"$tmp/out" 2>"$tmp/err"
check "list --reviewer" "[ $? -eq 0 ] && [ \"\$(tail -n +2 $tmp/out | cut -f1)\" = 1 ]"
"$CG" review release 1 --reviewer alice >"$tmp/out" 2>"$tmp/err"
check "alice cannot release bob's item" "[ $? -eq 2 ]"
"$CG" review release 1 --reviewer bob >"$tmp/out" 2>"$tmp/err"
check "bob releases item 1" "[ $? -eq 0 ]"
"$CG" review claim --next >"$tmp/out" 2>"$tmp/err"
check "\$USER claims the next: item 1 again" "[ $? -eq 0 ] && grep -q 'claimed 1 for tester' $tmp/out"
"$CG" review claim --next --reviewer carol >"$tmp/out" 2>"$tmp/err"
check "then item 3" "[ $? -eq 0 ] && grep -q 'claimed 3 for carol' $tmp/out"
"$CG" review claim --next --reviewer dave >"$tmp/out" 2>"$tmp/err"
check "no pending item left: exit 1" "[ $? -eq 1 ]"

"$CG" review decide 2 --reviewer alice --confirm --bank fp >"$tmp/out" 2>"$tmp/err"
check "confirm into an allow bank is refused" "[ $? -eq 2 ] && grep -q 'allow bank' $tmp/err"
"$CG" review decide 2 --reviewer bob --confirm >"$tmp/out" 2>"$tmp/err"
check "bob cannot decide alice's claim" "[ $? -eq 2 ]"
"$CG" review decide 2 --reviewer alice --confirm --false-positive >"$tmp/out" 2>"$tmp/err"
check "two decisions at once are refused" "[ $? -eq 2 ]"
"$CG" review decide 2 --reviewer alice --confirm --bank confirmed --note "clear" >"$tmp/out" 2>"$tmp/err"
check "alice confirms 2 into the block bank" "[ $? -eq 0 ] && grep -q '2 confirmed by alice; 1 new signals in bank confirmed' $tmp/out"
"$CG" bank export confirmed --format csv >"$tmp/out" 2>"$tmp/err"
check "the block bank now holds item 2's hash from review" "grep -q $md5b $tmp/out && grep -q 'review:2' $tmp/out"
"$CG" review decide 2 --reviewer alice --false-positive >"$tmp/out" 2>"$tmp/err"
check "a decided item cannot be decided again" "[ $? -eq 2 ] && grep -q 'already decided' $tmp/err"
"$CG" review decide 1 --reviewer tester --false-positive --bank fp >"$tmp/out" 2>"$tmp/err"
check "allow-listing a csam item is only proposed by the first reviewer" "[ $? -eq 0 ] && grep -q 'proposed by tester; a second reviewer' $tmp/out"
"$CG" bank export fp --format csv >"$tmp/out" 2>"$tmp/err"
check "the proposal changed no bank" "! grep -q 'review:1' $tmp/out"
"$CG" review decide 1 --reviewer tester --false-positive --bank fp >"$tmp/out" 2>"$tmp/err"
check "the proposer cannot confirm it" "[ $? -eq 2 ] && grep -q 'second reviewer' $tmp/err"
"$CG" review decide 1 --reviewer erin --false-positive --bank fp >"$tmp/out" 2>"$tmp/err"
check "a second reviewer confirms: the false positive feeds the allow bank" "[ $? -eq 0 ] && grep -q 'false_positive by erin (proposed by tester); 2 new signals in bank fp' $tmp/out"
"$CG" review decide 3 --reviewer carol --escalate --note "needs legal" >"$tmp/out" 2>"$tmp/err"
check "carol escalates 3" "[ $? -eq 0 ] && grep -q '3 escalated by carol' $tmp/out"
"$CG" review decide 3 --reviewer senior --confirm --bank confirmed >"$tmp/out" 2>"$tmp/err"
check "a senior reviewer re-decides the escalated item" "[ $? -eq 0 ] && grep -q '3 confirmed by senior' $tmp/out"

"$CG" review counts >"$tmp/out" 2>"$tmp/err"
check "counts" "[ $? -eq 0 ] && grep -Eq '^confirmed +2$' $tmp/out && grep -Eq '^false_positive +1$' $tmp/out && grep -Eq '^pending +0$' $tmp/out"
"$CG" review counts --json >"$tmp/out" 2>"$tmp/err"
check "counts --json" "[ $? -eq 0 ] && python3 -c 'import json; j=json.load(open(\"$tmp/out\")); assert j[\"confirmed\"]==2 and j[\"escalated\"]==0'"

"$CG" audit verify --log "$tmp/audit.log" >"$tmp/out" 2>"$tmp/err"
check "the audit log verifies" "[ $? -eq 0 ]"
n=$(grep -c '"kind":"review"' "$tmp/audit.log")
# 3 adds, 4 claims, 1 release, 1 proposal, 4 decisions.
check "one review record per change (13, got $n)" "[ $n -eq 13 ]"

"$CG" review add --content-id x --kind image --signal md5:zz >"$tmp/out" 2>"$tmp/err"
check "a bad --signal is an error naming it" "[ $? -eq 2 ] && grep -q 'md5:zz' $tmp/err"
"$CG" review add --content-id x --kind image --verdict '[1]' >"$tmp/out" 2>"$tmp/err"
check "a verdict that is not an object is refused" "[ $? -eq 2 ] && grep -q 'not an object' $tmp/err"
"$CG" review add --content-id x --kind image --preview-from "$tmp/audit.log" >"$tmp/out" 2>"$tmp/err"
check "a preview source that is not an image is refused" "[ $? -eq 2 ] && grep -q audit.log $tmp/err"
"$CG" review add --content-id x --kind image --priority 9 >"$tmp/out" 2>"$tmp/err"
check "priority out of range" "[ $? -eq 2 ]"
"$CG" review frobnicate >"$tmp/out" 2>"$tmp/err"
check "an unknown subcommand is an error" "[ $? -eq 2 ] && grep -q frobnicate $tmp/err"
"$CG" review list --db "$tmp/none.db" >"$tmp/out" 2>"$tmp/err"
check "a missing database is an error naming it" "[ $? -eq 2 ] && grep -q none.db $tmp/err"
"$CG" review --help >"$tmp/out" 2>"$tmp/err"
check "help" "[ $? -eq 0 ] && grep -q 'false-positive' $tmp/out"
exit $fail
