#!/usr/bin/env bash
# The synthetic conversations of tests/text/fixtures through `childguard text scan`: the last
# line of each must reach the alert, risks and grooming stage expect.json gives; every line must
# be valid JSON with every field; evidence spans must point at the quoted text.
set -u
CG=$1
ROOT=$2
command -v python3 >/dev/null || { echo "SKIPPED: python3 missing"; exit 77; }
exec python3 - "$CG" "$ROOT" <<'PY'
import json, subprocess, sys
cg, root = sys.argv[1], sys.argv[2]
fx = root + "/tests/text/fixtures"
expect = json.load(open(fx + "/expect.json"))
fail = 0
for name, want in sorted(expect.items()):
    p = subprocess.run([cg, "text", "scan", "--data", root + "/data", fx + "/" + name],
                       capture_output=True, text=True)
    problems = []
    if p.returncode not in (0, 1):
        problems.append("exit %d: %s" % (p.returncode, p.stderr.strip()[:300]))
    # One verdict per message (docs/verdict.md); the text engine's part is under "text".
    lines = [json.loads(l).get("text", {}) for l in p.stdout.splitlines() if l.strip()]
    msgs = [json.loads(l) for l in open(fx + "/" + name) if l.strip()]
    if len(lines) != len(msgs):
        problems.append("%d output lines for %d messages" % (len(lines), len(msgs)))
    for out, msg in zip(lines, msgs):
        for k in ("conversation", "message_id", "alert", "risk", "stage", "evidence"):
            if k not in out:
                problems.append("line %s lacks %s" % (msg.get("id"), k))
        raw = msg["text"].encode()
        for e in out.get("evidence", []):
            if e.get("in_this_message") and not (0 <= e["start"] < e["end"] <= len(raw)):
                problems.append("span %s..%s outside the message (%d bytes)" % (e["start"], e["end"], len(raw)))
    last = lines[-1] if lines else {}
    if last.get("alert") not in want["alert"]:
        problems.append("alert %s, want %s" % (last.get("alert"), want["alert"]))
    for harm, lo in want.get("risk_at_least", {}).items():
        if last.get("risk", {}).get(harm, 0) < lo:
            problems.append("%s risk %.2f < %.2f" % (harm, last.get("risk", {}).get(harm, 0), lo))
    if "max_risk" in want and max(last.get("risk", {"x": 1}).values()) > want["max_risk"]:
        problems.append("a risk above %.2f: %s" % (want["max_risk"], last.get("risk")))
    if "stage" in want and last.get("stage") not in want["stage"]:
        problems.append("stage %s, want %s" % (last.get("stage"), want["stage"]))
    # "cues_in_last": cue ids the last message's own evidence must hold; "no_cue_prefix": no
    # message's own evidence may hold a cue whose id starts with it (pressure cues without a
    # request before them, for instance).
    own_last = {e["cue"] for e in last.get("evidence", []) if e.get("in_this_message")}
    for cue in want.get("cues_in_last", []):
        if cue not in own_last:
            problems.append("the last message lacks cue %s (has %s)" % (cue, sorted(own_last)))
    if "no_cue_prefix" in want:
        bad = sorted({e["cue"] for l in lines for e in l.get("evidence", [])
                      if e.get("in_this_message") and e["cue"].startswith(want["no_cue_prefix"])})
        if bad:
            problems.append("cues %s found" % bad)
    if problems:
        fail = 1
        print("FAIL: %s: %s" % (name, "; ".join(problems)))
        cues = sorted({e["cue"] for l in lines for e in l.get("evidence", [])})
        print("      cues seen: %s" % ", ".join(cues))
    else:
        print("ok: %s: %s %s" % (name, last.get("alert"), last.get("stage")))
sys.exit(fail)
PY
