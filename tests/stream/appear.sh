# appear.sh — sourced: synthetic video in which a known image appears.
#
# appear_onsets GOP SHOWN: five onsets (seconds) of SHOWN-second appearances,
#   at least 2 s of background apart, whose phases against a fixed keyframe
#   interval of GOP frames (25 fps) are 0, 1/5, ... 4/5 of it: a uniform
#   sample of where an appearance can fall between two keyframes.
# appear_make OUT IMAGE GOP SCENECUT SHOWN FLIP ONSET...: encodes OUT (FLV,
#   H.264 with x264's default B-frames, 25 fps, 480x270) of a testsrc2
#   background with IMAGE over the whole frame for SHOWN s from each ONSET;
#   one keyframe every GOP frames, plus one at scene cuts if SCENECUT is 1
#   (x264's default: the image's onset is one), none else (0: the fixed
#   interval streaming services ask for);
#   FLIP 1 mirrors the image (hflip), as a mirrored webcam shows it.
appear_onsets() {
	awk -v g="$1" -v s="$2" 'BEGIN {
		gs = g / 25; m = int((s + 2) / gs); if (m * gs < s + 2) m++
		b = gs * int((2 + gs - 0.001) / gs)
		for (k = 0; k < 5; k++) printf "%.2f ", b + k * (m * gs + gs / 5)
	}'
}
appear_make() {
	out=$1 img=$2 gop=$3 sc=$4 shown=$5 flip=$6
	shift 6
	en="" last=0
	for t in "$@"; do
		en="$en${en:++}between(t,$t,$(awk -v a="$t" -v b="$shown" 'BEGIN { printf "%.3f", a + b - 0.001 }'))"
		last=$t
	done
	dur=$(awk -v a="$last" -v b="$shown" 'BEGIN { printf "%.2f", a + b + 2 }')
	fl=""
	[ "$flip" = 1 ] && fl=",hflip"
	# A fixed interval: no keyframe in between. With scene cuts, x264's
	# own minimum distance (keyint_min, at most GOP/10 or 25 frames) lets a
	# cut start a new IDR frame, which the container flags as a keyframe.
	scx=""
	[ "$sc" = 0 ] && scx="-keyint_min $gop -sc_threshold 0"
	# shellcheck disable=SC2086
	ffmpeg -nostdin -v error -y -f lavfi -i "testsrc2=size=480x270:rate=25:duration=$dur" \
		-loop 1 -i "$img" \
		-filter_complex "[1:v]scale=480:270,setsar=1,format=yuv420p$fl[im];[0:v]format=yuv420p[bg];[bg][im]overlay=0:0:enable='$en':shortest=1[v]" \
		-map "[v]" -c:v libx264 -preset veryfast -crf 23 -g "$gop" $scx \
		-pix_fmt yuv420p -an -f flv "$out"
}
