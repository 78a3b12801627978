#!/usr/bin/env bash
# The nudity classifier from the command line and through the engine (docs/vision.md):
#   - the shipped converter turns the npm package into exactly the model file whose SHA-256 is
#     recorded in data/vision/nsfw_mobilenet_v2.cgvm.sha256;
#   - `childguard classify`: table and JSON, a non-image among images, and clear errors naming
#     the model file when it is missing, truncated, corrupt or of another version;
#   - `scan --json`: the nudity signal in verdicts of images, animations and videos (worst
#     sampled frame), none for other files; --no-classify; a corrupt model leaves the engine
#     running and every verdict of bytes says "unavailable";
#   - the policy: min_nudity rules (blur + vi/en guidance per audience on a child's device,
#     review on a platform), the shipped thresholds leave neutral drawings alone, and bad
#     min_nudity values are refused.
# Only synthetic drawings are used: the policy paths are reached with a test policy whose
# threshold a neutral drawing passes, never with sexual imagery.
# Usage: vision_cli.sh CHILDGUARD SOURCE_ROOT [TESTDATA_DIR]
set -u
CG=$1
ROOT=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # description, condition
    if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; head -5 "$tmp/err" 2>/dev/null; fi
}
export CHILDGUARD_DB=$tmp/t.db
export CHILDGUARD_AUDIT_LOG=$tmp/audit.log
export CHILDGUARD_DATA=$ROOT/data
MODEL=$ROOT/data/vision/nsfw_mobilenet_v2.cgvm
ID=8d1c1b50956c1afd0a9c32ba6c93b1b7e8097f4d9f361acce535f9a3e7dfb4d5
py() { python3 -c "$@"; }
"$CG" bank create demo --label csam >/dev/null 2>&1 || { echo "FAIL: bank create"; exit 1; }

bash "$ROOT/tests/vision/draw.sh" "$tmp/d" >/dev/null 2>"$tmp/err"
check "synthetic drawings made" "[ -f $tmp/d/house.png ] && [ -f $tmp/d/boat.jpg ]"

# ---- the converter ---------------------------------------------------------------------------
(cd "$ROOT" && node tools/vision/convert-nsfwjs.mjs "$tmp/conv.cgvm") >"$tmp/out" 2>"$tmp/err"
check "the converter runs on the npm package (node + npm ci)" "[ $? -eq 0 ] && grep -q '266 tensors, 2619461 parameters' $tmp/out"
check "its output has the recorded SHA-256 (data/vision/nsfw_mobilenet_v2.cgvm.sha256)" \
    "[ \"\$(sha256sum $tmp/conv.cgvm | cut -d' ' -f1)\" = \"\$(cut -d' ' -f1 $ROOT/data/vision/nsfw_mobilenet_v2.cgvm.sha256)\" ]"
check "and is byte for byte the model the set-up installed" "cmp -s $tmp/conv.cgvm $MODEL"

# ---- classify --------------------------------------------------------------------------------
"$CG" classify "$tmp/d/house.png" "$tmp/d/boat.jpg" >"$tmp/out" 2>"$tmp/err"
check "classify: table, exit 0" "[ $? -eq 0 ] && [ \$(wc -l <$tmp/out) -eq 3 ] && head -1 $tmp/out | grep -q '^drawing hentai  neutral porn    sexy    explicit file'"
"$CG" classify --json "$tmp/d/house.png" "$tmp/d/sun-224.png" "$tmp/d/checker-grey.png" "$tmp/d/flower-rgba.png" >"$tmp/c.jsonl" 2>"$tmp/err"
check "classify --json: one object per file, 5 probabilities summing to 1, explicit = hentai + porn + sexy, the model's id" \
    "[ $? -eq 0 ] && py \"
import json
rows = [json.loads(l) for l in open('$tmp/c.jsonl')]
assert len(rows) == 4, rows
for r in rows:
    s = r['scores']
    assert r['model'] == '$ID'
    assert abs(sum(s.values()) - 1) < 1e-5, s
    assert abs(r['explicit'] - (s['hentai'] + s['porn'] + s['sexy'])) < 1e-6, r
    assert all(0 <= v <= 1 for v in s.values())
\""
printf 'not an image\n' >"$tmp/notes.txt"
"$CG" classify --json "$tmp/d/house.png" "$tmp/notes.txt" "$tmp/d/boat.jpg" >"$tmp/out" 2>"$tmp/err"
check "a file that is not an image: exit 2, named on stderr, the others still scored" \
    "[ $? -eq 2 ] && grep -q 'notes.txt' $tmp/err && [ \$(grep -c '\"scores\"' $tmp/out) -eq 2 ] && grep -q '\"error\"' $tmp/out"

"$CG" classify --model "$tmp/none.cgvm" "$tmp/d/house.png" >"$tmp/out" 2>"$tmp/err"
check "missing model: exit 2, the file named" "[ $? -eq 2 ] && grep -q 'nudity model: $tmp/none.cgvm' $tmp/err && [ ! -s $tmp/out ]"
head -c 1000000 "$MODEL" >"$tmp/trunc.cgvm"
"$CG" classify --model "$tmp/trunc.cgvm" "$tmp/d/house.png" >"$tmp/out" 2>"$tmp/err"
check "truncated model: exit 2, 'truncated', the file named" "[ $? -eq 2 ] && grep -q 'trunc.cgvm: truncated model file' $tmp/err"
cp "$MODEL" "$tmp/flip.cgvm"
printf '\x01' | dd of="$tmp/flip.cgvm" bs=1 seek=1500000 conv=notrunc 2>/dev/null
"$CG" classify --model "$tmp/flip.cgvm" "$tmp/d/house.png" >"$tmp/out" 2>"$tmp/err"
check "corrupt model (one byte): exit 2, the checksum named" "[ $? -eq 2 ] && grep -q 'flip.cgvm: corrupt model file: the weights.* SHA-256' $tmp/err"
cp "$MODEL" "$tmp/v9.cgvm"
printf '\x09' | dd of="$tmp/v9.cgvm" bs=1 seek=8 conv=notrunc 2>/dev/null
"$CG" classify --model "$tmp/v9.cgvm" "$tmp/d/house.png" >"$tmp/out" 2>"$tmp/err"
check "another format version: exit 2, said so" "[ $? -eq 2 ] && grep -q 'v9.cgvm: model file format version 9' $tmp/err"

# ---- scan: the nudity signal in verdicts -----------------------------------------------------
"$CG" scan --json --no-audit --no-review "$tmp/d/house.png" "$tmp/notes.txt" >"$tmp/v.jsonl" 2>"$tmp/err"
check "scan: exit 1 (the default policy does not act on neutral drawings)" "[ $? -eq 1 ]"
check "scan: an image's verdict has nudity classified (the model's id, 5 scores, explicit), facts.nudity; a non-image has none" \
    "py \"
import json
img, txt = [json.loads(l) for l in open('$tmp/v.jsonl')]
n = img['nudity']
assert n['status'] == 'classified' and n['model'] == '$ID', n
assert set(n['scores']) == {'drawing', 'hentai', 'neutral', 'porn', 'sexy'}
assert 'frame' not in n and img['facts']['nudity'] == n['explicit']
assert img['timings']['classify_ms'] > 0
assert txt['kind'] == 'file' and 'nudity' not in txt, txt
\""
"$CG" scan --json --no-audit --no-review --no-classify "$tmp/d/house.png" >"$tmp/v.jsonl" 2>"$tmp/err"
check "scan --no-classify: status off, no scores" \
    "py \"
import json
v = json.loads(open('$tmp/v.jsonl').read())
assert v['nudity'] == {'status': 'off'}, v['nudity']
assert 'nudity' not in v['facts']
\""
"$CG" scan --json --no-audit --no-review --vision-model "$tmp/flip.cgvm" "$tmp/d/house.png" "$tmp/notes.txt" >"$tmp/v.jsonl" 2>"$tmp/err"
rc=$?
check "scan with a corrupt model: the engine runs (exit 1, not 2), warned once naming the file" \
    "[ $rc -eq 1 ] && [ \$(grep -c 'nudity classifier unavailable' $tmp/err) -eq 1 ] && grep -q 'flip.cgvm' $tmp/err"
check "... and every verdict of bytes says unavailable, with the reason" \
    "py \"
import json
vs = [json.loads(l) for l in open('$tmp/v.jsonl')]
assert len(vs) == 2
for v in vs:
    assert v['nudity']['status'] == 'unavailable', v
    assert 'flip.cgvm: corrupt model file' in v['nudity']['error']
\""

# Animations (first frame) and videos (sampled frames, the worst one named).
convert -delay 20 "$tmp/d/house.png" "$tmp/d/boat.jpg" "$tmp/d/tree.png" -resize 160x120! "$tmp/anim.gif" 2>"$tmp/err"
"$CG" scan --json --no-audit --no-review "$tmp/anim.gif" >"$tmp/v.jsonl" 2>"$tmp/err"
check "an animated GIF: scored on its first frame" \
    "py \"
import json
v = json.loads(open('$tmp/v.jsonl').read())
assert v['kind'] == 'image' and v['nudity']['status'] == 'classified' and 'frame' not in v['nudity'], v
\""
"$CG" classify --json "$tmp/anim.gif" >"$tmp/c.jsonl" 2>"$tmp/err"
check "... the same scores as classify gives the GIF" \
    "py \"
import json
v = json.loads(open('$tmp/v.jsonl').read())['nudity']
c = json.loads(open('$tmp/c.jsonl').read())
assert abs(v['explicit'] - c['explicit']) < 1e-4, (v, c)
\""
if command -v ffmpeg >/dev/null 2>&1; then
    ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=320x240:rate=10:duration=3 \
        -pix_fmt yuv420p "$tmp/clip.mp4"
    "$CG" scan --json --no-audit --no-review "$tmp/clip.mp4" >"$tmp/v.jsonl" 2>"$tmp/err"
    check "a video: its sampled frames scored (one a second), the worst frame named" \
        "py \"
import json
v = json.loads(open('$tmp/v.jsonl').read())
n = v['nudity']
assert v['kind'] == 'video' and n['status'] == 'classified', v
assert n['frames'] == 3 and n['frame'] in (0, 10, 20), n
\""
    "$CG" scan --json --no-audit --no-review --video-rate 0.5 "$tmp/clip.mp4" >"$tmp/v.jsonl" 2>"$tmp/err"
    check "... --video-rate 0.5: twice the frames" \
        "py \"
import json
assert json.loads(open('$tmp/v.jsonl').read())['nudity']['frames'] == 6
\""
else
    echo "FAIL: ffmpeg not on PATH (scripts/install-deps.sh installs it)"; fail=1
fi

# ---- the policy ------------------------------------------------------------------------------
"$CG" scan --json --no-audit --no-review --context child_device "$tmp/d/house.png" >"$tmp/v.jsonl" 2>"$tmp/err"
check "shipped policy on a child's device: a neutral drawing is not blurred" \
    "py \"
import json
v = json.loads(open('$tmp/v.jsonl').read())
assert [a['action'] for a in v['decision']['actions']] in ([], ['allow']), v['decision']
assert v['nudity']['explicit'] < 0.8
\""
# A test policy whose threshold any image passes: the path of a real detection, on a drawing.
cat >"$tmp/low.json" <<'JSON'
{"version": 1, "rules": [
  {"id": "t-received", "when": {"min_nudity": 0.0001, "context": ["child_device", "school_tablet"], "audience": "recipient"},
   "actions": ["blur"], "guidance": {"topic": "nudity", "audience": "recipient"}},
  {"id": "t-send", "when": {"min_nudity": 0.0001, "context": ["child_device"], "audience": "sender"},
   "actions": ["blur"], "guidance": {"topic": "nudity", "audience": "sender"}},
  {"id": "t-platform", "when": {"min_nudity": 0.0001, "context": ["platform_upload"]}, "actions": ["queue_review"]}
]}
JSON
"$CG" scan --json --no-audit --no-review --policy "$tmp/low.json" --context child_device "$tmp/d/house.png" >"$tmp/v.jsonl" 2>"$tmp/err"
check "child_device, recipient: blur + nudity guidance (vi + en, 'you don't have to look'), the rule's why names the score" \
    "[ $? -eq 0 ] && py \"
import json
v = json.loads(open('$tmp/v.jsonl').read())
d = v['decision']
assert [a['action'] for a in d['actions']] == ['blur'], d
assert d['fired'][0]['id'] == 't-received' and 'nudity 0.' in d['fired'][0]['why'], d
g = v['guidance'][0]
assert g['topic'] == 'nudity' and g['audience'] == 'recipient', g
assert \\\"don't have to look\\\" in g['en']['text'] and g['vi']['text'], g
\""
"$CG" scan --no-audit --no-review --policy "$tmp/low.json" --context child_device "$tmp/d/house.png" >"$tmp/out" 2>"$tmp/err"
check "text output: a NUDITY line with the scores, then the decision" \
    "grep -qP 'house.png\tNUDITY\texplicit 0\\.[0-9]{2} \\(porn' $tmp/out && grep -qP 'house.png\tDECISION\tblur; rules: t-received' $tmp/out"
"$CG" scan --json --no-audit --no-review --policy "$tmp/low.json" --context child_device --audience sender "$tmp/d/house.png" >"$tmp/v.jsonl" 2>"$tmp/err"
check "child_device, sender: blur + 'think before you send' guidance with help lines" \
    "py \"
import json
v = json.loads(open('$tmp/v.jsonl').read())
g = v['guidance'][0]
assert g['topic'] == 'nudity' and g['audience'] == 'sender', g
assert 'Think before you send' in g['en']['text'], g['en']
assert g['en']['help'] and g['vi']['help'], g
\""
"$CG" scan --json --no-audit --policy "$tmp/low.json" "$tmp/d/house.png" >"$tmp/v.jsonl" 2>"$tmp/err"
check "platform_upload: queue_review (a review item), no block" \
    "py \"
import json
v = json.loads(open('$tmp/v.jsonl').read())
acts = [a['action'] for a in v['decision']['actions']]
assert 'queue_review' in acts and 'block' not in acts and v['review_id'], v['decision']
\""
cat >"$tmp/samples.json" <<'JSON'
[{"note": "an image scored 0.93 on a child's phone", "context": "child_device", "nudity": 0.93},
 {"note": "the same score, uploaded to a platform", "context": "platform_upload", "nudity": 0.93},
 {"note": "0.85 on a platform", "context": "platform_upload", "nudity": 0.85}]
JSON
"$CG" policy check --sample "$tmp/samples.json" >"$tmp/out" 2>"$tmp/err"
check "policy check --sample with nudity facts: the shipped rules fire at their thresholds" \
    "[ $? -eq 0 ] && grep -q 'fires nudity-on-device-received' $tmp/out && [ \$(grep -c 'fires nudity-platform-review' $tmp/out) -eq 1 ]"
for bad in 0 1.5 '"high"'; do
    printf '{"version": 1, "rules": [{"id": "x", "when": {"min_nudity": %s}, "actions": ["blur"]}]}' "$bad" >"$tmp/bad.json"
    "$CG" policy check "$tmp/bad.json" >"$tmp/out" 2>"$tmp/err"
    check "policy check refuses min_nudity $bad, naming the place" "[ $? -eq 2 ] && grep -q 'rules\\[0\\].when.min_nudity' $tmp/err"
done

[ $fail -eq 0 ] && echo "all vision checks passed"
exit $fail
