#!/usr/bin/env bash
# Synthetic drawings for the vision tests: flat shapes, lines, gradients and stripes, drawn
# with ImageMagick (no photographs, no people, no text: the set needs no fonts). Covers the classifier's input paths: exactly
# 224x224 (no resize), grey (one channel), RGBA (alpha dropped), JPEG and PNG, tiny and large,
# wide and tall.
#
#   tests/vision/draw.sh OUTDIR
set -euo pipefail
out=${1:?usage: draw.sh OUTDIR}
mkdir -p "$out"
c=convert
d() { # NAME SIZE BACKGROUND DRAW...
    local name=$1 size=$2 bg=$3
    shift 3
    "$c" -size "$size" "xc:$bg" "$@" -depth 8 "$out/$name"
}
d house.png 320x240 skyblue -fill forestgreen -draw 'rectangle 0,180 320,240' \
    -fill firebrick -draw 'rectangle 100,110 200,180' -fill saddlebrown \
    -draw 'polygon 90,110 150,60 210,110' -fill gold -draw 'circle 270,40 290,40'
d sun-224.png 224x224 lightyellow -fill orange -draw 'circle 112,112 112,170' \
    -stroke orange -strokewidth 6 -draw 'line 112,10 112,40' -draw 'line 112,184 112,214' \
    -draw 'line 10,112 40,112' -draw 'line 184,112 214,112'
d boat.jpg 500x300 lightblue -fill navy -draw 'rectangle 0,220 500,300' -fill sienna \
    -draw 'polygon 150,220 350,220 320,260 180,260' -fill white -draw 'polygon 250,80 250,215 330,215'
d tree.png 200x400 white -fill brown -draw 'rectangle 90,250 110,390' -fill green \
    -draw 'circle 100,180 100,100'
d stripes.png 300x300 white -fill red -draw 'rectangle 0,0 300,50' -fill blue \
    -draw 'rectangle 0,100 300,150' -fill green -draw 'rectangle 0,200 300,250'
d checker-grey.png 256x256 white -fill black -draw 'rectangle 0,0 64,64' \
    -draw 'rectangle 128,0 192,64' -draw 'rectangle 64,64 128,128' -draw 'rectangle 192,64 256,128' \
    -draw 'rectangle 0,128 64,192' -draw 'rectangle 128,128 192,192' -colorspace Gray
d car.png 400x200 lightgrey -fill crimson -draw 'roundrectangle 60,80 340,150 20,20' \
    -fill black -draw 'circle 120,150 120,180' -draw 'circle 280,150 280,180' \
    -fill lightcyan -draw 'rectangle 130,60 270,85'
d kite.png 640x160 azure -fill tomato -draw 'polygon 80,20 120,80 80,140 40,80' -fill none \
    -stroke black -strokewidth 2 -draw 'bezier 80,140 200,100 400,150 620,60'
d tiny.png 3x2 gray50
d line-1px.png 500x1 teal
d wide.jpg 1200x150 pink -fill purple -draw 'ellipse 600,75 500,50 0,360'
d flower-rgba.png 300x300 none -fill yellow -draw 'circle 150,150 150,180' -fill magenta \
    -draw 'circle 150,90 150,115' -draw 'circle 150,210 150,235' -draw 'circle 90,150 115,150' \
    -draw 'circle 210,150 235,150'
"$c" -size 400x300 gradient:navy-orange "$out/gradient.png"
"$c" -size 256x256 gradient:white-black -colorspace Gray "$out/gradient-grey.jpg"
d face-cartoon.png 300x300 white -fill gold -draw 'circle 150,150 150,270' -fill black \
    -draw 'circle 110,120 110,135' -draw 'circle 190,120 190,135' -fill none -stroke black \
    -strokewidth 6 -draw 'arc 90,140 210,230 20,160'
d grid.png 1000x700 white -stroke steelblue -strokewidth 3 -draw 'line 0,100 1000,100' \
    -draw 'line 0,300 1000,300' -draw 'line 0,500 1000,500' -draw 'line 200,0 200,700' \
    -draw 'line 500,0 500,700' -draw 'line 800,0 800,700'
