#!/bin/sh
# run.sh [SECONDS [TARGET...]] — runs every libFuzzer target for SECONDS
# (default 60) each, on a clang build in build-fuzz/ with ASan+UBSan, then
# prints a summary table. `make fuzz FUZZ_SECONDS=N` calls it.
#
# Targets are found, not listed: every executable build-fuzz/fuzz/fuzz_NAME
# (no suffix, so meson's fuzz_NAME.p object folders are skipped), fed from
# fuzz/corpus/NAME. A new target needs only fuzz/fuzz_NAME.c, its line in
# fuzz/meson.build and a seed corpus in fuzz/corpus/NAME. TARGET... limits
# the run to those names.
#
# A crash, leak, timeout or out-of-memory stops that target only; the others
# still run. Each target's log is fuzz/out/NAME.log, new inputs go to
# fuzz/out/NAME/, findings to fuzz/out/NAME-crash-* (-leak-, -timeout-,
# -oom-). Fix what is found and keep a (small) reproducer in the corpus.
# Exits 1 if any target found something or failed to run.
set -eu
secs=${1:-60}
[ $# -gt 0 ] && shift
case $secs in '' | *[!0-9]*) echo "usage: run.sh [SECONDS [TARGET...]]" >&2; exit 2 ;; esac
# FUZZ_BUILD: another folder of already built targets (the script's own test)
build=${FUZZ_BUILD:-build-fuzz}
if [ "$build" = build-fuzz ] && [ ! -f build-fuzz/build.ninja ]; then
	CC=clang meson setup build-fuzz -Dfuzzing=true --buildtype=debugoptimized \
		-Db_sanitize=address,undefined -Db_lundef=false
fi
[ ! -f "$build/build.ninja" ] || ninja -C "$build"
export LSAN_OPTIONS=suppressions=$(pwd)/tests/lsan.supp
mkdir -p fuzz/out
summary=fuzz/out/summary.txt
: > "$summary"
status=0

# The value after the last "KEY: " in a libFuzzer status line ("#N ...
# corp: 123/45Kb ..."), or "?".
last_field() {
	awk -v k="$2" '/^#[0-9]+/ { for (i = 1; i < NF; i++) if ($i == k) v = $(i + 1) }
		END { sub(/\/.*/, "", v); print v == "" ? "?" : v }' "$1"
}

ran=0
for t in "$build"/fuzz/fuzz_*; do
	name=${t##*/fuzz_}
	case $name in *.*) continue ;; esac
	[ -f "$t" ] && [ -x "$t" ] || continue
	if [ $# -gt 0 ]; then
		case " $* " in *" $name "*) ;; *) continue ;; esac
	fi
	ran=$((ran + 1))
	mkdir -p "fuzz/out/$name"
	log=fuzz/out/$name.log
	before=$(ls fuzz/out | grep -c "^$name-" || true)
	echo "fuzzing $name for ${secs}s (log: $log)"
	start=$(date +%s)
	rc=0
	seeds=fuzz/corpus/$name
	[ -d "$seeds" ] || seeds=
	"$t" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
		-artifact_prefix="fuzz/out/$name-" "fuzz/out/$name" $seeds \
		> "$log" 2>&1 || rc=$?
	took=$(( $(date +%s) - start ))
	# runs: the last "#N" status line; corpus: libFuzzer's corpus at the end
	runs=$(awk '/^#[0-9]+/ { n = substr($1, 2) } END { print n == "" ? "?" : n }' "$log")
	corp=$(last_field "$log" corp:)
	found=$(( $(ls fuzz/out | grep -c "^$name-" || true) - before ))
	note=""
	if [ "$found" -gt 0 ]; then
		note=$(ls -t fuzz/out | grep "^$name-" | head -n "$found" | sed 's|^|fuzz/out/|' | tr '\n' ' ' | sed 's/ $//')
		status=1
	elif [ "$rc" != 0 ]; then
		note="exit $rc without a finding: see $log"
		status=1
	fi
	[ -z "$note" ] || { echo "  $name: $note"; tail -n 20 "$log" | sed 's/^/  | /'; }
	printf '%-10s %8s %12s %8s %9s  %s\n' "$name" "$took" "$runs" "$corp" "$found" "$note" >> "$summary"
done
[ "$ran" -gt 0 ] || { echo "run.sh: no fuzz target found in $build/fuzz/" >&2; exit 1; }

echo
echo "fuzzing summary ($(date -u +%Y-%m-%d), ${secs}s per target; full logs in fuzz/out/):"
printf '%-10s %8s %12s %8s %9s  %s\n' target seconds runs corpus findings ""
cat "$summary"
[ "$status" = 0 ] && echo "no findings" || echo "FINDINGS: see the notes above"
exit "$status"
