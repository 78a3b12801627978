#!/usr/bin/env bash
# childguard text eval --conversations on tests/text/eval/sample.jsonl (5 synthetic
# conversations written for this test): the figures it prints are the ones the labels and the
# engine's verdicts give, --split filters, --json parses, and bad input is reported with
# file:line while the rest is still measured (exit codes: 0 measured, 1 nothing in that split,
# 2 an error).
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
S=$ROOT/tests/text/eval/sample.jsonl
E="$CG text eval --data $ROOT/data"

$E --conversations "$S" --json >"$tmp/all" 2>"$tmp/err"; rc=$?
check "all 5 conversations, 18 messages, exit 0" "[ $rc -eq 0 ] && python3 -c 'import json; d=json.load(open(\"$tmp/all\")); assert (d[\"conversations\"], d[\"messages\"]) == (5, 18), d'"
# The figures must be those the engine's own verdicts give: recompute them from text scan.
python3 - "$CG" "$ROOT" "$S" "$tmp" <<'PY' >"$tmp/expect" 2>"$tmp/err"
import json, subprocess, sys
cg, root, sample, tmp = sys.argv[1:]
H = ["grooming", "sexual_solicitation", "sextortion", "bullying", "self_harm_risk", "personal_data"]
rec = {h: [0, 0] for h in H}; msg = {h: [0, 0, 0] for h in H}; neg = [0, 0]; groom = [0, 0]
for line in open(sample):
    c = json.loads(line)
    inp = "".join(json.dumps({"conversation": c["conversation"], "id": str(i), "sender": m["sender"],
                              "recipient": m["recipient"], "ts": m["ts"], "text": m["text"]}) + "\n"
                  for i, m in enumerate(c["messages"]))
    out = subprocess.run([cg, "text", "scan", "--data", root + "/data", "-"], input=inp,
                         capture_output=True, text=True).stdout
    v = [json.loads(l)["text"] for l in out.splitlines()]
    assert len(v) == len(c["messages"])
    peak = {h: max(x["risk"].get(h, 0) for x in v) for h in H}
    for h in c["harms"]:
        rec[h][1] += 1; rec[h][0] += peak[h] >= 0.5
    if not c["harms"]:
        neg[1] += 1; neg[0] += any(x["alert"] in ("alert", "urgent") for x in v)
    if "grooming" in c["harms"]:
        groom[1] += 1
        groom[0] += any(x["alert"] in ("alert", "urgent") for x in v[:c["sexual_stage"] + 1])
    for m, x in zip(c["messages"], v):
        for h in H:
            want, got = h in m["harms"], x["message_risk"].get(h, 0) >= 0.5
            msg[h][0] += want and got; msg[h][1] += got and not want; msg[h][2] += want and not got
print(json.dumps({"recall": rec, "msg": msg, "neg": neg, "groom": groom}, sort_keys=True))
PY
check "the figures are those text scan's verdicts give" "python3 -c '
import json
d = json.load(open(\"$tmp/all\")); e = json.load(open(\"$tmp/expect\"))
cl = d[\"conversation_level\"]
for h, (hit, of) in e[\"recall\"].items():
    assert (cl[\"recall\"][h][\"hit\"], cl[\"recall\"][h][\"of\"]) == (hit, of), (h, cl[\"recall\"][h], hit, of)
for h, (tp, fp, fn) in e[\"msg\"].items():
    m = d[\"message_level\"][h]
    assert (m[\"tp\"], m[\"fp\"], m[\"fn\"]) == (tp, fp, fn), (h, m, tp, fp, fn)
n = cl[\"negative_false_alert\"]; assert [n[\"hit\"], n[\"of\"]] == e[\"neg\"], (n, e[\"neg\"])
g = cl[\"grooming_alerted_by_sexual_stage\"]; assert [g[\"hit\"], g[\"of\"]] == e[\"groom\"]
assert 0 <= d[\"macro_f1\"] <= 1
'"
$E --conversations "$S" --split train --json >"$tmp/train" 2>"$tmp/err"; rc=$?
check "--split train: the one train conversation" "[ $rc -eq 0 ] && python3 -c 'import json; d=json.load(open(\"$tmp/train\")); assert d[\"conversations\"] == 1 and d[\"split\"] == \"train\"'"
$E --conversations "$S" >"$tmp/text" 2>"$tmp/err"; rc=$?
check "the text table names every measure" "[ $rc -eq 0 ] && grep -q 'grooming alerted' $tmp/text && grep -q 'macro-F1' $tmp/text && grep -q 'personal_data' $tmp/text"
$E --conversations "$S" --list >"$tmp/list" 2>"$tmp/err"
check "--list: one line per conversation" "[ \$(grep -c '^sample-' $tmp/list) -ge 5 ]"

# Hostile input: every bad line is named and skipped; the good ones are still measured.
python3 - "$S" "$tmp/bad.jsonl" <<'PY'
import json, sys
good = open(sys.argv[1]).readline()
c = json.loads(good)
with open(sys.argv[2], "w") as f:
    f.write(good)
    f.write("{not json\n")
    f.write(json.dumps(dict(c, kind="spam")) + "\n")
    f.write(json.dumps(dict(c, harms=["nonsense"])) + "\n")
    f.write(json.dumps(dict(c, messages=[])) + "\n")
    f.write(json.dumps(dict(c, sexual_stage=99)) + "\n")
    f.write(json.dumps(dict(c, messages=[{"sender": "a", "ts": "yesterday", "text": "hi", "harms": []}])) + "\n")
    f.write(json.dumps(dict(c, messages=[{"sender": "a", "text": 5, "harms": []}])) + "\n")
    f.write("[1, 2]\n")
    f.write("\n")
PY
$E --conversations "$tmp/bad.jsonl" --json >"$tmp/out" 2>"$tmp/err"; rc=$?
check "bad lines: exit 2, each named with its line" "[ $rc -eq 2 ] && for l in 2 3 4 5 6 7 8 9; do grep -q \"bad.jsonl:\$l:\" $tmp/err || exit 1; done"
check "bad lines: the good conversation is still measured" "python3 -c 'import json; assert json.load(open(\"$tmp/out\"))[\"conversations\"] == 1'"
$E --conversations "$tmp/nothing.jsonl" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "a missing file: exit 2 and named" "[ $rc -eq 2 ] && grep -q nothing.jsonl $tmp/err"
head -1 "$S" >"$tmp/one.jsonl"
$E --conversations "$tmp/one.jsonl" --split train >"$tmp/out" 2>"$tmp/err"; rc=$?
check "no conversation in the split: exit 1" "[ $rc -eq 1 ] && grep -q 'no conversation' $tmp/err"
$E --conversations "$S" --split test >"$tmp/out" 2>"$tmp/err"; rc=$?
check "an unknown split is refused" "[ $rc -eq 2 ]"
$CG text eval --help >"$tmp/out" 2>&1
check "text eval --help names both evaluations" "grep -q -- '--conversations' $tmp/out && grep -q -- '--model' $tmp/out"
$CG text eval --conversations x --help >"$tmp/out" 2>&1; rc=$?
check "text eval --conversations --help: its usage" "[ $rc -eq 0 ] && grep -q -- '--split' $tmp/out"
exit $fail
