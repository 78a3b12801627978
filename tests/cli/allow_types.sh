#!/usr/bin/env bash
# An allow-list wins across signal types (issue 12): a content allow-listed by one hash is
# allowed whatever type its block match came from - a SHA-256 allow against a PDQ block, an MD5
# allow against a vPDQ block (a video), a PDQ allow against an MD5 block - in `scan` text and
# JSON output, and a block with no allow match still blocks.
# Usage: allow_types.sh CHILDGUARD SOURCE_ROOT [TESTDATA]
set -u
CG=$1 SRC=$2
tmp=$(mktemp -d /tmp/cg_allow_XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # description, condition
    if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; head -5 "$tmp/out" "$tmp/err" 2>/dev/null; fi
}
export CHILDGUARD_DB=$tmp/b.db
V=$SRC/tests/vectors
cp "$V/pdq/images/bridge-mods/square-256x256.jpg" "$tmp/a.jpg"
cp "$V/pdq/images/reg-test-input/labelme-subset/q0746.jpg" "$tmp/b.jpg"
cp "$V/pdq/images/misc-images/wee.jpg" "$tmp/c.jpg"
cp "$V/vpdq/videos/test-padded-dimensions.mp4" "$tmp/clip.mp4"
field() { # file field: one hash of one file
    "$CG" hash --json -t pdq,md5,sha256 "$1" | python3 -c "import json,sys; print(json.load(sys.stdin)['$2'])"
}
"$CG" bank create blk --label csam --no-audit 2>"$tmp/err" &&
    "$CG" bank create alw --kind allow --no-audit 2>>"$tmp/err"
check "banks created" "[ $? -eq 0 ]"
"$CG" bank add blk --no-audit --type pdq "$(field "$tmp/a.jpg" pdq)" >/dev/null 2>>"$tmp/err" &&
    "$CG" bank add alw --no-audit --type sha256 "$(field "$tmp/a.jpg" sha256)" >/dev/null 2>>"$tmp/err" &&
    "$CG" bank add blk --no-audit --type md5 "$(field "$tmp/b.jpg" md5)" >/dev/null 2>>"$tmp/err" &&
    "$CG" bank add alw --no-audit --type pdq "$(field "$tmp/b.jpg" pdq)" >/dev/null 2>>"$tmp/err" &&
    "$CG" bank add blk --no-audit --type pdq "$(field "$tmp/c.jpg" pdq)" >/dev/null 2>>"$tmp/err" &&
    "$CG" bank add blk --no-audit --files "$tmp/clip.mp4" >"$tmp/out" 2>>"$tmp/err"
check "signals added (the clip as vpdq)" "[ $? -eq 0 ] && grep -q '^added vpdq' $tmp/out"
# The clip: its vpdq (and MD5) in blk from --files; its MD5 in the allow bank.
"$CG" bank add alw --no-audit --type md5 "$(field "$tmp/clip.mp4" md5)" >/dev/null 2>>"$tmp/err"

"$CG" scan -q --no-review --no-audit "$tmp/a.jpg" >"$tmp/out" 2>"$tmp/err"
check "sha256 allow vs pdq block: allowed (exit 1: the policy did not act)" \
    "[ $? -eq 1 ] && grep -P 'a.jpg\tALLOWED\tpdq bank=blk .*suppressed by allow bank alw' $tmp/out && ! grep -q DECISION $tmp/out"
"$CG" scan -q --no-review --no-audit "$tmp/b.jpg" >"$tmp/out" 2>"$tmp/err"
check "pdq allow vs md5 block: allowed" \
    "[ $? -eq 1 ] && grep -P 'b.jpg\tALLOWED\tmd5 bank=blk .*suppressed by allow bank alw' $tmp/out"
"$CG" scan -q --json --no-review --no-audit "$tmp/clip.mp4" >"$tmp/out" 2>"$tmp/err"
check "md5 allow vs vpdq block: every block match suppressed by alw, decision allow" \
    "python3 -c \"
import json
v = json.loads(open('$tmp/out').readline())
blocks = [m for m in v['matches'] if m['kind'] == 'block']
assert any(m['signal_type'] == 'vpdq' for m in blocks), v['matches']
assert all(m['suppressed'] and m['suppressed_by'] == 'alw' for m in blocks), blocks
assert any(m['kind'] == 'allow' and m['signal_type'] == 'md5' for m in v['matches'])
assert not v['decision']['blocked'], v['decision']
\""
"$CG" scan -q --no-review --no-audit "$tmp/c.jpg" >"$tmp/out" 2>"$tmp/err"
check "control: a pdq block with no allow match still blocks (exit 0)" \
    "[ $? -eq 0 ] && grep -P 'c.jpg\tDECISION\tblock' $tmp/out"
exit $fail
