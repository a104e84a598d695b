#!/bin/sh
# serve_rss.sh VIGIL [ENTRIES]: the resident memory of `vigil serve` once
# ready, with an empty store and with one bank of ENTRIES random PDQ hashes
# (default 1000000), measured in one run (VmRSS, /proc/PID/status); prints
# both and the memory per million entries, on SQLite and, when run through
# tests/pg/pg_env.sh, on PostgreSQL too:
#   bench/serve_rss.sh build/vigil 1000000
#   tests/pg/pg_env.sh bench/serve_rss.sh build/vigil 1000000
set -eu
VIGIL=$1 N=${2:-1000000}
T=$(mktemp -d)
PID=
trap '[ -n "$PID" ] && kill $PID 2>/dev/null; rm -rf "$T"' EXIT
python3 -c "
import random, sys
r = random.Random(1)
with open(sys.argv[1], 'w') as f:
    for i in range(int(sys.argv[2])): f.write('%064x\n' % r.getrandbits(256))
" "$T/list.txt" "$N"
# rss DB: kB resident once /readyz answers 200.
rss() {
	rm -f "$T/port"
	"$VIGIL" serve --db "$1" --listen 127.0.0.1:0 --port-file "$T/port" --log-level error 2>/dev/null &
	PID=$!
	while [ ! -s "$T/port" ]; do sleep 0.1; done
	until curl -sf -o /dev/null "http://127.0.0.1:$(cat "$T/port")/readyz"; do sleep 0.1; done
	sleep 1
	awk '/^VmRSS/ {print $2}' "/proc/$PID/status"
	kill $PID; wait $PID || true; PID=
}
"$VIGIL" bank create --db "$T/empty.db" b >/dev/null
"$VIGIL" bank create --db "$T/full.db" b >/dev/null
"$VIGIL" bank import --db "$T/full.db" b "$T/list.txt" 2>/dev/null
e=$(rss "$T/empty.db")
f=$(rss "$T/full.db")
echo "sqlite: vigil serve RSS: empty $((e / 1024)) MiB, $N entries $((f / 1024)) MiB;" \
	"per million entries $(( (f - e) * 1000000 / N / 1024 )) MiB"
[ -n "${VIGIL_TEST_PG_URI:-}" ] || exit 0
psql -qAt "$VIGIL_TEST_PG_BASE/postgres" -c "CREATE DATABASE rss_empty" -c "CREATE DATABASE rss_full"
"$VIGIL" bank create --db "$VIGIL_TEST_PG_BASE/rss_empty" b >/dev/null
"$VIGIL" bank create --db "$VIGIL_TEST_PG_BASE/rss_full" b >/dev/null
"$VIGIL" bank import --db "$VIGIL_TEST_PG_BASE/rss_full" b "$T/list.txt" 2>/dev/null
e=$(rss "$VIGIL_TEST_PG_BASE/rss_empty")
f=$(rss "$VIGIL_TEST_PG_BASE/rss_full")
echo "postgresql: vigil serve RSS: empty $((e / 1024)) MiB, $N entries $((f / 1024)) MiB;" \
	"per million entries $(( (f - e) * 1000000 / N / 1024 )) MiB"
