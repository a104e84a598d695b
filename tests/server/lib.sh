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
