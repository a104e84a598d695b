#!/bin/sh
# bench_import.sh BUILD [N] [RUNS] — import rate of an N-line PDQ list
# (default 10M) into vigil's SQLite store, against the sqlite3 shell's own
# .import of the same file into a table with the same uniqueness
# constraint, in one run; each side RUNS times (default 1), alternating,
# best wall time and best CPU time (user + sys) kept; then the matcher's
# start-up (loading every hash into the index) against a plain SQLite scan
# of the same rows. The load average is printed: the wall ratio is only as
# good as the machine is idle, the CPU ratio is steadier.
set -eu
BUILD=${1:-build}
N=${2:-10000000}
RUNS=${3:-1}
command -v sqlite3 >/dev/null || { echo "needs the sqlite3 shell (apt-get install sqlite3)"; exit 1; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)"; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/vigil-bench-XXXXXX")
trap 'rm -rf "$T"' EXIT
now() { date +%s.%N; }
"$BUILD/bench/gen_hashes" "$N" -c > "$T/list.csv"
echo "list: $N lines, $(du -h "$T/list.csv" | cut -f1); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
# best of: keeps the smallest wall and the smallest CPU of "wall cpu" lines
best() { sort -n -k"$1" "$2" | head -1 | cut -d' ' -f"$1"; }
: > "$T/shell.t"
: > "$T/vigil.t"
i=0
while [ "$i" -lt "$RUNS" ]; do
	i=$((i + 1))
	rm -f "$T/base.db" "$T/base.db-wal" "$T/base.db-shm"
	sqlite3 "$T/base.db" "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
CREATE TABLE t(hash TEXT, quality INT, ref TEXT, UNIQUE(hash));" >/dev/null
	/usr/bin/time -f "%e %U %S" -o "$T/one" sqlite3 "$T/base.db" ".import --csv $T/list.csv t" 2>/dev/null || true
	awk '{ print $1, $2 + $3 }' "$T/one" >> "$T/shell.t"
	rm -f "$T/v.db" "$T/v.db-wal" "$T/v.db-shm"
	export VIGIL_DB="$T/v.db"
	"$BUILD/vigil" bank create bench >/dev/null
	/usr/bin/time -f "%e %U %S %M" -o "$T/one" "$BUILD/vigil" bank import --no-progress bench "$T/list.csv"
	awk '{ print $1, $2 + $3, $4 }' "$T/one" >> "$T/vigil.t"
done
t3=$(now)
# Start-up: open the store and load the index (one query).
"$BUILD/vigil" match --hash 0000000000000000000000000000000000000000000000000000000000000000 >/dev/null || [ $? -eq 1 ]
t4=$(now)
sqlite3 "$T/v.db" "SELECT count(*), sum(length(value)) FROM entries" >/dev/null
t5=$(now)
awk -v n="$N" -v runs="$RUNS" -v bw="$(best 1 "$T/shell.t")" -v bc="$(best 2 "$T/shell.t")" \
    -v vw="$(best 1 "$T/vigil.t")" -v vc="$(best 2 "$T/vigil.t")" \
    -v rss="$(sort -n -k3 "$T/vigil.t" | tail -1 | cut -d' ' -f3)" \
    -v l="$(echo "$t4 - $t3" | bc)" -v s="$(echo "$t5 - $t4" | bc)" 'BEGIN {
	printf "import, best of %d, wall: vigil %9.0f lines/s   sqlite3 .import %9.0f lines/s   ratio %.2fx\n", runs, n / vw, n / bw, bw / vw
	printf "import, best of %d, CPU:  vigil %9.0f lines/s   sqlite3 .import %9.0f lines/s   ratio %.2fx\n", runs, n / vc, n / bc, bc / vc
	printf "import: vigil peak RSS %.0f MB\n", rss / 1024
	printf "start-up vigil %6.2f s (index of %d)   plain SQLite scan %.2f s   ratio %.2fx\n", l, n, s, l / s
}'
echo "store size: $(du -h "$T/v.db" | cut -f1) ($(du -b "$T/v.db" | cut -f1) bytes, $(( $(du -b "$T/v.db" | cut -f1) / N )) per entry); load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
