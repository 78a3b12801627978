#!/usr/bin/env bash
# The nudity model's false-positive rates on neutral images (docs/vision.md, bench/RESULTS.md):
# every PNG/JPEG/WebP of Debian's wallpaper packages and desktop-base, scikit-image's sample
# images and the synthetic drawings of tests/vision/draw.sh (no image of this set shows nudity),
# deduplicated by SHA-256, scored by `childguard classify`. For each threshold T: how many
# images have explicit >= T, per set and in all; then the highest-scoring images.
#
#   bench/vision_fp.sh CHILDGUARD          (scripts/install-deps.sh vision-fp installs the sets)
set -euo pipefail
bin=${1:?usage: vision_fp.sh CHILDGUARD}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

sets="desktop-base gnome-backgrounds mate-backgrounds sway-backgrounds plasma-workspace-wallpapers
      ukui-wallpapers lomiri-wallpapers-16.04 lomiri-wallpapers-20.04 python3-skimage"
: >"$tmp/list.tsv"
for p in $sets; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        echo "vision_fp: $p is not installed (scripts/install-deps.sh vision-fp); left out" >&2
        continue
    fi
    dpkg -L "$p" | grep -iE '\.(png|jpe?g|webp)$' | while IFS= read -r f; do
        # truncated.jpg is a deliberately broken file of scikit-image's tests.
        [ -f "$f" ] && [ "$(basename "$f")" != truncated.jpg ] && printf '%s\t%s\n' "$p" "$(realpath "$f")"
    done >>"$tmp/list.tsv"
done
bash "$root/tests/vision/draw.sh" "$tmp/draw" >/dev/null
for f in "$tmp"/draw/*; do printf 'synthetic-drawings\t%s\n' "$f" >>"$tmp/list.tsv"; done
# One copy of each content (packages ship the same picture under several names and sizes are
# kept apart: they are different inputs to the model).
: >"$tmp/uniq.tsv"
declare -A seen
while IFS=$'\t' read -r set f; do
    h=$(sha256sum "$f" | cut -c1-64)
    [ -n "${seen[$h]:-}" ] && continue
    seen[$h]=1
    printf '%s\t%s\n' "$set" "$f" >>"$tmp/uniq.tsv"
done <"$tmp/list.tsv"
cut -f2 "$tmp/uniq.tsv" | tr '\n' '\0' | xargs -0 "$bin" classify --json >"$tmp/scores.jsonl" \
    2>"$tmp/errors.txt" || true
python3 - "$tmp/uniq.tsv" "$tmp/scores.jsonl" "$tmp/errors.txt" <<'PY'
import collections, json, sys
sets = {}
for line in open(sys.argv[1]):
    s, f = line.rstrip("\n").split("\t")
    sets[f] = s
rows = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
errors = [l.strip() for l in open(sys.argv[3]) if l.strip()]
ok = [r for r in rows if "scores" in r]
by = collections.defaultdict(list)
for r in ok:
    by[sets.get(r["name"], "?")].append(r)
ths = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
print("neutral images scored: %d (%d could not be decoded)" % (len(ok), len(rows) - len(ok)))
for e in errors[:5]:
    print("  error: " + e)
print()
print("| set | images | " + " | ".join("explicit >= %.1f" % t for t in ths) + " |")
print("| --- | ---: | " + " | ".join("---:" for _ in ths) + " |")
def row(name, rs):
    cells = []
    for t in ths:
        n = sum(1 for r in rs if r["explicit"] >= t)
        cells.append("%d (%.1f %%)" % (n, 100.0 * n / len(rs)) if rs else "-")
    print("| %s | %d | %s |" % (name, len(rs), " | ".join(cells)))
for name in sorted(by):
    row(name, by[name])
row("**all**", ok)
print()
print("Highest explicit scores (the false positives a threshold would act on):")
print()
print("| explicit | drawing | hentai | neutral | porn | sexy | image |")
print("| ---: | ---: | ---: | ---: | ---: | ---: | --- |")
for r in sorted(ok, key=lambda r: -r["explicit"])[:12]:
    s = r["scores"]
    print("| %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %s: %s |" % (r["explicit"], s["drawing"],
          s["hentai"], s["neutral"], s["porn"], s["sexy"], sets.get(r["name"], "?"),
          r["name"].split("/")[-1]))
hent = sorted(ok, key=lambda r: -r["scores"]["hentai"])[0]
print()
print("Highest single class among them: hentai %.3f (%s)" % (hent["scores"]["hentai"],
      hent["name"].split("/")[-1]))
PY
