#!/usr/bin/env bash
# childguard hash prints the reference vpdq-hash-video output byte for byte on the shared videos
# (-r 0 -s 0 against expected/generated-s0), honours --video-rate / --video-size, prints JSON,
# and reports bad videos with a clear error and exit 2. Uses ../shared/testdata when it is
# there, else the compact set in tests/vectors (never skipped).
# Usage: hash_video.sh CHILDGUARD SOURCE_ROOT TESTDATA
set -u
CG=$1 SRC=$2 TESTDATA=$3
dir=$TESTDATA/vpdq
[ -d "$dir/videos" ] || dir=$SRC/tests/vectors/vpdq
echo "reference vectors: $dir"
tmp=$(mktemp -d /tmp/cg_video_XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0 n=0
videos=("$dir"/videos/*.mp4)
# Under ASan/UBSan every frame costs ~10x: a sanitizer build checks one clip of each kind (SD
# chair, HD doorknob, SD pattern, padded dimensions); the release build checks all of them, and
# the unit tests (test_vpdq) check every clip in both builds.
build=$(dirname "$(dirname "$CG")")
if grep -Eq '^CG_SANITIZE:STRING=.+' "$build/CMakeCache.txt" 2>/dev/null; then
    videos=()
    for name in chair-19-sd-bar doorknob-hd-no-bar pattern-sd-grey-bar test-padded-dimensions; do
        [ -f "$dir/videos/$name.mp4" ] && videos+=("$dir/videos/$name.mp4")
    done
    echo "note: sanitizer build: ${#videos[@]} of $(ls "$dir"/videos/*.mp4 | wc -l) clips (the release build checks all)"
fi
# Two clips at a time: one decoder thread each.
printf '%s\n' "${videos[@]}" | xargs -P 2 -I{} sh -c '"$1" hash -q "$2" >"$3/$(basename "$2" .mp4).out" 2>"$3/$(basename "$2" .mp4).err"; echo $? >"$3/$(basename "$2" .mp4).rc"' _ "$CG" {} "$tmp"
for v in "${videos[@]}"; do
    name=$(basename "$v" .mp4)
    if [ "$(cat "$tmp/$name.rc")" != 0 ]; then
        echo "FAIL: $name: exit $(cat "$tmp/$name.rc"): $(head -c 300 "$tmp/$name.err")"; fail=1; continue
    fi
    if ! cmp -s "$dir/expected/generated-s0/$name.txt" "$tmp/$name.out"; then
        echo "FAIL: $name: output differs from generated-s0"
        diff "$dir/expected/generated-s0/$name.txt" "$tmp/$name.out" | head -5
        fail=1
    fi
    n=$((n + 1))
done

# --video-size 128 on one clip: identical to generated-s128.
p=$dir/videos/doorknob-hd-no-bar.mp4
"$CG" hash -q --video-size 128 "$p" >"$tmp/s128.txt" || fail=1
cmp -s "$dir/expected/generated-s128/doorknob-hd-no-bar-128x128.txt" "$tmp/s128.txt" ||
    { echo "FAIL: --video-size 128 differs from generated-s128"; fail=1; }

# --video-rate 1 keeps every 30th line of the 30 fps clip.
"$CG" hash -q --video-rate 1 "$p" >"$tmp/r1.txt" || fail=1
awk -F, '$1 % 30 == 0' "$dir/expected/generated-s0/doorknob-hd-no-bar.txt" >"$tmp/r1.exp"
cmp -s "$tmp/r1.exp" "$tmp/r1.txt" || { echo "FAIL: --video-rate 1 differs"; fail=1; }

# JSON: one object with the frames.
"$CG" hash -q --json --video-rate 1 -t pdq,md5 "$p" >"$tmp/j.json" || fail=1
grep -q '"format":"video"' "$tmp/j.json" && grep -q '"frame":30,' "$tmp/j.json" &&
    grep -q '"md5":"' "$tmp/j.json" || { echo "FAIL: JSON output"; cat "$tmp/j.json" | head -c 300; fail=1; }

# Bad videos: truncated header, truncated media, empty file; each a one-line error, exit 2.
head -c 1000 "$p" >"$tmp/head.mp4"
head -c $(( $(stat -c %s "$p") / 2 )) "$p" >"$tmp/half.mp4"
: >"$tmp/empty.mp4"
for bad in head half empty; do
    "$CG" hash -q "$tmp/$bad.mp4" >"$tmp/bad.out" 2>"$tmp/bad.err"
    rc=$?
    if [ $rc -ne 2 ] || ! grep -q "$tmp/$bad.mp4" "$tmp/bad.err"; then
        echo "FAIL: $bad.mp4: exit $rc, stderr: $(cat "$tmp/bad.err")"; fail=1
    fi
done
"$CG" hash -q "$tmp/half.mp4" 2>&1 >/dev/null | grep -q "truncated" ||
    { echo "FAIL: truncated video message"; fail=1; }
if command -v ffmpeg >/dev/null 2>&1; then
    ffmpeg -hide_banner -loglevel error -y -f lavfi -i sine=duration=1 -c:a aac "$tmp/a.m4a"
    "$CG" hash -q "$tmp/a.m4a" 2>&1 >/dev/null | grep -q "no video stream" ||
        { echo "FAIL: audio-only message"; fail=1; }
else
    echo "note: ffmpeg CLI not on PATH, audio-only case not run"
fi
[ $fail -eq 0 ] && echo "ok: $n videos identical to generated-s0; size, rate, JSON, errors"
exit $fail
