#!/bin/sh
# Issue 14.2: `vigil stream` picks up bank changes without a restart, and
# matches a mirrored image. A looped stream (served by ffmpeg -listen over
# HTTP) shows demo/known/ladybird.jpg flipped left-right for 2 s every 4.4 s;
# the store starts without it (another image in a bank, so the matcher is
# not empty).
#   1. --reload 0.5: importing the image's hash while the stream runs gives
#      a "reloaded" event and then a match of a flipped variant (the
#      default: dihedral on), with no match before the import; the evidence
#      written afterwards (it changes the store file) reloads nothing.
#   2. --reload 0 (no polling): an import gives nothing until SIGHUP; then
#      "reloaded" and a match.
set -u
VIGIL=$1 SRC=$2
IMG=$SRC/demo/known/ladybird.jpg
T=$(mktemp -d)
SERVER_PID="" VIGIL_PID=""
cleanup() {
	[ -n "$VIGIL_PID" ] && kill "$VIGIL_PID" 2>/dev/null
	[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
fail=0
ok() { echo "ok - $1"; }
bad() { echo "FAIL - $1"; fail=1; }
command -v ffmpeg >/dev/null 2>&1 || { echo "SKIP: ffmpeg not installed"; exit 77; }
. "$SRC/tests/stream/appear.sh"
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# Waits up to $2 tenths of a second for a line matching $1 in the events.
wait_for() {
	n=0
	while ! grep -q "$1" "$T/ev.jsonl" 2>/dev/null; do
		n=$((n + 1))
		[ $n -gt "$2" ] && return 1
		sleep 0.1
	done
}
on=$(appear_onsets 50 2)
# shellcheck disable=SC2086
appear_make "$T/f.flv" "$IMG" 50 0 2 1 $on || { bad "encode"; exit 1; }

# $1: --reload value. Starts the server and vigil on a fresh store.
start() {
	export VIGIL_DB="$T/v$1.db"
	"$VIGIL" bank create other >/dev/null &&
		"$VIGIL" hash "$SRC/demo/known/storm.jpg" | "$VIGIL" bank import other - 2>/dev/null ||
		{ bad "store"; exit 1; }
	port=$(free_port)
	URL=http://127.0.0.1:$port/a.flv
	timeout 60 ffmpeg -nostdin -v error -re -stream_loop -1 -i "$T/f.flv" -c copy -f flv \
		-listen 1 "$URL" >"$T/server.log" 2>&1 &
	SERVER_PID=$!
	: >"$T/ev.jsonl"
	# --cooldown 0: every matching sample is acted on and its evidence
	# written to the store, which changes the file without a bank change.
	"$VIGIL" stream --max-runtime 40 --cooldown 0 --reload "$1" "$URL" >"$T/ev.jsonl" 2>"$T/err" &
	VIGIL_PID=$!
	wait_for '"event":"connected"' 100 || { bad "no connection: $(cat "$T/err" "$T/server.log")"; exit 1; }
	# Two appearances go by unmatched (the image is not in a bank yet).
	sleep 5
	grep -q '"event":"match"' "$T/ev.jsonl" && bad "a match before the import" ||
		ok "reload $1: no match before the image is in a bank"
	"$VIGIL" bank create known >/dev/null &&
		"$VIGIL" hash "$IMG" | "$VIGIL" bank import known - 2>/dev/null || bad "import"
}
stop() {
	kill "$VIGIL_PID" 2>/dev/null; wait "$VIGIL_PID" 2>/dev/null; VIGIL_PID=""
	kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=""
}

start 0.5
wait_for '"event":"reloaded"' 50 && ok "reload 0.5: banks reloaded after the import" ||
	bad "reload 0.5: no reload: $(cat "$T/ev.jsonl")"
wait_for '"event":"match".*"bank":"known"' 100 && ok "reload 0.5: then matched" ||
	bad "reload 0.5: no match after the reload"
v=$(grep '"event":"match"' "$T/ev.jsonl" | head -n 1 | sed -n 's/.*"variant":"\([^"]*\)".*/\1/p')
[ -n "$v" ] && [ "$v" != orig ] && ok "the mirrored image matched as variant $v" ||
	bad "variant of the match: '$v'"
# Evidence rows keep landing (one per matching sample); they change the
# file, not the banks: no further reload.
wait_for '"event":"evidence"' 50 || bad "no evidence written"
sleep 3
ev=$(grep -c '"event":"evidence"' "$T/ev.jsonl")
# Reloads after the first evidence line (bank create and import before it
# may each have given one).
nr=$(awk '/"event":"evidence"/ { e = 1 } e && /"event":"reloaded"/ { n++ } END { print n + 0 }' "$T/ev.jsonl")
[ "$ev" -ge 2 ] && [ "$nr" -eq 0 ] && ok "$ev evidence writes, no reload after them" ||
	bad "$nr reloads after $ev evidence writes"
stop

start 0
sleep 5
grep -q '"event":"reloaded"\|"event":"match"' "$T/ev.jsonl" && bad "reload 0: reloaded without SIGHUP" ||
	ok "reload 0: the import is not seen without a signal"
kill -HUP "$VIGIL_PID"
wait_for '"event":"reloaded"' 50 && ok "SIGHUP: banks reloaded" || bad "SIGHUP: no reload"
wait_for '"event":"match".*"bank":"known"' 100 && ok "SIGHUP: then matched" ||
	bad "SIGHUP: no match after the reload: $(cat "$T/ev.jsonl")"
kill -0 "$VIGIL_PID" 2>/dev/null && ok "still running after SIGHUP" || bad "vigil exited on SIGHUP"
stop
exit $fail
