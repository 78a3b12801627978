#!/usr/bin/env bash
# childguard bank add --files VIDEO stores a vpdq signal; childguard match --video finds it, its
# re-edits (same clip, grey/logo) and not an unrelated video; export/import carries the frame
# list. With ../shared/testdata: the chair clip and its upstream re-edits (grey, logo); else the
# compact set in tests/vectors: the doorknob clip and re-edits the ffmpeg CLI makes here.
# Usage: video_match.sh CHILDGUARD SOURCE_ROOT TESTDATA
set -u
CG=$1 SRC=$2 TESTDATA=$3
tmp=$(mktemp -d /tmp/cg_vmatch_XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
dir=$TESTDATA/vpdq/videos
if [ -f "$dir/chair-orig-22-sd-bar.mp4" ]; then
    ORIG=$dir/chair-orig-22-sd-bar.mp4 GREY=$dir/chair-22-sd-grey-bar.mp4
    LOGO=$dir/chair-22-with-small-logo-bar.mp4 OTHER=$dir/pattern-sd-grey-bar.mp4 CUT=2
else
    dir=$SRC/tests/vectors/vpdq/videos
    ORIG=$dir/doorknob-hd-no-bar.mp4 OTHER=$dir/test-padded-dimensions.mp4 CUT=1
    GREY=$tmp/grey.mp4 LOGO=$tmp/logo.mp4
    ffmpeg -nostdin -loglevel error -y -i "$ORIG" -vf hue=s=0 -crf 18 -an "$GREY" &&
        ffmpeg -nostdin -loglevel error -y -i "$ORIG" -crf 18 -an \
            -vf "drawbox=x=iw-60:y=ih-34:w=48:h=24:color=white@0.5:t=fill" "$LOGO" ||
        { echo "FAIL: ffmpeg could not make the re-edits (scripts/install-deps.sh installs it)"; exit 1; }
fi
FRAMES=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$ORIG")
echo "clips: $(basename "$ORIG") ($FRAMES frames), re-edits $(basename "$GREY") $(basename "$LOGO"), unrelated $(basename "$OTHER")"
fail=0
check() { # description, condition
    if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; head -5 "$tmp/err" 2>/dev/null; fi
}
export CHILDGUARD_DB=$tmp/t.db

"$CG" bank create vids --label test --no-audit 2>"$tmp/err"
check "bank create" "[ $? -eq 0 ]"
"$CG" bank add vids --no-audit --files "$ORIG" >"$tmp/out" 2>"$tmp/err"
check "bank add --files video" "[ $? -eq 0 ]"
check "a vpdq signal was added" "grep -q '^added vpdq [0-9a-f]\{64\} ($FRAMES frames)' $tmp/out"
"$CG" bank add vids --no-audit --files "$ORIG" >"$tmp/out" 2>"$tmp/err"
check "the same video again merges" "grep -q '^merged vpdq' $tmp/out"

"$CG" match --video "$GREY" >"$tmp/out" 2>"$tmp/err"
check "grey re-edit matches (exit 0)" "[ $? -eq 0 ]"
check "percentages printed" "grep -Eq 'query=(9[0-9]|100)[.][0-9]{2}% target=(9[0-9]|100)[.][0-9]{2}% vpdq bank=vids' $tmp/out"
"$CG" match --video --json "$LOGO" >"$tmp/out" 2>"$tmp/err"
check "logo re-edit matches, JSON with percentages" \
    "grep -Eq '\"query_percent\": *(9[0-9]|8[0-9]|100)' $tmp/out && grep -q '\"signal_type\": *\"vpdq\"' $tmp/out"
"$CG" match --video "$OTHER" >"$tmp/out" 2>"$tmp/err"
check "unrelated video: no match (exit 1)" "[ $? -eq 1 ] && grep -q 'no match' $tmp/out"
"$CG" match --video --query-percent 101 "$OTHER" >"$tmp/out" 2>"$tmp/err"
check "bad --query-percent is an error" "[ $? -eq 2 ]"

"$CG" bank export vids --format csv -o "$tmp/vids.csv" 2>"$tmp/err"
check "export" "[ $? -eq 0 ] && grep -q '^vpdq,\"\\[' $tmp/vids.csv"
"$CG" bank import copy --create --no-audit "$tmp/vids.csv" >"$tmp/out" 2>"$tmp/err"
check "import of the export" "[ $? -eq 0 ]"
"$CG" match --video --bank copy "$ORIG" >"$tmp/out" 2>"$tmp/err"
check "imported copy matches" "[ $? -eq 0 ] && grep -q 'bank=copy' $tmp/out"
# childguard scan: videos go through the engine (one frame per second) and the policy.
if command -v ffmpeg >/dev/null 2>&1; then
    ffmpeg -nostdin -loglevel error -i "$ORIG" -ss $CUT -vf scale=320:-2 -b:v 300k \
        "$tmp/reencoded.mp4"
    "$CG" scan -q --no-review --no-audit "$tmp/reencoded.mp4" "$OTHER" \
        >"$tmp/out" 2>"$tmp/err"
    check "scan: a re-encoded, trimmed, downscaled copy matches and is blocked (exit 0)" \
        "[ $? -eq 0 ] && grep -P 'reencoded.mp4\tMATCH\tvpdq bank=vids' $tmp/out && grep -P 'reencoded.mp4\tDECISION\tblock' $tmp/out"
    check "scan: the unrelated video does not" "grep -P '$(basename "$OTHER")\tno match' $tmp/out"
    "$CG" scan -q --json --no-review --no-audit "$tmp/reencoded.mp4" >"$tmp/out" 2>"$tmp/err"
    check "scan --json: kind video, frame hashes, match percentages" \
        "python3 -c \"import json; v=json.loads(open('$tmp/out').readline()); assert v['kind']=='video' and v['signals']['vpdq'] and any(m['signal_type']=='vpdq' and m['query_percent']>=80 for m in v['matches']), v['matches']\""
    # An animated GIF made from the banked clip is a video too (its frames through FFmpeg).
    ffmpeg -nostdin -loglevel error -i "$ORIG" -t 4 -vf fps=10,scale=320:-1 \
        "$tmp/anim.gif"
    "$CG" scan -q --no-review --no-audit "$tmp/anim.gif" >"$tmp/out" 2>"$tmp/err"
    check "scan: an animated GIF of the banked clip matches by vPDQ" \
        "[ $? -eq 0 ] && grep -P 'anim.gif\tMATCH\tvpdq bank=vids' $tmp/out"
else
    echo "note: ffmpeg missing: the scan cases are not run (scripts/install-deps.sh installs it)"
fi
exit $fail
