#!/bin/sh
# bench_text_cli.sh — `vigil text match --terms` (the CLI path: read the
# file, build the folder and the matcher, scan each line, print JSON) on
# bench_text's data (its list of TERMS dictionary words and its MB of
# dictionary-word lines), against bench_text's library number (vigil_text_scan
# per message) and `LC_ALL=C grep -F -w -f`, all in one run on the same
# files. Times are CPU seconds (user + system, /usr/bin/time). The CLI is
# also run on an empty file: its fixed cost (ICU tables, compiling the list).
# grep writes its count to a file, not /dev/null: GNU grep treats a
# /dev/null stdout like -q and stops at the first matching line (so
# bench_text's own grep number, which goes to /dev/null, is far too fast).
# grep -F -w over 5,000 terms is slow here (about 35 s per MB), so it runs
# on the first GREP_KB (256) KB of whole lines and is compared by MB/s.
#
# usage: sh bench/bench_text_cli.sh BUILD [MB] [TERMS]   (BUILD: a release build dir)
set -eu
build=${1:?usage: bench_text_cli.sh BUILD [MB] [TERMS]}
mb=${2:-16}
nterms=${3:-5000}
dict=/usr/share/dict/american-english
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ninja -C "$build" bench/bench_text vigil >/dev/null
"$build/bench/bench_text" -k "$tmp" -m "$mb" -t "$nterms" "$dict" > "$tmp/lib.out"
grep -E 'compiled|load|scan per message|grep -F' "$tmp/lib.out"
lib=$(sed -n 's/^scan per message CPU s: \([0-9.]*\);.*/\1/p' "$tmp/lib.out")
libgrep=$(sed -n 's/.*grep CPU s: \([0-9.]*\)$/\1/p' "$tmp/lib.out")
libhits=$(sed -n 's/^scan per message: .*(\([0-9]*\) hits)$/\1/p' "$tmp/lib.out")

cpu() { # command...: CPU seconds of it (its stdout to $tmp/out)
	/usr/bin/time -f '%U %S' -o "$tmp/time" "$@" > "$tmp/out"
	awk '{ printf "%.4f", $1 + $2 }' "$tmp/time"
}
: > "$tmp/empty.txt"
fixed=$(cpu "$build/vigil" text match --terms "$tmp/terms.txt" "$tmp/empty.txt")
cli=$(cpu "$build/vigil" text match --terms "$tmp/terms.txt" "$tmp/text.txt")
clihits=$(wc -l < "$tmp/out")
head -c "$(( ${GREP_KB:-256} * 1024 ))" "$tmp/text.txt" | sed '$d' > "$tmp/slice.txt"
grep_s=$(LC_ALL=C cpu grep -F -w -c -f "$tmp/terms.txt" "$tmp/slice.txt")
gbytes=$(wc -c < "$tmp/slice.txt")
bytes=$(wc -c < "$tmp/text.txt")

awk -v lib="$lib" -v cli="$cli" -v fixed="$fixed" -v g="$grep_s" -v lg="$libgrep" \
    -v b="$bytes" -v gb="$gbytes" -v lh="$libhits" -v ch="$clihits" 'BEGIN {
	printf "library scan per message: %.3f s  %7.1f MB/s  (%d hits)\n", lib, b / 1e6 / lib, lh
	printf "vigil text match (CLI):   %.3f s  %7.1f MB/s  (%d hits); of it fixed (empty file) %.3f s\n",
	       cli, b / 1e6 / cli, ch, fixed
	printf "grep -F -w -f:            %.3f s  %7.3f MB/s  on %d KB (bench_text, to /dev/null: %.1f MB/s)\n",
	       g, gb / 1e6 / g, gb / 1024, b / 1e6 / lg
	printf "  -> CLI takes %.2fx the library time (%.2fx without the fixed cost)\n",
	       cli / lib, (cli - fixed) / lib
	printf "  -> by MB/s the CLI is %.0fx grep -F -w -f, the library %.0fx\n",
	       (b / cli) / (gb / g), (b / lib) / (gb / g)
}'
