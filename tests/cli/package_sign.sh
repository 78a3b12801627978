#!/usr/bin/env bash
# childguard package end to end, cross-checked with Debian's minisign tool both ways: our
# signature verifies with `minisign -V`, minisign's (prehashed and legacy) with `package
# verify`; import applies adds, removals and disables to a bank and records the sequence;
# tampered payloads and manifests, untrusted keys, expired manifests, rolled-back sequences and
# deltas on a missing base are refused with a clear error (exit 2) and change nothing; export
# writes a full list another bank can import; a full list removes what its producer dropped.
# All hashes are synthetic.
set -u
CG=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # description, condition
    if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; head -5 "$tmp/err" "$tmp/out" 2>/dev/null; fi
}
command -v minisign >/dev/null || { echo "SKIPPED: minisign missing (scripts/install-deps.sh)"; exit 77; }
command -v python3 >/dev/null || { echo "SKIPPED: python3 missing"; exit 77; }
export CHILDGUARD_DB=$tmp/t.db
export CHILDGUARD_AUDIT_LOG=$tmp/audit.log
export CHILDGUARD_ACTOR=package-tester
cd "$tmp" || exit 2

minisign -G -W -p a.pub -s a.key >/dev/null 2>&1 && minisign -G -W -p b.pub -s b.key >/dev/null 2>&1
check "minisign made two unencrypted key pairs" "[ -s a.key ] && [ -s b.key ]"
mkdir keys && cp a.pub keys/hotline-a.pub

MD5A=0123456789abcdef0123456789abcdef
MD5B=11111111111111111111111111111111
PDQ1=f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22
count() { "$CG" bank show "$1" --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["signals"])'; }

# ---- 1: a full list, signed by us, verified by minisign ----
mkdir p1
printf '{"signal_type":"md5","signal":"%s"}\n{"signal_type":"md5","signal":"%s","external_id":"e2"}\n{"signal_type":"pdq","signal":"%s","note":"synthetic"}\n' \
    $MD5A $MD5B $PDQ1 >p1/adds.jsonl
"$CG" package sign p1 --key a.key --producer hotline-a --bank shared --label csam --sequence 1 >out 2>err
check "sign a full list" "[ $? -eq 0 ] && grep -q 'sequence 1 (full list), adds.jsonl 3' out"
minisign -V -p a.pub -m p1/manifest.json >out 2>err
check "minisign verifies our signature and trusted comment" "[ $? -eq 0 ] && grep -q 'producer:hotline-a' out"
"$CG" package verify p1 --trusted keys >out 2>err
check "package verify accepts it" "[ $? -eq 0 ] && grep -q verified out"

# ---- 2: minisign's own signatures, prehashed (default) and legacy, verified by us ----
cp -r p1 p1m
minisign -S -W -s a.key -m p1m/manifest.json -x p1m/manifest.json.minisig -t "by minisign" >/dev/null 2>&1
check "minisign's prehashed signature is ED" "sed -n 2p p1m/manifest.json.minisig | base64 -d 2>/dev/null | head -c 2 | grep -q ED"
"$CG" package verify p1m --trusted keys >out 2>err
check "package verify accepts minisign's prehashed signature" "[ $? -eq 0 ]"
minisign -S -l -W -s a.key -m p1m/manifest.json -x p1m/manifest.json.minisig >/dev/null 2>&1
check "minisign's legacy signature is Ed" "sed -n 2p p1m/manifest.json.minisig | base64 -d 2>/dev/null | head -c 2 | grep -q Ed"
"$CG" package verify p1m --trusted keys >out 2>err
check "package verify accepts minisign's legacy signature" "[ $? -eq 0 ]"

# ---- 3: import ----
"$CG" package import p1 --trusted keys --bank shared >out 2>err
check "import into a missing bank without --create is an error" "[ $? -eq 2 ] && grep -q -- --create err"
"$CG" package import p1 --trusted keys --bank shared --create >out 2>err
check "import --create adds three" "[ $? -eq 0 ] && grep -q 'added 3,' out && [ \"\$(count shared)\" = 3 ]"
check "the sequence is recorded for the key" "grep -q '\": 1' keys/sequences.json"

# ---- 4: refusals (the bank stays at 3) ----
cp -r p1 t1 && printf '{"signal_type":"md5","signal":"22222222222222222222222222222222"}\n' >>t1/adds.jsonl
"$CG" package import t1 --trusted keys --bank shared >out 2>err
check "a tampered payload is refused" "[ $? -eq 2 ] && grep -q 'differs from the signed manifest' err && [ \"\$(count shared)\" = 3 ]"
cp -r p1 t2 && sed -i 's/"sequence": 1/"sequence": 9/' t2/manifest.json
"$CG" package import t2 --trusted keys --bank shared >out 2>err
check "a tampered manifest is refused" "[ $? -eq 2 ] && grep -q 'does not match' err"
cp -r p1 t3 && "$CG" package sign t3 --key b.key --producer hotline-b --bank shared --sequence 5 >/dev/null 2>&1
"$CG" package verify t3 --trusted keys >out 2>err
check "a package signed by an untrusted key is refused" "[ $? -eq 2 ] && grep -q 'not trusted' err"
# An expired manifest, written by hand and signed with minisign itself.
mkdir t4 && cp p1/adds.jsonl t4/
sha=$(sha256sum t4/adds.jsonl | cut -d' ' -f1); bytes=$(stat -c %s t4/adds.jsonl)
printf '{"format":"childguard-package/1","producer":"hotline-a","bank":"shared","label":"csam","sequence":7,"base_sequence":null,"created":"2020-01-01T00:00:00Z","expires":"2020-02-01T00:00:00Z","files":[{"name":"adds.jsonl","sha256":"%s","count":3,"bytes":%s}]}\n' \
    "$sha" "$bytes" >t4/manifest.json
minisign -S -W -s a.key -m t4/manifest.json -x t4/manifest.json.minisig >/dev/null 2>&1
"$CG" package import t4 --trusted keys --bank shared >out 2>err
check "an expired manifest is refused" "[ $? -eq 2 ] && grep -q 'expired at 2020-02-01' err"
sed -i 's/2020-02-01/2999-02-01/' t4/manifest.json
minisign -S -W -s a.key -m t4/manifest.json -x t4/manifest.json.minisig >/dev/null 2>&1
"$CG" package verify t4 --trusted keys >out 2>err
check "the same manifest with a future expiry verifies (minisign-signed)" "[ $? -eq 0 ]"
sed -i 's/"count":3/"count":4/' t4/manifest.json
minisign -S -W -s a.key -m t4/manifest.json -x t4/manifest.json.minisig >/dev/null 2>&1
"$CG" package verify t4 --trusted keys >out 2>err
check "a line count that differs from the manifest is refused" "[ $? -eq 2 ] && grep -q '3 lines, the manifest says 4' err"

# ---- 5: a delta: removals and disables; then rollback and missing base ----
mkdir p3
printf '{"signal_type":"md5","signal":"%s"}\n{"signal_type":"md5","signal":"33333333333333333333333333333333"}\n' $MD5A >p3/removals.jsonl
printf '{"signal_type":"pdq","signal":"%s","until":4102444800}\n' $PDQ1 >p3/disables.jsonl
"$CG" package sign p3 --key a.key --producer hotline-a --bank shared --sequence 3 --base 1 >/dev/null 2>&1
"$CG" package import p3 --trusted keys --bank shared >out 2>err
check "a delta removes and disables" "[ $? -eq 0 ] && grep -q 'removed 1, disabled 1, not in the bank 1' out && [ \"\$(count shared)\" = 2 ]"
"$CG" bank export shared --format jsonl >out 2>err
check "the disabled signal carries its date" "grep $PDQ1 out | grep -q 4102444800"
mkdir p2 && cp p1/adds.jsonl p2/
"$CG" package sign p2 --key a.key --producer hotline-a --bank shared --sequence 2 >/dev/null 2>&1
"$CG" package import p2 --trusted keys --bank shared >out 2>err
check "a rolled-back sequence is refused" "[ $? -eq 2 ] && grep -q 'rollback refused' err && [ \"\$(count shared)\" = 2 ]"
mkdir p6 && cp p3/removals.jsonl p6/
"$CG" package sign p6 --key a.key --producer hotline-a --bank shared --sequence 6 --base 5 >/dev/null 2>&1
"$CG" package import p6 --trusted keys --bank shared >out 2>err
check "a delta on a package never imported is refused" "[ $? -eq 2 ] && grep -q 'import 5 first' err"
"$CG" package import p3 --trusted keys --bank shared >out 2>err
check "importing the same package again is harmless" "[ $? -eq 0 ] && [ \"\$(count shared)\" = 2 ]"

# ---- 6: export, and a full list dropping a signal ----
"$CG" package export ex --bank shared --key a.key --producer hotline-a --sequence 4 >out 2>err
check "export writes a full list of the enabled signals" "[ $? -eq 0 ] && grep -q 'adds.jsonl 1' out && minisign -Vq -p a.pub -m ex/manifest.json"
"$CG" package import ex --trusted keys --bank copy --create >out 2>err
check "the export imports into another bank" "[ $? -eq 0 ] && [ \"\$(count copy)\" = 1 ]"
mkdir p5 && printf '{"signal_type":"md5","signal":"%s"}\n' $MD5A >p5/adds.jsonl
"$CG" package sign p5 --key a.key --producer hotline-a --bank shared --sequence 5 >/dev/null 2>&1
"$CG" package import p5 --trusted keys --bank copy >out 2>err
check "a full list removes what its producer no longer lists" "[ $? -eq 0 ] && grep -q 'added 1,.*removed 1,' out && [ \"\$(count copy)\" = 1 ]"

# ---- 7: bad input to sign ----
mkdir p7 && printf '{"signal_type":"md5","signal":"xyz"}\n' >p7/adds.jsonl
"$CG" package sign p7 --key a.key --producer hotline-a --bank shared --sequence 1 >out 2>err
check "sign refuses a bad payload line, naming file and line" "[ $? -eq 2 ] && grep -q 'adds.jsonl:1: signal is not a md5 value' err"
"$CG" package sign p1 --key a.pub --producer hotline-a --bank shared --sequence 1 >out 2>err
check "sign refuses a public key as the secret key" "[ $? -eq 2 ] && grep -q 'not a minisign secret key' err"
"$CG" package frob p1 >out 2>err
check "an unknown subcommand is an error" "[ $? -eq 2 ] && grep -q frob err"
exit $fail
