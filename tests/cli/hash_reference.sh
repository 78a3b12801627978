#!/usr/bin/env bash
# childguard hash prints the reference pdq-photo-hasher's output byte for byte on Meta's vectors
# (plain and --dihedral). Skipped (exit 77) when ../shared/testdata is absent.
set -u
CG=$1 TESTDATA=$3
dir=$TESTDATA/pdq/images
if [ ! -d "$dir" ]; then
    echo "SKIPPED: $dir not found"
    exit 77
fi
cd "$dir" || exit 1
fail=0
"$CG" hash -q bridge-mods misc-images reg-test-input >/tmp/cg_ref_$$.csv || { echo "FAIL: exit $?"; fail=1; }
if ! diff -u ../expected/generated/pdq-photo-hasher.csv /tmp/cg_ref_$$.csv; then
    echo "FAIL: hash output differs from the reference"; fail=1
fi
"$CG" hash -q -j 1 --dihedral bridge-mods misc-images reg-test-input >/tmp/cg_ref_$$.csv || fail=1
if ! diff -u ../expected/generated/pdq-photo-hasher-dih-across.csv /tmp/cg_ref_$$.csv; then
    echo "FAIL: --dihedral output differs from the reference"; fail=1
fi
rm -f /tmp/cg_ref_$$.csv
[ $fail -eq 0 ] && echo "ok: 49 files, plain and dihedral, identical to the reference"
exit $fail
