#!/usr/bin/env bash
# Bad input to childguard hash: clear one-line errors naming the file, other files still hashed,
# exit status 2; --json stays valid JSON lines; usage errors exit 2; help and version exit 0.
set -u
CG=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # description, condition
    if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi
}

# A valid image made by a tiny PNG written with printf: 8x8 grey gradient is overkill; instead
# use a 1x1 PNG (valid) and a 6x6 PPM-less approach: the program must hash a real image, so the
# test writes a small PNG from known bytes (IHDR 6x6, 8-bit grey, zlib-stored IDAT).
printf '\x89PNG\r\n\x1a\n' >"$tmp/ok.png"
python3 - "$tmp/ok.png" <<'PY' 2>/dev/null || { echo "SKIPPED: python3 missing"; exit 77; }
import struct, sys, zlib
w = h = 32
raw = b"".join(b"\x00" + bytes(((x * 7 + y * 13) * 3) % 256 for x in range(w)) for y in range(h))
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
png = chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
open(sys.argv[1], "ab").write(png)
PY
: >"$tmp/empty.jpg"
head -c 4096 /dev/urandom >"$tmp/random.bin"
head -c 40 "$tmp/ok.png" >"$tmp/truncated.png"
cp "$tmp/ok.png" "$tmp/wrong-extension.jpg"

"$CG" hash -q "$tmp/ok.png" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "a valid PNG hashes with exit 0" "[ $rc -eq 0 ] && grep -Eq '^[0-9a-f]{64},[0-9]+,$tmp/ok.png\$' $tmp/out"
check "no stderr for a valid file" "[ ! -s $tmp/err ]"

"$CG" hash -q "$tmp/empty.jpg" "$tmp/ok.png" "$tmp/random.bin" "$tmp/truncated.png" \
    "$tmp/missing.png" "$tmp/wrong-extension.jpg" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "mixed good and bad files exit 2" "[ $rc -eq 2 ]"
check "good files are still hashed" "[ \$(wc -l <$tmp/out) -eq 2 ]"
check "wrong extension decodes by content" "grep -q 'wrong-extension.jpg' $tmp/out"
check "one error line per bad file" "[ \$(wc -l <$tmp/err) -eq 4 ]"
for f in empty.jpg random.bin truncated.png missing.png; do
    check "error names $f" "grep -q '$f' $tmp/err"
done
check "empty file says empty" "grep 'empty.jpg' $tmp/err | grep -q 'empty'"
check "truncated file says truncated" "grep 'truncated.png' $tmp/err | grep -qi 'truncat\|corrupt'"

"$CG" hash -q --json -t pdq,md5,sha256 "$tmp/ok.png" "$tmp/random.bin" >"$tmp/out" 2>/dev/null; rc=$?
check "--json exit 2 with a bad file" "[ $rc -eq 2 ]"
check "--json prints one object per file" "[ \$(grep -c '^{.*}\$' $tmp/out) -eq 2 ]"
check "--json carries every signal" "grep -q '\"pdq\":\"[0-9a-f]\{64\}\".*\"md5\":\"[0-9a-f]\{32\}\".*\"sha256\":\"[0-9a-f]\{64\}\"' $tmp/out"
check "--json error object" "grep -q '\"error\":\"unsupported\"' $tmp/out"
md5=$(md5sum "$tmp/ok.png" | cut -d' ' -f1)
check "md5 equals md5sum" "grep -q '\"md5\":\"$md5\"' $tmp/out"

"$CG" hash -q -t md5,sha256 "$tmp/random.bin" >"$tmp/out"; rc=$?
sha=$(sha256sum "$tmp/random.bin" | cut -d' ' -f1)
check "digests of a non-image succeed" "[ $rc -eq 0 ] && grep -q \"$sha\" $tmp/out"

mkdir -p "$tmp/tree/sub"
cp "$tmp/ok.png" "$tmp/tree/sub/a.png"; cp "$tmp/random.bin" "$tmp/tree/notes.txt"
"$CG" hash -q "$tmp/tree" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "directory walk hashes images, skips non-images" "[ $rc -eq 0 ] && [ \$(wc -l <$tmp/out) -eq 1 ]"

"$CG" hash -q - <"$tmp/ok.png" >"$tmp/out"; rc=$?
check "standard input" "[ $rc -eq 0 ] && grep -q ',-\$' $tmp/out"

"$CG" hash --max-pixels 100 -q "$tmp/ok.png" 2>"$tmp/err" >/dev/null; rc=$?
check "--max-pixels refuses a bigger image" "[ $rc -eq 2 ] && grep -q 'limit' $tmp/err"

"$CG" hash -q -t nope "$tmp/ok.png" 2>/dev/null; rc=$?
check "unknown type is a usage error" "[ $rc -eq 2 ]"
"$CG" hash 2>/dev/null; rc=$?
check "no files is a usage error" "[ $rc -eq 2 ]"
"$CG" nosuchcommand 2>/dev/null; rc=$?
check "unknown command exits 2" "[ $rc -eq 2 ]"
"$CG" --version | grep -q '^childguard [0-9]'; check "--version" "[ $? -eq 0 ]"
"$CG" help hash | grep -q 'usage: childguard hash'; check "help hash" "[ $? -eq 0 ]"

h1=d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22
h2=d8f8f0cee0f4a84f0637022a038f67f0b36e2ed596621e1d33e6b39c4e9c9b22
"$CG" distance $h1 $h2 >"$tmp/out"; rc=$?
check "distance of near hashes is a match (exit 0)" "[ $rc -eq 0 ] && grep -q 'distance 2: match' $tmp/out"
"$CG" distance --threshold 1 $h1 $h2 >/dev/null; rc=$?
check "distance over the threshold exits 1" "[ $rc -eq 1 ]"
"$CG" distance $h1 xyz 2>/dev/null; rc=$?
check "distance of a bad hash exits 2" "[ $rc -eq 2 ]"
exit $fail
