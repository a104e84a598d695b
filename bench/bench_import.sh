#!/bin/sh
# bench_import.sh BUILD [N] — import rate of an N-line PDQ list (default 10M)
# into vigil's SQLite store, against the sqlite3 shell's own .import of the
# same file into a table with the same uniqueness constraint, in one run;
# then the matcher's start-up (loading every hash into the index) against a
# plain SQLite scan of the same rows.
set -eu
BUILD=${1:-build}
N=${2:-10000000}
command -v sqlite3 >/dev/null || { echo "needs the sqlite3 shell (apt-get install sqlite3)"; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/vigil-bench-XXXXXX")
trap 'rm -rf "$T"' EXIT
now() { date +%s.%N; }
"$BUILD/bench/gen_hashes" "$N" -c > "$T/list.csv"
echo "list: $N lines, $(du -h "$T/list.csv" | cut -f1)"

t0=$(now)
sqlite3 "$T/base.db" "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
CREATE TABLE t(hash TEXT, quality INT, ref TEXT, UNIQUE(hash));" >/dev/null
sqlite3 "$T/base.db" ".import --csv $T/list.csv t" 2>/dev/null || true
t1=$(now)
export VIGIL_DB="$T/v.db"
"$BUILD/vigil" bank create bench >/dev/null
t2=$(now)
"$BUILD/vigil" bank import --no-progress bench "$T/list.csv"
t3=$(now)
# Start-up: open the store and load the index (one query).
"$BUILD/vigil" match --hash 0000000000000000000000000000000000000000000000000000000000000000 >/dev/null || [ $? -eq 1 ]
t4=$(now)
sqlite3 "$T/v.db" "SELECT count(*), sum(length(value)) FROM entries" >/dev/null
t5=$(now)
awk -v n="$N" -v b="$(echo "$t1 - $t0" | bc)" -v v="$(echo "$t3 - $t2" | bc)" \
    -v l="$(echo "$t4 - $t3" | bc)" -v s="$(echo "$t5 - $t4" | bc)" 'BEGIN {
	printf "import   vigil %9.0f lines/s   sqlite3 .import %9.0f lines/s   ratio %.2fx\n", n / v, n / b, b / v
	printf "start-up vigil %6.2f s (index of %d)   plain SQLite scan %.2f s   ratio %.2fx\n", l, n, s, l / s
}'
echo "store size: $(du -h "$T/v.db" | cut -f1) ($(du -b "$T/v.db" | cut -f1) bytes, $(( $(du -b "$T/v.db" | cut -f1) / N )) per entry)"
