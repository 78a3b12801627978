#!/usr/bin/env bash
# Flood quarantine settings and the quarantined signals through the program (docs/exchange.md
# "Flood quarantine"): bank create --flood-per-hour N|off shown by bank show (text and JSON);
# out-of-range values refused; a quarantined signal (disabled, with its quarantine review item,
# the state the engine leaves) named by bank show with count and first ids, no longer named once
# a reviewer releases it; an exchange's api_json flood_per_hour accepted in range, refused out
# of it; exchange status --json carries "quarantined". Synthetic hashes.
# Usage: bash flood_limits.sh /path/to/childguard /path/to/source-root
set -u
CG=$1
. "$(dirname "${BASH_SOURCE[0]}")/lib/serve_common.sh"
cg_test_init python3
PDQ1=f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22
jget() { # FILE EXPR: a Python expression over the JSON document j
    python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"
}

"$CG" bank create fl --label csam --flood-per-hour 5 2>"$tmp/err"
"$CG" bank show fl --json >"$tmp/out"
check "bank create --flood-per-hour 5 is kept and shown, nothing quarantined" "[ \"\$(jget $tmp/out \"j['flood_per_hour'], j['quarantined']\")\" = \"5 {'count': 0, 'first': []}\" ]"
for bad in 0 1000001; do
    "$CG" bank create fx --flood-per-hour "$bad" >/dev/null 2>"$tmp/err"
    check "--flood-per-hour $bad refused (exit 2)" "[ $? -eq 2 ] && grep -q 'flood-per-hour' $tmp/err"
done

# The state a flood quarantine leaves: the exchange signal disabled until enabled again and a
# quarantine item naming it.
"$CG" bank add fl --type pdq --source exchange:sn --external-id "stopncii:ImagePDQ:$PDQ1" "$PDQ1" \
    >/dev/null 2>>"$tmp/err"
"$CG" match --json "$PDQ1" >"$tmp/match.json" 2>>"$tmp/err"
sid=$(python3 -c "import json,sys; print(json.loads(open(sys.argv[1]).readline())['matches'][0]['signal_id'])" "$tmp/match.json")
"$CG" bank disable fl "$PDQ1" 2>>"$tmp/err"
item=$("$CG" review add --content-id "quarantine:signal:$sid" --kind signal --label quarantine \
    --signal "pdq:$PDQ1" 2>>"$tmp/err")
"$CG" bank show fl >"$tmp/out"
check "bank show names the quarantined signal" "grep -q \"^quarantined: 1 (signal $sid)\" $tmp/out && grep -q 'more than 5 different images' $tmp/out"
"$CG" bank show fl --json >"$tmp/out"
check "and in JSON: count and first ids" "[ \"\$(jget $tmp/out \"j['quarantined']\")\" = \"{'count': 1, 'first': [$sid]}\" ]"
"$CG" review decide "$item" --false-positive --reviewer alice >/dev/null 2>>"$tmp/err"
"$CG" bank show fl --json >"$tmp/out"
check "released by a reviewer: no longer quarantined" "[ \"\$(jget $tmp/out \"j['quarantined']['count']\")\" = 0 ]"

# An exchange's limit in its api_json.
"$CG" exchange add sn-bad --api stopncii --config '{"flood_per_hour":-2}' >/dev/null 2>"$tmp/err"
check "an exchange flood_per_hour below -1 is refused (exit 2)" "[ $? -eq 2 ] && grep -q flood_per_hour $tmp/err"
"$CG" exchange add sn-ok --api stopncii --config '{"flood_per_hour":-1}' >/dev/null 2>"$tmp/err"
"$CG" exchange status sn-ok --json >"$tmp/out" 2>>"$tmp/err"
check "-1 (off) accepted; exchange status carries quarantined" "[ \"\$(jget $tmp/out \"j['quarantined']\")\" = \"{'count': 0, 'first': []}\" ]"
exit $fail
