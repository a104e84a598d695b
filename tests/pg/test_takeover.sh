#!/bin/sh
# Issue 11's done-means with work in flight: three `vigil serve` instances
# on one store (PostgreSQL when run by tests/pg/pg_env.sh, else one SQLite
# file), a video job and a watched live stream held by instance 1, then
# kill -9 of instance 1:
#   - the job (held between its start and its hashing by the test hook
#     VIGIL_TEST_JOB_PAUSE_MS, on instance 1 only) is taken over by a
#     survivor once its lease expired and completes once: one verdict row
#     in the outbox, one audit row, status "done" from any instance;
#   - the stream (ffmpeg into nginx-rtmp, a testsrc2 background in which a
#     bank image appears only after the kill) is taken over by a survivor,
#     which watches the same URL and cuts the publisher on the match; its
#     lease (stream_lease, default 3 s) is shorter than the job's
#     (work_lease 30 s here), so it is taken over while the job still
#     waits for its lease to expire. The gap from the kill to a survivor
#     watching is printed (measured, not asserted).
# The test checks orderings and counts, not latencies.
set -u
VIGIL=$1 RECEIVER=$2 DEMO=$3 HERE=$(dirname "$0")/../server
T=$(mktemp -d)
SPID= RCV= NGINX_PID= FF=
P1= P2= P3=
cleanup() {
	for p in $P1 $P2 $P3 $RCV $FF $NGINX_PID; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
. "$HERE/lib.sh"
for p in nginx ffmpeg jq; do
	if ! command -v $p >/dev/null 2>&1 && ! [ -x /usr/sbin/$p ]; then
		echo "SKIP: $p not installed (scripts/deps.sh installs it)"; exit 77
	fi
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
RTMP_MOD=/usr/lib/nginx/modules/ngx_rtmp_module.so
[ -f "$RTMP_MOD" ] || { echo "SKIP: libnginx-mod-rtmp not installed"; exit 77; }
if on_pg; then export VIGIL_DB="$VIGIL_TEST_PG_URI"; else export VIGIL_DB="$T/v.db"; fi
q() { store_sql "$VIGIL_DB" "$1"; }
wait_for() { i=0; while ! eval "$1"; do i=$((i + 1)); [ $i -gt ${2:-1200} ] && return 1; sleep 0.05; done; }
echo "# store: ${VIGIL_DB%%\?*}"

# Both bank images: aqua is in the video, ladybird appears in the stream.
"$VIGIL" hash "$DEMO/known/aqua.jpg" "$DEMO/known/ladybird.jpg" > "$T/known.csv"
"$VIGIL" bank create known --action block >/dev/null &&
	"$VIGIL" bank import known "$T/known.csv" 2>/dev/null || { bad "bank"; exit 1; }
SUB=$("$VIGIL" key create uploader --role submit 2>/dev/null | tail -1)
ADM=$("$VIGIL" key create ops --role admin 2>/dev/null | tail -1)
MET=$("$VIGIL" key create scrape --role metrics 2>/dev/null | tail -1)
python3 -c "import secrets; print(secrets.token_hex(32))" > "$T/master.key"
chmod 600 "$T/master.key"

# The video: 1 s black, then aqua for 2 s. The stream: 60 s of testsrc2
# with ladybird over it from 25 s on (keyframes every second).
ffmpeg -nostdin -loglevel error -f lavfi -i color=c=black:s=320x240:d=1 -loop 1 -t 2 \
	-i "$DEMO/known/aqua.jpg" \
	-filter_complex '[1:v]scale=320:240,setsar=1[k];[0:v][k]concat=n=2:v=1[v]' -map '[v]' \
	-r 5 -pix_fmt yuv420p "$T/job.mp4" || { bad "ffmpeg video"; exit 1; }
SHOW=25 LEN=60
timeout 120 ffmpeg -nostdin -loglevel error -y -f lavfi -i "testsrc2=size=480x270:rate=25:duration=$LEN" \
	-loop 1 -i "$DEMO/known/ladybird.jpg" \
	-filter_complex "[1:v]scale=480:270,setsar=1,format=yuv420p[im];[0:v]format=yuv420p[bg];[bg][im]overlay=0:0:enable='gte(t,$SHOW)':shortest=1[v]" \
	-map '[v]' -c:v libx264 -preset veryfast -g 25 -an -f flv "$T/live.flv" ||
	{ bad "ffmpeg stream"; exit 1; }

python3 "$RECEIVER" "$T/rport" "$T/rlog" s3cret & RCV=$!
wait_for '[ -s "$T/rport" ]' || { echo "receiver did not start"; exit 1; }
RPORT=$(cat "$T/rport")

# nginx-rtmp with its control interface (the cut), on free ports.
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
rtmp { server { listen 127.0.0.1:$RTMP_PORT; chunk_size 4096;
	application live { live on; record off; } } }
http {
	access_log $T/ngx/logs/access.log;
	client_body_temp_path $T/ngx/tmp/body; proxy_temp_path $T/ngx/tmp/proxy;
	fastcgi_temp_path $T/ngx/tmp/fastcgi; uwsgi_temp_path $T/ngx/tmp/uwsgi;
	scgi_temp_path $T/ngx/tmp/scgi;
	server { listen 127.0.0.1:$HTTP_PORT; location /control { rtmp_control all; } }
}
EOF
	"$NGINX" -p "$T/ngx" -c "$T/ngx/nginx.conf" -e "$T/ngx/logs/error.log" >"$T/ngx/out.log" 2>&1 &
	NGINX_PID=$!
	i=0
	while [ $i -lt 100 ] && kill -0 "$NGINX_PID" 2>/dev/null; do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/control/")" != 000 ] && return 0
		i=$((i + 1)); sleep 0.1
	done
	kill "$NGINX_PID" 2>/dev/null; wait "$NGINX_PID" 2>/dev/null; NGINX_PID=
	return 1
}
tries=0
while :; do
	base=$(( ( $$ * 7 + $(date +%N | sed 's/^0*//;s/^$/0/') / 1000 ) % 20000 + 30000 ))
	RTMP_PORT=$base HTTP_PORT=$((base + 1))
	start_nginx && break
	tries=$((tries + 1))
	[ $tries -ge 10 ] && { bad "nginx did not start: $(cat "$T/ngx/logs/error.log")"; exit 1; }
done

# Three instances; only instance 1 holds a video job before hashing it.
for n in 1 2 3; do
	[ $n = 1 ] && export VIGIL_TEST_CLOCK=1 VIGIL_TEST_JOB_PAUSE_MS=600000
	start --master-key-file "$T/master.key" --work-lease 30 \
		--webhook-url "http://127.0.0.1:$RPORT/hook" --webhook-secret s3cret \
		--webhook-allow 127.0.0.1 --webhook-poll 50 --rtmp-host "127.0.0.1:$RTMP_PORT" \
		--stream-cut-url "http://127.0.0.1:$HTTP_PORT/control/drop/publisher?app={app}&name={name}"
	unset VIGIL_TEST_CLOCK VIGIL_TEST_JOB_PAUSE_MS
	eval "P$n=\$SPID U$n=\$U"
done
SPID=
for n in 1 2 3; do
	eval "u=\$U$n"
	check "instance $n ready" [ "$(curl -s -o /dev/null -w '%{http_code}' "$u/readyz")" = 200 ]
done
A="Authorization: Bearer $ADM"

# Retention is leased: of the three instances' first ticks (at start) one
# ran the sweep, two left it to the lease holder.
skipped() {
	t=0
	for u in "$U1" "$U2" "$U3"; do
		v=$(curl -s -H "Authorization: Bearer $MET" "$u/metrics" |
			awk '/^vigil_evidence_sweeps_skipped_total/ { print $2 }')
		t=$((t + ${v:-0}))
	done
	echo $t
}
wait_for '[ "$(skipped)" -ge 2 ]' 200
check "retention ran on one instance, two skipped ($(skipped))" [ "$(skipped)" = 2 ]
check "one instance holds the retention lease" \
	[ "$(q "SELECT count(*) FROM leases WHERE name='evidence.retention'")" = 1 ]

# The stream: published by ffmpeg in real time, watched through instance 1.
URL="rtmp://127.0.0.1:$RTMP_PORT/live/cam1"
START=$(date +%s)
ffmpeg -nostdin -loglevel error -re -i "$T/live.flv" -c copy -f flv "$URL" 2>"$T/ff.log" & FF=$!
st=$(curl -s -o "$T/b" -w '%{http_code}' -H "$A" -H 'Content-Type: application/json' \
	-d "{\"url\":\"$URL\"}" "$U1/v1/streams")
check "instance 1 watches the stream ($st)" [ "$st" = 201 ]
wait_for 'curl -s -H "$A" "$U1/v1/streams" | jq -e ".streams[0].frames > 0" >/dev/null' ||
	bad "instance 1 sees no frames: $(curl -s -H "$A" "$U1/v1/streams")"
curl -s -H "$A" "$U2/v1/streams" > "$T/s2"
check "instance 2 lists the stream as instance 1's" \
	[ "$(jq -r '.shared | length' "$T/s2")" = 1 -a "$(jq '.streams | length' "$T/s2")" = 0 ] &&
	jq -r '.shared[0].owner' "$T/s2" | grep -q ":$P1:"

# The video job: 202 from instance 1, running there (held by the hook).
# (Outbox bodies are sealed under the master key: rows are counted by type.)
V0=$(q "SELECT count(*) FROM outbox WHERE type='verdict'")
st=$(curl -s -o "$T/b" -w '%{http_code}' -H "Authorization: Bearer $SUB" -F "file=@$T/job.mp4" \
	-F 'context={"content_id":"vid1","user_id":"u1"};type=application/json' "$U1/v1/content")
JOB=$(jq -r .job "$T/b")
check "video: 202 with job $JOB" [ "$st" = 202 -a -n "$JOB" ]
job() { curl -s -H "Authorization: Bearer $SUB" "$1/v1/jobs/$JOB"; }
wait_for '[ "$(job "$U2" | jq -r .status)" = running ]' ||
	bad "job not running: $(job "$U2")"
check "instance 3 answers the job's status: running, attempt 1" \
	[ "$(job "$U3" | jq -r '.status + " " + (.attempts|tostring)')" = "running 1" ]
st=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $SUB" "$U2/v1/jobs/nope")
check "an unknown job: 404" [ "$st" = 404 ]
NOW=$(date +%s)
check "the image has not appeared yet ($((NOW - START)) s < $SHOW s)" [ $((NOW - START)) -lt $SHOW ]
check "no cut before the kill" [ "$(grep -c ' stream.cut ' "$T/rlog")" = 0 ]

kill -9 "$P1"; wait "$P1" 2>/dev/null; P1=
KILLED=$(date +%s%3N)
echo "# killed instance 1 at $(( $(date +%s) - START )) s"

# The stream: a survivor watches it, and cuts it when the image appears.
wait_for 'curl -s -H "$A" "$U2/v1/streams" | jq -e ".shared[0].owner | test(\":$P2:|:$P3:\")" >/dev/null' 1200 ||
	bad "stream not taken over: $(curl -s -H "$A" "$U2/v1/streams")"
echo "# a survivor watches the stream $(( $(date +%s%3N) - KILLED )) ms after the kill (stream_lease 3 s)"
check "the stream was taken over while the job still waited for its lease ($(job "$U3" | jq -c '[.status, .attempts]'))" \
	[ "$(job "$U3" | jq -r '.status + " " + (.attempts|tostring)')" = "running 1" ]
curl -s -H "$A" "$U2/v1/streams" > "$T/s2"
curl -s -H "$A" "$U3/v1/streams" > "$T/s3"
W=$(( $(jq '.streams | length' "$T/s2") + $(jq '.streams | length' "$T/s3") ))
check "exactly one survivor watches the stream ($W)" [ "$W" = 1 ]
check "the takeover is audited" \
	[ "$(q "SELECT count(*) FROM audit WHERE action='stream.takeover' AND object='$URL'")" = 1 ]
NOW=$(date +%s)
check "taken over before the image appears ($((NOW - START)) s < $SHOW s)" [ $((NOW - START)) -lt $SHOW ]
wait_for 'grep -q " stream.cut " "$T/rlog"' 1200 || bad "no stream.cut event"
wait_for '! kill -0 "$FF" 2>/dev/null' 400
END=$(date +%s)
check "the survivor cut the publisher ($((END - START)) s < $LEN s)" [ $((END - START)) -lt $LEN ]
FF=
check "one stream.cut event" [ "$(grep "^new " "$T/rlog" | grep -c ' stream.cut ')" = 1 ]

# The job: taken over once its lease expired, done once.
wait_for '[ "$(job "$U2" | jq -r .status)" = done ]' 1200 ||
	bad "job not done: $(job "$U2")"
job "$U3" > "$T/j"
check "the job is done on a survivor: $(jq -c . "$T/j")" \
	[ "$(jq -r '.status + " " + .verdict + " " + (.attempts|tostring)' "$T/j")" = "done block 2" ]
wait_for 'grep -q "\"job\":\"$JOB\"" "$T/rlog"' || bad "no verdict event for the job"
check "one verdict event for the job in the outbox" \
	[ "$(q "SELECT count(*) FROM outbox WHERE type='verdict'")" = $((V0 + 1)) ]
check "one audit row for its verdict" \
	[ "$(q "SELECT count(*) FROM audit WHERE action='content.verdict' AND detail LIKE '%$JOB%'")" = 1 ]
check "the receiver took it as new once" \
	[ "$(grep "^new " "$T/rlog" | grep -c "\"job\":\"$JOB\"")" = 1 ]
check "the job's upload is gone from its row" \
	[ "$(q "SELECT count(*) FROM shared_work WHERE id='$JOB' AND media IS NULL")" = 1 ]

# A slow owner that comes back: instance 4 holds a job for 4 s, is stopped
# (SIGSTOP) past its lease, a survivor completes the job; resumed, its own
# finish is refused and nothing of its result is written.
export VIGIL_TEST_CLOCK=1 VIGIL_TEST_JOB_PAUSE_MS=4000
start --master-key-file "$T/master.key" --work-lease 3 \
	--webhook-url "http://127.0.0.1:$RPORT/hook" --webhook-secret s3cret --webhook-allow 127.0.0.1
unset VIGIL_TEST_CLOCK VIGIL_TEST_JOB_PAUSE_MS
P1=$SPID U4=$U SPID=
V1=$(q "SELECT count(*) FROM outbox WHERE type='verdict'")
curl -s -o "$T/b" -H "Authorization: Bearer $SUB" -F "file=@$T/job.mp4" \
	-F 'context={"content_id":"vid2","user_id":"u2"};type=application/json' "$U4/v1/content"
JOB=$(jq -r .job "$T/b")
wait_for '[ "$(job "$U2" | jq -r .status)" = running ]' || bad "job 2 not running: $(job "$U2")"
kill -STOP "$P1"
wait_for '[ "$(job "$U2" | jq -r .status)" = done ]' 1200 || bad "job 2 not done: $(job "$U2")"
check "job 2 completed by a survivor while its owner was stopped" \
	[ "$(job "$U3" | jq -r '.status + " " + (.attempts|tostring)')" = "done 2" ]
kill -CONT "$P1"
wait_for 'grep -q "video job $JOB: taken over by another instance" "$T/server.log"' 600
check "the resumed owner's finish is refused" \
	grep -q "video job $JOB: taken over by another instance" "$T/server.log"
check "still one verdict event for job 2" \
	[ "$(q "SELECT count(*) FROM outbox WHERE type='verdict'")" = $((V1 + 1)) ]
check "still one audit row for its verdict" \
	[ "$(q "SELECT count(*) FROM audit WHERE action='content.verdict' AND detail LIKE '%$JOB%'")" = 1 ]

for n in 1 2 3; do
	eval "p=\$P$n"
	kill -TERM "$p"; wait "$p" || bad "instance $n exit"; eval "P$n="
done
check "no sanitizer report from any instance" \
	sh -c "! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error' '$T/server.log'"
exit $fail
