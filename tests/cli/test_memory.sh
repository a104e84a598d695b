#!/bin/sh
# Peak memory of `vigil hash` on large files: JPEG and PNG are decoded as
# they are read from the file (rows in memory, not the file), and a file
# that is no image is refused from its first bytes. What each run adds to
# the peak RSS of hashing a tiny image (the libraries' own, measured in the
# same run) is compared with the file's size.
set -u
VIGIL=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
ok() { echo "ok - $1"; }
bad() { echo "FAIL - $1"; fail=1; }
# Peak resident set of a command, in bytes (GNU time's "Maximum resident").
peak() { /usr/bin/time -v "$@" 2>"$T/time" >"$T/out"; sed -n 's/.*Maximum resident set size (kbytes): //p' "$T/time" | awk '{print $1 * 1024}'; }

# A PNG of random noise, stored (zlib level 0): 4096x4096 RGB, 48 MiB.
python3 - "$T/noise.png" <<'X'
import os, struct, sys, zlib
w = h = 4096
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
raw = b"".join(b"\0" + os.urandom(w * 3) for _ in range(h))
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) \
    + chunk(b"IDAT", zlib.compress(raw, 0)) + chunk(b"IEND", b"")
open(sys.argv[1], "wb").write(png)
X
python3 - "$T/tiny.png" <<'X'
import struct, sys, zlib
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
raw = b"".join(b"\0" + bytes([y * 8]) * 96 for y in range(32))
open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 32, 32, 8, 2, 0, 0, 0))
    + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
X
base=$(peak "$VIGIL" hash -a all -f jsonl "$T/tiny.png")
echo "# baseline (32x32 PNG): peak RSS $base bytes"
size=$(stat -c %s "$T/noise.png")
rss=$(($(peak "$VIGIL" hash -a all -f jsonl "$T/noise.png") - base))
echo "# png: $size bytes, peak RSS +$rss bytes"
[ "$rss" -lt $((size / 2)) ] && grep -q "\"md5\":\"$(md5sum < "$T/noise.png" | cut -d' ' -f1)\"" "$T/out" &&
	ok "PNG streamed from the file (peak +$rss < half of $size)" || bad "PNG: peak $rss for $size bytes: $(cat "$T/out" "$T/time" | head -3)"

# The same pixels as a JPEG (quality 100, so it stays large).
if command -v ffmpeg >/dev/null 2>&1; then
	ffmpeg -loglevel error -i "$T/noise.png" -q:v 1 -pix_fmt yuvj444p "$T/noise.jpg"
	size=$(stat -c %s "$T/noise.jpg")
	rss=$(($(peak "$VIGIL" hash -a pdq,md5 "$T/noise.jpg") - base))
	echo "# jpeg: $size bytes, peak RSS +$rss bytes"
	[ "$rss" -lt $((size / 2)) ] && grep -q "^md5,$(md5sum < "$T/noise.jpg" | cut -d' ' -f1)," "$T/out" &&
		ok "JPEG streamed from the file (peak +$rss < half of $size)" || bad "JPEG: peak $rss for $size bytes"
fi

# 1 GiB that is no image (sparse): refused from its first bytes.
truncate -s 1G "$T/zero.jpg"
rss=$(($(peak "$VIGIL" hash --max-bytes 2147483648 "$T/zero.jpg") - base))
echo "# not an image: 1073741824 bytes, peak RSS +$rss bytes"
[ "$rss" -lt $((1073741824 / 8)) ] && grep -q "not a recognised image format" "$T/time" &&
	ok "a non-image is refused before it is read (peak +$rss)" || bad "non-image: peak $rss"
exit $fail
