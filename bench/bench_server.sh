#!/bin/sh
# bench_server.sh BUILD [N] — vigil serve over HTTP on loopback, each number
# against a baseline measured in the same run:
#  1. lookups by hash (POST /v1/match, JSON, keep-alive, wrk) against an
#     N-entry bank (default 1M) vs nginx serving a 100-byte static file;
#  2. upload-hash-match of 1-2 MP JPEGs (POST /v1/match with the file, two
#     connections) vs `vigil hash -a all -j 2` on the same files;
#  3. a hash added through the API: time from its 201 to the first lookup
#     that matches it (and how many lookups missed).
# wrk, the server and nginx share the machine's cores; run it niced alone.
set -eu
BUILD=${1:-build}
N=${2:-1000000}
DUR=${DUR:-5}
ROUNDS=${ROUNDS:-3}
V="$BUILD/vigil"
for p in wrk nginx ffmpeg jq python3; do
	command -v $p >/dev/null || { echo "needs $p"; exit 1; }
done
T=$(mktemp -d "${TMPDIR:-/tmp}/vigil-bench-XXXXXX")
SPID= NPID=
trap '[ -n "$SPID" ] && kill $SPID 2>/dev/null; [ -n "$NPID" ] && kill $NPID 2>/dev/null; rm -rf "$T"' EXIT
export VIGIL_DB="$T/v.db"
ncpu=$(nproc)

echo "== setup: a bank of $N PDQ hashes"
"$BUILD/bench/gen_hashes" "$N" -c > "$T/list.csv"
"$V" bank create bench >/dev/null
"$V" bank import --no-progress bench "$T/list.csv" 2>/dev/null || true
KEY=$("$V" key create bench --role submit,admin 2>/dev/null)
"$V" serve --listen 127.0.0.1:0 --port-file "$T/port" --log-level error 2>"$T/serve.log" &
SPID=$!
while [ ! -s "$T/port" ]; do kill -0 $SPID || { cat "$T/serve.log"; exit 1; }; sleep 0.1; done
U="http://127.0.0.1:$(cat "$T/port")"
echo "server: $(head -1 "$T/serve.log")"

# nginx: one 100-byte file, workers = CPUs, access log off.
mkdir -p "$T/www" "$T/nginx"
head -c 100 /dev/zero | tr '\0' 'x' > "$T/www/f.txt"
chmod a+rx "$T" "$T/www"; chmod a+r "$T/www/f.txt" # nginx's workers run as nobody
NPORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
cat > "$T/nginx/nginx.conf" <<EOC
worker_processes $ncpu;
pid $T/nginx/pid;
error_log $T/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 100000;
  client_body_temp_path $T/nginx; proxy_temp_path $T/nginx; fastcgi_temp_path $T/nginx;
  uwsgi_temp_path $T/nginx; scgi_temp_path $T/nginx;
  server { listen 127.0.0.1:$NPORT; root $T/www; }
}
EOC
nginx -c "$T/nginx/nginx.conf" -g 'daemon off;' 2>/dev/null &
NPID=$!
i=0
while ! curl -sf "http://127.0.0.1:$NPORT/f.txt" >/dev/null; do
	i=$((i + 1)); [ $i -lt 100 ] || { echo "nginx does not serve"; cat "$T/nginx/error.log"; exit 1; }
	sleep 0.1
done

# Query hashes: lines of the bank (each a hit) as JSON bodies.
awk -F, 'NR % 997 == 1 {print $1}' "$T/list.csv" | head -1000 > "$T/q.txt"
cat > "$T/lookup.lua" <<EOL
local bodies = {}
for h in io.lines("$T/q.txt") do
  bodies[#bodies + 1] = '{"hashes":[{"type":"pdq","value":"' .. h .. '"}]}'
end
local i = 0
request = function()
  i = i % #bodies + 1
  return wrk.format("POST", "/v1/match", {["Authorization"] = "Bearer $KEY",
    ["Content-Type"] = "application/json"}, bodies[i])
end
EOL
wrkrun() { # wrkrun NAME ARGS... -> "req/s p99 non-2xx"
	shift
	wrk -t1 -c32 -d"${DUR}s" --latency "$@" > "$T/wrk.out" 2>&1
	rps=$(awk '/^Requests\/sec/ {print $2}' "$T/wrk.out")
	p99=$(awk '$1 == "99%" {print $2}' "$T/wrk.out")
	non2xx=$(awk '/Non-2xx/ {print $NF}' "$T/wrk.out")
	echo "$rps $p99 ${non2xx:-0}"
}
# Sanity: a lookup matches.
h=$(head -1 "$T/q.txt")
curl -s -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
	-d "{\"hashes\":[{\"type\":\"pdq\",\"value\":\"$h\"}]}" "$U/v1/match" | jq -e '.matches | length > 0' >/dev/null ||
	{ echo "lookup does not match"; exit 1; }

echo
echo "== 1. lookups by hash, keep-alive, wrk -t1 -c32, $ROUNDS alternating rounds of ${DUR}s"
# Other load on the machine varies; alternating the two servers and taking
# the median of the per-round ratios keeps the comparison fair.
: > "$T/ratios"
r=0
while [ $r -lt "$ROUNDS" ]; do
	set -- $(wrkrun vigil -s "$T/lookup.lua" "$U")
	vr=$1 vp=$2 vbad=$3
	set -- $(wrkrun nginx "http://127.0.0.1:$NPORT/f.txt")
	nr=$1 np=$2
	echo "round $((r + 1)): vigil /v1/match ($N entries, radius 31) $vr req/s p99 $vp non-2xx $vbad | nginx 100-byte file $nr req/s p99 $np"
	python3 -c "print($vr / $nr)" >> "$T/ratios"
	r=$((r + 1))
done
sort -g "$T/ratios" | awk '{a[NR] = $1} END {printf "ratio vigil/nginx: median %.2fx (min %.2fx, max %.2fx)\n", a[int((NR + 1) / 2)], a[1], a[NR]}'

echo
echo "== 2. upload-hash-match of 1-2 MP JPEGs vs vigil hash -a all -j 2"
mkdir -p "$T/img"
i=0
for f in demo/known/*.jpg demo/uploads/*.jpg; do
	i=$((i + 1))
	w=$((1200 + 80 * (i % 6)))
	ffmpeg -loglevel error -y -i "$f" -vf "scale=$w:-2" -q:v 3 "$T/img/$i.jpg"
done
ls "$T/img"/*.jpg > "$T/imgs.txt"
n=$(wc -l < "$T/imgs.txt")
echo "images: $n, $(for f in $(cat "$T/imgs.txt"); do ffprobe -v error -select_streams v -show_entries stream=width,height -of csv=p=0 "$f"; done | awk -F, '{p += $1 * $2} END {printf "%.1f MP average", p / NR / 1e6}')"
cat > "$T/upload.lua" <<EOL
local bodies = {}
for path in io.lines("$T/imgs.txt") do
  local f = io.open(path, "rb"); bodies[#bodies + 1] = f:read("*a"); f:close()
end
local i = 0
request = function()
  i = i % #bodies + 1
  return wrk.format("POST", "/v1/match", {["Authorization"] = "Bearer $KEY",
    ["Content-Type"] = "image/jpeg"}, bodies[i])
end
EOL
wrk -t1 -c2 -d"${DUR}s" -s "$T/upload.lua" "$U" > "$T/wrk.out" 2>&1
ur=$(awk '/^Requests\/sec/ {print $2}' "$T/wrk.out")
ubad=$(awk '/Non-2xx/ {print $NF}' "$T/wrk.out")
# The CLI on the same files, repeated to run a few seconds.
reps=$(python3 -c "print(max(1, int($ur * $DUR / $n / 2)))")
: > "$T/many.txt"
r=0; while [ $r -lt "$reps" ]; do cat "$T/imgs.txt" >> "$T/many.txt"; r=$((r + 1)); done
m=$(wc -l < "$T/many.txt")
t0=$(date +%s.%N)
"$V" hash -a all -j 2 --no-progress $(cat "$T/many.txt") > /dev/null
t1=$(date +%s.%N)
cr=$(python3 -c "print('%.1f' % ($m / ($t1 - $t0)))")
echo "vigil serve POST /v1/match (hash all + dihedral + match, 2 connections): $ur images/s, non-2xx ${ubad:-0}"
echo "vigil hash -a all -j 2 ($m files):                                        $cr images/s"
python3 -c "print('ratio serve/CLI: %.2fx' % ($ur / $cr))"

echo
echo "== 3. a hash added through the API: 201 -> first matching lookup"
python3 - "$(cat "$T/port")" "$KEY" <<'EOP'
import http.client, json, os, sys, time
port, key = int(sys.argv[1]), sys.argv[2]
c = http.client.HTTPConnection("127.0.0.1", port)
hd = {"Authorization": "Bearer " + key, "Content-Type": "application/json"}
gaps, misses = [], 0
for i in range(200):
    h = os.urandom(32).hex()
    c.request("POST", "/v1/banks/bench/entries", json.dumps([{"type": "pdq", "value": h}]), hd)
    r = c.getresponse(); body = json.loads(r.read())
    assert r.status == 201, r.status
    t201 = time.perf_counter()
    eid = body["entries"][0]["id"]
    while True:
        c.request("POST", "/v1/match", json.dumps({"hashes": [{"type": "pdq", "value": h}], "radius": 0}), hd)
        r = c.getresponse(); m = json.loads(r.read())
        if any(x["entry"] == eid for x in m["matches"]):
            break
        misses += 1
    gaps.append((time.perf_counter() - t201) * 1e3)
gaps.sort()
print("200 adds: lookups that missed after the 201: %d; 201 -> matching reply: median %.2f ms, max %.2f ms (one lookup's latency)"
      % (misses, gaps[len(gaps) // 2], gaps[-1]))
EOP
