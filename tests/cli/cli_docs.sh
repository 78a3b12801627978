#!/usr/bin/env bash
# One source for each command's usage (issue 20.10): every long option a command's --help names
# appears in that command's section of docs/cli.md, and every option a section names appears in
# the command's --help. A section is the text from "## childguard CMD" to the next "## ".
. "$(dirname "${BASH_SOURCE[0]}")/lib/python_test.sh"
python_test_init "$@"
fail=0
cat >"$tmp/check.py" <<'PY'
import re, sys
doc, cmd, helpfile = sys.argv[1], sys.argv[2], sys.argv[3]
opt = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
sections, current = {}, None
for line in open(doc, encoding="utf-8"):
    m = re.match(r"## childguard (\w+)", line)
    if line.startswith("## "):
        current = m.group(1) if m else None
        if current:
            sections[current] = ""
    if current:
        sections[current] += line
if cmd not in sections:
    print("FAIL: docs/cli.md has no section '## childguard %s'" % cmd)
    sys.exit(1)
ignore = {"--help"}
in_help = set(opt.findall(open(helpfile, encoding="utf-8").read())) - ignore
in_doc = set(opt.findall(sections[cmd])) - ignore
ok = True
if in_help - in_doc:
    print("FAIL: %s: in --help but not in docs/cli.md: %s" % (cmd, " ".join(sorted(in_help - in_doc))))
    ok = False
if in_doc - in_help:
    print("FAIL: %s: in docs/cli.md but not in --help: %s" % (cmd, " ".join(sorted(in_doc - in_help))))
    ok = False
if not in_help and cmd not in ("policy",):
    print("FAIL: %s: --help names no option at all" % cmd)
    ok = False
if ok:
    print("ok: %s: --help and docs/cli.md name the same %d options" % (cmd, len(in_help)))
sys.exit(0 if ok else 1)
PY
for cmd in hash distance bank match scan classify text policy audit review report serve keys \
    worker submit; do
    "$CG" "$cmd" --help >"$tmp/$cmd.help" 2>&1
    rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "FAIL: childguard $cmd --help exits $rc"
        fail=1
        continue
    fi
    if python3 "$tmp/check.py" "$ROOT/docs/cli.md" "$cmd" "$tmp/$cmd.help"; then :; else fail=1; fi
done
# The checker itself must notice a difference: a section naming an option --help lacks fails.
sed 's/^## childguard distance .*/&\n`--no-such-option`/' "$ROOT/docs/cli.md" >"$tmp/cli.md"
if python3 "$tmp/check.py" "$tmp/cli.md" distance "$tmp/distance.help" >"$tmp/out"; then
    echo "FAIL: the checker missed an option that --help lacks"
    fail=1
else
    grep -q -- '--no-such-option' "$tmp/out" && echo "ok: the checker catches an option --help lacks" ||
        { echo "FAIL: the checker failed without naming the option"; fail=1; }
fi
exit $fail
