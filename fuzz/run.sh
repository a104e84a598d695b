#!/bin/sh
# Runs each libFuzzer target for $1 seconds (default 60) on a clang build in
# build-fuzz/, with ASan+UBSan. New inputs go to fuzz/out/NAME; crashes to
# fuzz/out/crash-*. Add interesting finds to fuzz/corpus/NAME by hand
# (small ones), fix what crashes, and keep the reproducer in the corpus.
set -eu
secs=${1:-60}
[ -f build-fuzz/build.ninja ] || CC=clang meson setup build-fuzz -Dfuzzing=true \
	--buildtype=debugoptimized -Db_sanitize=address,undefined -Db_lundef=false
ninja -C build-fuzz
export LSAN_OPTIONS=suppressions=$(pwd)/tests/lsan.supp
for t in build-fuzz/fuzz/fuzz_*; do
	name=${t##*/fuzz_}
	mkdir -p "fuzz/out/$name"
	echo "fuzzing $name for ${secs}s"
	"$t" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
		-artifact_prefix=fuzz/out/ "fuzz/out/$name" "fuzz/corpus/$name"
done
