#!/usr/bin/env bash
# The demo behind `make demo`: hashes sample images that Debian's desktop-base package ships
# (installed by scripts/install-deps.sh) and shows what childguard finds: PDQ hashes bit-identical
# to Meta's reference, exact digests, EXIF and format facts, and near-duplicate distances.
set -euo pipefail
CG=${1:-build/programs/childguard}
DB=/usr/share/desktop-base

samples=()
for f in "$DB"/lines-theme/login/sddm-preview.jpg "$DB"/lines-theme/login/sddm-preview-nologo.jpg \
         "$DB"/joy-theme/login/sddm-preview.jpg "$DB"/softwaves-theme/login/sddm-preview.jpg \
         "$DB"/spacefun-theme/login/sddm-preview.jpg "$DB"/emerald-theme/grub/grub-16x9.png \
         "$DB"/emerald-theme/grub/grub-4x3.png "$DB"/homeworld-theme/grub/grub-16x9.png; do
    [ -f "$f" ] && samples+=("$f")
done
if [ ${#samples[@]} -eq 0 ]; then
    echo "demo: no sample images found under $DB (is desktop-base installed?)" >&2
    exit 2
fi

echo "== childguard $("$CG" --version | cut -d' ' -f2): hashing ${#samples[@]} sample images from Debian's desktop-base"
echo
echo "-- PDQ, in the reference pdq-photo-hasher's format (hash,quality,filename):"
"$CG" hash -q "${samples[@]}"
echo
echo "-- Every signal for one file, as JSON (what a trust-and-safety pipeline stores):"
"$CG" hash -q --json --types pdq,md5,sha256 "${samples[0]}"
echo
echo "-- Near-duplicates among them (PDQ Hamming distance <= 31 is the field's match threshold):"
mapfile -t hashes < <("$CG" hash -q "${samples[@]}" | cut -d, -f1)
short() { echo "$(basename "$(dirname "$(dirname "$1")")")/$(basename "$1")"; }
far=0
for ((i = 0; i < ${#samples[@]}; i++)); do
    for ((j = i + 1; j < ${#samples[@]}; j++)); do
        if out=$("$CG" distance "${hashes[$i]}" "${hashes[$j]}" \
                 --label "$(short "${samples[$i]}") ~ $(short "${samples[$j]}")"); then
            echo "   $out"
        else
            far=$((far + 1))
        fi
    done
done
echo "   ($far other pairs are further apart than 31: different images)"
echo
echo "-- The 8 dihedral variants (rotations and flips) that catch rotated or mirrored copies:"
"$CG" hash -q --dihedral "${samples[0]}" | tr ',' '\n' | head -8 | nl -v0 | \
    awk '{n[$1]=$2} END {split("original rot90 rot180 rot270 flipx flipy flip+1 flip-1", v, " "); for (i = 0; i < 8; i++) printf "   %-9s %s\n", v[i+1], n[i]}'
echo
echo "-- A file that is not an image gives a clear error and exit status 2:"
tmp=$(mktemp)
head -c 1000 /dev/urandom >"$tmp"
"$CG" hash -q "$tmp" 2>&1 | sed "s/^/   /" || true
"$CG" hash -q "$tmp" 2>/dev/null || echo "   (exit status $?)"
rm -f "$tmp"
