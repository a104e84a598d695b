#!/bin/sh
# End-to-end: `vigil hash --algo vpdq` prints exactly the reference's files
# (every frame and --interval 1), names files when given several, and fails
# cleanly on what is not a video.
set -u
VIGIL=$1 VEC=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
ok() { echo "ok - $1"; }
bad() { echo "FAIL - $1"; fail=1; }

for n in chair-22-sd-sepia-bar pattern-sd-with-small-logo-bar test-padded-dimensions; do
	"$VIGIL" hash --algo vpdq "$VEC/videos/$n.mp4" > "$T/$n.txt"
	cmp -s "$T/$n.txt" "$VEC/hashes-debian12/$n.txt" && ok "$n every frame" || bad "$n every frame"
	"$VIGIL" hash -a vpdq --interval 1 "$VEC/videos/$n.mp4" > "$T/$n-1s.txt"
	cmp -s "$T/$n-1s.txt" "$VEC/hashes-debian12/$n-1s.txt" && ok "$n 1 s" || bad "$n 1 s"
done
"$VIGIL" hash -a vpdq --interval 5 --every-frame "$VEC/videos/doorknob-hd-no-bar.mp4" > "$T/e.txt"
cmp -s "$T/e.txt" "$VEC/hashes-debian12/doorknob-hd-no-bar.txt" && ok "--every-frame" || bad "--every-frame"

# Several videos: a fifth column with the path, input order kept for any -j.
"$VIGIL" hash -a vpdq --interval 1 -j 2 "$VEC/videos/doorknob-hd-no-bar.mp4" \
	"$VEC/videos/pattern-hd-no-bar.mp4" > "$T/two.txt"
sed "s|\$|,$VEC/videos/doorknob-hd-no-bar.mp4|" "$VEC/hashes-debian12/doorknob-hd-no-bar-1s.txt" > "$T/want.txt"
sed "s|\$|,$VEC/videos/pattern-hd-no-bar.mp4|" "$VEC/hashes-debian12/pattern-hd-no-bar-1s.txt" >> "$T/want.txt"
cmp -s "$T/two.txt" "$T/want.txt" && ok "two videos" || bad "two videos"

# Not a video: reported, exit 1; the other file still hashed.
echo "hello" > "$T/text.mp4"
"$VIGIL" hash -a vpdq --interval 1 "$T/text.mp4" "$VEC/videos/doorknob-hd-no-bar.mp4" > "$T/o.txt" 2> "$T/err.txt"
[ $? -eq 1 ] && grep -q "text.mp4: video: not a recognised" "$T/err.txt" &&
	[ "$(wc -l < "$T/o.txt")" -eq 4 ] && ok "non-video" || bad "non-video: $(cat "$T/err.txt")"
# Truncated: the frames before the cut, then an error.
head -c 240000 "$VEC/videos/doorknob-hd-no-bar.mp4" > "$T/cut.mp4"
"$VIGIL" hash -a vpdq "$T/cut.mp4" > "$T/cut.txt" 2> "$T/err.txt"
[ $? -eq 1 ] && grep -q "truncated" "$T/err.txt" && [ -s "$T/cut.txt" ] &&
	head -n "$(wc -l < "$T/cut.txt")" "$VEC/hashes-debian12/doorknob-hd-no-bar.txt" | cmp -s - "$T/cut.txt" &&
	ok "truncated" || bad "truncated: $(cat "$T/err.txt")"

# A still image through --algo vpdq: the whole one is hashed as one frame;
# a truncated one is refused, as `hash` refuses it.
DATA=${3:-}
if [ -n "$DATA" ]; then
	"$VIGIL" hash -a vpdq "$DATA/base-progressive.jpg" > "$T/img.txt" 2>"$T/err.txt"
	[ $? -eq 0 ] && [ "$(wc -l < "$T/img.txt")" -eq 1 ] && ok "JPEG as one frame" || bad "JPEG: $(cat "$T/err.txt")"
	for f in base-progressive.jpg base-grey.jpg; do
		s=$(stat -c %s "$DATA/$f")
		head -c $((s / 2)) "$DATA/$f" > "$T/half-$f"
		"$VIGIL" hash "$T/half-$f" >/dev/null 2>&1; r1=$?
		"$VIGIL" hash -a vpdq "$T/half-$f" > "$T/o.txt" 2>"$T/err.txt"; r2=$?
		[ $r1 -eq 1 ] && [ $r2 -eq 1 ] && [ ! -s "$T/o.txt" ] && ok "truncated $f refused by vpdq too" ||
			bad "truncated $f: hash rc=$r1, vpdq rc=$r2 $(cat "$T/o.txt" "$T/err.txt")"
	done
fi

# Usage errors.
"$VIGIL" hash --interval 1 "$T/text.mp4" 2> /dev/null; [ $? -eq 2 ] && ok "--interval needs vpdq" || bad "--interval needs vpdq"
"$VIGIL" hash -a vpdq --interval -1 "$T/text.mp4" 2> /dev/null; [ $? -eq 2 ] && ok "negative interval" || bad "negative interval"
"$VIGIL" hash -a vpdq -f jsonl "$T/text.mp4" 2> /dev/null; [ $? -eq 2 ] && ok "no jsonl" || bad "no jsonl"
exit $fail
