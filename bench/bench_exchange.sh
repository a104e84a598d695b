#!/bin/sh
# bench_exchange.sh BUILD [N] — fetch of an N-entry PDQ list (default 1M)
# from the TCAP stand-in (tests/exchange/standin.py) on loopback into a bank,
# against `vigil bank import` of the same hashes from a file, in one run.
# The stand-in is Python; its own cost per page (JSON encoding) is counted
# in the exchange's wall time, so the second line compares vigil's own CPU
# (user + sys of the vigil process, from /usr/bin/time: the stand-in is a
# separate process and is not in it); the third line shows the stand-in's
# CPU during the fetch (from /proc), for the record only. FETCH_WRAP (e.g.
# "perf record -o F") prefixes the fetch command.
set -eu
BUILD=${1:-build}
N=${2:-1000000}
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/vigil-bench-XXXXXX")
SRV=
trap '[ -n "$SRV" ] && kill $SRV 2>/dev/null; rm -rf "$T"' EXIT
now() { date +%s.%N; }
"$BUILD/bench/gen_hashes" "$N" -c > "$T/list.csv"
python3 "$HERE/../tests/exchange/standin.py" "$T/port" & SRV=$!
while [ ! -s "$T/port" ]; do sleep 0.1; done
B="http://127.0.0.1:$(cat "$T/port")"
python3 - "$T/list.csv" "$B" <<'PY'
import json, sys, urllib.request
recs = [{"hash_digest": l.split(",")[0], "algorithm": "PDQ", "ideology": "x",
         "file_type": "jpg", "deleted": False} for l in open(sys.argv[1])]
urllib.request.urlopen(sys.argv[2] + "/_ctl/add",
                       json.dumps({"api": "tcap", "records": recs}).encode()).read()
PY
printf 'tcap_user:tcap_pass\n' > "$T/cred"
"$BUILD/vigil" exchange add tc --db "$T/x.db" --api tcap --url "$B" --page-size 10000 \
	--credentials "file:$T/cred" >/dev/null
scpu() { awk '{print $14 + $15}' "/proc/$SRV/stat"; }
s0=$(scpu)
t0=$(now)
/usr/bin/time -f "%U %S" -o "$T/cpu" ${FETCH_WRAP:-} "$BUILD/vigil" exchange fetch --db "$T/x.db" tc
t1=$(now)
s1=$(scpu)
"$BUILD/vigil" bank create bench --db "$T/i.db" >/dev/null
t2=$(now)
/usr/bin/time -f "%U %S" -o "$T/icpu" "$BUILD/vigil" bank import --no-progress --db "$T/i.db" bench "$T/list.csv"
t3=$(now)
xe=$(sqlite3 "$T/x.db" "SELECT count(*) FROM entries")
ie=$(sqlite3 "$T/i.db" "SELECT count(*) FROM entries")
cpu=$(awk '{print $1 + $2}' "$T/cpu")
icpu=$(awk '{print $1 + $2}' "$T/icpu")
awk -v xe="$xe" -v ie="$ie" -v x="$(echo "$t1 - $t0" | bc)" -v i="$(echo "$t3 - $t2" | bc)" -v c="$cpu" -v ic="$icpu" 'BEGIN {
	printf "exchange fetch %9.0f entries/s (%d entries, %.2f s wall)   bank import %9.0f entries/s (%d, %.2f s)   ratio %.2fx\n",
		xe / x, xe, x, ie / i, ie, i, x / i
	printf "CPU (user+sys) of vigil alone: fetch %.2f s (%9.0f entries/s), import %.2f s (%9.0f entries/s)   ratio %.2fx\n",
		c, xe / c, ic, ie / ic, c / ic
}'
echo "stand-in (Python, not counted above) CPU during the fetch: $(echo "scale=2; ($s1 - $s0) / $(getconf CLK_TCK)" | bc) s"
echo "load average: $(cut -d" " -f1-3 /proc/loadavg)"
