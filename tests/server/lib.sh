# lib.sh — shared by the server tests: start `vigil serve` on an ephemeral
# loopback port with a temporary store, talk to it with curl, stop it.
# Sourced; expects VIGIL and T (a temporary directory) to be set.
fail=0
ok() { echo "ok - $1"; }
bad() { echo "FAIL - $1"; fail=1; }
check() { # check NAME CONDITION-COMMAND...
	name=$1
	shift
	if "$@"; then ok "$name"; else bad "$name"; fi
}

# start [ARGS...]: runs the server in the background (PID in $SPID, base URL
# in $U) and waits for its port file.
start() {
	rm -f "$T/port"
	"$VIGIL" serve --listen 127.0.0.1:0 --db "${VIGIL_DB:-$T/v.db}" --port-file "$T/port" \
		--log-level warn "$@" 2>>"$T/server.log" &
	SPID=$!
	i=0
	while [ ! -s "$T/port" ]; do
		i=$((i + 1))
		if [ $i -gt 600 ] || ! kill -0 $SPID 2>/dev/null; then
			echo "server did not start:"; cat "$T/server.log"; exit 1
		fi
		sleep 0.05
	done
	U="http://127.0.0.1:$(cat "$T/port")"
}

# stop: SIGTERM, and the exit status must be 0.
stop() {
	kill -TERM $SPID
	wait $SPID
	src=$?
	SPID=
	return $src
}

# code METHOD PATH [CURL-ARGS...]: prints the HTTP status; the body is in $T/body.
code() {
	m=$1 p=$2
	shift 2
	curl -s -o "$T/body" -w '%{http_code}' -X "$m" "$@" "$U$p"
}

# errcode: the "code" of the error body in $T/body.
errcode() { jq -r '.error.code' < "$T/body" 2>/dev/null; }

# The store of a test: SQLite in $T, or PostgreSQL when tests/pg/pg_env.sh
# runs the script again ($VIGIL_TEST_PG_URI). store_uri NAME prints a fresh
# store's URI: $T/NAME.db, or on PostgreSQL the test database for "v" and a
# new database NAME otherwise.
on_pg() { [ -n "${VIGIL_TEST_PG_URI:-}" ]; }
store_uri() {
	if ! on_pg; then echo "$T/$1.db"
	elif [ "$1" = v ]; then echo "$VIGIL_TEST_PG_URI"
	else
		psql -qAt "$VIGIL_TEST_PG_BASE/postgres" -c "CREATE DATABASE \"$1\"" >/dev/null &&
			echo "$VIGIL_TEST_PG_BASE/$1"
	fi
}
# store_sql STORE SQL: the rows of one statement (a|b lines), read with the
# backend's own client, so a test sees what is really in the database.
store_sql() {
	case $1 in
	postgres*) psql -qAt "$1" -c "$2" ;;
	*) sqlite3 "$1" "$2" ;;
	esac
}
