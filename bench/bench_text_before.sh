#!/bin/sh
# bench_text_before.sh — the keyword scan before and after the fold/scan
# fast paths (issue 12), in one run on the same text: bench_text is linked a
# second time with src/text/{fold,match,hashtag}.c as they were at BASE
# (the byte-at-a-time versions), and the two binaries run alternately,
# twice each, so both see the same load. Prints each run's lines and the
# load average.
#
# usage: sh bench/bench_text_before.sh BUILD [BASE] [MB]
#        (BUILD: a release build dir; BASE: a commit, default 5e736aa;
#         MB: text size, default 8)
set -eu
build=${1:?usage: bench_text_before.sh BUILD [BASE] [MB]}
base=${2:-5e736aa}
mb=${3:-8}
src=$(cd "$(dirname "$0")/.." && pwd)
dict=/usr/share/dict/american-english
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ninja -C "$build" bench/bench_text >/dev/null
cflags="-std=c11 -O3 -D_GNU_SOURCE -DNDEBUG -I$src/include -I$src/src -I/usr/include/hs"
for f in fold match hashtag; do
	git -C "$src" show "$base:src/text/$f.c" > "$tmp/$f.c"
	# the old files include "text_int.h" from their own directory
	sed -i "s|#include \"text_int.h\"|#include \"$src/src/text/text_int.h\"|" "$tmp/$f.c"
	gcc $cflags -c "$tmp/$f.c" -o "$tmp/$f.o"
done
# the build's own link line, with the old objects ahead of libvigil.a (so
# the archive's new fold.o, match.o and hashtag.o are never pulled in)
link=$(ninja -C "$build" -t commands bench/bench_text | tail -1)
link=$(printf '%s' "$link" | sed "s|-o bench/bench_text |-o $tmp/bench_text_before |; s|-Wl,--start-group libvigil.a|$tmp/fold.o $tmp/match.o $tmp/hashtag.o -Wl,--start-group libvigil.a|")
(cd "$build" && sh -c "$link")

for round in 1 2; do
	for which in before after; do
		if [ $which = before ]; then bin=$tmp/bench_text_before; else bin=$build/bench/bench_text; fi
		echo "== $which (round $round)"
		"$bin" -m "$mb" "$dict" | grep -E 'load|scan|grep|fold|ICU'
	done
done
