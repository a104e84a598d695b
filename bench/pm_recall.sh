#!/bin/sh
# pm_recall.sh — F2's recall on real edits of benign images (issue 15):
# every PNG/JPEG of more than 15 KB under /usr/share (documentation
# figures, screenshots) plus benign patterns FFmpeg draws (Mandelbrot,
# test cards, cellular automata), each edited with FFmpeg (resize, crop,
# re-encode as low-quality JPEG, overlay a box, brightness, a small
# rotation), hashed with `vigil hash`; then bench_pm_recall runs one F2
# query per edit (both servers in one process) and PER_D synthetic
# bit-flip queries per distance, against the plaintext answer.
#
#   bench/pm_recall.sh BUILD_DIR [PER_D [FILLER]]
set -eu
B=${1:-build} PER_D=${2:-20} FILLER=${3:-10000}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir "$T/o" "$T/e"
i=0
for f in $(find /usr/share \( -name '*.png' -o -name '*.jpg' \) -size +15k 2>/dev/null | grep -v /icons/ | sort); do
	ffmpeg -v error -y -i "$f" -frames:v 1 "$T/o/u$i.png" && i=$((i + 1))
done
for src in "mandelbrot=s=640x480:start_scale=2" "mandelbrot=s=640x480:start_x=-0.75:start_y=0.1:start_scale=0.2" \
	"testsrc2=s=640x480" "smptehdbars=s=640x480" "cellauto=s=640x480:rule=30" \
	"cellauto=s=640x480:rule=110" "life=s=320x240:mold=10:ratio=0.3:seed=7" \
	"rgbtestsrc=s=640x480" "yuvtestsrc=s=640x480" "gradients=s=640x480:seed=3"; do
	ffmpeg -v error -y -f lavfi -i "$src" -frames:v 1 "$T/o/g$i.png" 2>/dev/null && i=$((i + 1)) || true
done
for o in "$T"/o/*.png; do
	n=$(basename "$o" .png)
	e() { ffmpeg -v error -y -i "$o" "$@" 2>/dev/null || true; }
	e -vf scale=iw/2:-2 "$T/e/$n.half.png"
	e -vf scale=iw/4:-2 "$T/e/$n.quarter.png"
	e -vf "crop=iw*0.9:ih*0.9" "$T/e/$n.crop10.png"
	e -vf "crop=iw*0.8:ih*0.8:0:0" "$T/e/$n.crop20.png"
	e -q:v 20 "$T/e/$n.jpegq20.jpg"
	e -q:v 31 "$T/e/$n.jpegq31.jpg"
	e -vf "drawbox=x=iw*0.6:y=ih*0.6:w=iw*0.3:h=ih*0.2:color=red@1:t=fill" "$T/e/$n.overlay.png"
	e -vf "eq=brightness=0.12" "$T/e/$n.bright.png"
	e -vf "rotate=3*PI/180" "$T/e/$n.rot3.png"
done
"$B/vigil" hash "$T"/o/*.png 2>/dev/null | awk -F, '{n=$3; sub(".*/","",n); sub("[.]png$","",n); print n, $1, $2}' > "$T/oh"
"$B/vigil" hash "$T"/e/* 2>/dev/null | awk -F, '{n=$3; sub(".*/","",n); split(n,p,"."); print p[1], $1, $2, n}' > "$T/eh"
# Pairs of quality >= 50 on both sides (the study's quality rule).
awk 'NR==FNR { if ($3 >= 50) h[$1] = $2; next } ($1 in h) && $3 >= 50 { print h[$1], $2, $4 }' \
	"$T/oh" "$T/eh" > "$T/pairs"
echo "originals: $(wc -l < "$T/oh") (quality >= 50: $(awk '$3>=50' "$T/oh" | wc -l)), edit pairs: $(wc -l < "$T/pairs")" >&2
"$B/bench/bench_pm_recall" "$PER_D" "$FILLER" < "$T/pairs"
