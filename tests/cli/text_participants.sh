#!/usr/bin/env bash
# Self-harm is never lost in a group chat (issue 20, item 3): tests/text/groups/ holds synthetic
# group chats of 3 to 6 participants, in Vietnamese and English, where some bully one child and
# that child then writes despair. For each: the despair message is urgent and its self-harm
# guidance (with help lines) names the child; every later message keeps the conversation urgent
# and any self-harm guidance still names the child, never the next sender; the bully is the
# author of the bullying and gets the sender guidance in the summary; the explain summary keeps
# the child urgent; with --db the conversation's review item is labelled self_harm_risk, is
# urgent, and its verdict carries every harm's peak, self-harm pointing at the child's message.
set -u
CG=$1
ROOT=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
command -v python3 >/dev/null || { echo "SKIPPED: python3 missing"; exit 77; }
G=$ROOT/tests/text/groups
fail=0
for f in "$G"/*.jsonl; do
    name=$(basename "$f")
    db=$tmp/$name.db
    "$CG" bank --db "$db" create placeholder --label csam >/dev/null 2>"$tmp/err" || { echo "FAIL: bank create: $(cat $tmp/err)"; fail=1; continue; }
    "$CG" text scan --data "$ROOT/data" "$f" >"$tmp/scan" 2>"$tmp/err"
    "$CG" text explain --data "$ROOT/data" --guidance en "$f" >"$tmp/explain" 2>>"$tmp/err"
    "$CG" text scan --data "$ROOT/data" --db "$db" --no-audit "$f" >/dev/null 2>>"$tmp/err"
    "$CG" review --db "$db" list --json >"$tmp/list" 2>>"$tmp/err"
    id=$(python3 -c "import json; print(json.loads(open('$tmp/list').readline())['id'])" 2>/dev/null)
    "$CG" review --db "$db" show "${id:-1}" --json >"$tmp/item" 2>>"$tmp/err"
    python3 - "$G/expect.json" "$name" "$f" "$tmp" <<'PY' || fail=1
import json, sys
want = json.load(open(sys.argv[1]))[sys.argv[2]]
name, src, tmp = sys.argv[2], sys.argv[3], sys.argv[4]
child, bully, despair = want["at_risk"], want["bully"], want["despair_id"]
msgs = [json.loads(l) for l in open(src) if l.strip()]
out = [json.loads(l) for l in open(tmp + "/scan") if l.strip()]
problems = []
def check(ok, what):
    if not ok:
        problems.append(what)
check(len(out) == len(msgs), "%d verdicts for %d messages" % (len(out), len(msgs)))
check(3 <= want["participants"] <= 6, "participants %d" % want["participants"])
after = False
for v, m in zip(out, msgs):
    t = v["text"]
    sh = [g for g in v["guidance"] if g["topic"] == "self_harm_risk"]
    if t["message_id"] == despair:
        after = True
        check(t["alert"] == "urgent", "despair message %s: alert %s" % (despair, t["alert"]))
        check(sh and all(g["participant"] == child for g in sh),
              "despair message: self-harm guidance %s" % [(g["audience"], g["participant"]) for g in sh])
        check(sh and all(g["vi"]["help"] and g["en"]["help"] for g in sh), "no help lines")
    elif after:
        check(t["alert"] == "urgent", "message %s by %s after the despair: alert %s (lowered)" % (t["message_id"], m["sender"], t["alert"]))
        for g in sh:
            check(g["participant"] == child, "message %s by %s: self-harm guidance for %s" % (t["message_id"], m["sender"], g["participant"]))
    parts = {p["name"]: p for p in t["participants"]}
    check(len(parts) <= 6 and m["sender"] in parts, "participants %s" % sorted(parts))
last = out[-1]["text"]
parts = {p["name"]: p for p in last["participants"]}
check(len(parts) == want["participants"], "%d participants, want %d" % (len(parts), want["participants"]))
c = parts.get(child, {})
check(c.get("alert") == "urgent" and c.get("peak") == "urgent" and c.get("peak_harm") == "self_harm_risk"
      and c.get("peak_message_id") == despair, "the child at the end: %s" % c)
b = parts.get(bully, {})
check(b.get("author_alert") in ("watch", "alert", "urgent"), "the bully: %s" % b)
check(b.get("alert") != "urgent", "the bully is not the one at risk: %s" % b)
pk = last["peaks"].get("self_harm_risk", {})
check(pk.get("level") == "urgent" and pk.get("at_risk") == child and pk.get("message_id") == despair,
      "self-harm peak %s" % pk)
check("bullying" in last["peaks"], "bullying peak missing: %s" % sorted(last["peaks"]))
ex = open(tmp + "/explain").read()
check("participant %s: urgent" % child in ex, "explain summary does not keep %s urgent" % child)
check("guidance for %s (self_harm_risk" % child in ex, "explain: no self-harm guidance for %s" % child)
check("guidance for %s (bullying, as the sender)" % bully in ex, "explain: no sender guidance for %s" % bully)
check("alert urgent" in ex.split("== conversation")[-1].splitlines()[0], "explain: conversation not urgent")
item = json.load(open(tmp + "/item"))
check(item["label"] == "self_harm_risk" and item["priority"] == 3, "review item %s p%s" % (item["label"], item["priority"]))
ipk = item["verdict"]["text"]["peaks"]
check(ipk.get("self_harm_risk", {}).get("message_id") == despair and ipk["self_harm_risk"]["at_risk"] == child
      and "bullying" in ipk, "review item peaks %s" % ipk)
if problems:
    print("FAIL: %s: %s" % (name, "; ".join(problems)))
    sys.exit(1)
print("ok: %s: %s urgent throughout, guidance and review item for them" % (name, child))
PY
    [ -s "$tmp/err" ] && { echo "FAIL: $name: stderr: $(head -3 $tmp/err)"; fail=1; }
done
exit $fail
