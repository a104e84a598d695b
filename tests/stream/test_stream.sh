#!/bin/sh
# End-to-end: `vigil stream` against a real nginx-rtmp on loopback.
#
# Two streams are published with ffmpeg -re (at real speed) from benign
# footage: "hit" shows demo/known/ladybird.jpg (in a test bank) from 6 s to
# 10 s of its 18 s; "clean" is 14 s of footage only. vigil watches both and,
# on a match, drops the publisher through nginx-rtmp's control interface and
# runs a program. The test checks orderings, not latencies: hit's publisher
# is cut after the image started and before its natural end; clean runs to
# its end untouched; the evidence row and the program's environment say what
# matched. Everything lives in a temp dir; nginx runs as the current user
# (daemon off, master_process off) on 127.0.0.1 only, on free ports.
set -u
VIGIL=$1 EVLIST=$2 VIDEOS=$3 DEMO=$4
T=$(mktemp -d)
NGINX_PID="" VIGIL_PID=""
cleanup() {
	[ -n "$VIGIL_PID" ] && kill "$VIGIL_PID" 2>/dev/null
	[ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
export VIGIL_DB="$T/v.db"
fail=0
ok() { echo "ok - $1"; }
bad() { echo "FAIL - $1"; fail=1; }
now() { date +%s.%N; }
# awk's arithmetic on the two instants: prints b - a.
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
# awk as the comparison: true if a < b.
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }

for p in nginx ffmpeg; do
	if ! command -v $p >/dev/null 2>&1 && ! [ -x /usr/sbin/$p ]; then
		echo "SKIP: $p not installed (scripts/deps.sh installs it)"
		exit 77
	fi
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
RTMP_MOD=/usr/lib/nginx/modules/ngx_rtmp_module.so
[ -f "$RTMP_MOD" ] || { echo "SKIP: libnginx-mod-rtmp not installed"; exit 77; }

# --- usage errors and an unreachable stream, without nginx ---------------
"$VIGIL" stream 2>/dev/null; [ $? -eq 2 ] && ok "no URL is a usage error" || bad "no URL"
"$VIGIL" stream /etc/passwd 2>/dev/null; [ $? -eq 2 ] && ok "a path is not a stream URL" || bad "path URL"
"$VIGIL" stream --http 'http://x/{nope}' rtmp://127.0.0.1/a/b 2>/dev/null
[ $? -eq 2 ] && ok "unknown placeholder is a usage error" || bad "placeholder"
"$VIGIL" stream --interval x rtmp://127.0.0.1/a/b 2>/dev/null; [ $? -eq 2 ] && ok "bad interval" || bad "bad interval"
i=0 many=""
while [ $i -lt 257 ]; do many="$many rtmp://127.0.0.1/a/s$i"; i=$((i + 1)); done
# shellcheck disable=SC2086
"$VIGIL" stream $many 2>"$T/err"; [ $? -eq 2 ] && grep -q "at most 256" "$T/err" &&
	ok "at most 256 streams" || bad "stream limit"
"$VIGIL" bank create known >/dev/null && "$VIGIL" hash "$DEMO/known/ladybird.jpg" |
	"$VIGIL" bank import known - 2>/dev/null && ok "bank with the known image" || bad "bank"
# Port 1 on loopback refuses: errors are reported, retried, and the run
# still ends cleanly at --max-runtime.
timeout 30 "$VIGIL" stream --max-runtime 2 --timeout 1 rtmp://127.0.0.1:1/live/x \
	>"$T/unreach.jsonl" 2>"$T/err"; rc=$?
[ $rc -eq 0 ] && [ "$(grep -c '"event":"error"' "$T/unreach.jsonl")" -ge 2 ] &&
	ok "unreachable stream: errors, retries, exit 0" ||
	bad "unreachable: rc=$rc $(cat "$T/unreach.jsonl" "$T/err")"

# --- the test streams -----------------------------------------------------
SRC="$VIDEOS/chair-19-sd-bar.mp4"
F="scale=640:400,fps=25,format=yuv420p,setsar=1"
timeout 120 ffmpeg -nostdin -v error -y -i "$SRC" -loop 1 -t 4 -i "$DEMO/known/ladybird.jpg" \
	-filter_complex "[0:v]trim=0:6,setpts=PTS-STARTPTS,$F[a];[1:v]$F[b];[0:v]trim=6:14,setpts=PTS-STARTPTS,$F[c];[a][b][c]concat=n=3:v=1[v]" \
	-map "[v]" -c:v libx264 -preset veryfast -crf 20 -g 25 -an -f flv "$T/hit.flv" &&
timeout 120 ffmpeg -nostdin -v error -y -i "$SRC" \
	-filter_complex "[0:v]trim=0:14,setpts=PTS-STARTPTS,$F[v]" \
	-map "[v]" -c:v libx264 -preset veryfast -crf 20 -g 25 -an -f flv "$T/clean.flv" ||
	{ bad "cannot build the test streams"; exit 1; }
IMAGE_AT=6 HIT_END=18 CLEAN_END=14

# --- nginx-rtmp on free loopback ports --------------------------------------
start_nginx() {
	mkdir -p "$T/ngx/logs" "$T/ngx/tmp"
	cat >"$T/ngx/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $T/ngx/nginx.pid;
error_log $T/ngx/logs/error.log info;
load_module $RTMP_MOD;
events { worker_connections 256; }
rtmp {
	server {
		listen 127.0.0.1:$RTMP_PORT;
		chunk_size 4096;
		application live { live on; record off; }
	}
}
http {
	access_log $T/ngx/logs/access.log;
	client_body_temp_path $T/ngx/tmp/body;
	proxy_temp_path $T/ngx/tmp/proxy;
	fastcgi_temp_path $T/ngx/tmp/fastcgi;
	uwsgi_temp_path $T/ngx/tmp/uwsgi;
	scgi_temp_path $T/ngx/tmp/scgi;
	server {
		listen 127.0.0.1:$HTTP_PORT;
		location /control { rtmp_control all; }
	}
}
EOF
	"$NGINX" -p "$T/ngx" -c "$T/ngx/nginx.conf" -e "$T/ngx/logs/error.log" \
		>"$T/ngx/out.log" 2>&1 &
	NGINX_PID=$!
	# nginx binds before it serves; alive after a second means both ports
	# were free.
	sleep 1
	kill -0 "$NGINX_PID" 2>/dev/null && return 0
	wait "$NGINX_PID" 2>/dev/null
	NGINX_PID=""
	return 1
}
tries=0
while :; do
	# Ports from a shuffled range; a clash only costs another try.
	base=$(( ( $$ * 7 + $(date +%N | sed 's/^0*//;s/^$/0/') / 1000 ) % 20000 + 30000 ))
	RTMP_PORT=$base HTTP_PORT=$((base + 1))
	start_nginx && break
	tries=$((tries + 1))
	[ $tries -ge 10 ] && { bad "nginx did not start: $(cat "$T/ngx/logs/error.log" "$T/ngx/out.log")"; exit 1; }
done
ok "nginx-rtmp on 127.0.0.1:$RTMP_PORT (control on :$HTTP_PORT)"

# The program action writes what it was told.
cat >"$T/on-match.sh" <<EOF
#!/bin/sh
env | grep '^VIGIL_' | sort > "$T/on-match.env"
EOF
chmod +x "$T/on-match.sh"

URL=rtmp://127.0.0.1:$RTMP_PORT/live
# Bounded by --max-runtime (not timeout(1), which would stand between the
# test's SIGTERM and vigil).
"$VIGIL" stream --max-runtime 90 --timeout 5 --summary 5 \
	--http "http://127.0.0.1:$HTTP_PORT/control/drop/publisher?app={app}&name={name}" \
	--exec "$T/on-match.sh" "$URL/hit" "$URL/clean" >"$T/events.jsonl" 2>"$T/vigil.err" &
VIGIL_PID=$!
sleep 1

# Both publishers at once; each records its start and end instants.
publish() {
	s=$(now)
	timeout 60 ffmpeg -nostdin -v error -re -i "$T/$1.flv" -c copy -f flv "$URL/$1" \
		>"$T/$1.pub.log" 2>&1
	r=$?
	echo "$s $(now) $r" >"$T/$1.pub"
}
publish hit &
P1=$!
publish clean &
P2=$!
wait $P1 $P2

read -r s e r <"$T/hit.pub"
cut=$(elapsed "$s" "$e")
echo "# hit: publisher ended ${cut}s after it started (image at ${IMAGE_AT}s, end at ${HIT_END}s), ffmpeg rc=$r"
lt "$IMAGE_AT" "$cut" && lt "$cut" "$((HIT_END - 1))" &&
	ok "hit stream cut after the image appeared, before its end (+$(elapsed "$IMAGE_AT" "$cut")s)" ||
	bad "hit stream not cut in time: ${cut}s rc=$r $(cat "$T/hit.pub.log")"
read -r s e r <"$T/clean.pub"
ran=$(elapsed "$s" "$e")
echo "# clean: publisher ran ${ran}s (end at ${CLEAN_END}s), ffmpeg rc=$r"
[ "$r" -eq 0 ] && lt "$((CLEAN_END - 1))" "$ran" && ok "clean stream never cut" ||
	bad "clean stream cut: ${ran}s rc=$r $(cat "$T/clean.pub.log")"

# Graceful shutdown: SIGTERM stops every thread, exit status 0.
kill -TERM "$VIGIL_PID"
wait "$VIGIL_PID"; rc=$?
VIGIL_PID=""
[ $rc -eq 0 ] && ok "SIGTERM: exit 0" || bad "SIGTERM: rc=$rc $(tail -5 "$T/vigil.err")"

grep -q '"stream":"'"$URL"'/hit","event":"connected"' "$T/events.jsonl" &&
	grep -q '"stream":"'"$URL"'/clean","event":"connected"' "$T/events.jsonl" &&
	ok "connected events" || bad "connected: $(cat "$T/events.jsonl")"
grep '"event":"match"' "$T/events.jsonl" | grep -q '"stream":"'"$URL"'/hit".*"bank":"known".*"acted":true' &&
	ok "match event" || bad "match event: $(cat "$T/events.jsonl")"
grep '"event":"action"' "$T/events.jsonl" | grep -q '"ok":true,.*drop/publisher.*-> 200' &&
	ok "action event: drop answered 200" || bad "action: $(grep action "$T/events.jsonl")"
! grep '"event":"\(match\|action\)"' "$T/events.jsonl" | grep -q "/clean\"" &&
	ok "no match on the clean stream" || bad "clean matched: $(grep clean "$T/events.jsonl")"
"$EVLIST" "$VIGIL_DB" >"$T/evidence" || bad "evidence list"
[ "$(wc -l <"$T/evidence")" -eq 1 ] && grep -q "^$URL/hit	[0-9.]*	known	[0-9]*	[0-9]*	[0-9a-f]\{64\}	GET .*drop/publisher.*-> 200" "$T/evidence" &&
	ok "one evidence row for the hit" || bad "evidence: $(cat "$T/evidence")"
grep -q "^VIGIL_BANK=known$" "$T/on-match.env" 2>/dev/null &&
	grep -q "^VIGIL_STREAM=$URL/hit$" "$T/on-match.env" &&
	grep -q "^VIGIL_NAME=hit$" "$T/on-match.env" && grep -q "^VIGIL_DISTANCE=[0-9]*$" "$T/on-match.env" &&
	ok "program ran with the match in its environment" ||
	bad "exec env: $(cat "$T/on-match.env" 2>&1)"
[ $fail -ne 0 ] && { echo "# events:"; sed 's/^/# /' "$T/events.jsonl"; sed 's/^/# /' "$T/vigil.err"; }
exit $fail
