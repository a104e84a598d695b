#!/bin/sh
# pg_import.sh VIGIL [LINES]: `vigil bank import` of one random hex list
# (LINES, default 200000) into SQLite and into PostgreSQL (COPY path), in
# one run; prints both times and the ratio. Run through tests/pg/pg_env.sh:
#   tests/pg/pg_env.sh bench/pg_import.sh build/vigil 200000
set -eu
VIGIL=$1 N=${2:-200000}
[ -n "${VIGIL_TEST_PG_URI:-}" ] || { echo "run through tests/pg/pg_env.sh" >&2; exit 2; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
python3 -c "
import random, sys
r = random.Random(1)
with open(sys.argv[1], 'w') as f:
    for i in range(int(sys.argv[2])): f.write('%064x\n' % r.getrandbits(256))
" "$T/list.txt" "$N"
ms() { date +%s%3N; }
"$VIGIL" bank create --db "$T/v.db" b >/dev/null
"$VIGIL" bank create --db "$VIGIL_TEST_PG_URI" b >/dev/null
t0=$(ms); "$VIGIL" bank import --db "$T/v.db" b "$T/list.txt" 2>/dev/null
t1=$(ms); "$VIGIL" bank import --db "$VIGIL_TEST_PG_URI" b "$T/list.txt" 2>/dev/null
t2=$(ms)
echo "import of $N lines: sqlite $((t1 - t0)) ms, postgresql (COPY) $((t2 - t1)) ms," \
	"ratio pg/sqlite $(echo "scale=2; ($t2 - $t1) / ($t1 - $t0)" | bc)"
