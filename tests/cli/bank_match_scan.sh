#!/usr/bin/env bash
# childguard bank / match / scan end to end: banks created and filled (hashes, files, imports in
# every format), exports that re-import identically, match and scan exit codes (0 match, 1 none,
# 2 error), allow-lists, disabled signals and banks, dihedral scans, and bad input (non-hex
# hashes, unknown types, a broken CSV, garbage lists, a database file that is not SQLite, a
# killed import) giving clear errors and leaving the banks as they were.
set -u
CG=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # description, condition
    if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; cat "$tmp/err" 2>/dev/null | head -5; fi
}
export CHILDGUARD_DB=$tmp/t.db
command -v python3 >/dev/null || { echo "SKIPPED: python3 missing"; exit 77; }

# Two synthetic images (a gradient and its mirror) and an unrelated one, as PNGs.
python3 - "$tmp" <<'PY'
import struct, sys, zlib
def png(path, w, h, f):
    raw = b"".join(b"\x00" + bytes(f(x, y) % 256 for x in range(w)) for y in range(h))
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    open(path, "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
d = sys.argv[1]
png(d + "/a.png", 64, 48, lambda x, y: (x * x + 3 * y * x) // 5 + (40 if (x // 8 + y // 8) % 2 else 0))
png(d + "/a-mirror.png", 64, 48, lambda x, y: ((63 - x) ** 2 + 3 * y * (63 - x)) // 5 + (40 if ((63 - x) // 8 + y // 8) % 2 else 0))
png(d + "/other.png", 64, 48, lambda x, y: (y * 37 + (x ^ y) * 11) + (90 if (x * y) % 7 == 0 else 0))
PY
mkdir -p "$tmp/up"
cp "$tmp/a-mirror.png" "$tmp/other.png" "$tmp/up/"

"$CG" bank create known --label csam --description "synthetic test bank" 2>"$tmp/err"
check "bank create" "[ $? -eq 0 ]"
"$CG" bank create known 2>"$tmp/err"
check "a duplicate bank name is an error" "[ $? -eq 2 ] && grep -q known $tmp/err"
"$CG" bank create 'bad name!' 2>"$tmp/err"
check "an invalid bank name is an error" "[ $? -eq 2 ]"
"$CG" bank add known --files "$tmp/a.png" >"$tmp/out" 2>"$tmp/err"
check "bank add --files adds pdq and md5" "[ $? -eq 0 ] && grep -q '^added pdq' $tmp/out && grep -q '^added md5' $tmp/out"
pdq_a=$("$CG" hash -q "$tmp/a.png" | cut -d, -f1)
pdq_o=$("$CG" hash -q "$tmp/other.png" | cut -d, -f1)

"$CG" match "$pdq_a" >"$tmp/out" 2>"$tmp/err"
check "match finds the stored hash (exit 0)" "[ $? -eq 0 ] && grep -q 'bank=known label=csam block distance=0/31' $tmp/out"
"$CG" match "$pdq_o" >"$tmp/out" 2>"$tmp/err"
check "an unrelated hash: no match (exit 1)" "[ $? -eq 1 ] && grep -q 'no match' $tmp/out"
"$CG" match nothex >"$tmp/out" 2>"$tmp/err"
check "a non-hex hash is an error (exit 2)" "[ $? -eq 2 ] && grep -q nothex $tmp/err"
"$CG" match --type sha512 "$pdq_a" >"$tmp/out" 2>"$tmp/err"
check "an unknown signal type is an error" "[ $? -eq 2 ] && grep -q sha512 $tmp/err"
"$CG" match --bank nosuch "$pdq_a" >"$tmp/out" 2>"$tmp/err"
check "an unknown bank is an error" "[ $? -eq 2 ] && grep -q nosuch $tmp/err"
"$CG" match --json "$pdq_a" >"$tmp/out" 2>"$tmp/err"
check "match --json is valid JSON" "python3 -c 'import json,sys; [json.loads(l) for l in open(\"$tmp/out\")]' && grep -q '\"distance\":0' $tmp/out"

"$CG" scan -q "$tmp/up" >"$tmp/out" 2>"$tmp/err"
check "scan without --dihedral misses the mirror (exit 1)" "[ $? -eq 1 ]"
"$CG" scan -q --dihedral "$tmp/up" >"$tmp/out" 2>"$tmp/err"
check "scan --dihedral finds the mirror (exit 0)" "[ $? -eq 0 ] && grep -P 'a-mirror.png\tMATCH\t' $tmp/out | grep -q variant=flipy"
check "the unrelated upload does not match" "grep -qP 'other.png\tno match' $tmp/out"
"$CG" scan -q --json --dihedral "$tmp/up" >"$tmp/out" 2>"$tmp/err"
check "scan --json is valid JSON lines" "python3 -c 'import json; r=[json.loads(l) for l in open(\"$tmp/out\")]; assert len(r)==2 and sum(x[\"decision\"][\"blocked\"] for x in r)==1'"
head -c 3000 /dev/urandom >"$tmp/up/garbage.bin"
cp "$tmp/a.png" "$tmp/up/copy.png"
printf 'not an image' >"$tmp/up/note.txt"
"$CG" scan -q "$tmp/up" >"$tmp/out" 2>"$tmp/err"
check "non-images are matched by digest, not an error" "[ $? -eq 0 ] && grep -P 'copy.png\tMATCH\tmd5' -q $tmp/out && grep -qP 'note.txt\tno match' $tmp/out"
check "scan prints nothing on stderr for good input" "[ ! -s $tmp/err ]"
printf '\x89PNG\r\n\x1a\n\0\0\0\rIHDR' >"$tmp/up/broken.png"
"$CG" scan -q "$tmp/up" >"$tmp/out" 2>"$tmp/err"
check "a broken image is an error line; others still scanned (exit 2)" "[ $? -eq 2 ] && grep -q broken.png $tmp/err && grep -q copy.png $tmp/out"
rm "$tmp/up/broken.png"

# Allow-list and disabling.
"$CG" bank create reviewed --kind allow 2>"$tmp/err"
"$CG" bank add reviewed "$pdq_a" >/dev/null 2>"$tmp/err"
"$CG" match "$pdq_a" >"$tmp/out" 2>"$tmp/err"
check "an allow-list match suppresses the block match (exit 1)" "[ $? -eq 1 ] && grep -q suppressed $tmp/out"
"$CG" bank delete reviewed 2>"$tmp/err"
check "delete needs --yes" "[ $? -eq 2 ]"
"$CG" bank delete reviewed --yes 2>"$tmp/err"
"$CG" match "$pdq_a" >/dev/null 2>&1
check "after deleting the allow bank it matches again" "[ $? -eq 0 ]"
"$CG" bank disable known "$pdq_a" --for 1h >/dev/null 2>"$tmp/err"
"$CG" match "$pdq_a" >/dev/null 2>&1
check "a disabled signal does not match" "[ $? -eq 1 ]"
"$CG" bank enable known "$pdq_a" >/dev/null 2>"$tmp/err"
"$CG" match "$pdq_a" >/dev/null 2>&1
check "enabled again, it matches" "[ $? -eq 0 ]"
"$CG" bank disable known 2>"$tmp/err"
"$CG" match "$pdq_a" >/dev/null 2>&1
check "a disabled bank does not match" "[ $? -eq 1 ]"
"$CG" bank enable known 2>"$tmp/err"

# Import: every format, bad lines, round trips.
python3 - "$tmp" <<'PY'
import random, sys
random.seed(7)
d = sys.argv[1]
hexes = ["%064x" % random.getrandbits(256) for _ in range(300)]
open(d + "/list.txt", "w").write("# synthetic list\n" + "\n".join(hexes[:100]) + "\nzz-not-a-hash\n")
with open(d + "/list.csv", "w") as f:
    f.write("signal_type,signal,external_id,note\n")
    for i, h in enumerate(hexes[100:200]):
        f.write('pdq,%s,ext-%d,"note, with comma ""%d"""\n' % (h, i, i))
    f.write("pdq,12345,bad,short\n")
    f.write('md5,0123456789abcdef0123456789abcdef,md5-1,"unterminated\n')
with open(d + "/list.jsonl", "w") as f:
    for h in hexes[200:300]:
        f.write('{"signal_type":"pdq","signal":"%s","quality":80}\n' % h)
open(d + "/garbage.txt", "wb").write(bytes(random.getrandbits(8) for _ in range(200000)))
PY
"$CG" bank create imported --label ncii 2>/dev/null
"$CG" bank import -q imported "$tmp/list.txt" >"$tmp/out" 2>"$tmp/err"
check "import lines: 100 added, 1 rejected with its line number" "[ $? -eq 0 ] && grep -q '100 added' $tmp/err && grep -q '1 rejected' $tmp/err && grep -q 'list.txt:102:' $tmp/err"
"$CG" bank import -q imported "$tmp/list.csv" >"$tmp/out" 2>"$tmp/err"
check "import csv: quoted fields, bad lines reported" "[ $? -eq 0 ] && grep -q '100 added' $tmp/err && grep -q 'list.csv:102:' $tmp/err"
"$CG" bank import -q imported "$tmp/list.jsonl" >"$tmp/out" 2>"$tmp/err"
check "import jsonl" "[ $? -eq 0 ] && grep -q '100 added' $tmp/err"
"$CG" bank import -q imported "$tmp/list.jsonl" >"$tmp/out" 2>"$tmp/err"
check "re-import merges, never repeats" "[ $? -eq 0 ] && grep -q '0 added, 100 merged' $tmp/err"
before=$("$CG" bank show imported --json)
"$CG" bank import -q imported "$tmp/garbage.txt" >"$tmp/out" 2>"$tmp/err"
check "a garbage file is refused with a clear error" "[ $? -eq 2 ] && grep -q garbage.txt $tmp/err"
check "a refused import leaves the bank as it was" "[ \"\$($CG bank show imported --json)\" = '$before' ]"
for fmt in csv tsv jsonl lines; do
    "$CG" bank export imported --format $fmt -o "$tmp/exp.$fmt" 2>"$tmp/err"
    "$CG" bank create "rt-$fmt" 2>/dev/null
    "$CG" bank import -q "rt-$fmt" "$tmp/exp.$fmt" >/dev/null 2>"$tmp/err"
    "$CG" bank export "rt-$fmt" --format lines -o "$tmp/rt.$fmt" 2>/dev/null
    "$CG" bank export imported --format lines -o "$tmp/orig.lines" 2>/dev/null
    check "export $fmt re-imports to the same hashes" "[ \$(wc -l <$tmp/rt.$fmt) -eq 300 ] && cmp -s <(sort $tmp/rt.$fmt) <(sort $tmp/orig.lines)"
done
grep -q 'note, with comma ""5""' "$tmp/exp.csv"
check "export csv keeps awkward notes quoted" "[ $? -eq 0 ]"

# A database file that is not SQLite, a missing one, a killed import.
head -c 8192 /dev/urandom >"$tmp/bad.db"
"$CG" bank --db "$tmp/bad.db" list >"$tmp/out" 2>"$tmp/err"
check "a non-SQLite database is a clear error" "[ $? -eq 2 ] && grep -q bad.db $tmp/err"
"$CG" scan --db "$tmp/bad.db" "$tmp/a.png" >"$tmp/out" 2>"$tmp/err"
check "scan with a non-SQLite database is a clear error" "[ $? -eq 2 ] && grep -q bad.db $tmp/err"
"$CG" match --db "$tmp/none.db" "$pdq_a" >"$tmp/out" 2>"$tmp/err"
check "match with a missing database is an error" "[ $? -eq 2 ] && [ ! -e $tmp/none.db ]"

python3 -c "
import random
random.seed(3)
with open('$tmp/big.txt','w') as f:
    for _ in range(400000): f.write('%064x\n' % random.getrandbits(256))
"
"$CG" bank create big 2>/dev/null
count_before=$("$CG" bank show big --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["signals"])')
"$CG" bank import -q big "$tmp/big.txt" >/dev/null 2>&1 &
pid=$!
sleep 0.7
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
count_after=$("$CG" bank show big --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["signals"])')
check "after kill -9 mid-import the database opens and the bank holds none or all" "[ \"$count_after\" = 0 ] || [ \"$count_after\" = 400000 ]"
"$CG" match "$pdq_a" >/dev/null 2>&1
check "and the other banks still match" "[ $? -eq 0 ]"

exit $fail
