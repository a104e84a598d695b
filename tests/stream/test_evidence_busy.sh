#!/bin/sh
# Issue 7.2: evidence must survive a store that another process keeps
# locked for longer than SQLite's busy timeout, and the stream's frames
# must not wait for it. A sqlite3 shell holds a write transaction (BEGIN
# IMMEDIATE) on the store from just after vigil connects until the test
# releases it; the stream (served by ffmpeg -listen on a free loopback port)
# shows a known image a few seconds in. The test checks, in this order,
# without timing thresholds:
#  - vigil reports that the store refused the evidence and that it retries
#    (the write waited out the busy timeout);
#  - frames were hashed between the action and that report (the stream's
#    thread did not wait for the store);
#  - stopped (SIGTERM) while the lock is still held, vigil says it waits
#    for the evidence and does not exit;
#  - once the lock is released, vigil stores the row and exits 0.
set -u
VIGIL=$1 EVLIST=$2 VIDEOS=$3 DEMO=$4
T=$(mktemp -d)
SERVER_PID="" VIGIL_PID="" LOCK_PID=""
cleanup() {
	touch "$T/release"
	[ -n "$VIGIL_PID" ] && kill -9 "$VIGIL_PID" 2>/dev/null
	[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null
	[ -n "$LOCK_PID" ] && wait "$LOCK_PID" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
export VIGIL_DB="$T/v.db"
fail=0
ok() { echo "ok - $1"; }
bad() { echo "FAIL - $1"; fail=1; }
now_ms() { date +%s%3N; }
# Waits (up to n tenths of a second) until command "$@" succeeds.
wait_for() {
	n=$1; shift
	while [ "$n" -gt 0 ]; do "$@" && return 0; sleep 0.1; n=$((n - 1)); done
	return 1
}

for p in ffmpeg sqlite3; do
	command -v $p >/dev/null 2>&1 || { echo "SKIP: $p not installed"; exit 77; }
done
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
		echo $(( ( $$ * 7 + $(date +%N | sed 's/^0*//;s/^$/0/') / 1000 ) % 20000 + 30000 ))
}

"$VIGIL" bank create known >/dev/null && "$VIGIL" hash "$DEMO/known/ladybird.jpg" |
	"$VIGIL" bank import known - 2>/dev/null && ok "bank with the known image" ||
	{ bad "bank"; exit 1; }

# 4 s of footage, 2 s of the known image, 16 s of footage.
F="scale=640:400,fps=25,format=yuv420p,setsar=1"
timeout 120 ffmpeg -nostdin -v error -y -i "$VIDEOS/chair-19-sd-bar.mp4" \
	-loop 1 -t 2 -i "$DEMO/known/ladybird.jpg" -i "$VIDEOS/chair-20-sd-bar.mp4" \
	-filter_complex "[0:v]trim=0:4,setpts=PTS-STARTPTS,$F[a];[1:v]$F[b];[2:v]trim=0:16,setpts=PTS-STARTPTS,$F[c];[a][b][c]concat=n=3:v=1[v]" \
	-map "[v]" -c:v libx264 -preset veryfast -crf 20 -g 25 -an -f flv "$T/src.flv" ||
	{ bad "cannot build the test stream"; exit 1; }

tries=0
while :; do
	URL=rtmp://127.0.0.1:$(free_port)/live/a
	timeout 90 ffmpeg -nostdin -v error -re -i "$T/src.flv" -c copy -f flv \
		-listen 1 "$URL" >"$T/server.log" 2>&1 &
	SERVER_PID=$!
	"$VIGIL" stream --max-runtime 120 --frame-events "$URL" \
		>"$T/events.jsonl" 2>"$T/vigil.err" &
	VIGIL_PID=$!
	wait_for 100 grep -q '"event":"connected"' "$T/events.jsonl" && break
	kill -9 "$VIGIL_PID" "$SERVER_PID" 2>/dev/null; wait 2>/dev/null
	VIGIL_PID="" SERVER_PID=""
	tries=$((tries + 1))
	[ $tries -ge 5 ] && { bad "no connection: $(cat "$T/server.log" "$T/vigil.err")"; exit 1; }
done
ok "vigil connected to $URL"

# The other process: a write transaction held until $T/release exists.
(
	echo "BEGIN IMMEDIATE;"
	echo "CREATE TABLE IF NOT EXISTS test_lock_holder(x);"
	echo ".shell touch '$T/locked'"
	while [ ! -f "$T/release" ]; do sleep 0.1; done
	echo "COMMIT;"
) | sqlite3 "$VIGIL_DB" >"$T/lock.log" 2>&1 &
LOCK_PID=$!
wait_for 100 test -f "$T/locked" && ok "another process holds the store's write lock" ||
	{ bad "lock: $(cat "$T/lock.log")"; exit 1; }
grep -q '"event":"match"' "$T/events.jsonl" &&
	bad "the match came before the lock (the test's ordering failed)"

# The match and its action, then (after the busy timeout) the refusal.
wait_for 300 grep -q '"event":"action"' "$T/events.jsonl" && ok "matched and acted" ||
	{ bad "no action: $(cat "$T/events.jsonl" "$T/vigil.err")"; exit 1; }
if wait_for 300 grep -q "evidence not stored yet" "$T/vigil.err"; then
	refused=$(now_ms)
	ok "the busy store refused the evidence; vigil retries: $(grep -m1 'not stored yet' "$T/vigil.err")"
else
	bad "no retry report: $(cat "$T/vigil.err")"
	refused=$(now_ms)
fi
acted=$(grep -m1 '"event":"action"' "$T/events.jsonl" | sed 's/.*"time_ms":\([0-9]*\).*/\1/')
during=$(awk -v a="$acted" -v b="$refused" -F'"time_ms":' '/"event":"frame"/ { split($2, t, ","); if (t[1] > a && t[1] < b) n++ } END { print n + 0 }' "$T/events.jsonl")
[ "$during" -ge 2 ] && ok "frames went on while the store was locked ($during hashed)" ||
	bad "the stream stalled behind the store ($during frames between the action and the refusal)"
grep -q '"event":"evidence"' "$T/events.jsonl" && bad "evidence stored while the lock was held?"

# Stop while the lock is held: vigil must wait for the evidence.
kill -TERM "$VIGIL_PID"
wait_for 100 grep -q "waiting for 1 evidence record" "$T/vigil.err" &&
	ok "stopped with the store locked: vigil waits for the evidence" ||
	bad "no wait on stop: $(cat "$T/vigil.err")"
kill -0 "$VIGIL_PID" 2>/dev/null && ok "still running while the evidence is pending" ||
	bad "vigil exited with the evidence pending"

touch "$T/release"
wait "$LOCK_PID"; LOCK_PID=""
wait "$VIGIL_PID"; rc=$?
VIGIL_PID=""
[ $rc -eq 0 ] && ok "lock released: vigil stored the evidence and exited 0" ||
	bad "rc=$rc: $(cat "$T/vigil.err")"
grep -q '"event":"evidence".*"bank":"known".*"evidence":[0-9]' "$T/events.jsonl" &&
	ok "evidence event" || bad "no evidence event: $(grep evidence "$T/events.jsonl")"
"$EVLIST" "$VIGIL_DB" >"$T/evidence" || bad "evidence list"
[ "$(wc -l <"$T/evidence")" -eq 1 ] && grep -q "^$URL	[0-9.]*	known	" "$T/evidence" &&
	ok "the evidence row is in the store" || bad "evidence rows: $(cat "$T/evidence")"
[ $fail -ne 0 ] && { sed 's/^/# /' "$T/vigil.err"; }
exit $fail
