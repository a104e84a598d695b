#!/bin/sh
# The grooming state's cost per message and size per pair in the SQLite
# store (bench_groom_store.c):  sh bench/bench_groom_store.sh BUILD-DIR
set -eu
B=${1:-build}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
echo "load average: $(cut -d" " -f1-3 /proc/loadavg)"
"$B/bench/bench_groom_store" -n ${N:-300} -r ${R:-5} -p ${P:-100000} "$T/v.db"
rows=$(sqlite3 "$T/v.db" "SELECT count(*) FROM groom_state")
sqlite3 "$T/v.db" "SELECT name, sum(pgsize) FROM dbstat WHERE name IN
	('groom_state','groom_state_seen') GROUP BY name" | while IFS='|' read -r name bytes; do
	echo "$name: $bytes bytes in pages for $rows pairs: $((bytes / rows)) bytes per pair"
done
