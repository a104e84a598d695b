#!/bin/sh
# A batched first fetch holds no write lock while it downloads (issue 13):
# while the stand-in holds page 2 of a ThreatExchange fetch whose pages
# batch (1,000 records each, XCH_BATCH_MIN_PAGE), another writer takes
# SQLite's write lock at once; released, the fetch ends as an
# uninterrupted fetch of the same feed into another store does. SQLite
# only: its write lock is store-wide, PostgreSQL's are per row.
set -u
VIGIL=$1
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d)
SRV= FPID=
cleanup() {
	[ -n "$SRV" ] && kill "$SRV" 2>/dev/null
	[ -n "$FPID" ] && kill "$FPID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
. "$HERE/../server/lib.sh"

. "$HERE/standin.sh"
standin_start
held() { curl -sf -X POST "$B/_ctl/held" | sed 's/[^0-9]//g'; }
export TE_CRED='123456789|abcdefghijklmnopqrstuvwxyz'

# 3,000 invented PDQ hashes: three full pages of 1,000.
python3 -c '
import hashlib, json
print(json.dumps({"api": "te", "records": [
    {"id": str(i), "type": "HASH_PDQ", "should_delete": False,
     "indicator": hashlib.sha256(b"lock%d" % i).hexdigest(),
     "descriptors": {"data": [{"id": str(9000 + i), "owner": {"id": "55"},
                               "status": "MALICIOUS", "tags": {"data": []}}]}}
    for i in range(3000)]}))' >"$T/recs"
curl -sf -X POST --data-binary "@$T/recs" "$B/_ctl/add" >/dev/null || bad "control add"

for db in "$T/a.db" "$T/b.db"; do
	"$VIGIL" exchange add te --db "$db" --api threatexchange --url "$B/v21.0" \
		--privacy-group 777 --page-size 1000 --credentials env:TE_CRED >/dev/null ||
		bad "add te to $db"
done
entries() {
	sqlite3 "$1" "SELECT e.type||' '||lower(hex(e.value))||' '||e.source_ref
		FROM entries e ORDER BY 1"
}

# The reference: the same feed, uninterrupted.
"$VIGIL" exchange fetch --db "$T/b.db" te >/dev/null 2>"$T/err.b" || bad "reference fetch"
entries "$T/b.db" >"$T/want"
[ "$(wc -l <"$T/want")" -eq 3000 ] && ok "reference fetch: 3000 entries" ||
	bad "reference fetch: $(wc -l <"$T/want") entries"

ctl hold '{"after":1}'
"$VIGIL" exchange fetch --db "$T/a.db" te >"$T/out.a" 2>"$T/err.a" & FPID=$!
i=0; while [ "$(held)" != 1 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
if [ "$(held)" = 1 ]; then
	# Fails (database is locked) if the fetch's transaction is open.
	if sqlite3 -cmd ".timeout 200" "$T/a.db" "BEGIN IMMEDIATE;
		CREATE TABLE IF NOT EXISTS lock_probe(x); INSERT INTO lock_probe VALUES (1);
		COMMIT;" 2>"$T/probe"; then
		ok "page 2 downloading: another writer gets the lock"
	else
		bad "page 2 downloading: another writer waits: $(cat "$T/probe")"
	fi
else
	bad "the stand-in never held page 2"
fi
ctl release '{}'
wait "$FPID"; frc=$?; FPID=
[ $frc -eq 0 ] && ok "held fetch ends" || bad "held fetch: rc $frc: $(cat "$T/err.a")"
entries "$T/a.db" >"$T/got"
cmp -s "$T/want" "$T/got" && ok "held fetch = uninterrupted fetch" ||
	bad "held fetch differs: $(diff "$T/want" "$T/got" | head -5)"
# The checkpoint's last_fetch is the wall clock of the fetch: left out.
ckpt() { sqlite3 "$1" "SELECT json_remove(checkpoint,'\$.last_fetch')||' '||up_to_date FROM exchanges"; }
[ "$(ckpt "$T/a.db")" = "$(ckpt "$T/b.db")" ] && ok "same checkpoint: $(ckpt "$T/a.db")" ||
	bad "checkpoints differ: $(ckpt "$T/a.db") vs $(ckpt "$T/b.db")"
exit $fail
