#!/bin/sh
# End-to-end: `vigil bank` and `vigil match` on a temporary SQLite store,
# or on the PostgreSQL database in $VIGIL_TEST_PG_URI (tests/pg/pg_env.sh).
set -u
VIGIL=$1 VEC=$2 DEMO=$3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export VIGIL_DB="${VIGIL_TEST_PG_URI:-$T/v.db}"
fail=0
ok() { echo "ok - $1"; }
bad() { echo "FAIL - $1"; fail=1; }

"$VIGIL" bank create refs --labels kind=image --description "reference photos" >/dev/null &&
	ok "create" || bad "create"
"$VIGIL" bank create refs 2>"$T/err"; [ $? -eq 1 ] && grep -q "already exists" "$T/err" &&
	ok "create twice fails" || bad "create twice"
"$VIGIL" bank create "bad name" 2>/dev/null; [ $? -eq 2 ] && ok "bad name is a usage error" || bad "bad name"

# Import the reference CSV; a malformed line is reported with its number.
# Duplicates within the list are stored once (the list repeats some hashes).
n=$(cut -d, -f1 "$VEC/pdq/expected-reference-cpp-fullsize.csv" | sort -u | wc -l)
cp "$VEC/pdq/expected-reference-cpp-fullsize.csv" "$T/list.csv"
echo "not,a,hash" >> "$T/list.csv"
"$VIGIL" bank import refs "$T/list.csv" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && grep -q "list.csv:50: " "$T/err" && grep -q " $n added, $((49 - n)) duplicates, 1 bad" "$T/err" &&
	ok "import reports bad line 50" || bad "import: rc=$rc $(cat "$T/err")"
"$VIGIL" bank list > "$T/list"
head -n 1 "$T/list" | grep -q "^NAME  *STATE  *ENTRIES  *CREATED  *LABELS" && [ "$(wc -l < "$T/list")" -eq 2 ] &&
	ok "bank list: header line" || bad "bank list header: $(cat "$T/list")"
"$VIGIL" bank list -f jsonl > "$T/list"
[ "$(wc -l < "$T/list")" -eq 1 ] && ok "bank list jsonl: no header" || bad "jsonl header"
grep -q "\"name\":\"refs\",.*\"entries\":$n," "$T/list" && ok "$n distinct entries" || bad "entries: $(cat "$T/list")"
# From standard input.
printf 'd41d8cd98f00b204e9800998ecf8427e\n' | "$VIGIL" bank import refs - 2>/dev/null && ok "import from stdin" || bad "stdin import"

# Match files: an exact copy matches at distance 0 with variant orig.
"$VIGIL" match -f jsonl "$VEC/pdq/dih/bridge-2-rotate-90.jpg" > "$T/m"
grep -q '"distance":0,"variant":"orig"' "$T/m" && ok "match file" || bad "match file: $(cat "$T/m")"
# Unrelated images match nothing and print nothing.
"$VIGIL" match "$DEMO/uploads/dune.jpg" "$DEMO/uploads/wood.jpg" > "$T/m"; rc=$?
[ $rc -eq 0 ] && [ ! -s "$T/m" ] && ok "no match prints nothing" || bad "no match: rc=$rc $(cat "$T/m")"
# Match hashes from stdin, with a bad line reported.
printf 'f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b23\nxyz\nmd5:d41d8cd98f00b204e9800998ecf8427e\n' |
	"$VIGIL" match -f jsonl --hash - > "$T/m" 2>"$T/err"; rc=$?
[ $rc -eq 3 ] && grep -q '"distance":1,' "$T/m" && grep -q '"type":"md5"' "$T/m" && grep -q "'xyz'" "$T/err" &&
	ok "match --hash -" || bad "match --hash -: rc=$rc $(cat "$T/m" "$T/err")"
"$VIGIL" match --radius 99 --hash x 2>/dev/null; [ $? -eq 2 ] && ok "radius bound" || bad "radius bound"

# Export and re-import into another bank: the same entries.
"$VIGIL" bank export refs -o "$T/out.csv" 2>/dev/null && head -1 "$T/out.csv" | grep -q '^hash,type,quality,id,metadata$' &&
	ok "export" || bad "export"
"$VIGIL" bank create copy >/dev/null
"$VIGIL" bank import copy "$T/out.csv" 2>"$T/err" && grep -q " 0 bad" "$T/err" && ok "re-import export" || bad "re-import: $(cat "$T/err")"

# A UTF-8 byte-order mark at the start of a list (as Windows tools write)
# is accepted, in every format.
"$VIGIL" bank create bom >/dev/null
printf '\357\273\277d41d8cd98f00b204e9800998ecf8427e\n' > "$T/bom-hex.txt"
printf '\357\273\277f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b24,100,x.jpg\n' > "$T/bom-pdq.csv"
printf '\357\273\277hash,source\n0123456789abcdef0123456789abcdef01234567,a\n' > "$T/bom-named.csv"
for f in bom-hex.txt bom-pdq.csv bom-named.csv; do
	"$VIGIL" bank import bom "$T/$f" 2>"$T/err"; rc=$?
	[ $rc -eq 0 ] && grep -q " 1 added, 0 duplicates, 0 bad" "$T/err" && ok "BOM: $f" || bad "BOM $f: rc=$rc $(cat "$T/err")"
done
"$VIGIL" bank delete bom
# A second writer waits for the write lock another process holds (with a
# message saying so) instead of failing after 10 s; --lock-timeout bounds the
# wait. SQLite only: its lock is the file's (PostgreSQL locks rows, and its
# lock_timeout is tested below).
if [ -z "${VIGIL_TEST_PG_URI:-}" ]; then
cat > "$T/hold.py" <<'X'
import os, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
open(sys.argv[2] + ".locked", "w").close()
for _ in range(600):
    if os.path.exists(sys.argv[2] + ".release"):
        break
    time.sleep(0.1)
db.execute("COMMIT")
X
"$VIGIL" bank create locked >/dev/null
python3 "$T/hold.py" "$VIGIL_DB" "$T/h" & holder=$!
for _ in $(seq 300); do [ -f "$T/h.locked" ] && break; sleep 0.1; done
printf 'd41d8cd98f00b204e9800998ecf8427e\n' > "$T/one.txt"
"$VIGIL" bank import --lock-timeout 1 locked "$T/one.txt" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && grep -q "lock" "$T/err" && ok "--lock-timeout gives up" || bad "--lock-timeout: rc=$rc $(cat "$T/err")"
"$VIGIL" bank import locked "$T/one.txt" 2>"$T/err2" & importer=$!
for _ in $(seq 300); do grep -q "waiting for the store's write lock held by another process" "$T/err2" && break; sleep 0.1; done
touch "$T/h.release"
wait $importer; rc=$?
wait $holder
[ $rc -eq 0 ] && grep -q "waiting for the store's write lock" "$T/err2" && grep -q " 1 added" "$T/err2" &&
	ok "import waits for the lock" || bad "lock wait: rc=$rc $(cat "$T/err2")"
"$VIGIL" bank delete locked
"$VIGIL" help --man | grep -q "lock.*timeout SECONDS" && ok "man: --lock-timeout" || bad "man: --lock-timeout"

else
"$VIGIL" bank create locked >/dev/null
printf 'd41d8cd98f00b204e9800998ecf8427e\n' > "$T/one.txt"
# A session holding the entries table: the import gives up after 1 s.
(printf 'BEGIN; LOCK TABLE entries IN EXCLUSIVE MODE; SELECT pg_sleep(30);\n' |
	psql -q "$VIGIL_TEST_PG_URI" >/dev/null 2>&1) & holder=$!
for _ in $(seq 100); do
	[ "$(psql -At "$VIGIL_TEST_PG_URI" -c "SELECT count(*) FROM pg_locks WHERE relation='entries'::regclass AND mode='ExclusiveLock' AND granted")" = 1 ] && break
	sleep 0.1
done
"$VIGIL" bank import --lock-timeout 1 locked "$T/one.txt" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && grep -q "lock timeout" "$T/err" && ok "--lock-timeout gives up (postgresql)" || bad "--lock-timeout: rc=$rc $(cat "$T/err")"
psql -q "$VIGIL_TEST_PG_URI" -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND pid<>pg_backend_pid()" >/dev/null
wait $holder
"$VIGIL" bank import locked "$T/one.txt" 2>"$T/err2" && grep -q " 1 added" "$T/err2" && ok "import after the lock" || bad "after lock: $(cat "$T/err2")"
"$VIGIL" bank delete locked
fi
# Unbounded input ends: NUL bytes (not a text list) stop at once, a line
# with no line break in 1 MiB stops, and --max-bytes bounds the whole input.
"$VIGIL" bank create unbounded >/dev/null
timeout 60 "$VIGIL" bank import unbounded /dev/zero 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && grep -q "NUL byte" "$T/err" && ok "import /dev/zero stops" || bad "import /dev/zero: rc=$rc $(head -c 300 "$T/err")"
yes abcdef | tr -d '\n' | timeout 60 "$VIGIL" bank import unbounded - 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && grep -q "no line break" "$T/err" && ok "endless line stops" || bad "endless line: rc=$rc $(head -c 300 "$T/err")"
yes d41d8cd98f00b204e9800998ecf8427e | timeout 60 "$VIGIL" bank import --max-bytes 100000 unbounded - 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && grep -q "more than 100000 bytes" "$T/err" && ok "import --max-bytes" || bad "import --max-bytes: rc=$rc $(head -c 300 "$T/err")"
"$VIGIL" bank delete unbounded

# Disabled banks are not matched; delete removes.
"$VIGIL" bank disable refs && "$VIGIL" bank disable copy
"$VIGIL" match --hash md5:d41d8cd98f00b204e9800998ecf8427e > "$T/m" 2>"$T/err"; rc=$?
[ $rc -eq 3 ] && [ ! -s "$T/m" ] && grep -q "no enabled bank" "$T/err" && ok "disabled banks not matched" || bad "disabled: $(cat "$T/m")"
"$VIGIL" bank delete refs && "$VIGIL" bank show refs 2>/dev/null; [ $? -eq 1 ] && ok "delete" || bad "delete"
# Videos: a vPDQ file from the reference as a video entry; the same video,
# hashed by vigil, matches it with all of its frames; another does not.
"$VIGIL" bank create vids >/dev/null
"$VIGIL" bank import vids "$VEC/vpdq/hashes-debian12/chair-19-sd-bar-1s.txt" 2>/dev/null
"$VIGIL" match --video -f jsonl "$VEC/vpdq/videos/chair-19-sd-bar.mp4" "$VEC/vpdq/videos/pattern-hd-no-bar.mp4" > "$T/m"; rc=$?
[ $rc -eq 1 ] && [ "$(wc -l < "$T/m")" -eq 1 ] && grep -q '"type":"vpdq".*"query_pct":100.0,"compared_pct":100.0' "$T/m" &&
	ok "match --video" || bad "match --video: rc=$rc $(cat "$T/m")"
entry=$(sed -n 's/.*"entry":\([0-9]*\).*/\1/p' "$T/m")
"$VIGIL" bank export vids --format vpdq --entry "$entry" -o "$T/video.txt" 2>/dev/null &&
	cmp -s "$T/video.txt" "$VEC/vpdq/hashes-debian12/chair-19-sd-bar-1s.txt" &&
	ok "vPDQ export round trip" || bad "vPDQ export round trip"
"$VIGIL" bank export copy --format vpdq --entry "$entry" 2>/dev/null; [ $? -eq 1 ] && ok "video of another bank" || bad "video of another bank"
"$VIGIL" match --video --query-pct 101 x 2>/dev/null; [ $? -eq 2 ] && ok "--query-pct bound" || bad "--query-pct bound"
"$VIGIL" bank frob 2>/dev/null; [ $? -eq 2 ] && ok "unknown subcommand" || bad "unknown subcommand"
exit $fail
