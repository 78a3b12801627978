#!/usr/bin/env bash
# Self-harm is never lost in a group chat (issue 20, item 3): tests/text/groups/ holds synthetic
# group chats of 3 to 6 participants, in Vietnamese and English, where some bully one child and
# that child then writes despair. For each: the despair message is urgent and its self-harm
# guidance (with help lines) names the child; every later message keeps the conversation urgent
# and any self-harm guidance still names the child, never the next sender; the bully is the
# author of the bullying and gets the sender guidance in the summary; the explain summary keeps
# the child urgent; with --db the conversation's review item is labelled self_harm_risk, is
# urgent, and its verdict carries every harm's peak, self-harm pointing at the child's message.
# All chats go through one run of each command (conversations are told apart by their ids).
. "$(dirname "${BASH_SOURCE[0]}")/lib/python_test.sh"
python_test_init "$@"
G=$ROOT/tests/text/groups
cat "$G"/*.jsonl >"$tmp/all.jsonl"
db=$tmp/review.db
"$CG" bank --db "$db" create placeholder --label csam >/dev/null 2>"$tmp/bank" || { echo "FAIL: bank create: $(cat $tmp/bank)"; exit 1; }
"$CG" text scan --data "$ROOT/data" --no-review "$tmp/all.jsonl" >"$tmp/scan" 2>"$tmp/err"
"$CG" text explain --data "$ROOT/data" --guidance en "$tmp/all.jsonl" >"$tmp/explain" 2>>"$tmp/err"
"$CG" text scan --data "$ROOT/data" --db "$db" --no-audit "$tmp/all.jsonl" >/dev/null 2>>"$tmp/err"
"$CG" review --db "$db" list --json >"$tmp/list" 2>>"$tmp/err"
for id in $(python3 -c "import json; [print(json.loads(l)['id']) for l in open('$tmp/list') if l.strip()]"); do
    "$CG" review --db "$db" show "$id" --json >>"$tmp/items" 2>>"$tmp/err"
    echo >>"$tmp/items"
done
[ -s "$tmp/err" ] && { echo "FAIL: stderr: $(head -3 $tmp/err)"; exit 1; }
python3 - "$G" "$tmp" <<'PY'
import glob, json, os, sys
G, tmp = sys.argv[1], sys.argv[2]
expect = json.load(open(G + "/expect.json"))
out = [json.loads(l) for l in open(tmp + "/scan") if l.strip()]
items = {}
for l in open(tmp + "/items"):
    if l.strip():
        it = json.loads(l)
        items[it["content_id"]] = it
explain = open(tmp + "/explain").read()
fail = 0
for name, want in sorted(expect.items()):
    msgs = [json.loads(l) for l in open(os.path.join(G, name)) if l.strip()]
    conv = msgs[0]["conversation"]
    mine = [v for v in out if v["text"]["conversation"] == conv]
    child, bully, despair = want["at_risk"], want["bully"], want["despair_id"]
    problems = []
    def check(ok, what):
        if not ok:
            problems.append(what)
    check(len(mine) == len(msgs), "%d verdicts for %d messages" % (len(mine), len(msgs)))
    check(3 <= want["participants"] <= 6, "participants %d" % want["participants"])
    after = False
    for v, m in zip(mine, msgs):
        t = v["text"]
        sh = [g for g in v["guidance"] if g["topic"] == "self_harm_risk"]
        if t["message_id"] == despair:
            after = True
            check(t["alert"] == "urgent", "despair message %s: alert %s" % (despair, t["alert"]))
            check(sh and all(g["participant"] == child for g in sh),
                  "despair message: self-harm guidance %s" % [(g["audience"], g["participant"]) for g in sh])
            check(sh and all(g["vi"]["help"] and g["en"]["help"] for g in sh), "no help lines")
        elif after:
            check(t["alert"] == "urgent", "message %s by %s after the despair: alert %s (lowered)"
                  % (t["message_id"], m["sender"], t["alert"]))
            for g in sh:
                check(g["participant"] == child, "message %s by %s: self-harm guidance for %s"
                      % (t["message_id"], m["sender"], g["participant"]))
    last = mine[-1]["text"] if mine else {"participants": [], "peaks": {}}
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
    summary = explain.split("== conversation %s:" % conv)
    summary = summary[1].split("-- conversation")[0] if len(summary) > 1 else ""
    check(summary.splitlines()[0].startswith(" alert urgent") if summary else False, "explain: conversation not urgent")
    check("participant %s: urgent" % child in summary, "explain summary does not keep %s urgent" % child)
    check("guidance for %s (self_harm_risk" % child in summary, "explain: no self-harm guidance for %s" % child)
    check("guidance for %s (bullying, as the sender)" % bully in summary, "explain: no sender guidance for %s" % bully)
    item = items.get("conv:" + conv, {})
    check(item.get("label") == "self_harm_risk" and item.get("priority") == 3,
          "review item %s p%s" % (item.get("label"), item.get("priority")))
    ipk = item.get("verdict", {}).get("text", {}).get("peaks", {})
    check(ipk.get("self_harm_risk", {}).get("message_id") == despair
          and ipk.get("self_harm_risk", {}).get("at_risk") == child and "bullying" in ipk,
          "review item peaks %s" % ipk)
    if problems:
        fail = 1
        print("FAIL: %s: %s" % (name, "; ".join(problems)))
    else:
        print("ok: %s (%d participants): %s urgent throughout, guidance and review item for them"
              % (name, want["participants"], child))
sys.exit(fail)
PY
