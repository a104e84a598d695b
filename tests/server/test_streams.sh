#!/bin/sh
# End-to-end: live streams inside `vigil serve`, fed by nginx-rtmp's
# on_publish / on_publish_done callbacks (nginx and ffmpeg on loopback, as
# tests/stream/test_stream.sh runs them).
#
# "hit" shows demo/known/ladybird.jpg (in a bank) for its first 2 s, then
# 8 s of benign footage: the server watches it from on_publish, so it must
# see the first seconds and cut the publisher (nginx-rtmp's control
# interface, --stream-cut-url) well before the stream's natural end. Then
# the same key is refused (it was cut), a --stream-block key is refused,
# on_publish_done removes the stream, and /v1/streams and /metrics say so.
# The test checks orderings, not latencies.
set -u
VIGIL=$1 VIDEOS=$2 DEMO=$3 HERE=$(dirname "$0")
T=$(mktemp -d)
SPID= NGINX_PID= RCV=
cleanup() {
	[ -n "$SPID" ] && kill -9 "$SPID" 2>/dev/null
	[ -n "$RCV" ] && kill "$RCV" 2>/dev/null
	[ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
. "$HERE/lib.sh"
export VIGIL_DB="$T/v.db"
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }

for p in nginx ffmpeg; do
	if ! command -v $p >/dev/null 2>&1 && ! [ -x /usr/sbin/$p ]; then
		echo "SKIP: $p not installed (scripts/deps.sh installs it)"; exit 77
	fi
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
RTMP_MOD=/usr/lib/nginx/modules/ngx_rtmp_module.so
[ -f "$RTMP_MOD" ] || { echo "SKIP: libnginx-mod-rtmp not installed"; exit 77; }

"$VIGIL" bank create known >/dev/null && "$VIGIL" hash "$DEMO/known/ladybird.jpg" |
	"$VIGIL" bank import known - 2>/dev/null || { bad "bank"; exit 1; }
ADMIN=$("$VIGIL" key create admin1 --role admin 2>/dev/null)
METRICS=$("$VIGIL" key create metrics1 --role metrics 2>/dev/null)
A="Authorization: Bearer $ADMIN"

SRC="$VIDEOS/chair-19-sd-bar.mp4"
F="scale=640:400,fps=25,format=yuv420p,setsar=1"
timeout 120 ffmpeg -nostdin -v error -y -loop 1 -t 2 -i "$DEMO/known/ladybird.jpg" -i "$SRC" \
	-filter_complex "[0:v]$F[a];[1:v]trim=0:8,setpts=PTS-STARTPTS,$F[b];[a][b]concat=n=2:v=1[v]" \
	-map "[v]" -c:v libx264 -preset veryfast -crf 20 -g 25 -an -f flv "$T/hit.flv" ||
	{ bad "cannot build the test stream"; exit 1; }
HIT_END=10

# A webhook receiver (checks signatures, dedupes by event id): a cut is a
# stream.cut event in the outbox.
python3 "$HERE/../pipeline/receiver.py" "$T/rport" "$T/rlog" s3cret & RCV=$!
i=0; while [ ! -s "$T/rport" ] && [ $i -lt 200 ]; do i=$((i + 1)); sleep 0.05; done
RPORT=$(cat "$T/rport")

# nginx-rtmp whose callbacks go to the server; the server watches nginx.
start_all() {
	mkdir -p "$T/ngx/logs" "$T/ngx/tmp"
	"$VIGIL" serve --listen "127.0.0.1:$SPORT" --db "$T/v.db" --log-level info \
		--trust-network 127.0.0.1 --rtmp-host "127.0.0.1:$RTMP_PORT" \
		--stream-block banned,live/also-banned \
		--webhook-url "http://127.0.0.1:$RPORT/hook" --webhook-secret s3cret \
		--webhook-allow 127.0.0.1 --webhook-poll 50 \
		--stream-cut-url "http://127.0.0.1:$HTTP_PORT/control/drop/publisher?app={app}&name={name}" \
		2>>"$T/server.log" &
	SPID=$!
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
		application live {
			live on; record off;
			on_publish http://127.0.0.1:$SPORT/v1/hooks/nginx-rtmp/on_publish;
			on_publish_done http://127.0.0.1:$SPORT/v1/hooks/nginx-rtmp/on_publish_done;
		}
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
	U="http://127.0.0.1:$SPORT"
	# Ready when both answer over HTTP (nginx binds every port before it
	# serves any); a loaded machine may take a while.
	i=0
	while [ $i -lt 100 ] && kill -0 "$NGINX_PID" 2>/dev/null && kill -0 "$SPID" 2>/dev/null; do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "$U/healthz")" = 200 ] &&
			[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/control/")" != 000 ] &&
			return 0
		i=$((i + 1)); sleep 0.1
	done
	kill "$NGINX_PID" "$SPID" 2>/dev/null
	wait "$NGINX_PID" "$SPID" 2>/dev/null
	NGINX_PID= SPID=
	return 1
}
tries=0
while :; do
	base=$(( ( $$ * 7 + $(date +%N | sed 's/^0*//;s/^$/0/') / 1000 ) % 20000 + 30000 ))
	RTMP_PORT=$base HTTP_PORT=$((base + 1)) SPORT=$((base + 2))
	start_all && break
	tries=$((tries + 1))
	[ $tries -ge 10 ] && { bad "nginx/server did not start: $(cat "$T/ngx/logs/error.log" "$T/server.log")"; exit 1; }
done
ok "server on :$SPORT, nginx-rtmp on :$RTMP_PORT (control :$HTTP_PORT)"
URL=rtmp://127.0.0.1:$RTMP_PORT/live

# The routes themselves.
st=$(code POST /v1/streams -H "$A" -d '{"url":"/etc/passwd"}')
check "POST /v1/streams: a path is not a stream URL" [ "$st" = 400 ]
st=$(code DELETE /v1/streams/999 -H "$A"); check "DELETE an unknown stream: 404" [ "$st" = 404 ]
st=$(code GET /v1/streams); check "/v1/streams needs a key even from a trusted network" [ "$st" = 401 ]
st=$(code POST /v1/hooks/nginx-rtmp/on_publish --interface 127.0.0.3 -d 'app=live&name=x')
check "hooks from an untrusted source need a key" [ "$st" = 401 ]
st=$(code POST /v1/hooks/nginx-rtmp/on_publish -d 'app=live&name=../x')
check "hook: a bad stream name is refused" [ "$st" = 400 ]

publish() { # publish NAME: start and end instants and ffmpeg's status
	s=$(now)
	timeout 60 ffmpeg -nostdin -v error -re -i "$T/hit.flv" -c copy -f flv "$URL/$1" \
		>"$T/$1.pub.log" 2>&1
	r=$?
	echo "$s $(now) $r" >"$T/$1.pub"
}

publish hit &
P1=$!
# Watched while it is published.
i=0 seen=0
while [ $i -lt 100 ] && kill -0 $P1 2>/dev/null; do
	code GET /v1/streams -H "$A" >/dev/null
	jq -e --arg u "$URL/hit" '.streams | map(select(.url == $u)) | length == 1' < "$T/body" >/dev/null && { seen=1; break; }
	i=$((i + 1)); sleep 0.1
done
check "on_publish: the stream is watched" [ $seen = 1 ]
wait $P1
read -r s e r <"$T/hit.pub"
ran=$(elapsed "$s" "$e")
echo "# hit: publisher ended ${ran}s after it started (known image in its first 2 s, natural end ${HIT_END}s), ffmpeg rc=$r"
# Cut by the server (not an ffmpeg failure): the match is logged, and the
# publisher ended well before the stream's end.
[ $seen = 1 ] && grep -q "live/hit: matched known entry .*: cut" "$T/server.log" && lt "$ran" "$((HIT_END - 2))" &&
	ok "hit stream cut from its first seconds (${ran}s < $((HIT_END - 2))s)" ||
	bad "hit stream not cut: ${ran}s rc=$r $(cat "$T/hit.pub.log")"

# The cut reached the platform as one signed stream.cut event.
i=0; while ! grep -q '^new .* stream.cut ' "$T/rlog" 2>/dev/null && [ $i -lt 200 ]; do i=$((i + 1)); sleep 0.05; done
check "stream.cut webhook delivered once, signed, naming the stream and bank" sh -c \
	"[ \$(grep -c '^new .* stream.cut ' '$T/rlog') = 1 ] && grep '^new .* stream.cut ' '$T/rlog' | grep -q 'live/hit' && grep '^new .* stream.cut ' '$T/rlog' | grep -q '\"bank\":\"known\"' && ! grep -q '^badsig' '$T/rlog'"

# on_publish_done took it off the monitor.
i=0
while [ $i -lt 150 ]; do
	code GET /v1/streams -H "$A" >/dev/null
	jq -e '.streams | length == 0' < "$T/body" >/dev/null && break
	i=$((i + 1)); sleep 0.1
done
check "on_publish_done: no longer watched, evidence stored" jq -e "(.streams | length == 0) and .evidence.stored >= 1" "$T/body"

# The cut key, and blocked keys, are refused: the publisher is dropped.
for k in hit banned also-banned; do
	publish $k
	read -r s e r <"$T/$k.pub"
	[ "$r" != 0 ] && lt "$(elapsed "$s" "$e")" 5 && ok "key '$k' refused on publish (ffmpeg rc=$r)" ||
		bad "key '$k' was not refused: rc=$r $(elapsed "$s" "$e")s"
done
grep -q "on_publish live/hit.*blocked key" "$T/server.log" && ok "the refusal is logged" || bad "no refusal in the log"
st=$(code POST /v1/hooks/nginx-rtmp/on_publish -d 'call=publish&app=live&name=banned')
check "hook: blocked key answers 403" [ "$st" = 403 ]
st=$(code POST /v1/hooks/nginx-rtmp/on_publish -d 'call=publish&app=live&name=fresh')
check "hook: another key is accepted (2xx)" [ "$st" = 200 ]
code POST /v1/hooks/nginx-rtmp/on_publish_done -d 'call=publish_done&app=live&name=fresh' >/dev/null
check "hook: publish_done removes it" jq -e '.removed == 1' "$T/body"

code GET /metrics -H "Authorization: Bearer $METRICS" >/dev/null
check "metrics: one cut, stream matches by bank" sh -c "grep -q '^vigil_stream_cuts_total 1' '$T/body' && grep -q '^vigil_stream_matches_total{bank=\"known\"}' '$T/body' && grep -q '^vigil_streams_watched 0' '$T/body'"

# SIGTERM: the monitor stops with the server, exit 0.
check "SIGTERM: exit 0" stop
# A restart still refuses the cut key (remembered through the evidence).
kill "$NGINX_PID" 2>/dev/null; wait "$NGINX_PID" 2>/dev/null; NGINX_PID=
start_all || { bad "restart"; exit 1; }
st=$(code POST /v1/hooks/nginx-rtmp/on_publish -d 'call=publish&app=live&name=hit')
check "after a restart the cut key is still refused" [ "$st" = 403 ]
check "SIGTERM: exit 0" stop
[ $fail -ne 0 ] && { echo "# server log:"; sed 's/^/# /' "$T/server.log" | tail -40; }
exit $fail
