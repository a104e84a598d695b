#!/bin/sh
# bench_content.sh BUILD — the cost of the pipeline: 1-2 MP JPEG uploads
# through POST /v1/content (hash, match, decide, and per upload one
# synchronous=FULL transaction with the audit row, plus the case and outbox
# rows when something matched) against POST /v1/match on the same files,
# same server, same run (wrk -t1 -c2). A third of the files match a bank
# (block or review), so events and cases are written and delivered to a
# local receiver while the benchmark runs. BIG=N adds a bank of N hashes.
set -eu
BUILD=${1:-build}
DUR=${DUR:-10}
V="$BUILD/vigil"
for p in wrk ffmpeg python3; do command -v $p >/dev/null || { echo "needs $p"; exit 1; }; done
T=$(mktemp -d "${TMPDIR:-/tmp}/vigil-bench-XXXXXX")
SPID= RPID=
trap '[ -n "$SPID" ] && kill $SPID 2>/dev/null; [ -n "$RPID" ] && kill $RPID 2>/dev/null; rm -rf "$T"' EXIT
export VIGIL_DB="$T/v.db"

mkdir -p "$T/img"
i=0
for f in demo/known/*.jpg demo/uploads/*.jpg; do
	i=$((i + 1))
	ffmpeg -loglevel error -y -i "$f" -vf "scale=$((1200 + 80 * (i % 6))):-2" -q:v 3 "$T/img/$i.jpg"
done
ls "$T/img"/*.jpg > "$T/imgs.txt"
"$V" hash demo/known/aqua.jpg > "$T/a.csv"
"$V" hash demo/known/ladybird.jpg demo/known/storm.jpg > "$T/b.csv"
"$V" bank create blocked --action block >/dev/null && "$V" bank import blocked "$T/a.csv" 2>/dev/null
"$V" bank create reviewed --action review >/dev/null && "$V" bank import reviewed "$T/b.csv" 2>/dev/null
if [ -n "${BIG:-}" ]; then # BIG=N: also a review bank of N random PDQ hashes
	"$BUILD/bench/gen_hashes" "$BIG" -c > "$T/big.csv"
	"$V" bank create big >/dev/null && "$V" bank import --no-progress big "$T/big.csv" 2>/dev/null || true
fi
KEY=$("$V" key create bench --role submit 2>/dev/null | tail -1)
python3 tests/pipeline/receiver.py "$T/rport" "$T/rlog" s3cret & RPID=$!
while [ ! -s "$T/rport" ]; do sleep 0.1; done
"$V" serve --listen 127.0.0.1:0 --port-file "$T/port" --log-level error \
	--webhook-url "http://127.0.0.1:$(cat "$T/rport")/hook" --webhook-secret s3cret \
	--webhook-allow 127.0.0.1 ${BENCH_SERVE_ARGS:-} 2>"$T/serve.log" &
SPID=$!
while [ ! -s "$T/port" ]; do kill -0 $SPID || { cat "$T/serve.log"; exit 1; }; sleep 0.1; done
U="http://127.0.0.1:$(cat "$T/port")"

# One Lua script, two modes: the raw file to /v1/match, or multipart with a
# context to /v1/content (a new content id per request).
cat > "$T/up.lua" <<EOL
local bodies, i, mode = {}, 0, os.getenv("MODE")
for path in io.lines("$T/imgs.txt") do
  local f = io.open(path, "rb"); bodies[#bodies + 1] = f:read("*a"); f:close()
end
request = function()
  i = i + 1
  local b = bodies[(i - 1) % #bodies + 1]
  if mode == "match" then
    return wrk.format("POST", "/v1/match", {["Authorization"] = "Bearer $KEY",
      ["Content-Type"] = "image/jpeg"}, b)
  end
  local sep = "vigilbenchboundary"
  local body = "--" .. sep .. "\r\nContent-Disposition: form-data; name=\"context\"\r\n\r\n" ..
    '{"content_id":"c' .. i .. '","user_id":"u' .. (i % 50) .. '","ip":"192.0.2.1"}' ..
    "\r\n--" .. sep .. "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.jpg\"\r\n" ..
    "Content-Type: image/jpeg\r\n\r\n" .. b .. "\r\n--" .. sep .. "--\r\n"
  return wrk.format("POST", "/v1/content", {["Authorization"] = "Bearer $KEY",
    ["Content-Type"] = "multipart/form-data; boundary=" .. sep}, body)
end
EOL
run() {
	MODE=$1 wrk -t1 -c2 -d"${DUR}s" --latency -s "$T/up.lua" "$U" > "$T/wrk.$1" 2>&1
	echo "$(awk '/^Requests\/sec/ {print $2}' "$T/wrk.$1") $(awk '$1 == "99%" {print $2}' "$T/wrk.$1") $(awk '/Non-2xx/ {print $NF}' "$T/wrk.$1")"
}
set -- $(run match); mr=$1 mp=$2 mbad=${3:-0}
set -- $(run content); cr=$1 cp=$2 cbad=${3:-0}
sleep 2
echo "images: $(wc -l < "$T/imgs.txt") JPEGs of 1.2-1.6k px width, 2 connections, ${DUR}s each"
echo "POST /v1/match:   $mr images/s, p99 $mp, non-2xx $mbad"
echo "POST /v1/content: $cr images/s, p99 $cp, non-2xx $cbad (cases $(sqlite3 "$VIGIL_DB" 'SELECT count(*) FROM cases'), events $(sqlite3 "$VIGIL_DB" 'SELECT count(*) FROM outbox'), delivered $(sqlite3 "$VIGIL_DB" "SELECT count(*) FROM outbox WHERE state='delivered'"))"
python3 -c "print('ratio content/match: %.2fx' % ($cr / $mr))"
