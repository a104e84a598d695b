#!/bin/sh
# bench_snapshot.sh BUILD [N [STORE [ROUNDS]]] — matcher start-up at N entries from an
# index snapshot against a rebuild from the store, in one run: N random
# hashes (bench/gen_hashes) imported with `vigil bank import` into STORE (a
# new SQLite file in a temporary folder by default; a postgresql:// URI to
# bench that backend, e.g. under tests/pg/pg_env.sh:
#   tests/pg/pg_env.sh sh -c 'bench/bench_snapshot.sh build 1000000 "$VIGIL_TEST_PG_URI"'),
# then bench/bench_snapshot (rebuild vs snapshot, best of ROUNDS (3), then a replay of
# 10,000 adds and the answers compared with a rebuild's).
set -eu
BUILD=${1:-build}
N=${2:-1000000}
T=$(mktemp -d "${TMPDIR:-/tmp}/vigil-snap-XXXXXX")
trap 'rm -rf "$T"' EXIT
STORE=${3:-$T/bench.db}
ROUNDS=${4:-3}
export VIGIL_DB="$STORE"
"$BUILD/bench/gen_hashes" "$N" > "$T/list.csv"
"$BUILD/vigil" bank create bench >/dev/null
t0=$(date +%s.%N)
"$BUILD/vigil" bank import --no-progress bench "$T/list.csv" >/dev/null
t1=$(date +%s.%N)
echo "import of $N lines: $(echo "$t1 - $t0" | bc) s"
rm -f "$T/list.csv"
"$BUILD/bench/bench_snapshot" "$STORE" "$T/index.snap" "$ROUNDS" 10000
