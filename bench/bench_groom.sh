#!/bin/sh
# Grooming scoring per core vs the fold alone (bench_groom.c), on the
# messages of the shipped model's scripted data (data/groom_default.py):
#   sh bench/bench_groom.sh BUILD-DIR [ROUNDS]
set -eu
B=${1:-build} R=${2:-5}
SRC=$(cd "$(dirname "$0")/.." && pwd)
M=$(mktemp)
trap 'rm -f "$M"' EXIT
python3 "$SRC/data/groom_default.py" | python3 -c '
import json, sys
for l in sys.stdin:
    print(json.loads(l)["text"])' > "$M"
echo "load average: $(cut -d" " -f1-3 /proc/loadavg)"
"$B/bench/bench_groom" -r "$R" "$SRC/data/groom-default.vgm" "$M"
# longer messages: four chat lines joined (about 60 bytes)
paste -d' ' - - - - < "$M" > "$M.4"
"$B/bench/bench_groom" -r "$R" "$SRC/data/groom-default.vgm" "$M.4"
rm -f "$M.4"
