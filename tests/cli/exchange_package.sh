#!/usr/bin/env bash
# The `package` exchange (docs/exchange.md "A signed package as an exchange"): signed packages
# made by `childguard package sign` read as an exchange from a directory, a .tar file and a
# .tar over HTTP (a server on a free loopback port). A full list, then a delta (adds, removals,
# disables) with the package sequence as checkpoint; the same package again is nothing new.
# Attack tests, each refused with the reason and without changing the bank or the checkpoint:
# a rolled-back sequence, a tampered payload, a package signed by a key not trusted, an expired
# manifest (signed by minisign itself), a delta whose base is not the last package applied
# (without full_url: named; with it: a full refetch that sweeps what the full list dropped),
# a truncated tar (file and HTTP), a tar with a foreign member. A page budget of one record
# resumes at the stored checkpoint without loss or duplicates. Synthetic hashes only.
# Usage: bash exchange_package.sh /path/to/childguard /path/to/source-root
set -u
CG=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ROOT=$2
. "$(dirname "${BASH_SOURCE[0]}")/lib/serve_common.sh"
cg_test_init python3 minisign tar
export CHILDGUARD_EXCHANGE_KEY=$tmp/exchange.key
cd "$tmp" || exit 2

minisign -G -W -p a.pub -s a.key >/dev/null 2>&1 && minisign -G -W -p b.pub -s b.key >/dev/null 2>&1
check "minisign made two key pairs" "[ -s a.key ] && [ -s b.key ]"
KA=$(sed -n 2p a.pub)
A=00000000000000000000000000000001 B=00000000000000000000000000000002
C=00000000000000000000000000000003 D=00000000000000000000000000000004
E=00000000000000000000000000000005
adds() { for h in "$@"; do printf '{"signal_type":"md5","signal":"%s"}\n' "$h"; done; }
sign() { # DIR SEQ [BASE] [KEY]
    "$CG" package sign "$1" --key "${4:-a.key}" --producer hotline-a --bank shared --sequence "$2" \
        ${3:+--base "$3"} >/dev/null 2>&1
}
hashes() { "$CG" bank export "$1" 2>/dev/null | sed 1d | cut -d, -f2 | sort | tr '\n' ' '; }
fetch() { "$CG" exchange fetch "$@" --quiet >out 2>err; }

mkdir p1 p2 && adds $A $B $C >p1/adds.jsonl && sign p1 1
adds $D >p2/adds.jsonl && adds $A >p2/removals.jsonl && adds $B >p2/disables.jsonl && sign p2 2 1
ln -s p1 cur && ln -s p1 full
"$CG" exchange add pk --api package --config "{\"base_url\":\"file://$tmp/cur\",\"trusted_keys\":[\"$KA\"],\"full_url\":\"file://$tmp/full\"}" >out 2>err
check "add a package exchange" "[ $? -eq 0 ]"
fetch pk
check "a full list: three hashes" "[ $? -eq 0 ] && [ \"\$(hashes pk)\" = '$A $B $C ' ]"
fetch pk
check "the same package again: nothing new (exit 1)" "[ $? -eq 1 ]"
ln -sfn p2 cur
fetch pk
check "a delta on it: D added, A removed, B disabled (out of the bank)" "[ $? -eq 0 ] && [ \"\$(hashes pk)\" = '$C $D ' ]"

# ---- refused, nothing changes ----
cpoint() { "$CG" exchange show pk --json 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("checkpoint_ts"), d.get("fetched_items"))'; }
before=$(cpoint)
ln -sfn p1 cur
fetch pk
check "a rolled-back sequence is refused" "[ \$? -eq 2 ] && grep -q 'rollback refused' err && [ \"\$(hashes pk)\" = '$C $D ' ]"
mkdir p3 && adds $E >p3/adds.jsonl && sign p3 3 2 && echo '{"signal_type":"md5","signal":"'$A'"}' >>p3/adds.jsonl
ln -sfn p3 cur
fetch pk
check "a tampered payload is refused" "[ \$? -eq 2 ] && grep -q 'differs from the signed manifest' err && [ \"\$(hashes pk)\" = '$C $D ' ]"
mkdir p3b && adds $E >p3b/adds.jsonl && sign p3b 3 2 b.key
ln -sfn p3b cur
fetch pk
check "a package signed by a key not trusted is refused" "[ \$? -eq 2 ] && [ \"\$(hashes pk)\" = '$C $D ' ]"
mkdir p4 && adds $E >p4/adds.jsonl
printf '{"format":"childguard-package/1","producer":"hotline-a","bank":"shared","label":"csam","sequence":4,"base_sequence":2,"created":"2020-01-01T00:00:00Z","expires":"2020-02-01T00:00:00Z","files":[{"name":"adds.jsonl","sha256":"%s","count":1,"bytes":%s}]}\n' \
    "$(sha256sum p4/adds.jsonl | cut -d' ' -f1)" "$(stat -c %s p4/adds.jsonl)" >p4/manifest.json
minisign -S -W -s a.key -m p4/manifest.json -x p4/manifest.json.minisig >/dev/null 2>&1
ln -sfn p4 cur
fetch pk
check "an expired manifest (signed by minisign) is refused" "[ \$? -eq 2 ] && grep -q 'expired at 2020-02-01' err && [ \"\$(hashes pk)\" = '$C $D ' ]"
check "no refusal moved the checkpoint or counted items" "[ \"\$(cpoint)\" = \"$before\" ]"

# ---- a delta on a base we do not have: full refetch ----
mkdir p6 && adds $E >p6/adds.jsonl && sign p6 6 5
ln -sfn p6 cur
fetch pk
check "a delta on #5 when #2 was applied, full_url still older: refused" "[ \$? -eq 2 ] && grep -q 'rollback refused' err && [ \"\$(hashes pk)\" = '$C $D ' ]"
mkdir f6 && adds $C $E >f6/adds.jsonl && sign f6 6
ln -sfn f6 full
fetch pk
check "with a newer full list at full_url: full refetch, D (dropped) swept, E added" "[ \$? -eq 0 ] && [ \"\$(hashes pk)\" = '$C $E ' ]"
fetch pk
check "then the delta of the same sequence is nothing new" "[ \$? -eq 1 ]"
"$CG" exchange add pn --api package --config "{\"base_url\":\"file://$tmp/cur\",\"trusted_keys\":[\"$KA\"]}" >/dev/null 2>&1
fetch pn
check "a first fetch of a delta without full_url names full_url" "[ \$? -eq 2 ] && grep -q full_url err && [ -z \"\$(hashes pn)\" ]"

# ---- tar files and HTTP ----
mkdir p7 && adds $A $B $C $D $E >p7/adds.jsonl && sign p7 7
tar -C p7 -cf p7.tar . && tar -cf p7dir.tar p7
head -c 1200 p7.tar >cut.tar
cp -r p7 p7x && echo hi >p7x/README && tar -C p7x -cf foreign.tar .
"$CG" exchange add tf --api package --config "{\"base_url\":\"file://$tmp/cut.tar\",\"trusted_keys\":[\"$KA\"],\"page_size\":1}" >/dev/null 2>&1
fetch tf
check "a truncated tar is refused" "[ \$? -eq 2 ] && grep -q 'cut short' err && [ -z \"\$(hashes tf)\" ]"
ln -sf foreign.tar cut.tar 2>/dev/null; rm -f cut.tar; cp foreign.tar cut.tar
fetch tf
check "a tar with a member that is not a package file is refused" "[ \$? -eq 2 ] && grep -q 'unexpected member' err"
cp p7dir.tar cut.tar
fetch tf --max-pages 2
check "a tar (DIR/ members), page size 1, a budget of two pages: two applied" "[ \$? -eq 0 ] && [ \"\$(hashes tf | wc -w)\" = 2 ]"
fetch tf
check "the next run resumes at the checkpoint: all five, no duplicates" "[ \$? -eq 0 ] && [ \"\$(hashes tf)\" = '$A $B $C $D $E ' ] && [ \"\$(\"$CG\" bank export tf | sed 1d | wc -l)\" = 5 ]"

mkdir www && cp p7.tar www/p7.tar && head -c 3000 p7.tar >www/cut.tar
hport=$(free_port)
python3 -m http.server "$hport" --bind 127.0.0.1 --directory www >/dev/null 2>&1 &
cg_track $!
for i in $(seq 1 100); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $hport), 1)" 2>/dev/null && break
    sleep 0.1
done
"$CG" exchange add th --api package --config "{\"base_url\":\"http://127.0.0.1:$hport/cut.tar\",\"trusted_keys\":[\"$KA\"]}" >/dev/null 2>&1
fetch th
check "a truncated tar over HTTP is refused" "[ \$? -eq 2 ] && grep -q 'cut short' err && [ -z \"\$(hashes th)\" ]"
"$CG" exchange add th2 --api package --config "{\"base_url\":\"http://127.0.0.1:$hport/p7.tar\",\"trusted_keys\":[\"$KA\"]}" >/dev/null 2>&1
fetch th2
check "a tar over HTTP (the transport https uses) is applied" "[ \$? -eq 0 ] && [ \"\$(hashes th2)\" = '$A $B $C $D $E ' ]"
"$CG" exchange add bad --api package --config "{\"base_url\":\"file://$tmp/cur\",\"trusted_keys\":[\"not a key\"]}" >out 2>err
rc=$?
[ $rc -eq 0 ] && { fetch bad; rc=$?; }
check "a trusted key that is not a minisign key: refused" "[ $rc -eq 2 ]"
"$CG" exchange add bad2 --api stopncii --config "{\"trusted_keys\":[\"$KA\"]}" >out 2>err
check "trusted_keys on another API: refused" "[ \$? -eq 2 ]"
exit $fail
