#!/bin/sh
# bench_matcher.sh BUILD [N [QUERIES [RADIUS]]] — the path a user's query
# takes against the bare index, on the same N random hashes and the same
# random queries, in one run: the index (vigil_index_query, as bench_index),
# the matcher (a store's bank through vigil_matcher_pdq) and the CLI
# (`vigil match --radius R --hash - < queries`, its start-up — opening the
# store and loading the index, timed as a one-query run — subtracted).
# Prints each rate and its ratio to the index's and to a POPCNT scan of the
# same hashes measured in the same run. See bench/index/README.md.
set -eu
BUILD=${1:-build}
N=${2:-1000000}
Q=${3:-20000}
R=${4:-31}
T=$(mktemp -d "${TMPDIR:-/tmp}/vigil-bench-XXXXXX")
trap 'rm -rf "$T"' EXIT
now() { date +%s.%N; }
"$BUILD/bench/index/bench_matcher" "$N" "$Q" "$R" "$T" | tee "$T/out"
iq=$(awk '$1 == "INDEX_QPS" { print $2 }' "$T/out")
sq=$(awk '$1 == "SCAN_QPS" { print $2 }' "$T/out")
export VIGIL_DB="$T/bench.db"
head -1 "$T/queries.txt" > "$T/one.txt"
best_load= best_all=
for round in 1 2 3; do
	t0=$(now)
	"$BUILD/vigil" match --radius "$R" --hash - < "$T/one.txt" >/dev/null || [ $? -eq 1 ]
	t1=$(now)
	"$BUILD/vigil" match --radius "$R" --hash - < "$T/queries.txt" > "$T/cli.out" || [ $? -eq 1 ]
	t2=$(now)
	l=$(echo "$t1 - $t0" | bc) a=$(echo "$t2 - $t1" | bc)
	echo "cli round $round: start-up $l s, $Q queries $a s"
	best_load=$(echo "$l $best_load" | awk '{ print ($2 == "" || $1 < $2) ? $1 : $2 }')
	best_all=$(echo "$a $best_all" | awk '{ print ($2 == "" || $1 < $2) ? $1 : $2 }')
done
awk -v q="$Q" -v l="$best_load" -v a="$best_all" -v iq="$iq" -v sq="$sq" 'BEGIN {
	c = q / (a - l)
	printf "cli      %9.0f q/s  (start-up %.2f s subtracted; best of 3)\n", c, l
	printf "ratio index/cli %.2fx  cli/scan %.1fx (scan measured by bench_matcher, same run)\n", iq / c, c / sq
}'
echo "cli matches printed: $(wc -l < "$T/cli.out")"
