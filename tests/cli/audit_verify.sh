#!/usr/bin/env bash
# childguard audit: append records, verify (exit 0), checkpoint; edit one byte of the log and
# verify names the record (exit 1); remove a line, and truncate the last: both caught.
set -u
CG=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; head -5 "$tmp/err" "$tmp/out"; fi; }
log=$tmp/audit.log
for i in 1 2 3 4 5; do
    "$CG" audit append --log "$log" --kind decision --actor tester --subject "item-$i" \
        --data "{\"n\": $i}" >/dev/null 2>"$tmp/err" || fail=1
done
"$CG" audit verify --log "$log" >"$tmp/out" 2>"$tmp/err"
check "five appended records verify (exit 0)" "[ \$? -eq 0 ]"
"$CG" audit checkpoint --log "$log" >"$tmp/cp1" 2>"$tmp/err"
check "checkpoint prints the last hash" "grep -Eq '[0-9a-f]{64}' $tmp/cp1"
cp "$log" "$tmp/orig.log"
python3 - "$log" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
i = b.index(b"item-3")
b[i + 5] = ord("9")          # one byte of record 3's subject
open(p, "wb").write(bytes(b))
PY
"$CG" audit verify --log "$log" >"$tmp/out" 2>"$tmp/err"
check "an edited byte is detected (exit 1), naming record 3" "[ \$? -eq 1 ] && grep -q 'record 3' $tmp/out $tmp/err"
sed '2d' "$tmp/orig.log" >"$log"
"$CG" audit verify --log "$log" >"$tmp/out" 2>"$tmp/err"
check "a removed record is detected" "[ \$? -eq 1 ]"
head -c -10 "$tmp/orig.log" >"$log"
"$CG" audit verify --log "$log" >"$tmp/out" 2>"$tmp/err"
check "a truncated last record is detected" "[ \$? -eq 1 ]"
"$CG" audit verify --log "$tmp/none.log" >"$tmp/out" 2>"$tmp/err"
check "a missing log is an error (exit 2)" "[ \$? -eq 2 ]"
exit $fail
