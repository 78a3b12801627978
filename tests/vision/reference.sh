#!/usr/bin/env bash
# cli.vision_reference: childguard's C classifier against TensorFlow.js on neutral images.
#
#   tests/vision/reference.sh CHILDGUARD SOURCE_DIR VISION_PIXELS
#
# The images: every PNG/JPEG of Debian's desktop-base package, the sample images of scikit-image
# (python3-skimage) and the synthetic drawings of tests/vision/draw.sh; all neutral (wallpapers,
# a cat, coffee, coins, an astronaut's official portrait, flat drawings). `childguard classify
# --json` scores them; vision_pixels writes the pixels the C side decoded; tests/vision/
# reference.mjs runs nsfwjs 4.4.0 on tfjs (CPU backend) over those pixels and requires
# max |dp| <= 1e-4 on at least 30 images. Nothing is skipped: missing Node.js, npm packages or
# image packages are failures (scripts/install-deps.sh installs them all).
set -euo pipefail
bin=${1:?usage: reference.sh CHILDGUARD SOURCE_DIR VISION_PIXELS}
src=${2:?}
pixels=${3:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() { echo "vision_reference: FAIL: $*" >&2; exit 1; }
command -v node >/dev/null || fail "node not found (scripts/install-deps.sh installs it)"
[ -d "$src/node_modules/nsfwjs" ] || fail "$src/node_modules/nsfwjs missing (run scripts/install-deps.sh: npm ci)"
# Debian's package, wherever its Python lives (a python3 earlier in PATH may not see it).
# (awk reads the whole list: with pipefail, grep -m1 would SIGPIPE dpkg and fail at random.)
skimage=$(dpkg -L python3-skimage 2>/dev/null | awk '/\/skimage\/data$/ && !n { print; n = 1 }')
[ -n "$skimage" ] || fail "python3-skimage is not installed"
[ -d /usr/share/desktop-base ] || fail "desktop-base is not installed"

bash "$src/tests/vision/draw.sh" "$tmp/draw"
files=()
while IFS= read -r f; do files+=("$f"); done < <(
    { find /usr/share/desktop-base -type f \( -name '*.png' -o -name '*.jpg' \)
      # truncated.jpg is a deliberately broken file of scikit-image's tests: not an image.
      find "$skimage" -maxdepth 1 -type f \( -name '*.png' -o -name '*.jpg' \) ! -name truncated.jpg
      find "$tmp/draw" -type f; } | LC_ALL=C sort)
[ ${#files[@]} -ge 30 ] || fail "only ${#files[@]} images found"

mkdir -p "$tmp/ppm"
"$pixels" "$tmp/ppm" "${files[@]}" || fail "vision_pixels could not decode every image"
"$bin" classify --json "${files[@]}" >"$tmp/c.jsonl" || fail "childguard classify failed"
: >"$tmp/list.tsv"
for i in "${!files[@]}"; do
    printf '%s/ppm/%04d.ppm\t%s\n' "$tmp" "$i" "${files[$i]}" >>"$tmp/list.tsv"
done
cd "$src"
node tests/vision/reference.mjs "$tmp/list.tsv" "$tmp/c.jsonl" --min-images 30 --tolerance 1e-4
