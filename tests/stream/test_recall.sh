#!/bin/sh
# Issue 14.2: the live monitor's decode modes keep the recall
# docs/streams.md's table gives them, and mirrored images are caught.
# Synthetic video (tests/stream/appear.sh): a known image shown five times,
# at phases spread over the keyframe interval (2 s, fixed), sampled as the
# monitor samples it (tests/stream/recall.c, 0.5 s):
#   - shown 1 s: "all" and "nonref" catch 5/5 (nonref, the default, loses
#     nothing against every-frame decoding) while decoding fewer frames;
#   - shown 2 s (= the keyframe interval): "keyframes" catches 5/5, decoding
#     only the keyframes;
#   - mirrored (hflip), shown 2 s: caught 5/5 with dihedral matching, 0/5
#     without (what the option changes).
set -u
VIGIL=$1 RECALL=$2 SRC=$3
IMG=$SRC/demo/known/ladybird.jpg
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
ok() { echo "ok - $1"; }
bad() { echo "FAIL - $1"; fail=1; }
command -v ffmpeg >/dev/null 2>&1 || { echo "SKIP: ffmpeg not installed"; exit 77; }
. "$SRC/tests/stream/appear.sh"
H=$("$VIGIL" hash "$IMG" | cut -d, -f1)
[ ${#H} -eq 64 ] || { bad "hash of the image"; exit 1; }

# $1 video, $2 mode, $3 dihedral, $4 shown, rest onsets: "K/N DECODED FALSE"
run() {
	v=$1 m=$2 d=$3 s=$4
	shift 4
	"$RECALL" "$v" "$m" 0.5 "$d" "$H" "$s" "$@" | tail -n 1 | awk '{ print $2, $4, $8 }'
}

on1=$(appear_onsets 50 1)
# shellcheck disable=SC2086
appear_make "$T/s1.flv" "$IMG" 50 0 1 0 $on1 || { bad "encode"; exit 1; }
# shellcheck disable=SC2086
set -- $(run "$T/s1.flv" all 1 1 $on1); all_got=$1 all_dec=$2 all_f=$3
# shellcheck disable=SC2086
set -- $(run "$T/s1.flv" nonref 1 1 $on1); nr_got=$1 nr_dec=$2 nr_f=$3
[ "$all_got" = 5/5 ] && ok "all: 1 s image caught 5/5" || bad "all: 1 s image caught $all_got"
[ "$nr_got" = 5/5 ] && ok "nonref: 1 s image caught 5/5" || bad "nonref: 1 s image caught $nr_got"
[ "$all_f$nr_f" = 00 ] && ok "no match outside the image" || bad "false matches: all $all_f nonref $nr_f"
[ "$nr_dec" -lt "$all_dec" ] && ok "nonref decoded $nr_dec frames, all $all_dec" ||
	bad "nonref decoded $nr_dec frames, not fewer than all's $all_dec"

on2=$(appear_onsets 50 2)
# shellcheck disable=SC2086
appear_make "$T/s2.flv" "$IMG" 50 0 2 0 $on2 || { bad "encode"; exit 1; }
# shellcheck disable=SC2086
set -- $(run "$T/s2.flv" keyframes 1 2 $on2); kf_got=$1 kf_dec=$2
nkey=$(ffprobe -v error -select_streams v:0 -skip_frame nokey -show_entries frame=pts \
	-of csv=p=0 "$T/s2.flv" | wc -l)
[ "$kf_got" = 5/5 ] && ok "keyframes: 2 s image, keyframes every 2 s, caught 5/5" ||
	bad "keyframes: 2 s image caught $kf_got"
# Up to the last sample: at most the file's keyframes, and not all frames.
[ "$kf_dec" -le "$nkey" ] && [ "$kf_dec" -ge 2 ] && ok "keyframes decoded $kf_dec frames ($nkey keyframes)" ||
	bad "keyframes decoded $kf_dec frames, the file has $nkey keyframes"

# shellcheck disable=SC2086
appear_make "$T/f.flv" "$IMG" 50 0 2 1 $on2 || { bad "encode"; exit 1; }
# shellcheck disable=SC2086
set -- $(run "$T/f.flv" nonref 1 2 $on2); d_got=$1
# shellcheck disable=SC2086
set -- $(run "$T/f.flv" nonref 0 2 $on2); n_got=$1
[ "$d_got" = 5/5 ] && ok "mirrored image caught 5/5 with dihedral matching" ||
	bad "mirrored image with dihedral: $d_got"
[ "$n_got" = 0/5 ] && ok "mirrored image not caught without it" ||
	bad "mirrored image without dihedral: $n_got (the test would not see dihedral off)"
exit $fail
