#!/bin/sh
# Issue 7.1: `vigil stream` must hash a live stream from its first frame,
# not from its second keyframe. A stream whose first second shows a known
# image (demo/known/ladybird.jpg, in a test bank) and whose keyframes are
# 12 s apart (-g 300 at 25 fps) is served by ffmpeg itself (-listen 1) over
# RTMP and over HTTP on a free loopback port. For each, the first "frame"
# event must carry the vPDQ of frame 0 of the same source, as
# `vigil hash --algo vpdq` computes it from the file, at its timestamp in
# the stream (what ffprobe reads from the file), and the
# known image must be matched in that first second.
set -u
VIGIL=$1 VIDEOS=$2 DEMO=$3
T=$(mktemp -d)
SERVER_PID="" VIGIL_PID=""
cleanup() {
	[ -n "$VIGIL_PID" ] && kill "$VIGIL_PID" 2>/dev/null
	[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
export VIGIL_DB="$T/v.db"
fail=0
ok() { echo "ok - $1"; }
bad() { echo "FAIL - $1"; fail=1; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }

command -v ffmpeg >/dev/null 2>&1 || { echo "SKIP: ffmpeg not installed"; exit 77; }

# A free port: the kernel picks one (bind to port 0), python3 reports it.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
		echo $(( ( $$ * 7 + $(date +%N | sed 's/^0*//;s/^$/0/') / 1000 ) % 20000 + 30000 ))
}

"$VIGIL" bank create known >/dev/null && "$VIGIL" hash "$DEMO/known/ladybird.jpg" |
	"$VIGIL" bank import known - 2>/dev/null && ok "bank with the known image" ||
	{ bad "bank"; exit 1; }

# 1 s of the known image, then 5 s of benign footage; one keyframe per 12 s.
F="scale=640:400,fps=25,format=yuv420p,setsar=1"
timeout 120 ffmpeg -nostdin -v error -y -loop 1 -t 1 -i "$DEMO/known/ladybird.jpg" \
	-i "$VIDEOS/chair-19-sd-bar.mp4" \
	-filter_complex "[0:v]$F[a];[1:v]trim=0:5,setpts=PTS-STARTPTS,$F[b];[a][b]concat=n=2:v=1[v]" \
	-map "[v]" -c:v libx264 -preset veryfast -crf 20 -g 300 -an -f flv "$T/src.flv" ||
	{ bad "cannot build the test stream"; exit 1; }
EXPECT=$("$VIGIL" hash --algo vpdq "$T/src.flv" | head -n 1 | cut -d, -f3)
[ ${#EXPECT} -eq 64 ] && ok "frame 0 of the source: $EXPECT" || { bad "vpdq of the source"; exit 1; }
# Its position in the stream: its timestamp, as ffprobe reads it from the
# same file (x264's B-frame delay puts it a little after 0).
AT=$(ffprobe -v error -select_streams v:0 -read_intervals "%+#1" -show_entries \
	frame=best_effort_timestamp_time -of csv=p=0 "$T/src.flv" | head -n 1 |
	awk '{ printf "%.3f", $1 }')
[ -n "$AT" ] && ok "frame 0 is at $AT s" || { bad "ffprobe of the source"; exit 1; }

# $1: rtmp or http. Serves the file once at real speed with ffmpeg -listen
# and watches it until it ends.
watch_once() {
	proto=$1 tries=0
	while :; do
		port=$(free_port)
		case $proto in
		rtmp) URL=rtmp://127.0.0.1:$port/live/a ;;
		http) URL=http://127.0.0.1:$port/a.flv ;;
		esac
		timeout 60 ffmpeg -nostdin -v error -re -i "$T/src.flv" -c copy -f flv \
			-listen 1 "$URL" >"$T/$proto.server.log" 2>&1 &
		SERVER_PID=$!
		# vigil retries until the server listens; a server that died
		# at once lost its port to someone else: take another.
		"$VIGIL" stream --max-runtime 20 --frame-events "$URL" \
			>"$T/$proto.jsonl" 2>"$T/$proto.err" &
		VIGIL_PID=$!
		wait "$SERVER_PID"; src=$?
		SERVER_PID=""
		grep -q '"event":"frame"' "$T/$proto.jsonl" && break
		kill "$VIGIL_PID" 2>/dev/null; wait "$VIGIL_PID" 2>/dev/null; VIGIL_PID=""
		tries=$((tries + 1))
		[ $tries -ge 5 ] && { bad "$proto: no frame after $tries tries (server rc=$src): $(cat "$T/$proto.server.log" "$T/$proto.err")"; return 1; }
	done
	kill -TERM "$VIGIL_PID"; wait "$VIGIL_PID"; VIGIL_PID=""
	first=$(grep '"event":"frame"' "$T/$proto.jsonl" | head -n 1)
	echo "# $proto: first frame event: $first"
	echo "$first" | grep -q "\"seconds\":$AT,\"hash\":\"$EXPECT\"" &&
		ok "$proto: the first hashed frame is frame 0, at its stream time $AT s" ||
		bad "$proto: first frame is not frame 0 ($EXPECT)"
	m=$(grep '"event":"match"' "$T/$proto.jsonl" | grep '"bank":"known"' | head -n 1)
	secs=$(echo "$m" | sed -n 's/.*"seconds":\([0-9.]*\).*/\1/p')
	[ -n "$secs" ] && lt "$secs" 1 &&
		ok "$proto: the known image is matched in the first second (at ${secs} s)" ||
		bad "$proto: no match in the first second: $(cat "$T/$proto.jsonl")"
}
watch_once rtmp
watch_once http
exit $fail
