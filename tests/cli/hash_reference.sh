#!/usr/bin/env bash
# childguard hash prints the reference pdq-photo-hasher's output byte for byte on Meta's vectors
# and on the synthetic graphics (plain and --dihedral): the full sets in ../shared/testdata when
# they are there, else the compact set in tests/vectors (never skipped).
# Usage: hash_reference.sh CHILDGUARD SOURCE_ROOT TESTDATA
set -u
CG=$1 SRC=$2 TESTDATA=$3
root=$TESTDATA
[ -d "$root/pdq/images" ] || root=$SRC/tests/vectors
echo "reference vectors: $root"
tmp=$(mktemp -d /tmp/cg_ref_XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0

# check DIR EXPECTED_CSV EXPECTED_DIH: hash the files the reference hashed, in its order.
check() {
    local dir=$1 csv=$2 dih=$3 n
    cut -d, -f3 "$csv" >"$tmp/files"
    n=$(wc -l <"$tmp/files")
    (cd "$dir" && xargs -d '\n' "$CG" hash -q <"$tmp/files") >"$tmp/out.csv" ||
        { echo "FAIL: $csv: exit $?"; fail=1; }
    if ! diff -u "$csv" "$tmp/out.csv"; then
        echo "FAIL: hash output differs from $csv"; fail=1
    fi
    (cd "$dir" && xargs -d '\n' "$CG" hash -q -j 1 --dihedral <"$tmp/files") >"$tmp/out.csv" || fail=1
    if ! diff -u "$dih" "$tmp/out.csv"; then
        echo "FAIL: --dihedral output differs from $dih"; fail=1
    fi
    echo "checked: $n files of $csv, plain and dihedral"
}

check "$root/pdq/images" "$root/pdq/expected/generated/pdq-photo-hasher.csv" \
    "$root/pdq/expected/generated/pdq-photo-hasher-dih-across.csv"
check "$root/pdq/synthetic/images" "$root/pdq/synthetic/expected.csv" \
    "$root/pdq/synthetic/expected_dihedral_across.csv"
# A JPEG with an EXIF orientation tag hashes as stored (tests/vectors/README.md).
check "$SRC/tests/vectors/pdq/images" "$SRC/tests/vectors/pdq/expected/derived/pdq-photo-hasher.csv" \
    "$SRC/tests/vectors/pdq/expected/derived/pdq-photo-hasher-dih-across.csv"
[ "$(wc -l <"$root/pdq/synthetic/expected.csv")" -eq 49 ] || { echo "FAIL: synthetic set incomplete"; fail=1; }

# Whole directories in one call too (walk order = the reference's sorted order).
if [ "$root" = "$TESTDATA" ]; then
    (cd "$root/pdq/images" && "$CG" hash -q bridge-mods misc-images reg-test-input) >"$tmp/out.csv" || fail=1
    diff -q "$root/pdq/expected/generated/pdq-photo-hasher.csv" "$tmp/out.csv" >/dev/null ||
        { echo "FAIL: directory walk output differs"; fail=1; }
fi
[ $fail -eq 0 ] && echo "ok: identical to the reference"
exit $fail
