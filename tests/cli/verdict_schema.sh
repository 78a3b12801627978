#!/usr/bin/env bash
# Every verdict the command line prints conforms to docs/verdict.schema.json (docs/verdict.md):
# `scan --json` over synthetic images (one in a csam bank, one in a block bank and an allow
# bank, a mirrored copy found with --dihedral), a JPEG, a GIF, a file that is not an image, an
# empty file and a truncated image, with audit and review on and off and in every context and
# audience; `text scan --json` over every tests/text/fixtures/*.jsonl. Each output line is
# validated with python3-jsonschema's Draft7Validator; the schema must also refuse broken
# verdicts (so this test can fail), and what the schema cannot say (the signals are the file's
# digests, evidence spans lie inside the message, blocked agrees with the actions) is checked
# by hand. Usage: verdict_schema.sh CHILDGUARD SOURCE_ROOT [TESTDATA_DIR]
set -u
CG=$1
ROOT=$2
SCHEMA=$ROOT/docs/verdict.schema.json
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # description, condition
    if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; head -5 "$tmp/err" 2>/dev/null; fi
}
command -v python3 >/dev/null || { echo "SKIPPED: python3 missing"; exit 77; }
python3 -c 'import jsonschema' 2>/dev/null || { echo "SKIPPED: python3 jsonschema missing (apt install python3-jsonschema)"; exit 77; }
export CHILDGUARD_DB=$tmp/t.db
export CHILDGUARD_AUDIT_LOG=$tmp/audit.log
export USER=tester
export CHILDGUARD_DATA=$ROOT/data  # the policy and guidance of this tree

# The validator: each FILE holds JSON lines, every one a verdict. Prints one line per problem.
cat >"$tmp/validate.py" <<'PY'
import hashlib, json, os, sys
from jsonschema import Draft7Validator
schema = json.load(open(sys.argv[1]))
Draft7Validator.check_schema(schema)
val = Draft7Validator(schema)
bad = 0
n = 0
for path in sys.argv[2:]:
    for i, line in enumerate(open(path, encoding="utf-8"), 1):
        if not line.strip():
            continue
        n += 1
        where = "%s:%d" % (os.path.basename(path), i)
        try:
            v = json.loads(line)
        except ValueError as e:
            print("%s: not JSON: %s" % (where, e)); bad += 1; continue
        for e in sorted(val.iter_errors(v), key=lambda e: list(e.path)):
            print("%s: %s: %s" % (where, "/".join(map(str, e.path)) or "(top)", e.message[:200]))
            bad += 1
        if not isinstance(v, dict):
            continue
        # What a schema cannot say.
        d = v.get("decision", {})
        if d.get("blocked") != any(a.get("action") == "block" for a in d.get("actions", [])):
            print("%s: blocked disagrees with the actions" % where); bad += 1
        if v.get("kind") in ("image", "file") and isinstance(v.get("name"), str) \
                and os.path.isfile(v["name"]):
            data = open(v["name"], "rb").read()
            s = v.get("signals", {})
            if s.get("sha256") != hashlib.sha256(data).hexdigest() or \
                    s.get("md5") != hashlib.md5(data).hexdigest() or v.get("bytes") != len(data):
                print("%s: signals or bytes are not the file's" % where); bad += 1
            if v.get("content_id") != "sha256:" + hashlib.sha256(data).hexdigest():
                print("%s: content_id is not the file's sha256" % where); bad += 1
        if v.get("kind") == "image" and "width" not in v and "decode_error" not in v:
            print("%s: an image neither decoded nor carrying decode_error" % where); bad += 1
        t = v.get("text")
        if isinstance(t, dict):
            conv, mid = t.get("conversation", ""), t.get("message_id", "")
            short = len(conv.encode()) <= 60 and len(mid.encode()) <= 60
            if short and v.get("content_id") != "msg:%s/%s" % (conv, mid):
                print("%s: content_id is not msg:<conversation>/<id>" % where); bad += 1
            for e in t.get("evidence", []):
                if isinstance(e, dict) and not e.get("start", 0) <= e.get("end", 0):
                    print("%s: evidence span %s..%s" % (where, e.get("start"), e.get("end"))); bad += 1
print("validated %d verdicts, %d problems" % (n, bad))
sys.exit(1 if bad or n == 0 else 0)
PY
validate() { python3 "$tmp/validate.py" "$SCHEMA" "$@" >"$tmp/err" 2>&1; }

check "the schema is a valid draft-07 schema" \
    "python3 -c 'import json,sys; from jsonschema import Draft7Validator as V; s=json.load(open(sys.argv[1])); V.check_schema(s); assert s[\"\$schema\"]==\"http://json-schema.org/draft-07/schema#\"' '$SCHEMA' 2>$tmp/err"

# ---- images and files -------------------------------------------------------------------------
if ! command -v convert >/dev/null; then
    echo "FAIL: ImageMagick 'convert' missing (scripts/install-deps.sh installs it)"
    exit 1
fi
mkdir -p "$tmp/up"
cd "$tmp" || exit 1
convert -seed 3 -size 64x64 plasma:fractal up/known.png &&
    convert up/known.png -flop up/mirror.png &&
    convert -seed 9 -size 80x60 plasma:fractal up/fp.png &&
    convert -seed 11 -size 64x48 plasma:fractal -quality 85 up/photo.jpg &&
    convert -size 32x32 gradient:red-blue up/flat.gif 2>"$tmp/err"
check "synthetic images made with ImageMagick" "[ -s up/known.png ] && [ -s up/mirror.png ] && [ -s up/fp.png ] && [ -s up/photo.jpg ] && [ -s up/flat.gif ]"
printf 'not an image, just text\n' >up/note.txt
: >up/empty.bin
head -c 300 up/photo.jpg >up/truncated.jpg

"$CG" bank create known --label csam --description "synthetic test bank" >/dev/null 2>"$tmp/err"
check "a csam bank" "[ $? -eq 0 ]"
"$CG" bank add known --files up/known.png >/dev/null 2>"$tmp/err"
check "holding one synthetic image" "[ $? -eq 0 ]"
pdq_fp=$("$CG" hash -q up/fp.png | cut -d, -f1)
"$CG" bank create other --label ncii >/dev/null 2>"$tmp/err" &&
    "$CG" bank add other --external-id ext-7 --source test-hotline --quality 90 "$pdq_fp" >/dev/null 2>>"$tmp/err"
check "a second block bank with provenance" "[ $? -eq 0 ]"
"$CG" bank create reviewed --kind allow >/dev/null 2>"$tmp/err" &&
    "$CG" bank add reviewed "$pdq_fp" >/dev/null 2>>"$tmp/err"
check "an allow bank that suppresses it" "[ $? -eq 0 ]"

# Quiet scans: no audit, no review.
"$CG" scan -q --json --no-audit --no-review up/known.png up/fp.png up/photo.jpg up/flat.gif \
    up/note.txt up/empty.bin up/truncated.jpg >"$tmp/scan1.jsonl" 2>"$tmp/scan1.err"
rc=$?
check "scan --json exits 2 (the truncated image) and prints one verdict per file" \
    "[ $rc -eq 2 ] && [ \$(wc -l <$tmp/scan1.jsonl) -eq 7 ] && grep -q truncated.jpg $tmp/scan1.err"
check "scan verdicts conform to the schema" "validate $tmp/scan1.jsonl"
check "the csam match blocks, the allow bank suppresses, the kinds are right" "python3 - $tmp/scan1.jsonl <<'PY'
import json, sys
v = {x['name'].split('/')[-1]: x for x in map(json.loads, open(sys.argv[1]))}
k = v['known.png']
assert k['kind'] == 'image' and k['decision']['blocked'], k['decision']
assert any(m['label'] == 'csam' and m['kind'] == 'block' and m['signal_type'] == 'pdq' for m in k['matches'])
assert any(m['signal_type'] == 'md5' and m['quality'] is None for m in k['matches'])
f = v['fp.png']['matches']
assert any(m['kind'] == 'allow' for m in f) and all(m['suppressed'] for m in f if m['kind'] == 'block'), f
assert any(m['external_id'] == 'ext-7' and m['source'] == 'test-hotline' for m in f), f
assert v['note.txt']['kind'] == 'file' and v['note.txt']['format'] is None
assert v['empty.bin']['kind'] == 'file' and v['empty.bin']['bytes'] == 0
t = v['truncated.jpg']
assert t['kind'] == 'image' and t['decode_error']['status'] == 'decode' and 'pdq' not in t['signals']
assert v['flat.gif']['format'] == 'gif' and v['photo.jpg']['format'] == 'jpeg'
assert all(x['review_id'] is None and x['audit_seq'] is None for x in v.values())
PY"

# With audit log and review queue on, a mirrored copy, other contexts and audiences, and a
# directory walk.
"$CG" scan -q --json --dihedral --context child_device --audience guardian up/mirror.png \
    up/known.png >"$tmp/scan2.jsonl" 2>"$tmp/err"
check "scan with audit and review on exits 0" "[ $? -eq 0 ] && [ -s $tmp/audit.log ]"
check "its verdicts conform to the schema" "validate $tmp/scan2.jsonl"
check "and carry review_id, audit_seq, the variant and the facts" "python3 - $tmp/scan2.jsonl <<'PY'
import json, sys
v = [json.loads(l) for l in open(sys.argv[1])]
assert all(x['facts']['context'] == 'child_device' and x['facts']['audience'] == 'guardian' for x in v)
assert any(isinstance(x['review_id'], int) for x in v), [x['review_id'] for x in v]
assert all(isinstance(x['audit_seq'], int) for x in v), [x['audit_seq'] for x in v]
assert any(m['variant'] not in ('original',) for m in v[0]['matches']), v[0]['matches']
PY"
"$CG" scan -q --json --no-review --context school_tablet --audience sender up \
    >"$tmp/scan3.jsonl" 2>"$tmp/err"
check "a directory walk: one verdict per file, all conforming" \
    "[ \$(wc -l <$tmp/scan3.jsonl) -eq \$(ls up | wc -l) ] && validate $tmp/scan3.jsonl"
# Videos: a short synthetic clip (ffmpeg's testsrc2) and a truncated copy (decode_error).
if command -v ffmpeg >/dev/null 2>&1; then
    ffmpeg -loglevel error -f lavfi -i testsrc2=size=320x240:rate=25 -t 3 -pix_fmt yuv420p \
        "$tmp/clip.mp4" 2>/dev/null
    head -c 2000 "$tmp/clip.mp4" >"$tmp/clip-cut.mp4"
    "$CG" scan -q --json --no-review --no-audit "$tmp/clip.mp4" "$tmp/clip-cut.mp4" \
        >"$tmp/video.jsonl" 2>"$tmp/err"
    check "video verdicts conform (a clip, and a truncated one with decode_error)" \
        "validate $tmp/video.jsonl && python3 -c \"import json; a,b=[json.loads(l) for l in open('$tmp/video.jsonl')]; assert a['kind']=='video' and len(a['signals']['vpdq'])==3 and a['frames_decoded']==75, a; assert b['kind']=='video' and 'decode_error' in b, b\""
else
    echo "note: ffmpeg missing: the video verdict case is not run (scripts/install-deps.sh installs it)"
fi
# Awkward names: a long multi-byte name on an image that cannot be decoded (the decode error
# message quotes it, cut to fit) and a name that is not UTF-8 at all.
long="a$(python3 -c 'print("\u00e9" * 60)').jpg"
head -c 300 up/photo.jpg >"$tmp/$long"
printf 'x\n' >"$tmp/$(printf 'bad\xffname.txt')"
"$CG" scan -q --json --no-audit --no-review "$tmp/$long" "$tmp/$(printf 'bad\xffname.txt')" \
    >"$tmp/scan-names.jsonl" 2>"$tmp/err"
check "verdicts for files with long multi-byte or non-UTF-8 names conform" "validate $tmp/scan-names.jsonl"
for aud in recipient moderator; do
    "$CG" scan -q --json --no-audit --no-review --audience $aud up/known.png >"$tmp/scan-$aud.jsonl" 2>"$tmp/err"
    check "scan --audience $aud conforms" "validate $tmp/scan-$aud.jsonl"
done
"$CG" scan -q --json --no-audit --no-review --max-bytes 100 up/photo.jpg >"$tmp/limit.jsonl" 2>"$tmp/err"
check "a file that cannot be scanned is an error line, not a verdict" \
    "python3 -c 'import json,sys; x=json.loads(open(sys.argv[1]).readline()); assert \"error\" in x and \"content_id\" not in x' $tmp/limit.jsonl"

# ---- messages ---------------------------------------------------------------------------------
n_fx=0
for fx in "$ROOT"/tests/text/fixtures/*.jsonl; do
    name=$(basename "$fx" .jsonl)
    "$CG" text scan --json --no-audit --data "$ROOT/data" "$fx" >"$tmp/text-$name.jsonl" 2>"$tmp/err"
    rc=$?
    check "text scan $name: exit 0/1, one verdict per message, all conforming" \
        "[ $rc -le 1 ] && [ \$(grep -c . $tmp/text-$name.jsonl) -eq \$(grep -c . $fx) ] && validate $tmp/text-$name.jsonl"
    n_fx=$((n_fx + 1))
done
check "every fixture was scanned ($n_fx)" "[ $n_fx -ge 5 ]"
"$CG" text scan --json --db "$tmp/t.db" --context child_device --audience guardian --data "$ROOT/data" \
    "$ROOT/tests/text/fixtures/grooming_en.jsonl" >"$tmp/text-db.jsonl" 2>"$tmp/err"
check "text scan with review and audit on conforms and records" \
    "validate $tmp/text-db.jsonl && grep -q '\"audit_seq\":[0-9]' $tmp/text-db.jsonl"
{
    printf '%s\n' 'plain line, not JSON' '{"conversation":"c","text":"no id, no sender","ts":1700000000}'
    printf 'raw \xff\xfe bytes in a plain line\n'
} | "$CG" text scan --json --no-audit --data "$ROOT/data" - >"$tmp/text-odd.jsonl" 2>"$tmp/err"
check "odd messages (plain lines, missing fields, invalid UTF-8) conform" \
    "validate $tmp/text-odd.jsonl && grep -q '\"invalid_utf8\":[1-9]' $tmp/text-odd.jsonl"
# Long identifiers in multi-byte UTF-8: the content id "msg:<conversation>/<id>" is cut to fit
# and must stay valid UTF-8 (else the key goes missing).
python3 -c '
import json
print(json.dumps({"conversation": "a" + "\u00e9" * 70, "id": "1", "sender": "s", "text": "hello there"}, ensure_ascii=False))
print(json.dumps({"conversation": "c", "id": "b" + "\u00e9" * 40, "sender": "s", "text": "hello again"}, ensure_ascii=False))
' | "$CG" text scan --json --no-audit --data "$ROOT/data" - >"$tmp/text-long.jsonl" 2>"$tmp/err"
check "messages with long multi-byte conversation and message ids conform" "validate $tmp/text-long.jsonl"

# ---- the schema refuses broken verdicts -------------------------------------------------------
check "broken verdicts are refused" "python3 - '$SCHEMA' $tmp/scan1.jsonl $tmp/text-grooming_en.jsonl <<'PY'
import copy, json, sys
from jsonschema import Draft7Validator
val = Draft7Validator(json.load(open(sys.argv[1])))
img = json.loads(open(sys.argv[2]).readline())
msg = [json.loads(l) for l in open(sys.argv[3])][-1]
assert val.is_valid(img) and val.is_valid(msg)
def broken(base, f):
    v = copy.deepcopy(base); f(v); return v
cases = {
  'no content_id': broken(img, lambda v: v.pop('content_id')),
  'unknown action': broken(img, lambda v: v['decision']['actions'].append({'action': 'delete'})),
  'bad pdq hex': broken(img, lambda v: v['signals'].__setitem__('pdq', 'xyz' + v['signals']['pdq'][3:])),
  'upper-case md5': broken(img, lambda v: v['signals'].__setitem__('md5', v['signals']['md5'].upper())),
  'short sha256': broken(img, lambda v: v['signals'].__setitem__('sha256', v['signals']['sha256'][:63])),
  'unknown kind': broken(img, lambda v: v.__setitem__('kind', 'video')),
  'unknown key': broken(img, lambda v: v.__setitem__('text_bytes', 'hello')),
  'message text leaked into evidence': broken(msg, lambda v: v['text']['evidence'][0].__setitem__('text', 'hi')),
  'unknown harm': broken(msg, lambda v: v['text']['risk'].__setitem__('weapons', 0.5)),
  'risk over 1': broken(msg, lambda v: v['text']['risk'].__setitem__('grooming', 1.5)),
  'unknown alert': broken(msg, lambda v: v['text'].__setitem__('alert', 'red')),
  'unknown facet': broken(msg, lambda v: v['text']['evidence'][0].__setitem__('facet', 'flirting')),
  'unknown audience': broken(msg, lambda v: v['facts'].__setitem__('audience', 'teacher')),
  'unknown context': broken(msg, lambda v: v['facts'].__setitem__('context', 'browser')),
  'unknown age band': broken(msg, lambda v: v['guidance'][0].__setitem__('age_band', 'teen')),
  'guidance language not a code': broken(msg, lambda v: v['guidance'][0].__setitem__('French', v['guidance'][0]['en'])),
  'guidance text without help': broken(msg, lambda v: v['guidance'][0]['vi'].pop('help')),
  'message with signals': broken(msg, lambda v: v.__setitem__('signals', img['signals'])),
  'message without text': broken(msg, lambda v: v.pop('text')),
  'image without signals': broken(img, lambda v: v.pop('signals')),
  'decoded image without pdq': broken(img, lambda v: v['signals'].pop('pdq')),
  'string review_id': broken(img, lambda v: v.__setitem__('review_id', '7')),
  'missing timing': broken(img, lambda v: v['timings'].pop('total_ms')),
}
ok = [k for k, v in cases.items() if val.is_valid(v)]
assert not ok, 'accepted: %s' % ok
# Optional parts: stored copies leave timings and guidance text out.
assert val.is_valid(broken(img, lambda v: v.pop('timings')))
assert val.is_valid(broken(msg, lambda v: [g.pop(l) for g in v['guidance'] for l in ('vi', 'en')]))
# Languages are data: a catalogue with a third language gives a third key.
assert val.is_valid(broken(msg, lambda v: v['guidance'][0].__setitem__('fr', v['guidance'][0]['en'])))
PY"

# ---- privacy: no message text in any verdict --------------------------------------------------
check "no verdict carries message text" "python3 - $ROOT/tests/text/fixtures $tmp <<'PY'
import glob, json, os, sys
fx, tmp = sys.argv[1], sys.argv[2]
for path in glob.glob(fx + '/*.jsonl'):
    out = open(os.path.join(tmp, 'text-' + os.path.basename(path))).read()
    for line in open(path):
        t = json.loads(line)['text']
        if len(t) >= 12:
            assert t not in out and json.dumps(t)[1:-1] not in out, (path, t)
PY"

exit $fail
