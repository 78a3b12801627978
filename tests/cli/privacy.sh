#!/usr/bin/env bash
# Privacy (issue 5): "no content byte and no message text is written anywhere" (engine.h).
# Scans a folder of images (synthetic ones in PNG, JPEG, WebP, GIF and BMP, Debian's shipped
# pictures when present, a text file and a truncated image) against csam and ncii banks, and a
# synthetic conversation, with review and audit on and quarantine off (the defaults); then
# searches every file the engine wrote (database, -wal/-shm/-journal, audit log, anything new
# under the temp dir, HOME and TMPDIR pointed inside it) and every cell of every table of every
# SQLite file among them for windows of each input file's bytes and for each message text and
# distinctive phrase (raw, hex, JSON-escaped, base64, lower-cased, without diacritics). Any hit
# fails. A planted copy proves the search does find what it looks for.
set -u
CG=$1
ROOT=${2:-$(cd "$(dirname "$0")/../.." && pwd)}
tmp=$(mktemp -d)
trap '[ -n "${KEEP_TMP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"' EXIT
fail=0
check() { # description, condition
    if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; head -5 "$tmp/cap/err" 2>/dev/null; fi
}
command -v python3 >/dev/null || { echo "SKIPPED: python3 missing"; exit 77; }
python3 -c 'import sqlite3' 2>/dev/null || { echo "SKIPPED: python3 sqlite3 module missing"; exit 77; }
IM=
if command -v magick >/dev/null; then IM=magick; elif command -v convert >/dev/null; then IM=convert; fi
[ -n "$IM" ] || { echo "SKIPPED: ImageMagick missing"; exit 77; }

in=$tmp/in        # inputs: never searched
img=$in/images
cap=$tmp/cap      # what this script captures from stdout/stderr: never searched
out=$tmp/out      # the engine's database and log live here
mkdir -p "$img" "$cap" "$out" "$tmp/home" "$tmp/tmpdir"
# Anything the engine writes to a default location lands inside the searched area.
export HOME=$tmp/home XDG_DATA_HOME=$tmp/home/.local/share TMPDIR=$tmp/tmpdir
unset CHILDGUARD_DB CHILDGUARD_AUDIT_LOG
DB=$out/cg.db
LOG=$out/audit.log

# 1. The images (synthetic, made here) and a few pictures Debian ships.
n=0
for fmt in png jpg webp gif bmp; do
    for seed in 1 2; do
        n=$((n + 1))
        $IM -size 200x150 -seed $((seed * 17 + n)) plasma:fractal "$img/plasma-$n.$fmt" 2>/dev/null
    done
    $IM -size 180x120 gradient:navy-orange -rotate $((n * 7)) "$img/gradient-$n.$fmt" 2>/dev/null
    bg=xc:white; [ $fmt = bmp ] || [ $fmt = gif ] && bg=plasma:  # flat white BMP rows hold no window to search
    $IM -size 220x90 -seed $n $bg -fill black -pointsize 18 -annotate +8+40 "Privacy probe $fmt $n" \
        -annotate +8+70 "Quillfeather $RANDOM" "$img/text-$n.$fmt" 2>/dev/null
done
shipped=0
while IFS= read -r f; do
    [ $shipped -lt 5 ] || break
    cp "$f" "$img/shipped-$shipped.${f##*.}" && shipped=$((shipped + 1))
done < <(find /usr/share/desktop-base /usr/share/pixmaps -type f \( -name '*.png' -o -name '*.jpg' \) \
    -size +2k -size -3000k 2>/dev/null | sort | head -40 | awk 'NR % 7 == 1')
echo "info: $shipped shipped pictures, $(ls "$img" | wc -l) files in the image folder"
# A file that is not an image, with distinctive text (synthetic).
cat >"$img/notes.txt" <<'EOF'
Field notes, synthetic: the marmalade lighthouse of Wexcombe-under-Frost opens at dawn.
Secret passphrase for the probe: vermilion-otter-47-quasar-tangerine.
EOF
# A truncated image: the first half of a JPEG.
size=$(wc -c <"$img/plasma-3.jpg")
head -c $((size / 2)) "$img/plasma-3.jpg" >"$img/truncated.jpg"
check "the image folder was made (10 plasma, 5 gradient, 5 text images)" \
    "[ \$(ls $img | grep -c -E '^(plasma|gradient|text)-') -eq 20 ]"

# 3 (input). A synthetic conversation: grooming-like lines in the style of
# tests/text/fixtures/grooming_en.jsonl, each with distinctive words no lexicon holds.
python3 - "$in/conv.jsonl" <<'PY'
import json, sys
# SYNTHETIC: written for this test; no real person or chat is behind any line.
msgs = [
    ("stranger", "mia", "hey Zorblat here, you're so mature for your age, nothing like the kids at Pemberwick"),
    ("mia", "stranger", "thanks i'm 12, my cat Snickerdoodle-Vex says hi"),
    ("stranger", "mia", "I understand you better than your parents do, they never get the tangerine-otter stuff"),
    ("stranger", "mia", "are you alone right now? are your parents home? I'm near Quillfeather lane"),
    ("stranger", "mia", "this is our little secret, don't tell anyone. delete this chat ok, codeword xylophrax"),
    ("stranger", "mia", "send me a pic of you, just for me, nobody at Grimsditch school will see"),
    ("stranger", "mia", "let's meet up saturday at the Borrowdale arcade, don't tell your mom"),
    ("anh_t", "be_ngoc", "em dễ thương quá, Thảo Nguyênxyz, em học lớp mấy rồi? đừng nói với ai nhé"),
    # personal data: the detected values themselves must not be stored either
    ("mia", "stranger", "my number is 0937 614 285 and email mia.quorvex@example.org"),
    ("be_bi", "ban_moi", "sdt của em là 0968 203 517 nè, mã OTP là 730461 đó anh"),
]
with open(sys.argv[1], "w") as f:
    for i, (s, r, t) in enumerate(msgs):
        f.write(json.dumps({"conversation": "privacy-1", "id": str(i + 1), "sender": s, "recipient": r,
                            "ts": "2026-03-0%dT15:%02d:00Z" % (1 + i // 4, i), "text": t}, ensure_ascii=False) + "\n")
PY

# What the search looks for, taken from the inputs before anything is scanned.
cat >"$tmp/needles.py" <<'PY'
import json, os, sys
img, conv, dest = sys.argv[1:4]
needles = []  # [label, hex bytes]
for name in sorted(os.listdir(img)):
    data = open(os.path.join(img, name), "rb").read()
    n, found, k = len(data), 0, 0
    # Windows from the middle of the file (headers are common to every file of a format); skip
    # flat ones (a run of one colour could be anywhere, free database pages are zeros).
    offsets = [n * j // 16 for j in range(4, 13)] + [n * j // 64 for j in range(16, 49)]
    for off in offsets:
        w = data[off:off + 32]
        if len(w) < 32 or len(set(w)) < 10 or found >= 6:
            continue
        needles.append(["%s bytes %d..%d" % (name, off, off + 32), w.hex()])
        found += 1
    for off in range(n // 10, n * 9 // 10, 32):  # a flat file: any window with a little variety
        w = data[off:off + 32]
        if found >= 3:
            break
        if len(w) == 32 and len(set(w)) >= 5 and [1 for l, h in needles if h == w.hex()] == []:
            needles.append(["%s bytes %d..%d" % (name, off, off + 32), w.hex()])
            found += 1
    if found < 3 and n >= 64:
        sys.exit("cannot take 3 windows from %s" % name)
texts = [json.loads(l)["text"] for l in open(conv, encoding="utf-8")]
phrases = ["Zorblat", "Pemberwick", "Snickerdoodle-Vex", "tangerine-otter", "Quillfeather lane",
           "xylophrax", "Grimsditch", "Borrowdale arcade", "Thảo Nguyênxyz",
           "0937 614 285", "0937614285", "mia.quorvex@example.org", "quorvex", "0968 203 517",
           "0968203517", "marmalade lighthouse", "Wexcombe-under-Frost", "vermilion-otter-47-quasar-tangerine"]
for t in texts:
    needles.append(["message text %r" % t, t.encode().hex()])
for p in phrases:
    needles.append(["phrase %r" % p, p.encode().hex()])
json.dump(needles, open(dest, "w"))
print("info: %d needles (%d windows, %d texts, %d phrases)" % (len(needles), len(needles) - len(texts) - len(phrases), len(texts), len(phrases)))
PY
python3 "$tmp/needles.py" "$img" "$in/conv.jsonl" "$tmp/needles.json" 2>"$cap/err"
check "needles taken from every input" "[ $? -eq 0 ]"

# The search: every regular file under ROOT newer than the marker, outside the excluded dirs;
# raw bytes and every cell of every SQLite table, with the encodings content could take.
cat >"$tmp/search.py" <<'PY'
import base64, binascii, json, os, re, sqlite3, sys, unicodedata, zlib
root, marker, needles_path = sys.argv[1:4]
exclude = [os.path.realpath(p) for p in sys.argv[4:]]
since = os.stat(marker).st_mtime
raw_needles = [(label, bytes.fromhex(h)) for label, h in json.load(open(needles_path))]

def forms(b):
    """The byte strings a needle could be stored as."""
    out = [("raw", b), ("hex", b.hex().encode()), ("HEX", b.hex().upper().encode())]
    for i in range(3):  # base64 at each alignment
        s = b[i:]
        s = s[:len(s) // 3 * 3]
        if len(s) >= 12:
            out.append(("base64", base64.b64encode(s)))
    try:
        t = b.decode("utf-8")
    except UnicodeDecodeError:
        return out
    out.append(("json-escaped", json.dumps(t)[1:-1].encode()))
    out.append(("json-ascii", json.dumps(t, ensure_ascii=True)[1:-1].encode()))
    stripped = "".join(c for c in unicodedata.normalize("NFD", t) if not unicodedata.combining(c))
    stripped = stripped.replace("đ", "d").replace("Đ", "D")
    out.append(("no-diacritics", stripped.encode()))
    out.append(("utf-16le", t.encode("utf-16-le")))
    return out

needles = []
for label, b in raw_needles:
    for how, f in forms(b):
        needles.append((label, how, f, f.lower()))

def expand(data, depth=0):
    """data plus what it decodes to: JSON strings, zlib streams, base64 strings."""
    yield data
    if depth > 2 or len(data) < 8:
        return
    try:
        yield zlib.decompress(data)
    except Exception:
        pass
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return
    vals = []
    for line in text.splitlines() if "\n" in text else [text]:
        try:
            v = json.loads(line)
        except Exception:
            continue
        stack = [v]
        while stack:
            x = stack.pop()
            if isinstance(x, dict):
                stack.extend(x.keys()); stack.extend(x.values())
            elif isinstance(x, list):
                stack.extend(x)
            elif isinstance(x, str) and x:
                vals.append(x)
    for s in vals:
        yield from expand(s.encode(), depth + 1)
    for m in re.finditer(r"[A-Za-z0-9+/]{24,}={0,2}", text):
        try:
            yield from expand(base64.b64decode(m.group(0), validate=True), depth + 1)
        except (binascii.Error, ValueError):
            pass

def search(where, data, hits):
    for hay in expand(data):
        low = hay.lower()
        for label, how, f, fl in needles:
            if f in hay or fl in low:
                hits.append("%s: %s (%s)" % (where, label, how))

def sqlite_cells(path):
    try:
        con = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
        tables = [r[0] for r in con.execute("select name from sqlite_master where type='table'")]
    except sqlite3.Error:
        return
    for t in tables:
        try:
            cols = [d[1] for d in con.execute('pragma table_info("%s")' % t.replace('"', '""'))]
            for row in con.execute('select * from "%s"' % t.replace('"', '""')):
                for c, v in zip(cols, row):
                    if isinstance(v, str):
                        v = v.encode("utf-8", "surrogatepass")
                    if isinstance(v, (bytes, bytearray)):
                        yield t, c, bytes(v)
        except sqlite3.Error as e:
            print("warning: %s table %s: %s" % (path, t, e))
    con.close()

hits, files, tables = [], 0, 0
for dirpath, dirnames, filenames in os.walk(root):
    if any(os.path.realpath(dirpath) == e or os.path.realpath(dirpath).startswith(e + os.sep) for e in exclude):
        dirnames[:] = []
        continue
    for name in filenames:
        p = os.path.join(dirpath, name)
        if os.path.islink(p) or not os.path.isfile(p) or os.path.samefile(p, marker):
            continue
        if os.stat(p).st_mtime < since:
            continue
        files += 1
        data = open(p, "rb").read()
        search(os.path.relpath(p, root), data, hits)
        if data.startswith(b"SQLite format 3\0"):
            seen = set()
            for t, c, v in sqlite_cells(p):
                if t not in seen:
                    seen.add(t); tables += 1
                search("%s table %s column %s" % (os.path.relpath(p, root), t, c), v, hits)
for h in sorted(set(hits)):
    print("FOUND: " + h)
print("info: searched %d files, %d tables, %d needle forms" % (files, tables, len(needles)))
sys.exit(1 if hits else 0)
PY
search() { python3 "$tmp/search.py" "$tmp" "$tmp/marker" "$tmp/needles.json" "$in" "$cap" "$tmp/needles.py" "$tmp/search.py" "$tmp/needles.json"; }

sleep 1.1  # mtime granularity: the marker is strictly newer than the inputs
touch "$tmp/marker"
sleep 1.1

# 2. Banks: csam (hashes of some images, by --files) and ncii (imported from 'childguard hash').
"$CG" bank --db "$DB" create known-csam --label csam --description "synthetic test bank" 2>"$cap/err"
check "bank create csam" "[ $? -eq 0 ]"
"$CG" bank --db "$DB" add known-csam --files "$img/plasma-1.png" "$img/gradient-6.webp" "$img/text-10.bmp" \
    "$img/notes.txt" >"$cap/out" 2>"$cap/err"
check "bank add --files" "[ $? -eq 0 ] && grep -q '^added pdq' $cap/out"
"$CG" bank --db "$DB" create known-ncii --label ncii 2>"$cap/err"
check "bank create ncii" "[ $? -eq 0 ]"
"$CG" hash -q "$img/plasma-4.jpg" "$img/plasma-8.gif" "$img/text-4.jpg" >"$in/ncii.csv" 2>"$cap/err"
[ -e "$img/shipped-0.png" ] && "$CG" hash -q "$img/shipped-0.png" >>"$in/ncii.csv" 2>>"$cap/err"
[ -e "$img/shipped-0.jpg" ] && "$CG" hash -q "$img/shipped-0.jpg" >>"$in/ncii.csv" 2>>"$cap/err"
cut -d, -f1 "$in/ncii.csv" >"$in/ncii.txt"
"$CG" bank --db "$DB" import -q known-ncii "$in/ncii.txt" >"$cap/out" 2>"$cap/err"
check "bank import of 'childguard hash' output" "[ $? -eq 0 ] && grep -q 'added' $cap/err"

# 3. Scan the folder (review and audit on, quarantine off) and the conversation.
"$CG" scan -q --db "$DB" --data "$ROOT/data" "$img" >"$cap/scan.out" 2>"$cap/err"
rc=$?
check "scan acts on some file (exit 0, or 2 for the truncated image)" "[ $rc -eq 0 ] || { [ $rc -eq 2 ] && grep -q truncated.jpg $cap/err; }"
check "scan matched the csam and ncii images" \
    "grep -P 'plasma-1.png\tMATCH\t' -q $cap/scan.out && grep -P 'plasma-4.jpg\tMATCH\t' -q $cap/scan.out && grep -P 'notes.txt\tMATCH\t' -q $cap/scan.out"
check "scan made no error other than the truncated image" "! grep -v truncated.jpg $cap/err | grep -q ."
"$CG" text scan --db "$DB" --data "$ROOT/data" "$in/conv.jsonl" >"$cap/text.out" 2>"$cap/err"
check "text scan flags the synthetic conversation (exit 0)" "[ $? -eq 0 ] && grep -q '\"alert\"' $cap/text.out"

# 6. The recording paths really ran.
"$CG" review list --db "$DB" >"$cap/review.out" 2>"$cap/err"
check "review queue is not empty" "[ $? -eq 0 ] && [ \$(grep -c . $cap/review.out) -ge 2 ]"
python3 - "$DB" >"$cap/rec.out" 2>&1 <<'PY'
import sqlite3, sys
con = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
kinds = dict(con.execute("select kind, count(*) from review_items group by kind"))
previews = con.execute("select count(*) from review_items where preview is not null and length(preview) > 0").fetchone()[0]
print("info: review items by kind %s, %d with a preview" % (kinds, previews))
sys.exit(0 if kinds.get("image", 0) >= 3 and kinds.get("message", 0) == 1 and kinds.get("file", 0) >= 1 and previews == 0 else 1)
PY
rc=$?
cat "$cap/rec.out"
check "review queue holds image and file items and one item for the conversation, none with a preview (quarantine off)" "[ $rc -eq 0 ]"
"$CG" review --db "$DB" preview 1 -o "$cap/p.pgm" >/dev/null 2>&1
check "review preview: nothing to show (exit 1)" "[ $? -eq 1 ] && [ ! -s $cap/p.pgm ]"
"$CG" audit verify --log "$LOG" >"$cap/audit.out" 2>"$cap/err"
check "audit log verifies" "[ $? -eq 0 ]"
check "audit log holds image and message decisions and review records" \
    "grep '\"kind\":\"decision\"' $LOG | grep -q '\"kind\":\"image\"' && grep '\"kind\":\"decision\"' $LOG | grep -q '\"kind\":\"message\"' && grep -q '\"kind\":\"review\"' $LOG"

# 4. Search everything the engine wrote.
echo "info: files written since the marker:"
find "$tmp" -newer "$tmp/marker" -type f ! -path "$in/*" ! -path "$cap/*" | sed "s|$tmp/|  |"
search >"$cap/search.out" 2>&1
rc=$?
cat "$cap/search.out"
check "no content byte, message text or phrase in anything the engine wrote" "[ $rc -eq 0 ]"
check "the search covered the database and the audit log" "grep -q 'searched [2-9][0-9]* files' $cap/search.out"

# 5. Counter-checks: the search does find what it looks for.
python3 - "$in/conv.jsonl" "$out/planted.txt" <<'PY'
import json, sys
t = json.loads(open(sys.argv[1]).readline())["text"]
open(sys.argv[2], "w").write("scratch " + t + " scratch\n")
PY
search >"$cap/plant.out" 2>&1
check "a planted message text is found" "[ $? -eq 1 ] && grep -q 'planted.txt: message text' $cap/plant.out"
rm -f "$out/planted.txt"
python3 - "$img/plasma-2.png" "$out/planted.db" "$img/notes.txt" <<'PY'
import sqlite3, sys, zlib
d = open(sys.argv[1], "rb").read()
con = sqlite3.connect(sys.argv[2])
con.execute("create table scratch (k text, v blob)")
# zlib-compressed: only the cell dump and its decompression can see it
con.execute("insert into scratch values (?, ?)", ("x", zlib.compress(d)))
con.execute("insert into scratch values (?, ?)", ("y", zlib.compress(open(sys.argv[3], "rb").read())))
con.commit()
con.close()
PY
search >"$cap/plant.out" 2>&1
check "a planted compressed image is found in a SQLite cell" \
    "[ $? -eq 1 ] && grep -q 'planted.db table scratch column v: plasma-2.png bytes' $cap/plant.out && grep -q 'phrase .marmalade lighthouse' $cap/plant.out"
rm -f "$out/planted.db"
printf '{"note":"%s"}\n' "$(printf 'vermilion-otter-47-quasar-tangerine' | base64 -w0)" >"$out/planted.json"
search >"$cap/plant.out" 2>&1
check "a planted base64 phrase is found" "[ $? -eq 1 ] && grep -q \"planted.json: phrase 'vermilion-otter-47-quasar-tangerine'\" $cap/plant.out"
rm -f "$out/planted.json"

exit $fail
