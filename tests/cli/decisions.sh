#!/usr/bin/env bash
# Decisions people can act on (issue 20), end to end on a fresh home directory:
#  4  a PDQ match where either hash's quality is below the bank's minimum (default 50) is shown
#     as LOW-QUALITY and not acted on; a bank with a lower minimum acts on it; confirming into a
#     bank leaves the low-quality PDQ hash out with a note and still adds the exact hashes;
#  5  guidance in the message's language; an unknown --country is an error listing the known
#     ones; the moderator of a CSAM match is not told "Under 18? Take It Down";
#  6  scan works before any bank exists and says how to make one; match says the same; no
#     internal names in messages or JSON error fields;
#  7  text scan uses the same default database as scan, and says so when there is none;
#  8  a 64-hex SHA-256 given to match is found as sha256;
#  10 disabled banks and hashes show as disabled; bank disable says until when; import into a
#     missing bank suggests --create.
# Images are synthetic BMPs written here (a gentle gradient has PDQ quality 44).
. "$(dirname "${BASH_SOURCE[0]}")/lib/python_test.sh"
python_test_init "$@"
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; head -5 "$tmp/err" "$tmp/out" 2>/dev/null; fi; }
export HOME=$tmp/home XDG_DATA_HOME=$tmp/home/.local/share CHILDGUARD_ACTOR=tester
unset CHILDGUARD_DB CHILDGUARD_AUDIT_LOG
mkdir -p "$HOME"
D="--data $ROOT/data"
python3 - "$tmp" <<'PY'
import struct, sys
def bmp(name, w, h, f):
    row = (w * 3 + 3) & ~3
    data = bytearray()
    for y in range(h - 1, -1, -1):
        r = bytearray()
        for x in range(w):
            v = f(x, y)
            r += bytes((v, v, v))
        data += r + b"\0" * (row - w * 3)
    hdr = b"BM" + struct.pack("<IHHI", 54 + len(data), 0, 0, 54)
    dib = struct.pack("<IiiHHIIiiII", 40, w, h, 1, 24, 0, len(data), 2835, 2835, 0, 0)
    open(name, "wb").write(hdr + dib + data)
d = sys.argv[1]
bmp(d + "/low.bmp", 64, 64, lambda x, y: min(255, x * 4))                       # quality 44
bmp(d + "/good.bmp", 64, 64, lambda x, y: (x * 37 + y * 91 + (x * y) % 13) % 256)  # quality 100
PY
q=$("$CG" hash "$tmp/low.bmp" | cut -d, -f2)
check "the gradient image has a PDQ quality below 50 ($q)" "[ '$q' -lt 50 ]"

# ---- 6: before any bank exists ------------------------------------------------------------
"$CG" scan -q "$tmp/good.bmp" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "scan without a bank database works (exit 1: nothing acted on) and prints no match" \
    "[ $rc -eq 1 ] && grep -q \$'good.bmp\tno match' $tmp/out"
check "it says there is no bank database yet and how to create a bank" \
    "grep -q 'no bank database at .* yet: scanning without banks' $tmp/err && grep -q 'childguard bank create' $tmp/err"
"$CG" scan -q --json "$tmp/good.bmp" >"$tmp/out" 2>"$tmp/err"
check "scan --json without banks still gives hashes and a decision" \
    "python3 -c 'import json; v=json.load(open(\"$tmp/out\")); assert v[\"signals\"][\"pdq\"] and v[\"matches\"]==[] and \"decision\" in v'"
"$CG" match 0000000000000000000000000000000000000000000000000000000000000000 >"$tmp/out" 2>"$tmp/err"; rc=$?
check "match without a bank database: exit 2, says how to create a bank" \
    "[ $rc -eq 2 ] && grep -q 'no bank database at' $tmp/err && grep -q 'childguard bank create' $tmp/err"
printf 'GIF89a broken' >"$tmp/broken.gif"
"$CG" scan -q --json "$tmp/broken.gif" >"$tmp/out" 2>"$tmp/err"
check "no internal names in messages or JSON (a broken image)" \
    "! grep -q 'CG_[A-Z]' $tmp/out $tmp/err && python3 -c 'import json; v=json.load(open(\"$tmp/out\")); import re; assert re.fullmatch(\"[a-z_]+\", v[\"decode_error\"][\"status\"]), v[\"decode_error\"]'"
"$CG" scan -q --db "$tmp/typo.db" "$tmp/good.bmp" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "a --db that names no file is an error" "[ $rc -eq 2 ] && grep -q 'no bank database at $tmp/typo.db' $tmp/err"

# ---- 7: text scan and the default database ------------------------------------------------
echo '{"conversation":"c1","sender":"a","recipient":"b","text":"nobody likes you, you are such a loser"}' >"$tmp/chat.jsonl"
"$CG" text scan $D "$tmp/chat.jsonl" >"$tmp/out" 2>"$tmp/err"
check "text scan without a database says review items are not kept" \
    "grep -q 'no bank database at .* yet: review items are not kept' $tmp/err && grep -q '\"review_id\":null' $tmp/out"

# ---- banks ---------------------------------------------------------------------------------
"$CG" bank create strict --label csam >/dev/null 2>"$tmp/err"
"$CG" bank create loose --label csam --pdq-min-quality 40 >/dev/null 2>"$tmp/err"
"$CG" bank add strict --files "$tmp/low.bmp" "$tmp/good.bmp" >"$tmp/out" 2>"$tmp/err"
check "bank add warns that the low-quality hash will not be acted on" \
    "grep -q 'low.bmp: PDQ quality .* below 50.*not acted on' $tmp/err"
"$CG" bank show loose --json >"$tmp/out" 2>"$tmp/err"
check "bank show has the bank's PDQ minimum quality" \
    "python3 -c 'import json; assert json.load(open(\"$tmp/out\"))[\"pdq_min_quality\"]==40'"

"$CG" text scan $D "$tmp/chat.jsonl" >"$tmp/out" 2>"$tmp/err"
check "text scan now uses the default database (its audit log beside it), no notice" \
    "! grep -q 'no bank database' $tmp/err && python3 -c 'import json; v=json.load(open(\"$tmp/out\")); assert isinstance(v[\"audit_seq\"], int)'"

# ---- 4: low-quality PDQ ----------------------------------------------------------------------
# The MD5/SHA-256 of the same file also match exactly: rename the copy so only PDQ can match.
cp "$tmp/low.bmp" "$tmp/low-copy.bmp" && printf '\0' >>"$tmp/low-copy.bmp"
"$CG" scan -q --no-review "$tmp/low-copy.bmp" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "a quality-44 PDQ match is shown as LOW-QUALITY and not acted on (exit 1)" \
    "[ $rc -eq 1 ] && grep -q \$'\tLOW-QUALITY\tpdq bank=strict' $tmp/out && ! grep -q \$'\tMATCH\t' $tmp/out && ! grep -q DECISION $tmp/out"
"$CG" scan -q --no-review --json "$tmp/low-copy.bmp" >"$tmp/out" 2>"$tmp/err"
check "the verdict marks it low_quality and suppressed, with the bank's minimum" \
    "python3 -c 'import json; m=json.load(open(\"$tmp/out\"))[\"matches\"][0]; assert m[\"low_quality\"] and m[\"suppressed\"] and m[\"min_quality\"]==50, m'"
"$CG" bank add loose --files "$tmp/low.bmp" >/dev/null 2>"$tmp/err"
"$CG" scan -q "$tmp/low-copy.bmp" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "a bank whose minimum is 40 acts on it (exit 0) and queues a review item" \
    "[ $rc -eq 0 ] && grep -q \$'\tMATCH\tpdq bank=loose' $tmp/out && grep -q 'review item' $tmp/out"
item=$(grep -o 'review item [0-9]*' "$tmp/out" | grep -o '[0-9]*$')
"$CG" bank create confirmed --label csam >/dev/null 2>"$tmp/err"
"$CG" review decide "$item" --reviewer ana --confirm --bank confirmed >"$tmp/out" 2>"$tmp/err"
check "confirming into a bank leaves the low-quality PDQ hash out, with a note" \
    "[ \$? -eq 0 ] && grep -q 'PDQ hash (quality .* below bank \"confirmed\"' $tmp/err && grep -q '2 new signals in bank confirmed' $tmp/out"
"$CG" bank show confirmed --json >"$tmp/out" 2>"$tmp/err"
check "the exact hashes went in, the PDQ did not" \
    "python3 -c 'import json; b=json.load(open(\"$tmp/out\"))[\"by_type\"]; assert b.get(\"md5\")==1 and b.get(\"sha256\")==1 and \"pdq\" not in b, b'"
check "the audit record counts the hash left out" "grep '\"decide\"' $HOME/.local/share/childguard/audit.log | grep -q '\"skipped_low_quality\":1'"

# ---- 8: a pasted SHA-256 -----------------------------------------------------------------------
sha=$("$CG" hash -q --types sha256 "$tmp/good.bmp" | cut -d, -f1)
"$CG" bank add strict --type sha256 "$sha" >/dev/null 2>"$tmp/err"
"$CG" match "$sha" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "a 64-hex SHA-256 is looked up as sha256 too, and the match says so (exit 0)" \
    "[ $rc -eq 0 ] && grep -q \"^$sha\"\$'\t'\"sha256 bank=strict\" $tmp/out"
"$CG" match 1111111111111111111111111111111111111111111111111111111111111111 >"$tmp/out" 2>"$tmp/err"; rc=$?
check "no match says which types were tried (exit 1)" "[ $rc -eq 1 ] && grep -q 'no match (looked up as pdq and sha256)' $tmp/out"

# ---- 10: disabled ------------------------------------------------------------------------------
"$CG" bank disable strict "$sha" --type sha256 --for 7d >"$tmp/out" 2>"$tmp/err"
check "disabling a hash for 7d says until when" \
    "grep -Eq 'disabled sha256 $sha until [0-9]{4}-[0-9]{2}-[0-9]{2}T' $tmp/out"
"$CG" match "$sha" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "a disabled hash shows as disabled, not 'no match' (exit 1: not acted on)" \
    "[ $rc -eq 1 ] && grep -q 'disabled' $tmp/out && ! grep -q 'no match' $tmp/out"
"$CG" bank disable loose >"$tmp/out" 2>"$tmp/err"
"$CG" match "$("$CG" hash -q "$tmp/low.bmp" | cut -d, -f1)" --bank loose >"$tmp/out" 2>"$tmp/err"
check "a disabled bank's match shows as disabled" "grep -q 'bank=loose.*(disabled' $tmp/out"
echo "$sha" >"$tmp/list.txt"
"$CG" bank import nosuch "$tmp/list.txt" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "import into a missing bank suggests --create" "[ $rc -eq 2 ] && grep -q -- '--create' $tmp/err"

# ---- 5: language and help lines ------------------------------------------------------------------
printf '%s\n' '{"conversation":"c2","sender":"x","recipient":"y","text":"nobody likes you, you are such a loser"}' \
    '{"conversation":"c3","sender":"x","recipient":"y","text":"mày là đồ ngu, không ai thích mày"}' >"$tmp/two.jsonl"
"$CG" text scan $D --no-review "$tmp/two.jsonl" >"$tmp/out" 2>"$tmp/err"
check "guidance follows the message's language (en, then vi)" \
    "python3 -c 'import json; L=[json.loads(l) for l in open(\"$tmp/out\")]; assert [v[\"guidance_lang\"] for v in L]==[\"en\",\"vi\"] and [v[\"text\"][\"lang\"] for v in L]==[\"en\",\"vi\"], [(v[\"guidance_lang\"], v[\"text\"][\"lang\"]) for v in L]'"
"$CG" text scan $D --no-review --country ZZZ "$tmp/chat.jsonl" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "an unknown --country is an error listing the known ones" \
    "[ $rc -eq 2 ] && grep -q 'unknown country \"ZZZ\"' $tmp/err && grep -q 'GB' $tmp/err && grep -q 'US' $tmp/err"
"$CG" text scan $D --no-review --country US "$tmp/chat.jsonl" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "--country US gives US help lines, not Viet Nam's" \
    "[ $rc -eq 0 ] && python3 -c 'import json; v=json.load(open(\"$tmp/out\")); H=[h for g in v[\"guidance\"] for l in (\"vi\",\"en\") for h in g[l][\"help\"]]; assert any(\"Childhelp\" in h for h in H) and not any(\"111\" in h for h in H), H'"
"$CG" bank enable loose >/dev/null 2>&1
"$CG" scan -q --json --no-review --no-audit --audience moderator "$tmp/good.bmp" >"$tmp/out" 2>"$tmp/err"
check "a moderator's guidance for a CSAM match has no 'Under 18? Take It Down'" \
    "python3 -c 'import json; v=json.load(open(\"$tmp/out\")); g=[x for x in v[\"guidance\"] if x[\"audience\"]==\"moderator\"]; assert g, v[\"guidance\"]; assert all(\"takeitdown\" not in h.lower() for x in g for h in x[\"en\"][\"help\"]+x[\"vi\"][\"help\"]), g'"
"$CG" scan -q --json --no-review --no-audit --guidance en "$tmp/good.bmp" >"$tmp/out" 2>"$tmp/err"
check "scan --guidance en: a file's verdict says guidance_lang en" \
    "python3 -c 'import json; v=json.load(open(\"$tmp/out\")); assert v[\"guidance_lang\"]==\"en\", v[\"guidance_lang\"]'"
"$CG" scan -q --json --no-review --no-audit "$tmp/good.bmp" >"$tmp/out" 2>"$tmp/err"
check "scan without --guidance: a file's verdict says guidance_lang vi" \
    "python3 -c 'import json; v=json.load(open(\"$tmp/out\")); assert v[\"guidance_lang\"]==\"vi\", v[\"guidance_lang\"]'"
"$CG" scan -q --guidance fr "$tmp/good.bmp" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "scan --guidance fr is an error" "[ $rc -eq 2 ] && grep -q 'vi or en' $tmp/err"
exit $fail
