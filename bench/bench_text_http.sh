#!/bin/sh
# bench_text_http.sh BUILD — POST /v1/text through vigil serve: a text bank
# of 5,000 stand-in terms (dictionary words), ~115-byte messages made of
# dictionary words (about 1 in 20 holds a term, acted on as review), with
# and without conversation/author ids (the grooming state), against GET
# /healthz on the same server in the same run (wrk -t1 -c2): the ratio is
# what the text route costs over the HTTP floor. A request with a hit or
# an alert commits one transaction (case, events, audit row;
# synchronous=FULL); one with neither writes nothing.
set -eu
BUILD=${1:-build}
DUR=${DUR:-10}
V="$BUILD/vigil"
DICT=/usr/share/dict/american-english
for p in wrk python3; do command -v $p >/dev/null || { echo "needs $p"; exit 1; }; done
[ -r "$DICT" ] || { echo "needs $DICT (wamerican)"; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/vigil-bench-XXXXXX")
SPID=
trap '[ -n "$SPID" ] && kill $SPID 2>/dev/null; rm -rf "$T"' EXIT
export VIGIL_DB="$T/v.db"
python3 - "$DICT" "$T" <<'PY'
import json, random, sys
rnd = random.Random(7)
words = [w.strip() for w in open(sys.argv[1]) if w.strip().isalpha() and w.strip().islower()]
rnd.shuffle(words)
terms, rest = words[:5000], words[5000:]
with open(sys.argv[2] + "/terms.csv", "w") as f:
    f.write("term,category,severity\n")
    for t in terms:
        f.write("%s,standin,50\n" % t)
with open(sys.argv[2] + "/msgs.txt", "w") as f:
    for i in range(2000):
        m = []
        while len(" ".join(m)) < 110:
            m.append(rnd.choice(terms) if rnd.random() < 0.0025 * 20 / 18 else rnd.choice(rest))
        f.write(json.dumps(" ".join(m)) + "\n")
PY
"$V" bank create kw --type text >/dev/null
"$V" bank import kw "$T/terms.csv" 2>/dev/null
KEY=$("$V" key create bench --role submit 2>/dev/null | tail -1)
"$V" serve --listen 127.0.0.1:0 --port-file "$T/port" --log-level error 2>"$T/serve.log" &
SPID=$!
while [ ! -s "$T/port" ]; do kill -0 $SPID || { cat "$T/serve.log"; exit 1; }; sleep 0.1; done
U="http://127.0.0.1:$(cat "$T/port")"
cat > "$T/t.lua" <<EOL
local msgs, i, mode = {}, 0, os.getenv("MODE")
for l in io.lines("$T/msgs.txt") do msgs[#msgs + 1] = l end
request = function()
  i = i + 1
  if mode == "health" then return wrk.format("GET", "/healthz") end
  local ids = ""
  if mode == "groom" then
    ids = ',"conversation_id":"c' .. (i % 500) .. '","author_id":"a' .. (i % 2) .. '"'
  end
  return wrk.format("POST", "/v1/text", {["Authorization"] = "Bearer $KEY",
    ["Content-Type"] = "application/json"},
    '{"text":' .. msgs[(i - 1) % #msgs + 1] .. ',"message_id":"m' .. i .. '"' .. ids .. '}')
end
EOL
# warm-up: the first request folds and compiles the 5,000 terms
curl -s -o /dev/null -H "Authorization: Bearer $KEY" -d '{"text":"warm up"}' "$U/v1/text"
run() {
	MODE=$1 wrk -t1 -c2 -d"${DUR}s" --latency -s "$T/t.lua" "$U" > "$T/wrk.$1" 2>&1
	echo "$(awk '/^Requests\/sec/ {print $2}' "$T/wrk.$1") $(awk '$1 == "99%" {print $2}' "$T/wrk.$1") $(awk '/Non-2xx/ {print $NF}' "$T/wrk.$1")"
}
set -- $(run health); hr=$1 hp=$2
set -- $(run text); tr=$1 tp=$2 tbad=${3:-0}
set -- $(run groom); gr=$1 gp=$2 gbad=${3:-0}
echo "5,000 token terms, 2,000 messages of ~115 bytes, 2 connections, ${DUR}s each"
echo "GET /healthz:                $hr req/s, p99 $hp"
echo "POST /v1/text:               $tr msg/s, p99 $tp, non-2xx $tbad (cases $(sqlite3 "$VIGIL_DB" 'SELECT count(*) FROM cases'))"
echo "POST /v1/text + grooming:    $gr msg/s, p99 $gp, non-2xx $gbad"
python3 -c "print('ratio text/healthz: %.3fx, text+grooming/healthz: %.3fx' % ($tr / $hr, $gr / $hr))"
