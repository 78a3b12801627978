#!/usr/bin/env bash
# The layering check can fail: on a copy of the tree with a wrong-way include, network code in
# the library, a program reaching an internal header, the audit log reaching up to the store,
# and an allowed violation fixed, it must
# report each and exit 1 (and pass on the untouched copy).
# Usage: bash layers_selftest.sh SOURCE_ROOT
set -u
src=$1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cg_layers_XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail=0
check() {
    if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi
}
cp -r "$src/src" "$src/include" "$src/programs" "$tmp/"
bash "$src/scripts/check-layers.sh" "$tmp" >"$tmp/out" 2>&1
check "the untouched tree passes" "[ $? -eq 0 ]"

printf '#include "engine/engine_int.h"\n' >>"$tmp/src/common/hex.c"
printf '#include <curl/curl.h>\n' >>"$tmp/src/hash/signal.c"
printf '#include "common/alloc.h"\n' >>"$tmp/programs/walk.c"
printf '#include "childguard/text.h"\n' >>"$tmp/src/vision/classify.c"
printf '#include "childguard/bank.h"\n' >>"$tmp/src/audit/audit.c"
# A copy of the check whose ALLOWED list names a violation the tree does not have.
sed 's|^ALLOWED=($|ALLOWED=(\n    "src/store/review_rows.c: childguard/review.h"|' "$src/scripts/check-layers.sh" \
    >"$tmp/check-layers.sh"
bash "$tmp/check-layers.sh" "$tmp" >"$tmp/out" 2>&1
rc=$?
cat "$tmp/out"
check "a broken tree fails" "[ $rc -eq 1 ]"
check "an upward include is named" "grep -q 'src/common/hex.c includes \"engine/engine_int.h\": common (layer 0) must not include engine (layer 6)' $tmp/out"
check "network code in the library is named" "grep -q 'src/hash/signal.c includes \"<curl/curl.h>\": no network code' $tmp/out"
check "a program reaching an internal header is named" "grep -q 'programs/walk.c includes \"common/alloc.h\": programs/ use only' $tmp/out"
check "a detector including another is named" "grep -q 'src/vision/classify.c includes \"childguard/text.h\": vision and text are on the same layer' $tmp/out"
check "the audit log sits below the store (a leaf over common)" "grep -q 'src/audit/audit.c includes \"childguard/bank.h\": audit (layer 2) must not include store (layer 3)' $tmp/out"
check "a fixed allowed violation must leave the list" "grep -q 'allowed \"src/store/review_rows.c: childguard/review.h\" no longer occurs' $tmp/out"
exit $fail
