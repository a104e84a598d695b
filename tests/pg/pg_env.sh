#!/bin/sh
# pg_env.sh CMD [ARGS...] — runs CMD against a throwaway PostgreSQL 15
# cluster: initdb into a temporary folder (as the postgres user when run
# as root, since the server refuses to run as root), a free loopback port,
# trust authentication on loopback only, one empty database "vigil".
# CMD sees VIGIL_TEST_PG_URI (that database) and VIGIL_TEST_PG_BASE (the
# server, without a database). The cluster is stopped and deleted on exit,
# whatever CMD did. Exit status: CMD's (77, "skipped", if there is no
# PostgreSQL 15 here).
set -eu
BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
[ -x "$BIN/initdb" ] || { echo "pg_env: no $BIN/initdb (apt-get install postgresql)" >&2; exit 77; }
[ $# -ge 1 ] || { echo "usage: pg_env.sh CMD [ARGS...]" >&2; exit 2; }

dir=$(mktemp -d /tmp/vigil-pg-XXXXXX)
as_pg() { "$@"; }
if [ "$(id -u)" = 0 ]; then
	chown postgres "$dir"
	as_pg() { runuser -u postgres -- "$@"; }
fi
cleanup() {
	as_pg "$BIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 143' INT TERM

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as_pg "$BIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
	>"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
# fsync off: a test cluster need not survive a power cut, and it makes
# the many small commits of the tests cheap.
as_pg "$BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
	-o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60" \
	start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
"$BIN/psql" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c 'CREATE DATABASE vigil' >/dev/null

export VIGIL_TEST_PG_BASE="postgresql://postgres@127.0.0.1:$port"
export VIGIL_TEST_PG_URI="$VIGIL_TEST_PG_BASE/vigil"
export VIGIL_TEST_PG_LOG="$dir/server.log"
status=0
"$@" || status=$?
exit $status
