#!/bin/sh
# bench_snapshot_all.sh BUILD [SIZES [BACKENDS [ROUNDS]]] — issue 11's
# start-up table: bench/bench_snapshot.sh (matcher start-up from a rebuild
# vs from an index snapshot, both timed in the same run) at each size of
# SIZES (default "1000000 10000000") on each backend of BACKENDS (default
# "sqlite pg"; pg: a throwaway PostgreSQL through tests/pg/pg_env.sh),
# best of ROUNDS (default 2). Prints one line per run with the import time,
# both start-ups, their ratio and the load average around the run; the
# full output of each run is in $OUT (default /tmp/vigil-snapshot-all).
set -u
BUILD=${1:-build}
SIZES=${2:-1000000 10000000}
BACKENDS=${3:-sqlite pg}
ROUNDS=${4:-2}
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-/tmp/vigil-snapshot-all}
mkdir -p "$OUT"
echo "$(nproc) cores; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-7s %9s %9s %12s %13s %8s  %s\n' backend entries import_s rebuild_s snapshot_s ratio "load before/after"
for b in $BACKENDS; do
	for n in $SIZES; do
		log="$OUT/$b-$n.log"
		l0=$(cut -d' ' -f1 /proc/loadavg)
		if [ "$b" = pg ]; then
			sh "$HERE/../tests/pg/pg_env.sh" sh -c \
				"sh '$HERE/bench_snapshot.sh' '$BUILD' $n \"\$VIGIL_TEST_PG_URI\" $ROUNDS" >"$log" 2>&1
		else
			sh "$HERE/bench_snapshot.sh" "$BUILD" "$n" "" "$ROUNDS" >"$log" 2>&1
		fi
		rc=$?
		l1=$(cut -d' ' -f1 /proc/loadavg)
		imp=$(awk '/^import of/ {print $(NF-1)}' "$log")
		rb=$(awk '/^START_REBUILD/ {print $2}' "$log")
		sn=$(awk '/^START_SNAPSHOT/ {print $2}' "$log")
		ra=$(awk '/^ratio rebuild\/snapshot/ {print $3}' "$log")
		[ $rc = 0 ] || ra="FAILED(rc=$rc, see $log)"
		printf '%-7s %9s %9s %12s %13s %8s  %s/%s\n' "$b" "$n" "${imp:--}" "${rb:--}" "${sn:--}" "${ra:--}" "$l0" "$l1"
		grep -E '^answers' "$log" | sed 's/^/        /'
	done
done
