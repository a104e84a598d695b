#!/bin/sh
# Several vigil instances: (1) two servers sharing one store fetch a
# scheduled exchange one at a time (the lease), and the survivor takes over
# the lease of one killed mid-fetch once it expires; (2) one server
# publishes a bank as an exchange feed (GET /v1/feed/{bank}) and another,
# with its own store, fetches it with --api vigil: adds, updates and
# deletes propagate incrementally.
set -u
VIGIL=$1
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d)
SPID= XPID= APID= BPID=
trap 'for p in $SPID $APID $BPID; do kill -9 $p 2>/dev/null; done; [ -n "$XPID" ] && kill $XPID 2>/dev/null; rm -rf "$T"' EXIT
. "$HERE/../server/lib.sh"

python3 "$HERE/standin.py" "$T/xport" & XPID=$!
i=0; while [ ! -s "$T/xport" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
X="http://127.0.0.1:$(cat "$T/xport")"
gets() { curl -sf "$X/_ctl/log" | grep -c '"method": "GET"'; }
h() { printf '%s' "$1" | sha256sum | cut -c1-64; }

# ------------------------------------------------- (1) the lease
export VIGIL_DB="$T/shared.db"
ADMIN=$("$VIGIL" key create admin1 --role admin 2>/dev/null)
A="Authorization: Bearer $ADMIN"
printf 'tcap_user:tcap_pass\n' >"$T/tcap.cred"
curl -sf -X POST "$X/_ctl/add" --data-binary '{"api":"tcap","records":[
 {"hash_digest":"'$(h l1)'","algorithm":"PDQ","ideology":"x","file_type":"jpg","deleted":false},
 {"hash_digest":"'$(h l2)'","algorithm":"PDQ","ideology":"x","file_type":"jpg","deleted":false}]}' >/dev/null
"$VIGIL" exchange add tc --api tcap --url "$X" --page-size 1 --credentials "file:$T/tcap.cred" >/dev/null
curl -sf -X POST "$X/_ctl/hang" --data-binary '{"after":0}' >/dev/null
start --exchange-interval 1 --exchange-lease 6; APID=$SPID
i=0; while [ "$(gets)" -lt 1 ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done
owner_a=$(sqlite3 "$VIGIL_DB" "SELECT owner FROM leases WHERE name='exchange:tc'")
check "server A holds the lease while its fetch waits for a page" [ -n "$owner_a" ]
start --exchange-interval 1 --exchange-lease 6 --log-level debug; BPID=$SPID
i=0; while ! grep -q "exchange tc: another server holds the lease" "$T/server.log" && [ $i -lt 200 ]; do
	sleep 0.1; i=$((i+1)); done
check "server B sees the lease and does not fetch" [ $i -lt 200 -a "$(gets)" -eq 1 ]
kill -9 $APID; wait $APID 2>/dev/null; APID=
curl -sf -X POST "$X/_ctl/unhang" --data-binary '{}' >/dev/null
i=0; while [ "$(sqlite3 "$VIGIL_DB" "SELECT last_success FROM exchanges WHERE name='tc'")" = 0 ] && [ $i -lt 300 ]; do
	sleep 0.1; i=$((i+1)); done
check "after A's kill -9 and its lease's expiry, B fetched the exchange" \
	[ "$(sqlite3 "$VIGIL_DB" "SELECT COUNT(*) FROM exchange_items")" = 2 ]
check "B released the lease after its fetch" \
	[ "$(sqlite3 "$VIGIL_DB" "SELECT COUNT(*) FROM leases WHERE owner='$owner_a'")" = 0 ]
SPID=$BPID; BPID=; stop; check "server B exits 0" [ $? -eq 0 ]

# ---------------------------------- (2) the local exchange (--api vigil)
# Publisher P (store p.db) publishes bank "list"; consumer C (store c.db)
# fetches it as exchange "peer". Entries of C's bank: "type hash
# source_ref metadata-label" lines.
PDB=$T/p.db CDB=$T/c.db
"$VIGIL" bank create list --db "$PDB" >/dev/null
printf '%s\n%s\n%s\n' "$(h f1)" "$(h f2)" "$(h f3)" >"$T/list.txt"
"$VIGIL" bank import list "$T/list.txt" --db "$PDB" >/dev/null 2>&1
"$VIGIL" exchange publish list --db "$PDB" >/dev/null
check "publish a bank" [ $? -eq 0 ]
FEED=$("$VIGIL" key create peer1 --role feed --db "$PDB" 2>/dev/null)
PADMIN=$("$VIGIL" key create padmin --role admin --db "$PDB" 2>/dev/null)
CADMIN=$("$VIGIL" key create cadmin --role admin --db "$CDB" 2>/dev/null)
SUBP=$("$VIGIL" key create psub --role submit --db "$PDB" 2>/dev/null)
export PEER_KEY="$FEED" # read by C's server at each fetch
VIGIL_DB=$PDB start --exchange-interval 0; PPID_=$SPID; UP=$U
VIGIL_DB=$CDB start --exchange-interval 0; CPID_=$SPID; UC=$U
"$VIGIL" exchange add peer --db "$CDB" --api vigil --url "$UP/v1/feed/list" --page-size 2 \
	--credentials env:PEER_KEY >/dev/null
check "add --api vigil" [ $? -eq 0 ]
centries() { sqlite3 "$CDB" "SELECT e.type||' '||lower(hex(e.value))||' '||e.source_ref||' '||
	coalesce(CASE WHEN json_valid(e.metadata) THEN json_extract(e.metadata,'\$.label') END,'-') FROM entries e JOIN banks b ON b.id=e.bank_id
	WHERE b.name='peer' ORDER BY 1"; }
pentries() { sqlite3 "$PDB" "SELECT e.type||' '||lower(hex(e.value))||' '||e.id||' '||
	coalesce(CASE WHEN json_valid(e.metadata) THEN json_extract(e.metadata,'\$.label') END,'-') FROM entries e JOIN banks b ON b.id=e.bank_id
	WHERE b.name='list' ORDER BY 1"; }
cfetch() { U=$UC code POST /v1/exchanges/peer/fetch -H "Authorization: Bearer $CADMIN"; }
st=$(U=$UP code GET /v1/feed/list -H "Authorization: Bearer $SUBP")
check "the feed refuses a key without role feed" [ "$st" = 403 ]
st=$(U=$UP code GET /v1/feed/nope -H "Authorization: Bearer $FEED")
check "an unpublished bank is 404" [ "$st" = 404 ]
st=$(cfetch)
check "first fetch: 3 records over 2 pages" [ "$st" = 200 -a "$(jq -r '"\(.pages) \(.records) \(.added)"' < "$T/body")" = "2 3 3" ]
check "the consumer holds the publisher's entries" [ "$(centries)" = "$(pentries)" ]
# Changes on P: an add (through P's API), an update (metadata, as an edit
# of the entry does) and a delete (P's API).
st=$(U=$UP code POST /v1/banks/list/entries -H "Authorization: Bearer $PADMIN" \
	-d '{"entries":[{"type":"pdq","value":"'$(h f4)'"}]}')
check "publisher: add an entry" [ "$st" = 200 -o "$st" = 201 ]
E2=$(sqlite3 "$PDB" "SELECT id FROM entries WHERE lower(hex(value))='$(h f2)'")
E3=$(sqlite3 "$PDB" "SELECT id FROM entries WHERE lower(hex(value))='$(h f3)'")
sqlite3 "$PDB" "UPDATE entries SET metadata='{\"label\":\"updated\"}' WHERE id=$E2"
st=$(U=$UP code DELETE "/v1/banks/list/entries/$E3" -H "Authorization: Bearer $PADMIN")
check "publisher: delete an entry" [ "$st" = 200 -o "$st" = 204 ]
n0=$(U=$UP curl -s "$UP/v1/feed/list" -H "Authorization: Bearer $FEED" | jq .next_after)
st=$(cfetch)
check "incremental fetch: only the 3 changes" [ "$st" = 200 -a "$(jq -r .records < "$T/body")" = 3 ]
check "adds, updates and deletes propagated" [ "$(centries)" = "$(pentries)" -a \
	"$(centries | grep -c updated)" = 1 -a "$(centries | grep -c "$(h f3)")" = 0 -a "$(centries | grep -c "$(h f4)")" = 1 ]
check "the consumer's checkpoint is the publisher's last sequence" \
	[ "$(sqlite3 "$CDB" "SELECT json_extract(checkpoint,'\$.after') FROM exchanges WHERE name='peer'")" = "$n0" ]
st=$(cfetch)
check "nothing new: an empty, up-to-date fetch" [ "$st" = 200 -a "$(jq -r '"\(.records) \(.up_to_date)"' < "$T/body")" = "0 true" ]
SPID=$CPID_; stop; check "consumer exits 0" [ $? -eq 0 ]
SPID=$PPID_; stop; check "publisher exits 0" [ $? -eq 0 ]
exit $fail
