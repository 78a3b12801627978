#!/usr/bin/env bash
# childguard bank add --files VIDEO stores a vpdq signal; childguard match --video finds it, its
# re-edits (same clip, grey/logo) and not an unrelated video; export/import carries the frame
# list. Skipped (exit 77) when ../shared/testdata is absent.
# Usage: video_match.sh CHILDGUARD SOURCE_ROOT TESTDATA
set -u
CG=$1 TESTDATA=$3
dir=$TESTDATA/vpdq/videos
if [ ! -d "$dir" ]; then
    echo "SKIPPED: $dir not found"
    exit 77
fi
tmp=$(mktemp -d /tmp/cg_vmatch_XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # description, condition
    if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; head -5 "$tmp/err" 2>/dev/null; fi
}
export CHILDGUARD_DB=$tmp/t.db

"$CG" bank create vids --label test --no-audit 2>"$tmp/err"
check "bank create" "[ $? -eq 0 ]"
"$CG" bank add vids --no-audit --files "$dir/chair-orig-22-sd-bar.mp4" >"$tmp/out" 2>"$tmp/err"
check "bank add --files video" "[ $? -eq 0 ]"
check "a vpdq signal was added" "grep -q '^added vpdq [0-9a-f]\{64\} (673 frames)' $tmp/out"
"$CG" bank add vids --no-audit --files "$dir/chair-orig-22-sd-bar.mp4" >"$tmp/out" 2>"$tmp/err"
check "the same video again merges" "grep -q '^merged vpdq' $tmp/out"

"$CG" match --video "$dir/chair-22-sd-grey-bar.mp4" >"$tmp/out" 2>"$tmp/err"
check "grey re-edit matches (exit 0)" "[ $? -eq 0 ]"
check "percentages printed" "grep -q 'query=100.00% target=100.00% vpdq bank=vids' $tmp/out"
"$CG" match --video --json "$dir/chair-22-with-small-logo-bar.mp4" >"$tmp/out" 2>"$tmp/err"
check "small logo matches, JSON with percentages" \
    "grep -q '\"query_percent\": *9[0-9]' $tmp/out && grep -q '\"signal_type\": *\"vpdq\"' $tmp/out"
"$CG" match --video "$dir/pattern-sd-grey-bar.mp4" >"$tmp/out" 2>"$tmp/err"
check "unrelated video: no match (exit 1)" "[ $? -eq 1 ] && grep -q 'no match' $tmp/out"
"$CG" match --video --query-percent 101 "$dir/pattern-sd-grey-bar.mp4" >"$tmp/out" 2>"$tmp/err"
check "bad --query-percent is an error" "[ $? -eq 2 ]"

"$CG" bank export vids --format csv -o "$tmp/vids.csv" 2>"$tmp/err"
check "export" "[ $? -eq 0 ] && grep -q '^vpdq,\"\\[' $tmp/vids.csv"
"$CG" bank import copy --create --no-audit "$tmp/vids.csv" >"$tmp/out" 2>"$tmp/err"
check "import of the export" "[ $? -eq 0 ]"
"$CG" match --video --bank copy "$dir/chair-orig-22-sd-bar.mp4" >"$tmp/out" 2>"$tmp/err"
check "imported copy matches" "[ $? -eq 0 ] && grep -q 'bank=copy' $tmp/out"
# childguard scan: videos go through the engine (one frame per second) and the policy.
if command -v ffmpeg >/dev/null 2>&1; then
    ffmpeg -loglevel error -i "$dir/chair-orig-22-sd-bar.mp4" -ss 2 -vf scale=320:-2 -b:v 300k \
        "$tmp/reencoded.mp4"
    "$CG" scan -q --no-review --no-audit "$tmp/reencoded.mp4" "$dir/pattern-sd-grey-bar.mp4" \
        >"$tmp/out" 2>"$tmp/err"
    check "scan: a re-encoded, trimmed, downscaled copy matches and is blocked (exit 0)" \
        "[ $? -eq 0 ] && grep -P 'reencoded.mp4\tMATCH\tvpdq bank=vids' $tmp/out && grep -P 'reencoded.mp4\tDECISION\tblock' $tmp/out"
    check "scan: the unrelated video does not" "grep -P 'pattern-sd-grey-bar.mp4\tno match' $tmp/out"
    "$CG" scan -q --json --no-review --no-audit "$tmp/reencoded.mp4" >"$tmp/out" 2>"$tmp/err"
    check "scan --json: kind video, frame hashes, match percentages" \
        "python3 -c \"import json; v=json.loads(open('$tmp/out').readline()); assert v['kind']=='video' and v['signals']['vpdq'] and any(m['signal_type']=='vpdq' and m['query_percent']>=80 for m in v['matches']), v['matches']\""
    # An animated GIF made from the banked clip is a video too (its frames through FFmpeg).
    ffmpeg -loglevel error -i "$dir/chair-orig-22-sd-bar.mp4" -t 4 -vf fps=10,scale=320:-1 \
        "$tmp/anim.gif"
    "$CG" scan -q --no-review --no-audit "$tmp/anim.gif" >"$tmp/out" 2>"$tmp/err"
    check "scan: an animated GIF of the banked clip matches by vPDQ" \
        "[ $? -eq 0 ] && grep -P 'anim.gif\tMATCH\tvpdq bank=vids' $tmp/out"
else
    echo "note: ffmpeg missing: the scan cases are not run (scripts/install-deps.sh installs it)"
fi
exit $fail
