#!/bin/sh
# Recall of the live monitor's decode modes (issue 14.2): a known benign
# image (demo/known/ladybird.jpg) shown full-frame for 1, 2 and 5 s inside
# synthetic video (testsrc2, 480x270, 25 fps, H.264 with x264's default
# B-frames), five times per video at phases 0, 1/5 ... 4/5 of the keyframe
# interval, for keyframe intervals of 25, 50 and 250 frames, with x264's
# scene-cut keyframes (its default) and without (-sc_threshold 0, the fixed
# interval streaming services ask for). Each video is sampled as the monitor
# samples (tests/stream/recall.c: one sample per 0.5 s, dihedral on) in each
# mode. Prints a Markdown table: appearances caught of 5, then the frames
# decoded and the CPU time of each mode against "all" in the same run.
#   sh bench/stream_recall.sh [BUILD]
set -u
BUILD=${1:-build}
R=$BUILD/tests/stream_recall
IMG=demo/known/ladybird.jpg
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
. tests/stream/appear.sh
H=$("$BUILD/vigil" hash "$IMG" | cut -d, -f1)
cpu() { awk '{ print $14 + $15 }' /proc/$1/stat; }
echo "| keyframes every | scene-cut keyframes | shown | all | nonref | keyframes | frames decoded all / nonref / keyframes | CPU nonref/all | CPU keyframes/all |"
echo "|---|---|---|---|---|---|---|---|---|"
for gop in 25 50 250; do
	for sc in 1 0; do
		for shown in 1 2 5; do
			on=$(appear_onsets "$gop" "$shown")
			# shellcheck disable=SC2086
			appear_make "$T/v.flv" "$IMG" "$gop" "$sc" "$shown" 0 $on || exit 1
			line="| $gop frames ($(awk -v g="$gop" 'BEGIN { print g / 25 }') s) | $([ "$sc" = 1 ] && echo yes || echo no) | $shown s"
			dec=""
			for m in all nonref keyframes; do
				# CPU seconds (user + system) of the sampler: the machine
				# may be shared, wall time would measure the others.
				# shellcheck disable=SC2086
				out=$(/usr/bin/time -f "cpu %U %S" -o "$T/cpu" "$R" "$T/v.flv" "$m" 0.5 1 "$H" "$shown" $on | tail -n 1)
				eval "t_$m=$(awk '/^cpu/ { print $2 + $3 + 0.0001 }' "$T/cpu")"
				got=$(echo "$out" | awk '{ print $2 }')
				fp=$(echo "$out" | awk '{ print $8 }')
				[ "$fp" != 0 ] && got="$got ($fp false)"
				line="$line | $got"
				dec="$dec${dec:+ / }$(echo "$out" | awk '{ print $4 }')"
			done
			# shellcheck disable=SC2154
			echo "$line | $dec | $(awk -v a="$t_nonref" -v b="$t_all" 'BEGIN { printf "%.2f", a / b }') | $(awk -v a="$t_keyframes" -v b="$t_all" 'BEGIN { printf "%.2f", a / b }') |"
		done
	done
done
# A mirrored webcam: the image flipped left-right, 2 s, keyframes every 2 s.
on=$(appear_onsets 50 2)
# shellcheck disable=SC2086
appear_make "$T/f.flv" "$IMG" 50 0 2 1 $on || exit 1
# shellcheck disable=SC2086
echo
echo "Mirrored (hflip) image, 2 s, keyframes every 50 frames, nonref mode: dihedral on $("$R" "$T/f.flv" nonref 0.5 1 "$H" 2 $on | tail -n 1 | awk '{ print $2 }'), off $("$R" "$T/f.flv" nonref 0.5 0 "$H" 2 $on | tail -n 1 | awk '{ print $2 }')"
