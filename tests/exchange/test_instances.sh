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
exit $fail
