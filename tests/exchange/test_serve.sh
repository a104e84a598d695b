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

# Feedback through the outbox: a reviewer's confirm of a case matching a
# StopNCII entry queues SubmitFeedback; the service fails (503), the row
# stays pending across a kill -9, and the next server sends it once the
# service is back.
REVIEW=$("$VIGIL" key create rev1 --role review 2>/dev/null)
R="Authorization: Bearer $REVIEW"
export SNCII_CRED3='fetchkey123,subkey456,feedbackkey789'
"$VIGIL" exchange add fb --api stopncii --url "$X/v1" --credentials env:SNCII_CRED3 >/dev/null
"$VIGIL" bank policy fb action=review >/dev/null
curl -sf -X POST "$X/_ctl/add" --data-binary '{"api":"stopncii","records":[
 {"signalType":"ImagePDQ","hashValue":"'$PDQ'","hashStatus":"Active"}]}' >/dev/null
start --exchange-interval 0 --webhook-backoff 200 --webhook-max-backoff 1 --webhook-poll 100
st=$(code POST /v1/exchanges/fb/fetch -H "$A")
check "feedback: fetch" [ "$st" = 200 ]
st=$(code POST /v1/content -H "$S" -F file=@"$IMG" \
	-F 'context={"content_id":"c1","user_id":"u1"};type=application/json')
CASE=$(jq -r '.case // .case_id // empty' < "$T/body")
check "feedback: the upload opened a case" [ "$st" = 200 -a -n "$CASE" ]
nfb() { curl -sf "$X/_ctl/log" | grep -c '"path": "/v1/SubmitFeedback"'; }
curl -sf -X POST "$X/_ctl/fault" --data-binary '{"status":503,"count":1000}' >/dev/null
code POST "/v1/cases/$CASE/claim" -H "$R" >/dev/null
st=$(code POST "/v1/cases/$CASE/decision" -H "$R" -d '{"decision":"confirm","classification":"A1"}')
check "feedback: confirm decided" [ "$st" = 200 ]
i=0; while [ "$(nfb)" -lt 2 ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done
st=$(code GET /v1/exchanges/fb/feedback -H "$A")
check "feedback: queued, retried with backoff, pending while the service fails" \
	[ "$st" = 200 -a "$(jq -r '.feedback | length' < "$T/body")" = 1 -a \
	  "$(jq -r '.feedback[0] | .state + " " + .verdict + " " + (.attempts >= 2 | tostring)' < "$T/body")" = "pending confirm true" ]
check "feedback: the last error names the status" [ "$(jq -r '.feedback[0].last_error | test("HTTP 503")' < "$T/body")" = true ]
kill -9 $SPID; wait $SPID 2>/dev/null; SPID=
curl -sf -X POST "$X/_ctl/clear" --data-binary '{}' >/dev/null
n0=$(nfb)
start --exchange-interval 0 --webhook-backoff 200 --webhook-max-backoff 1 --webhook-poll 100
i=0; while [ "$(curl -s "$U/v1/exchanges/fb/feedback" -H "$A" | jq -r '.feedback[0].state')" != sent ] && [ $i -lt 200 ]; do
	sleep 0.1; i=$((i+1)); done
check "feedback: after kill -9 and a restart, sent" \
	[ "$(curl -s "$U/v1/exchanges/fb/feedback" -H "$A" | jq -r '.feedback[0].state')" = sent ]
check "feedback: one SubmitFeedback after the restart, Blocked, its own key" sh -c \
	"[ \$(curl -sf '$X/_ctl/log' | grep '/v1/SubmitFeedback' | tail -n +$((n0+1)) | wc -l) -eq 1 ] &&
	 curl -sf '$X/_ctl/log' | grep '/v1/SubmitFeedback' | tail -1 | grep -q '\"fkey\": \"feedbackkey789\".*Blocked'"
st=$(code POST /v1/exchanges/fb/feedback -H "$A" -d '{"entry":999999,"verdict":"confirm"}')
check "feedback route: an unknown entry is refused" [ "$st" = 404 -o "$st" = 400 ]
E=$(store_sql "$VIGIL_DB" "SELECT e.id FROM entries e JOIN banks b ON b.id=e.bank_id WHERE b.name='fb'")
st=$(code POST /v1/exchanges/fb/feedback -H "$A" -d '{"entry":'$E',"verdict":"dismiss"}')
check "feedback route: queued (202)" [ "$st" = 202 -a "$(jq -r .state < "$T/body")" = pending ]
i=0; while [ "$(curl -s "$U/v1/exchanges/fb/feedback" -H "$A" | jq -r '.feedback[0].state')" != sent ] && [ $i -lt 200 ]; do
	sleep 0.1; i=$((i+1)); done
check "feedback route: sent by the delivery thread" sh -c \
	"curl -sf '$X/_ctl/log' | grep '/v1/SubmitFeedback' | tail -1 | grep -q NotBlocked"
st=$(code GET /v1/exchanges/fb -H "$A")
check "show: feedback counts" [ "$(jq -c .feedback < "$T/body")" = '{"pending":0,"sent":2,"failed":0}' ]
stop; check "server exits 0 after feedback" [ $? -eq 0 ]
exit $fail
