#!/bin/sh
# End-to-end: /v1/exchanges in `vigil serve` against the StopNCII stand-in:
# add (role admin), fetch, and the fetched hash matches on the next request
# (the live matcher), a delete upstream stops the match; errors keep what
# was committed; no secret in any reply.
set -u
VIGIL=$1 DEMO=$2
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d)
SPID= XPID=
trap '[ -n "$SPID" ] && kill -9 $SPID 2>/dev/null; [ -n "$XPID" ] && kill $XPID 2>/dev/null; rm -rf "$T"' EXIT
. "$HERE/../server/lib.sh"
# SQLite, or PostgreSQL when tests/pg/pg_env.sh runs this again.
export VIGIL_DB="$(store_uri v)"

python3 "$HERE/standin.py" "$T/xport" & XPID=$!
i=0; while [ ! -s "$T/xport" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
X="http://127.0.0.1:$(cat "$T/xport")"
ADMIN=$("$VIGIL" key create admin1 --role admin 2>/dev/null)
SUBMIT=$("$VIGIL" key create submit1 --role submit 2>/dev/null)
A="Authorization: Bearer $ADMIN" S="Authorization: Bearer $SUBMIT"
export SNCII_CRED='fetchkey123,subkey456'
start --exchange-interval 0 # fetches only on request, for the checks below

IMG="$DEMO/uploads/aqua-reupload.jpg"
PDQ=$("$VIGIL" hash "$IMG" | cut -d, -f1)
curl -sf -X POST "$X/_ctl/add" --data-binary '{"api":"stopncii","records":[
 {"signalType":"ImagePDQ","hashValue":"'$PDQ'","hashStatus":"Active"}]}' >/dev/null

st=$(code POST /v1/exchanges -H "$S" -d '{}')
check "submit role refused" [ "$st" = 403 ]
st=$(code POST /v1/exchanges -H "$A" -d '{"name":"sn","api":"stopncii","credentials":"env:SNCII_CRED","settings":{"url":"'$X/v1'"}}')
check "add 201" [ "$st" = 201 -a "$(jq -r .bank < "$T/body")" = sn -a "$(jq -r .credentials < "$T/body")" = env:SNCII_CRED ]
st=$(code POST /v1/exchanges -H "$A" -d '{"name":"sn2","api":"stopncii","credentials":"sk_live_plain"}')
check "a secret instead of a reference is refused" [ "$st" = 400 ]
st=$(code POST /v1/match -H "$S" -F file=@"$IMG")
check "no match before the fetch" [ "$st" = 200 -a "$(jq '.matches | length' < "$T/body")" = 0 ]
st=$(code POST /v1/exchanges/sn/fetch -H "$A")
check "fetch 200" [ "$st" = 200 -a "$(jq .added < "$T/body")" = 1 -a "$(jq .up_to_date < "$T/body")" = true ]
st=$(code POST /v1/match -H "$S" -F file=@"$IMG")
check "the fetched hash matches on the next request" \
	[ "$(jq -r '[.matches[] | select(.bank == "sn")] | length' < "$T/body")" = 1 ]
curl -sf -X POST "$X/_ctl/add" --data-binary '{"api":"stopncii","records":[
 {"signalType":"ImagePDQ","hashValue":"'$PDQ'","hashStatus":"Deleted"}]}' >/dev/null
st=$(code POST /v1/exchanges/sn/fetch -H "$A")
check "fetch of the delete" [ "$st" = 200 -a "$(jq ".removed >= 1" < "$T/body")" = true ]
st=$(code POST /v1/match -H "$S" -F file=@"$IMG")
check "a deleted hash stops matching at once" [ "$(jq '.matches | length' < "$T/body")" = 0 ]
curl -sf -X POST "$X/_ctl/fault" --data-binary '{"status":500,"count":5}' >/dev/null
st=$(code POST /v1/exchanges/sn/fetch -H "$A")
check "a failing service: 502 exchange_failed" [ "$st" = 502 -a "$(errcode)" = exchange_failed ]
st=$(code GET /v1/exchanges/sn -H "$A")
check "show: last error and counters" [ "$st" = 200 -a "$(jq .errors < "$T/body")" = 1 -a "$(jq ".fetched >= 2 and (.last_error | test(\"HTTP 500\"))" < "$T/body")" = true ]
st=$(code PATCH /v1/exchanges/sn -H "$A" -d '{"enabled":false}')
check "disable" [ "$st" = 200 -a "$(jq .enabled < "$T/body")" = false ]
st=$(code GET /v1/exchanges -H "$A")
check "list" [ "$st" = 200 -a "$(jq '.exchanges | length' < "$T/body")" = 1 ]
grep -rq -e subkey456 -e fetchkey123 "$T"/body "$T/server.log" && bad "a secret in a reply or the log" ||
	ok "no secret in replies or the log"
st=$(code DELETE /v1/exchanges/sn -H "$A")
check "delete" [ "$st" = 200 ]
check "the bank stays" [ "$(code GET /v1/banks/sn -H "$A")" = 200 ]
acts=$(store_sql "$VIGIL_DB" "SELECT action FROM audit WHERE action LIKE 'exchange.%'" | sort -u | tr '\n' ' ')
check "the audit has the exchange actions" sh -c \
	"echo '$acts' | grep -q 'exchange.create exchange.delete exchange.disable exchange.fetch'"
stop; check "server exits 0" [ $? -eq 0 ]

# The scheduler: with an interval of 1 s, a new exchange is fetched without
# being asked, its hash matches, and /metrics shows its progress.
METRICS=$("$VIGIL" key create metrics1 --role metrics 2>/dev/null)
printf 'tcap_user:tcap_pass\n' >"$T/tcap.cred"
curl -sf -X POST "$X/_ctl/add" --data-binary '{"api":"tcap","records":[
 {"hash_digest":"'$PDQ'","algorithm":"PDQ","ideology":"x","file_type":"jpg","deleted":false}]}' >/dev/null
"$VIGIL" exchange add tc --api tcap --url "$X" --credentials "file:$T/tcap.cred" >/dev/null
start --exchange-interval 1
i=0
while [ "$(curl -s "$U/v1/exchanges/tc" -H "$A" | jq .last_success)" = 0 ] && [ $i -lt 300 ]; do
	sleep 0.1; i=$((i+1)); done
st=$(code GET /v1/exchanges/tc -H "$A")
check "scheduled fetch ran" [ "$(jq '.last_success > 0 and .items == 1' < "$T/body")" = true ]
st=$(code POST /v1/match -H "$S" -F file=@"$IMG")
check "its hash matches" [ "$(jq -r '[.matches[] | select(.bank == "tc")] | length' < "$T/body")" = 1 ]
curl -s "$U/metrics" -H "Authorization: Bearer $METRICS" >"$T/metrics"
check "metrics: items and lag per exchange" sh -c \
	"grep -q '^vigil_exchange_items{exchange=\"tc\"} 1' '$T/metrics' && grep -q '^vigil_exchange_lag_seconds{exchange=\"tc\"}' '$T/metrics'"
stop; check "server exits 0 with the scheduler" [ $? -eq 0 ]
exit $fail
