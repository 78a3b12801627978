#!/usr/bin/env bash
# Personal-data guidance goes to the child whose data it is (issue 19): tests/text/whose/ holds
# synthetic conversations where a stranger writes out a child's school, class, home and route
# ("I know where you live"), a child gives their own address, a parent gives the family's
# address to a delivery man, and a demand whose account comes in a later message.
# - text scan (for the recipient): the verdict's text.personal_data names the child as the
#   owner, the stranger as the writer, "revealed"; the guidance is personal_data_revealed for
#   that child, in vi and en, with the 111 line, and no personal-data text is for the stranger;
#   the child's own address and the parent's are "own" with no guidance for the recipient;
#   the demand's second message holds sx.dem.carried;
# - text scan --audience sender: the child giving their own address gets "personal_data"
#   (keep it private), the stranger gets the personal_data_revealed sender text;
# - text explain: the summary's personal-data guidance names the child, never the stranger;
# - a malformed line among them is named on stderr and the rest is scanned (exit 2).
# Release only (tests/CMakeLists.txt): the C paths run under the sanitizers in
# test_text_conversation.
. "$(dirname "${BASH_SOURCE[0]}")/lib/python_test.sh"
python_test_init "$@"
W=$ROOT/tests/text/whose/recite.jsonl
"$CG" text scan --data "$ROOT/data" --no-review "$W" >"$tmp/scan" 2>"$tmp/err"
rc_scan=$?
"$CG" text scan --data "$ROOT/data" --no-review --audience sender "$W" >"$tmp/sender" 2>>"$tmp/err"
"$CG" text explain --data "$ROOT/data" --no-review --guidance en "$W" >"$tmp/explain" 2>>"$tmp/err"
{ head -3 "$W"; echo '{"conversation": "wd-vi", "text": '; tail -n +4 "$W"; } >"$tmp/bad.jsonl"
"$CG" text scan --data "$ROOT/data" --no-review "$tmp/bad.jsonl" >"$tmp/bad" 2>"$tmp/bad_err"
rc_bad=$?
python3 - "$tmp" "$rc_scan" "$rc_bad" <<'PY'
import json, sys
tmp, rc_scan, rc_bad = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
fail = []
def check(ok, what):
    print(("ok: " if ok else "FAIL: ") + what)
    if not ok:
        fail.append(what)
def load(name):
    return {(v["text"]["conversation"], v["text"]["message_id"]): v
            for v in (json.loads(l) for l in open(tmp + "/" + name) if l.strip())}
err = open(tmp + "/err").read()
check(err == "", "no error on stderr: " + err[:200])
check(rc_scan == 0, "text scan exits 0 (a message reached watch): %d" % rc_scan)
scan, sender = load("scan"), load("sender")
for conv, mid, child, stranger in (("wd-vi", "2", "lan", "x99"), ("wd-vi", "3", "lan", "x99"),
                                   ("wd-en", "2", "mia", "jay")):
    v = scan[(conv, mid)]
    pd = v["text"]["personal_data"]
    check(pd == {"owner": child, "written_by": stranger, "how": "revealed"},
          "%s/%s: personal_data %s" % (conv, mid, pd))
    g = [x for x in v["guidance"] if x["topic"].startswith("personal_data")]
    check(len(g) == 1 and g[0]["topic"] == "personal_data_revealed" and
          g[0]["audience"] == "recipient" and g[0]["participant"] == child,
          "%s/%s: guidance for %s: %s" % (conv, mid, child,
                                          [(x["topic"], x["participant"]) for x in g]))
    if g:
        check("111" in g[0]["vi"]["text"] and "không có lỗi" in g[0]["vi"]["text"] and
              "not in trouble" in g[0]["en"]["text"] and
              any("111" in h for h in g[0]["en"]["help"]),
              "%s/%s: kind vi + en text with the 111 line" % (conv, mid))
    check(v["text"]["peaks"]["personal_data"]["at_risk"] == child,
          "%s/%s: peak at risk is the child" % (conv, mid))
    parts = {q["name"]: q for q in v["text"]["participants"]}
    check(parts[child]["exposure"]["personal_data"] >= 0.5 and
          parts[stranger]["risk"]["personal_data"] < 0.05,
          "%s/%s: the child's exposure, not the stranger's risk" % (conv, mid))
    s = sender[(conv, mid)]
    gs = [x for x in s["guidance"] if x["topic"].startswith("personal_data")]
    check(all(x["topic"] == "personal_data_revealed" for x in gs),
          "%s/%s: the writer is never told to keep 'their' details private: %s"
          % (conv, mid, [x["topic"] for x in gs]))
for conv, owner in (("wd-own", "minh"), ("wd-ship", "mom")):
    v = scan[(conv, "1")]
    check(v["text"]["personal_data"] == {"owner": owner, "written_by": owner, "how": "own"},
          "%s: own data: %s" % (conv, v["text"]["personal_data"]))
    check(not [x for x in v["guidance"] if x["topic"].startswith("personal_data")],
          "%s: no personal-data guidance for the recipient" % conv)
g = [x for x in sender[("wd-own", "1")]["guidance"] if x["topic"].startswith("personal_data")]
check(len(g) == 1 and g[0]["topic"] == "personal_data" and g[0]["participant"] == "minh",
      "wd-own: the child sharing their address is told to keep it private: %s"
      % [(x["topic"], x["participant"]) for x in g])
check(not [x for x in sender[("wd-ship", "1")]["guidance"] if x["topic"].startswith("personal")],
      "wd-ship: a parent to a delivery man gets nothing")
ev = [e["cue"] for e in scan[("wd-dem", "3")]["text"]["evidence"] if e["in_this_message"]]
check("sx.dem.carried" in ev, "wd-dem/3: the demand completed over messages: %s" % ev)
check(scan[("wd-dem", "1")]["text"]["personal_data"] is None, "wd-dem: no personal data")
ex = open(tmp + "/explain").read()
check("guidance for lan (personal_data_revealed, as the recipient)" in ex and
      "guidance for mia (personal_data_revealed, as the recipient)" in ex,
      "explain: the personal-data guidance names the children")
check("guidance for x99 (personal_data" not in ex and "guidance for jay (personal_data" not in ex,
      "explain: never the stranger")
bad_err = open(tmp + "/bad_err").read()
bad = load("bad")
check(rc_bad == 2 and ":4:" in bad_err and ("wd-en", "2") in bad and ("wd-dem", "3") in bad,
      "a malformed line is named (%s) and the rest scanned (exit %d)" % (bad_err.strip()[:120], rc_bad))
sys.exit(1 if fail else 0)
PY
