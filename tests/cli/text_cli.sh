#!/usr/bin/env bash
# childguard text end to end, on synthetic input written here: bad input never stops the stream
# (malformed JSON, a line without text, invalid UTF-8, a 10 MB message, unknown fields, missing
# and out-of-order timestamps), plain-text lines, explain, exit codes, a bad lexicon row, and a
# trained model (train -> scan --model) whose scores join the evidence.
set -u
CG=$1
ROOT=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # description, condition
    if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; head -5 "$tmp/err" 2>/dev/null; fi
}
command -v python3 >/dev/null || { echo "SKIPPED: python3 missing"; exit 77; }
T="$CG text scan --data $ROOT/data"

# Synthetic messages (labelled synthetic: written for this test).
python3 - "$tmp" <<'PY'
import json, sys
d = sys.argv[1]
with open(d + "/mixed.jsonl", "wb") as f:
    f.write(b'{"conversation":"c","id":"1","sender":"a","recipient":"b","ts":"2026-01-01T10:00:00Z","text":"hi, how was school?"}\n')
    f.write(b'{"conversation":"c","id":"2","text": broken json\n')
    f.write(b'{"conversation":"c","id":"3","sender":"a"}\n')
    f.write(b'{"conversation":"c","id":"4","sender":"a","recipient":"b","text":"bad bytes \xff\xfe here","extra":{"nested":[1,2,3]}}\n')
    f.write(json.dumps({"conversation": "c", "id": "5", "sender": "a", "recipient": "b", "text": "x" * (10 << 20)}).encode() + b"\n")
    f.write(b'{"conversation":"c","id":"6","sender":"a","recipient":"b","ts":"2025-01-01T00:00:00Z","text":"are you alone? don\'t tell anyone"}\n')
    f.write(b'{"conversation":"c","id":"7","sender":"a","recipient":"b","ts":"not a time","text":"ok"}\n')
    f.write(b'[1,2,3]\n')
    f.write(b'{"a":' * 100000 + b'1' + b'}' * 100000 + b"\n")
open(d + "/plain.txt", "w").write("hello there\nyou're such a loser\nnobody likes you\n")
open(d + "/bad.tsv", "w").write("id\tlang\tharm\tfacet\tweight\tpattern\tnote\nx.1\ten\tnot_a_harm\tnone\t0.5\tfoo\tbad\nx.2\ten\tbullying\tinsult\t0.9\tpotato head\tok; ex: potato head\n")
with open(d + "/train.jsonl", "w") as f:
    for i in range(300):
        f.write(json.dumps({"text": "you are a stinky goblin number %d" % i, "labels": ["bullying"]}) + "\n")
        f.write(json.dumps({"text": "see you at football practice number %d" % i, "labels": []}) + "\n")
PY

$T "$tmp/mixed.jsonl" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "bad lines make exit 2 but the stream goes on" "[ $rc -eq 2 ]"
check "every good message has an output line (1, 6, 7; 8 is not JSON: plain text)" "python3 -c 'import json; ids=[json.loads(l)[\"text\"][\"message_id\"] for l in open(\"$tmp/out\")]; assert ids==[\"1\",\"6\",\"7\",\"8\"], ids'"
check "invalid UTF-8 inside a JSON string is a clear error for that line" "grep -q 'mixed.jsonl:4:.*0xff' $tmp/err"
check "malformed JSON is reported with its line number" "grep -q 'mixed.jsonl:2:' $tmp/err"
check "a line without text is reported" "grep -q 'mixed.jsonl:3:.*text' $tmp/err"
check "a 10 MB message is refused on its own" "grep -q 'mixed.jsonl:5:' $tmp/err"
check "a bad timestamp is reported and the message still scanned" "grep -q 'mixed.jsonl:7:.*ts' $tmp/err"
check "deeply nested JSON is an error line, not a crash" "grep -q 'mixed.jsonl:9:' $tmp/err"
printf 'bad bytes \xff\xfe here\n' | $T - >"$tmp/out2" 2>"$tmp/err"
check "invalid UTF-8 in a plain line is replaced and counted" "grep -q '\"invalid_utf8\":2' $tmp/out2"
check "an out-of-order message still gets its evidence" "grep '\"message_id\":\"6\"' $tmp/out | grep -q 'gr.risk.alone.en'"

$T "$tmp/plain.txt" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "plain text lines are one conversation; bullying found (exit 0)" "[ $rc -eq 0 ] && [ \$(wc -l <$tmp/out) -eq 3 ] && tail -1 $tmp/out | grep -q '\"alert\":\"alert\"'"
printf 'see you tomorrow\nthanks for the help with homework\n' | $T - >"$tmp/out" 2>"$tmp/err"; rc=$?
check "benign standard input: exit 1" "[ $rc -eq 1 ] && [ \$(wc -l <$tmp/out) -eq 2 ]"
$CG text explain --data "$ROOT/data" "$tmp/plain.txt" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "explain highlights evidence and prints guidance" "[ $rc -eq 0 ] && grep -q '\[\[.*loser\]\]' $tmp/out && grep -q 'guidance for the recipient' $tmp/out"
$T --lexicon "$tmp/bad.tsv" "$tmp/plain.txt" >/dev/null 2>"$tmp/err"
check "a bad lexicon row is reported with its line; the rest loads" "grep -q 'bad.tsv:2:' $tmp/err"
echo "what a potato head" | $T --lexicon "$tmp/bad.tsv" - >"$tmp/out" 2>/dev/null
check "the good row of an extra lexicon is used" "grep -q 'x.2' $tmp/out"
$T --lang xx "$tmp/plain.txt" >/dev/null 2>"$tmp/err"
check "an unknown --lang is a usage error" "[ \$? -eq 2 ]"
$T "$tmp/missing.jsonl" >/dev/null 2>"$tmp/err"
check "a missing input file is an error" "[ \$? -eq 2 ] && grep -q missing.jsonl $tmp/err"

# A trained model's scores join the evidence.
$CG text train --data "$tmp/train.jsonl" --out "$tmp/m.bin" --bits 16 >/dev/null 2>"$tmp/err"
check "train writes a model" "[ -s $tmp/m.bin ]"
echo "what a stinky goblin" | $T --model "$tmp/m.bin" - >"$tmp/out" 2>"$tmp/err"
check "scan --model adds model evidence" "grep -q 'model.bullying' $tmp/out"
head -c 100 "$tmp/m.bin" >"$tmp/trunc.bin"
echo hi | $T --model "$tmp/trunc.bin" - >/dev/null 2>"$tmp/err"
check "a truncated model is a clear error" "[ \$? -eq 2 ] && grep -q trunc.bin $tmp/err"
exit $fail
