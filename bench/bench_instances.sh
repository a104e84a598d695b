#!/bin/sh
# bench_instances.sh BUILD [N [DUR [ROUNDS [TRIALS]]]] — several `vigil serve`
# instances on one PostgreSQL (issue 11), each number against a baseline
# measured in the same run:
#  1. lookups by hash (POST /v1/match, keep-alive, bench/httpload with 32
#     connections) against an N-entry bank (default 200,000): 1 instance vs
#     2 instances behind the load generator's round-robin, ROUNDS alternating
#     rounds of DUR s, and the ratio 2/1. Both instances run in both phases
#     (only the traffic moves), so the background threads cost the same.
#     That lookups never touch the database: pg_stat_database's
#     xact_commit / tup_returned / tup_fetched deltas over each lookup phase
#     against an idle phase of the same length (the instances' background
#     threads - lease renewals, outbox polls - commit on their own).
#  2. propagation: an entry added through instance A's API, then instance B
#     polled (POST /v1/match, radius 0, one keep-alive connection) until it
#     matches; TRIALS trials (default 50), median and p95 (aim <= 1 s).
# Starts its own throwaway PostgreSQL through tests/pg/pg_env.sh unless
# VIGIL_TEST_PG_URI is set. The instances, PostgreSQL and the load generator
# share the machine's cores; the load average is printed.
set -eu
BUILD=${1:-build}
N=${2:-200000}
DUR=${3:-5}
ROUNDS=${4:-3}
TRIALS=${5:-50}
HERE=$(cd "$(dirname "$0")" && pwd)
if [ -z "${VIGIL_TEST_PG_URI:-}" ]; then
	exec sh "$HERE/../tests/pg/pg_env.sh" sh "$0" "$@"
fi
V="$BUILD/vigil"
for p in jq python3 psql; do command -v $p >/dev/null || { echo "needs $p"; exit 1; }; done
T=$(mktemp -d "${TMPDIR:-/tmp}/vigil-inst-XXXXXX")
chmod 755 "$T"
PA= PB=
trap 'for p in $PA $PB; do kill $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"' EXIT
export VIGIL_DB="$VIGIL_TEST_PG_URI"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"

echo "== setup: a bank of $N PDQ hashes on PostgreSQL"
"$BUILD/bench/gen_hashes" "$N" > "$T/list.csv"
"$V" bank create bench >/dev/null
"$V" bank import --no-progress bench "$T/list.csv" >/dev/null 2>&1
# Else autovacuum's analyze of the new rows lands in a measured phase.
psql -qAt "$VIGIL_DB" -c 'VACUUM ANALYZE' >/dev/null
KEY=$("$V" key create bench --role submit,admin 2>/dev/null | tail -1)
serve() { # serve NAME: starts an instance, its PID in $SPID and port in $T/NAME.port
	"$V" serve --listen 127.0.0.1:0 --port-file "$T/$1.port" --log-level error \
		2>"$T/$1.log" &
	SPID=$!
	i=0
	while ! [ -s "$T/$1.port" ] ||
		[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$(cat "$T/$1.port")/readyz")" != 200 ]; do
		i=$((i + 1))
		kill -0 $SPID 2>/dev/null && [ $i -lt 1200 ] || { echo "$1 did not start"; cat "$T/$1.log"; exit 1; }
		sleep 0.1
	done
}
serve a; PA=$SPID; A=$(cat "$T/a.port")
serve b; PB=$SPID; B=$(cat "$T/b.port")
echo "instances: A on :$A (pid $PA), B on :$B (pid $PB)"

# Query bodies: lines of the bank (each a hit).
awk -F, 'NR % 97 == 1 {printf "{\"hashes\":[{\"type\":\"pdq\",\"value\":\"%s\"}]}\n", $1}' \
	"$T/list.csv" | head -1000 > "$T/q.txt"
curl -s -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
	-d "$(head -1 "$T/q.txt")" "http://127.0.0.1:$B/v1/match" | jq -e '.matches | length > 0' >/dev/null ||
	{ echo "a lookup on B does not match"; exit 1; }

# The database's counters (this connection's own statement counts too, the
# same in every phase).
counters() {
	psql -qAt -F' ' "$VIGIL_DB" -c "SELECT pg_stat_clear_snapshot(); SELECT xact_commit, tup_returned, tup_fetched FROM pg_stat_database WHERE datname = current_database()" |
		tail -1
}
# phase NAME CMD...: runs CMD, prints the counters' deltas over it. The
# statistics collector flushes at most every 0.5 s (PG 15:
# pgstat flush on idle backends is up to 1 s): wait before reading.
phase() {
	name=$1
	shift
	sleep 1.5
	c0=$(counters)
	"$@" >/dev/null
	sleep 1.5
	c1=$(counters)
	echo "$c0 $c1" | awk -v n="$name" '{printf "%s: db deltas over the phase: xact_commit +%d, tup_returned +%d, tup_fetched +%d\n", n, $4 - $1, $5 - $2, $6 - $3}'
}
load() { # load PORT...: prints qps
	"$BUILD/bench/httpload" "$DUR" 32 /v1/match "$T/q.txt" "$KEY" "$@" > "$T/load.out"
	cat "$T/load.out" >> "$T/load.all"
	sed 's/.*qps=\([0-9.]*\).*/\1/' "$T/load.out"
}

echo
echo "== 1. lookups, 32 connections, $ROUNDS alternating rounds of ${DUR}s"
: > "$T/ratios"
phase "idle ${DUR}s (no lookups; baseline)" sleep "$DUR"
r=0
while [ $r -lt "$ROUNDS" ]; do
	q1=$(load "$A")
	q2=$(load "$A" "$B")
	echo "round $((r + 1)): 1 instance $q1 q/s | 2 instances $q2 q/s | load $(cut -d' ' -f1 /proc/loadavg)"
	python3 -c "print($q2 / $q1)" >> "$T/ratios"
	r=$((r + 1))
done
awk '{for (i = 1; i <= NF; i++) if ($i ~ /^(non2xx|errors)=/ && $i !~ /=0$/) bad = bad " " $i} END {print "non-2xx / errors:" (bad ? bad : " none")}' "$T/load.all"
sort -g "$T/ratios" | awk '{a[NR] = $1} END {printf "ratio 2 instances / 1 instance: median %.2fx (min %.2fx, max %.2fx)\n", a[int((NR + 1) / 2)], a[1], a[NR]}'
# The database during lookups, against the idle phase above.
phase "lookups ${DUR}s on 1 instance" load "$A"
phase "lookups ${DUR}s on 2 instances" load "$A" "$B"
phase "idle ${DUR}s again (no lookups; baseline)" sleep "$DUR"
tail -2 "$T/load.all" | sed 's/^/  (the lookup phases: /; s/$/)/'

echo
echo "== 2. propagation: added through A, first match on B, $TRIALS trials"
python3 - "$A" "$B" "$KEY" "$TRIALS" <<'EOP'
import http.client, json, os, sys, time
a, b, key, trials = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
ca, cb = http.client.HTTPConnection("127.0.0.1", a), http.client.HTTPConnection("127.0.0.1", b)
hd = {"Authorization": "Bearer " + key, "Content-Type": "application/json"}
gaps, polls = [], 0
for i in range(trials):
    h = os.urandom(32).hex()
    ca.request("POST", "/v1/banks/bench/entries", json.dumps([{"type": "pdq", "value": h}]), hd)
    r = ca.getresponse(); body = json.loads(r.read())
    assert r.status == 201, r.status
    t201 = time.perf_counter()
    eid = body["entries"][0]["id"]
    while True:
        cb.request("POST", "/v1/match", json.dumps({"hashes": [{"type": "pdq", "value": h}], "radius": 0}), hd)
        r = cb.getresponse(); m = json.loads(r.read())
        polls += 1
        if any(x["entry"] == eid for x in m["matches"]):
            break
        if time.perf_counter() - t201 > 30:
            sys.exit("entry %d never matched on B" % eid)
    gaps.append((time.perf_counter() - t201) * 1e3)
    time.sleep(0.05)
gaps.sort()
p95 = gaps[min(len(gaps) - 1, int(0.95 * len(gaps) + 0.5) - 1)]
print("%d trials, %d lookups on B: 201 on A -> first match on B: median %.1f ms, p95 %.1f ms, max %.1f ms (aim p95 <= 1000 ms: %s)"
      % (len(gaps), polls, gaps[len(gaps) // 2], p95, gaps[-1], "met" if p95 <= 1000 else "NOT met"))
EOP
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
