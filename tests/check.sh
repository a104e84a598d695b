#!/bin/sh
# `make check`: every test on the release build, then the same suite built
# with AddressSanitizer + UndefinedBehaviorSanitizer. Ends with the total.
set -u
rel=$1 asan=$2
sh tests/run.sh "$rel" | tee "$rel/check-summary.txt"
r1=$(grep -q " 0 failed$" "$rel/check-summary.txt" && tail -n1 "$rel/check-summary.txt" | grep -qv ": 0 passed" && echo 0 || echo 1)
[ -f "$asan/build.ninja" ] || meson setup "$asan" --buildtype=debugoptimized \
	-Db_sanitize=address,undefined -Db_lundef=false >/dev/null
if ninja -C "$asan" >"$asan/build-output.txt" 2>&1; then
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
		LSAN_OPTIONS=suppressions=$(pwd)/tests/lsan.supp \
		sh tests/run.sh "$asan" | tee "$asan/check-summary.txt"
	r2=$(grep -q " 0 failed$" "$asan/check-summary.txt" && echo 0 || echo 1)
else
	tail -30 "$asan/build-output.txt"
	echo "$asan: 0 passed, 1 failed" > "$asan/check-summary.txt"
	r2=1
fi
p=0 f=0
for s in "$rel/check-summary.txt" "$asan/check-summary.txt"; do
	line=$(tail -n 1 "$s")
	p=$((p + $(echo "$line" | sed -n 's/.*: \([0-9]*\) passed.*/\1/p')))
	f=$((f + $(echo "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')))
done
echo "$p passed, $f failed"
[ $r1 -eq 0 ] && [ $r2 -eq 0 ] && [ $f -eq 0 ]
