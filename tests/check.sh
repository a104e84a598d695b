#!/bin/sh
# `make check`: every test on the release build, then the same suite built
# with AddressSanitizer + UndefinedBehaviorSanitizer. Ends with the total of
# both runs (each test counted once per run), as 'N passed, N failed'.
set -u
rel=$1 asan=$2
echo "== release build ($rel): the test suite"
sh tests/run.sh "$rel" | tee "$rel/check-summary.txt"
r1=$(grep -q " 0 failed$" "$rel/check-summary.txt" && tail -n1 "$rel/check-summary.txt" | grep -qv ": 0 passed" && echo 0 || echo 1)
echo "== building the ASan+UBSan tree in $asan (minutes the first time)"
if [ ! -f "$asan/build.ninja" ]; then
	meson setup "$asan" --buildtype=debugoptimized \
		-Db_sanitize=address,undefined -Db_lundef=false >"$asan.setup.txt" 2>&1 ||
		{ cat "$asan.setup.txt"; }
fi
# ninja's [k/N] lines go to a file; every 25th step (and the last) is shown.
( ninja -C "$asan"; echo $? >"$asan/build-rc" ) 2>&1 | tee "$asan/build-output.txt" |
	awk '/^\[[0-9]+\/[0-9]+\]/ { split(substr($1, 2), a, "/"); a[2] += 0;
		if (a[1] % 25 == 0 || a[1] == a[2]) { print "   asan build: " a[1] "/" a[2] " steps"; fflush() } }'
if [ "$(cat "$asan/build-rc" 2>/dev/null)" = 0 ]; then
	echo "== ASan+UBSan build ($asan): the same test suite"
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
for run in release asan; do
	[ $run = release ] && s="$rel/check-summary.txt" || s="$asan/check-summary.txt"
	line=$(tail -n 1 "$s")
	rp=$(echo "$line" | sed -n 's/.*: \([0-9]*\) passed.*/\1/p')
	rf=$(echo "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
	echo "$run: ${rp:-0} passed, ${rf:-0} failed ($( [ $run = release ] && echo "$rel" || echo "$asan, the same suite under ASan+UBSan"))"
	p=$((p + ${rp:-0}))
	f=$((f + ${rf:-0}))
done
echo "total (the suite twice: release + asan):"
echo "$p passed, $f failed"
[ $r1 -eq 0 ] && [ $r2 -eq 0 ] && [ $f -eq 0 ]
