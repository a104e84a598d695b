#!/bin/sh
# Several vigil instances: (1) two servers sharing one store fetch a
# scheduled exchange one at a time (the lease), and the survivor takes over
# the lease of one killed mid-fetch once it expires; (2) one server
# publishes a bank as an exchange feed (GET /v1/feed/{bank}) and another,
# with its own store, fetches it with --api vigil: adds, updates and
# deletes propagate incrementally; every page is signed with the
# publisher's feed key and verified against the key the consumer pinned (a
# tampered page, another key, another feed's page or another cursor's are
# refused, nothing applied); (3) the publisher's feed log compacted after
# churn: a fresh consumer and one with a checkpoint older than the log's
# floor both end with the publisher's entries.
set -u
VIGIL=$1
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d)
SPID= XPID= APID= BPID= FPID= PPID_= CPID_=
trap 'for p in $SPID $APID $BPID $PPID_ $CPID_; do kill -9 $p 2>/dev/null; done; for p in $XPID $FPID; do kill $p 2>/dev/null; done; rm -rf "$T"' EXIT
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
VIGIL_DB=$PDB start --exchange-interval 0 --feed-compact-interval 0 --feed-key-file "$T/feed.key"
PPID_=$SPID; UP=$U
VIGIL_DB=$CDB start --exchange-interval 0; CPID_=$SPID; UC=$U
check "serve made the feed key, mode 0600" [ "$(stat -c %a "$T/feed.key")" = 600 ]
PK=$("$VIGIL" exchange feed-key --key "$T/feed.key")
check "feed-key prints the public key GET /v1/feed-key shows" [ ${#PK} = 64 -a \
	"$(curl -sf "$UP/v1/feed-key" -H "Authorization: Bearer $FEED" | jq -r .public_key)" = "$PK" ]
check "the seed is not in the server's log" [ "$(grep -c "$(cat "$T/feed.key")" "$T/server.log")" = 0 ]
"$VIGIL" exchange add nokey --db "$CDB" --api vigil --url "$UP/v1/feed/list" \
	--credentials env:PEER_KEY >/dev/null 2>&1
check "add --api vigil without --public-key is refused" [ $? -eq 2 ]
"$VIGIL" exchange add peer --db "$CDB" --api vigil --url "$UP/v1/feed/list" --page-size 2 \
	--credentials env:PEER_KEY --public-key "$PK" >/dev/null
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

# ------------------------------------------------ (2b) signatures
# Exchanges of C that reach P through a stand-in in between (feedproxy.py,
# mode in $T/mode). Each bad page must fail the fetch with nothing applied
# and one more error counted.
"$VIGIL" bank create other --db "$PDB" >/dev/null
printf '%s\n' "$(h o1)" >"$T/other.txt"
"$VIGIL" bank import other "$T/other.txt" --db "$PDB" >/dev/null 2>&1
"$VIGIL" exchange publish other --db "$PDB" >/dev/null
python3 "$HERE/feedproxy.py" "$T/fport" "$UP" "$T/mode" & FPID=$!
i=0; while [ ! -s "$T/fport" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
UF="http://127.0.0.1:$(cat "$T/fport")"
cnt() { sqlite3 "$CDB" "SELECT count(*) FROM entries e JOIN banks b ON b.id=e.bank_id WHERE b.name='$1'"; }
errs() { sqlite3 "$CDB" "SELECT errors FROM exchanges WHERE name='$1'"; }
xfetch() { U=$UC code POST "/v1/exchanges/$1/fetch" -H "Authorization: Bearer $CADMIN"; }
"$VIGIL" exchange feed-key --key "$T/other.key" >/dev/null
WRONG=$("$VIGIL" exchange feed-key --key "$T/other.key")
"$VIGIL" exchange add wrong --db "$CDB" --api vigil --url "$UP/v1/feed/list" \
	--credentials env:PEER_KEY --public-key "$WRONG" >/dev/null
st=$(xfetch wrong)
check "a key other than the pinned one: refused, nothing applied, an error counted" \
	[ "$st" != 200 -a "$(cnt wrong)" = 0 -a "$(errs wrong)" = 1 ]
check "... and the error says why" [ "$(jq -r .error.message < "$T/body" | grep -c 'bad signature')" = 1 ]
"$VIGIL" exchange add mitm --db "$CDB" --api vigil --url "$UF/v1/feed/list" --page-size 2 \
	--credentials env:PEER_KEY --public-key "$PK" >/dev/null
echo tamper >"$T/mode"; st=$(xfetch mitm)
check "a tampered page: refused, nothing applied, an error counted" \
	[ "$st" != 200 -a "$(cnt mitm)" = 0 -a "$(errs mitm)" = 1 ]
echo swap >"$T/mode"; st=$(xfetch mitm)
check "another feed's page (validly signed): refused" \
	[ "$st" != 200 -a "$(cnt mitm)" = 0 -a "$(errs mitm)" = 2 ]
echo pass >"$T/mode"; st=$(xfetch mitm)
check "the same path passing pages as they are: fetched" [ "$st" = 200 -a "$(cnt mitm)" = "$(cnt peer)" ]
U=$UP code POST /v1/banks/list/entries -H "Authorization: Bearer $PADMIN" \
	-d '{"entries":[{"type":"pdq","value":"'$(h f5)'"}]}' >/dev/null
echo skip >"$T/mode"; n1=$(cnt mitm); st=$(xfetch mitm)
check "a page of another cursor (validly signed, one record skipped): refused, nothing applied" \
	[ "$st" != 200 -a "$(cnt mitm)" = "$n1" -a "$(errs mitm)" = 3 ]
echo pass >"$T/mode"; st=$(xfetch mitm)
check "... and passed as it is, the new record comes" [ "$st" = 200 -a "$(cnt mitm)" = $((n1 + 1)) ]
"$VIGIL" exchange add loose --db "$CDB" --api vigil --url "$UF/v1/feed/list" \
	--credentials env:PEER_KEY --insecure-unsigned >/dev/null
echo tamper >"$T/mode"; st=$(xfetch loose)
check "--insecure-unsigned takes pages unverified (the opt-out does what it says)" [ "$st" = 200 ]
echo pass >"$T/mode"

# ------------------------------------------------ (3) compaction
# Churn on P's bank "list" while consumer "old" holds an early checkpoint;
# compact with no delete window; "old" is told its checkpoint is stale and
# refetches everything; a new consumer "fresh" fetches the compacted log.
st=$(cfetch)
rows0=$(sqlite3 "$PDB" "SELECT count(*) FROM feed_log")
: >"$T/churn.txt"
for k in 1 2 3 4 5 6 7 8 9 10 11 12; do h "c$k" >>"$T/churn.txt"; echo >>"$T/churn.txt"; done
"$VIGIL" bank import list "$T/churn.txt" --db "$PDB" >/dev/null 2>&1
for k in 1 2 3; do
	sqlite3 "$PDB" "UPDATE entries SET metadata='{\"label\":\"v$k\"}' WHERE bank_id=(SELECT id FROM banks WHERE name='list')"
done
for k in 2 4 6 8 10; do
	id=$(sqlite3 "$PDB" "SELECT id FROM entries WHERE lower(hex(value))='$(h "c$k")'")
	U=$UP code DELETE "/v1/banks/list/entries/$id" -H "Authorization: Bearer $PADMIN" >/dev/null
done
E1=$(sqlite3 "$PDB" "SELECT id FROM entries WHERE lower(hex(value))='$(h f1)'")
U=$UP code DELETE "/v1/banks/list/entries/$E1" -H "Authorization: Bearer $PADMIN" >/dev/null
rows1=$(sqlite3 "$PDB" "SELECT count(*) FROM feed_log")
out=$("$VIGIL" exchange compact list --keep-deletes 0 --db "$PDB")
check "compact: rows dropped" [ $? -eq 0 -a "$(echo "$out" | grep -c 'log rows dropped')" = 1 ]
rows2=$(sqlite3 "$PDB" "SELECT count(*) FROM feed_log")
live=$(sqlite3 "$PDB" "SELECT count(*) FROM entries e JOIN banks b ON b.id=e.bank_id WHERE b.name='list'")
lbank=$(sqlite3 "$PDB" "SELECT id FROM banks WHERE name='list'")
check "the log holds one row per live entry after churn ($rows0 -> $rows1 -> $rows2)" \
	[ "$rows1" -gt "$rows0" -a "$(sqlite3 "$PDB" "SELECT count(*) FROM feed_log WHERE bank_id=$lbank")" = "$live" ]
floor=$(sqlite3 "$PDB" "SELECT floor FROM feeds WHERE bank_id=$lbank")
old_after=$(sqlite3 "$CDB" "SELECT json_extract(checkpoint,'\$.after') FROM exchanges WHERE name='peer'")
check "the floor passed the old consumer's checkpoint ($old_after < $floor)" [ "$old_after" -lt "$floor" ]
st=$(U=$UP code GET "/v1/feed/list?after=$old_after" -H "Authorization: Bearer $FEED")
check "an older cursor is answered 410 stale_checkpoint" [ "$st" = 410 -a "$(errcode)" = stale_checkpoint ]
st=$(cfetch)
check "old-checkpoint consumer: a full refetch, the publisher's entries exactly" \
	[ "$st" = 200 -a "$(centries)" = "$(pentries)" -a "$(centries | grep -c "$(h f1)")" = 0 ]
"$VIGIL" exchange add fresh --db "$CDB" --api vigil --url "$UP/v1/feed/list" --page-size 3 \
	--credentials env:PEER_KEY --public-key "$PK" >/dev/null
st=$(xfetch fresh)
fentries() { sqlite3 "$CDB" "SELECT e.type||' '||lower(hex(e.value))||' '||e.source_ref||' '||
	coalesce(CASE WHEN json_valid(e.metadata) THEN json_extract(e.metadata,'\$.label') END,'-') FROM entries e JOIN banks b ON b.id=e.bank_id
	WHERE b.name='fresh' ORDER BY 1"; }
check "fresh consumer of the compacted log: the publisher's entries exactly" \
	[ "$st" = 200 -a "$(fentries)" = "$(pentries)" -a "$(cnt fresh)" = "$live" ]
SPID=$CPID_; stop; check "consumer exits 0" [ $? -eq 0 ]; CPID_=
SPID=$PPID_; stop; check "publisher exits 0" [ $? -eq 0 ]; PPID_=
# serve's own compaction (one server, the lease): a delete, then a start
# with a 1 s interval and no delete window drops its row.
E4=$(sqlite3 "$PDB" "SELECT id FROM entries WHERE lower(hex(value))='$(h f4)'")
sqlite3 "$PDB" "DELETE FROM entries WHERE id=$E4"
check "the delete is logged" [ "$(sqlite3 "$PDB" "SELECT count(*) FROM feed_log WHERE op=1")" -ge 1 ]
VIGIL_DB=$PDB start --exchange-interval 0 --feed-compact-interval 1 --feed-keep-deletes 0
i=0; while [ "$(sqlite3 "$PDB" "SELECT count(*) FROM feed_log WHERE op=1")" != 0 ] && [ $i -lt 200 ]; do
	sleep 0.1; i=$((i+1)); done
check "vigil serve compacts the feed log on its own" [ $i -lt 200 -a \
	"$(sqlite3 "$PDB" "SELECT count(*) FROM leases WHERE name='feed-compact'")" = 1 ]
stop; check "publisher exits 0 (compaction)" [ $? -eq 0 ]
exit $fail
