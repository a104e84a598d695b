#!/bin/sh
# `make bench`: every benchmark, each printing ratios against a baseline
# measured in the same run. Large benign JPEGs come from Debian's
# mate-backgrounds package (installed here if missing, as root); small ones
# from the PDQ reference vectors. IMPORT_N (default 10000000) sets the list
# size of the import benchmark.
set -eu
BUILD=${1:-build}
WALL=/usr/share/backgrounds/mate
if [ ! -d "$WALL" ] && [ "$(id -u)" = 0 ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mate-backgrounds >/dev/null
fi
command -v sqlite3 >/dev/null || { [ "$(id -u)" = 0 ] &&
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sqlite3 >/dev/null; } || true
echo "== PDQ on large JPEGs ($WALL)"
"$BUILD/bench/bench_pdq" -r 3 $(find "$WALL" -name '*.jpg' | sort)
echo
echo "== PDQ on small images (../shared/vectors/pdq)"
"$BUILD/bench/bench_pdq" -r 5 ../shared/vectors/pdq/labelme-subset \
	../shared/vectors/pdq/bridge-mods/square-*.jpg
echo
echo "== PDQ 512 --fast vs exact and vs djpeg -scale 1/N ($WALL)"
"$BUILD/bench/bench_pdq_fast" -r 3 "$WALL"
echo
if [ -x "$BUILD/bench/index/bench_index" ]; then
	echo "== Hamming index"
	"$BUILD/bench/index/bench_index" 1000000
	echo
fi
echo "== vPDQ (seconds of video hashed per second, vs a plain decode)"
"$BUILD/bench/bench_video" ../shared/vectors/vpdq/videos/chair-orig-22-sd-bar.mp4 \
	../shared/vectors/vpdq/videos/doorknob-hd-no-bar.mp4 \
	../shared/vectors/vpdq/videos/pattern-longer-no-bar.mp4
echo
echo "== Live streams: detection latency (nginx-rtmp + ffmpeg on loopback)"
sh bench/bench_stream.sh "$BUILD" 1 10 50
echo
echo "== Grooming scoring per core, and the cost of its state"
sh bench/bench_groom.sh "$BUILD" 5
sh bench/bench_groom_store.sh "$BUILD"
echo
echo "== Import and start-up"
sh bench/bench_import.sh "$BUILD" "${IMPORT_N:-10000000}"
echo
echo "== Matcher start-up: index snapshot vs rebuild"
sh bench/bench_snapshot.sh "$BUILD" "${SNAPSHOT_N:-1000000}"
