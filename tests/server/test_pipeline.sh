#!/bin/sh
# End-to-end: the pipeline of `vigil serve` — POST /v1/content verdicts for
# block, review (report), suppressed and flood-quarantined uploads, cases
# joined per user and hash, user reports, and signed webhooks delivered to a
# receiver that checks every signature and dedupes by event id; then kill -9
# of the server with undelivered events: after the restart every event
# arrives, exactly once per event id, and none is lost.
set -u
VIGIL=$1 RECEIVER=$2 DEMO=$3
T=$(mktemp -d)
SRV= RCV=
cleanup() {
	[ -n "$SRV" ] && kill -9 "$SRV" 2>/dev/null
	[ -n "$RCV" ] && kill "$RCV" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
# The store: SQLite, or the PostgreSQL database in $VIGIL_TEST_PG_URI
# (tests/pg/pg_env.sh runs this script again on PostgreSQL).
export VIGIL_DB="${VIGIL_TEST_PG_URI:-$T/v.db}"
sql() {
	if [ -n "${VIGIL_TEST_PG_URI:-}" ]; then psql -qAt "$VIGIL_DB" -c "$1"
	else sqlite3 "$VIGIL_DB" "$1"; fi
}
fail=0
ok() { echo "ok - $1"; }
bad() { echo "FAIL - $1"; fail=1; }
# Waits (up to 20 s) for a file to exist / a command to succeed.
wait_for() { i=0; while ! eval "$1"; do i=$((i + 1)); [ $i -gt 400 ] && return 1; sleep 0.05; done; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

start_receiver() {
	rm -f "$T/rport"
	python3 "$RECEIVER" "$T/rport" "$T/rlog" s3cret ${1:-} & RCV=$!
	wait_for '[ -s "$T/rport" ]' || { echo "receiver did not start"; exit 1; }
	RPORT=$(cat "$T/rport")
}
start_server() {
	rm -f "$T/port"
	"$VIGIL" serve --listen 127.0.0.1:0 --port-file "$T/port" --log-level warn \
		--webhook-url "http://127.0.0.1:$RPORT/hook" --webhook-secret s3cret \
		--webhook-allow 127.0.0.1 --webhook-poll 50 --webhook-backoff 100 \
		--webhook-max-backoff 1 2>>"$T/server.log" & SRV=$!
	wait_for '[ -s "$T/port" ]' || { echo "server did not start"; cat "$T/server.log"; exit 1; }
	URL="http://127.0.0.1:$(cat "$T/port")"
}
# upload FILE CONTENT_ID USER_ID -> the JSON reply in $T/r, status in $code
upload() {
	code=$(curl -s -o "$T/r" -w '%{http_code}' -H "Authorization: Bearer $SUB" \
		-F "file=@$1" -F "context={\"content_id\":\"$2\",\"user_id\":\"$3\",\"ip\":\"192.0.2.7\",\"port\":50123,\"upload_time\":\"2026-12-01T10:00:00Z\",\"surface\":\"chat\"};type=application/json" \
		"$URL/v1/content")
}
new_events() { grep -c "^new .* $1 " "$T/rlog" 2>/dev/null || true; }

# Banks from hashes computed by `vigil hash` of the demo's benign images.
"$VIGIL" hash "$DEMO/known/aqua.jpg" > "$T/aqua.csv"
"$VIGIL" hash "$DEMO/known/ladybird.jpg" > "$T/ladybird.csv"
"$VIGIL" hash "$DEMO/known/storm.jpg" > "$T/storm.csv"
"$VIGIL" hash "$DEMO/uploads/IMG_0412.jpg" > "$T/fp.csv"
"$VIGIL" bank create blocked --action block >/dev/null &&
	"$VIGIL" bank import blocked "$T/aqua.csv" 2>/dev/null &&
	"$VIGIL" bank create reported --action report >/dev/null &&
	"$VIGIL" bank import reported "$T/ladybird.csv" 2>/dev/null &&
	"$VIGIL" bank policy reported priority=700 >/dev/null &&
	"$VIGIL" bank create flooded --action block >/dev/null &&
	"$VIGIL" bank policy flooded flood=2/3600 >/dev/null &&
	"$VIGIL" bank import flooded "$T/storm.csv" 2>/dev/null &&
	"$VIGIL" bank create known-fp --suppression >/dev/null &&
	"$VIGIL" bank policy known-fp pdq_distance=0 >/dev/null &&
	"$VIGIL" bank import known-fp "$T/fp.csv" 2>/dev/null && ok "banks" || bad "banks"
SUB=$("$VIGIL" key create uploader --role submit 2>/dev/null | tail -1)
ADM=$("$VIGIL" key create ops --role admin 2>/dev/null | tail -1)
[ -n "$SUB" ] && [ -n "$ADM" ] && ok "keys" || bad "keys"

PROM=$("$VIGIL" key create prom --role metrics 2>/dev/null | tail -1)
start_receiver
# A bank whose own webhook target answers slowly (for the in-flight kill).
"$VIGIL" hash "$DEMO/uploads/wood.jpg" > "$T/wood.csv"
"$VIGIL" bank create slow --action block >/dev/null &&
	"$VIGIL" bank import slow "$T/wood.csv" 2>/dev/null &&
	"$VIGIL" bank policy slow "webhook_url=http://127.0.0.1:$RPORT/slow" >/dev/null || bad "slow bank"
start_server

# Block: an exact re-upload of a known image.
upload "$DEMO/uploads/aqua-reupload.jpg" c1 u1
[ "$code" = 200 ] && [ "$(json 'd["verdict"]' < "$T/r")" = block ] &&
	[ "$(json 'd["case"]' < "$T/r")" = None ] &&
	json '[a["type"] for a in d["actions"]]' < "$T/r" | grep -q "'block'" &&
	json 'd["matches"][0]["bank"]+" "+d["matches"][0]["disposition"]' < "$T/r" | grep -q "blocked acted" &&
	ok "block verdict" || bad "block: $code $(cat "$T/r")"
# Allow: an unrelated image.
upload "$DEMO/uploads/dune.jpg" c2 u1
[ "$code" = 200 ] && [ "$(json 'd["verdict"]+str(d["case"])+str(len(d["matches"]))' < "$T/r")" = allowNone0 ] &&
	ok "allow verdict" || bad "allow: $code $(cat "$T/r")"
# Review with a report drafted: a case, joined by the same user's re-upload.
upload "$DEMO/known/ladybird.jpg" c3 u2
CASE=$(json 'd["case"]' < "$T/r")
[ "$code" = 200 ] && [ "$(json 'd["verdict"]' < "$T/r")" = review ] && [ "$CASE" -gt 0 ] 2>/dev/null &&
	json '[a["type"] for a in d["actions"]]' < "$T/r" | grep -q "'report_draft'" &&
	ok "review verdict opens case $CASE" || bad "review: $code $(cat "$T/r")"
upload "$DEMO/known/ladybird.jpg" c4 u2
[ "$(json 'd["case"]' < "$T/r")" = "$CASE" ] && json '[a.get("joined") for a in d["actions"]]' < "$T/r" | grep -q True &&
	ok "same hash, same user: joins case $CASE" || bad "join: $(cat "$T/r")"
upload "$DEMO/known/ladybird.jpg" c5 u3
C2=$(json 'd["case"]' < "$T/r")
[ "$C2" != "$CASE" ] && [ "$C2" -gt 0 ] 2>/dev/null && ok "another user: another case" || bad "other user: $(cat "$T/r")"
# Suppressed: the shrunk ladybird is in the suppression bank (distance 0).
upload "$DEMO/uploads/IMG_0412.jpg" c6 u4
[ "$(json 'd["verdict"]' < "$T/r")" = allow ] &&
	json '" ".join(m["bank"]+":"+m["disposition"] for m in d["matches"])' < "$T/r" | grep -q "reported:suppressed" &&
	json '" ".join(m["bank"]+":"+m["disposition"] for m in d["matches"])' < "$T/r" | grep -q "known-fp:suppressor" &&
	ok "suppression bank: matched, not acted on" || bad "suppressed: $(cat "$T/r")"
# Flood: more than 2 matches of one entry in an hour quarantines it.
upload "$DEMO/known/storm.jpg" f1 u5; v1=$(json 'd["verdict"]' < "$T/r")
upload "$DEMO/known/storm.jpg" f2 u6; v2=$(json 'd["verdict"]' < "$T/r")
upload "$DEMO/known/storm.jpg" f3 u7; v3=$(json 'd["verdict"]' < "$T/r")
json '[a["type"] for a in d["actions"]]' < "$T/r" | grep -q "'quarantine'" && q3=1 || q3=0
upload "$DEMO/known/storm.jpg" f4 u8; v4=$(json 'd["verdict"]+" "+d["matches"][0]["disposition"]' < "$T/r")
[ "$v1 $v2 $v3 $q3" = "block block allow 1" ] && [ "$v4" = "allow quarantined" ] &&
	ok "flood: 3rd match quarantines the entry, 4th is not acted on" || bad "flood: $v1 $v2 $v3 $q3 / $v4"
# The quarantine over the API: listed, lifted (the entry acts again).
curl -s -H "Authorization: Bearer $ADM" "$URL/v1/quarantine" > "$T/r"
QE=$(json 'd["entries"][0]["entry"]' < "$T/r")
[ "$(json 'len(d["entries"])' < "$T/r")" = 1 ] && json 'd["entries"][0]["reason"]' < "$T/r" | grep -q "more than 2 matches in 3600 s" &&
	ok "GET /v1/quarantine" || bad "quarantine list: $(cat "$T/r")"
code=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE -H "Authorization: Bearer $ADM" "$URL/v1/quarantine/$QE")
upload "$DEMO/known/storm.jpg" f5 u14
[ "$code" = 200 ] && [ "$(json 'd["verdict"]' < "$T/r")" = block ] && ok "lifted: the entry acts again" || bad "lift: $code $(cat "$T/r")"
code=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE -H "Authorization: Bearer $ADM" "$URL/v1/quarantine/$QE")
[ "$code" = 404 ] && ok "lifting it twice: 404" || bad "lift twice: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE -H "Authorization: Bearer $SUB" "$URL/v1/quarantine/$QE")
[ "$code" = 403 ] && ok "lifting needs admin" || bad "lift role: $code"
# Refusals.
code=$(curl -s -o "$T/r" -w '%{http_code}' -H "Authorization: Bearer $SUB" -F "file=@$DEMO/uploads/dune.jpg" \
	-F 'context={"content_id":1}' "$URL/v1/content")
[ "$code" = 400 ] && grep -q bad_context "$T/r" && ok "bad context: 400" || bad "bad context: $code"
code=$(curl -s -o "$T/r" -w '%{http_code}' -H "Authorization: Bearer $SUB" -F "file=@$DEMO/uploads/dune.jpg" \
	-F 'context={"colour":"red"}' "$URL/v1/content")
[ "$code" = 400 ] && ok "unknown context key: 400" || bad "unknown key: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -F "file=@$DEMO/uploads/dune.jpg" "$URL/v1/content")
[ "$code" = 401 ] && ok "no key: 401" || bad "no key: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $ADM" -F "file=@$DEMO/uploads/dune.jpg" "$URL/v1/content")
[ "$code" = 403 ] && ok "admin key on /v1/content: 403" || bad "admin: $code"
code=$(curl -s -o "$T/r" -w '%{http_code}' -H "Authorization: Bearer $SUB" -F "file=@$DEMO/README.md" "$URL/v1/content")
[ "$code" = 415 ] && ok "neither image nor video: 415" || bad "not an image: $code $(cat "$T/r")"
# A user report without a file opens a case; about the same content again: joined.
code=$(curl -s -o "$T/r" -w '%{http_code}' -H "Authorization: Bearer $SUB" -H 'Content-Type: application/json' \
	-d '{"content_id":"c2","user_id":"u1","reporter":"r9","reason":"looks wrong"}' "$URL/v1/user-reports")
R1=$(json 'd["case"]' < "$T/r")
curl -s -o "$T/r" -H "Authorization: Bearer $SUB" -H 'Content-Type: application/json' \
	-d '{"content_id":"c2","user_id":"u1","reporter":"r10","reason":"same"}' "$URL/v1/user-reports"
[ "$code" = 201 ] && [ "$R1" -gt 0 ] 2>/dev/null && [ "$(json 'd["case"]' < "$T/r")" = "$R1" ] &&
	ok "user report: case $R1, joined by a second report" || bad "user report: $code $(cat "$T/r")"
code=$(curl -s -o "$T/r" -w '%{http_code}' -H "Authorization: Bearer $SUB" -H 'Content-Type: application/json' \
	-d '{"reason":"no subject"}' "$URL/v1/user-reports")
[ "$code" = 400 ] && ok "user report without subject: 400" || bad "report no subject: $code"

# Videos: 202 with a job id, hashed by the worker, the verdict by webhook
# (a known image seen in the video blocks it; an unrelated one is allowed).
ffmpeg -loglevel error -f lavfi -i color=c=black:s=320x240:d=1 -loop 1 -t 2 -i "$DEMO/known/aqua.jpg" \
	-filter_complex '[1:v]scale=320:240,setsar=1[k];[0:v][k]concat=n=2:v=1[v]' -map '[v]' -r 5 \
	-pix_fmt yuv420p "$T/known.mp4" &&
	ffmpeg -loglevel error -loop 1 -t 2 -i "$DEMO/uploads/dune.jpg" -vf scale=320:240 -r 5 -pix_fmt yuv420p "$T/other.mp4" ||
	bad "ffmpeg"
upload "$T/known.mp4" v1 u10; J1=$(json 'd["job"]' < "$T/r")
[ "$code" = 202 ] && [ -n "$J1" ] && ok "video: 202 with job $J1" || bad "video: $code $(cat "$T/r")"
upload "$T/other.mp4" v2 u10; J2=$(json 'd["job"]' < "$T/r")
wait_for "grep -q '\"job\":\"$J1\"' '$T/rlog' && grep -q '\"job\":\"$J2\"' '$T/rlog'" &&
	grep "\"job\":\"$J1\"" "$T/rlog" | grep -q '"data":{"verdict":"block","context":{"content_id":"v1"' &&
	grep "\"job\":\"$J2\"" "$T/rlog" | grep -q '"data":{"verdict":"allow"' &&
	ok "video verdicts by webhook: block (known image in a frame), allow" || bad "video verdicts: $(grep -c job "$T/rlog")"

# Webhooks: verdicts (block x1, review x3, flood blocks x3, videos x2),
# cases created (2 review + 1 report), one quarantine; all signed right.
wait_for '[ "$(new_events verdict)" -ge 9 ] && [ "$(new_events case.created)" -ge 3 ] && [ "$(new_events entry.quarantined)" -ge 1 ]' &&
	ok "webhooks delivered" || bad "webhooks: $(cut -c1-80 "$T/rlog")"
[ "$(new_events verdict)" = 9 ] && [ "$(new_events case.created)" = 3 ] && [ "$(new_events entry.quarantined)" = 1 ] &&
	ok "one event per verdict, case and quarantine" || bad "counts: $(cut -c1-80 "$T/rlog")"
grep -q '"verdict","created":[0-9]*,"data":{"verdict":"block","context":{"content_id":"c1","user_id":"u1","ip":"192.0.2.7","port":50123' "$T/rlog" &&
	ok "verdict event carries the upload's context" || bad "event body: $(grep verdict "$T/rlog" | head -1 | cut -c1-300)"
! grep -q "^badsig\|^dup" "$T/rlog" && ok "every signature verified, no duplicates" || bad "badsig/dup"
code=$(curl -s -o "$T/r" -w '%{http_code}' -H "Authorization: Bearer $ADM" "$URL/v1/webhooks/failed")
[ "$code" = 200 ] && [ "$(json 'len(d["events"])' < "$T/r")" = 0 ] && ok "no failed webhooks" || bad "failed: $code"
curl -s -H "Authorization: Bearer $PROM" "$URL/metrics" > "$T/metrics"
grep -q '^vigil_verdicts_total{verdict="block"} 5$' "$T/metrics" && grep -q '^vigil_verdicts_total{verdict="review"} 3$' "$T/metrics" &&
	grep -q '^vigil_webhook_backlog ' "$T/metrics" && grep -q '^vigil_webhook_failed 0$' "$T/metrics" &&
	grep -q '^vigil_entries_quarantined_total{bank="flooded"} 1$' "$T/metrics" &&
	grep -q '^vigil_webhook_deliveries_total{result="delivered"} ' "$T/metrics" &&
	ok "metrics: verdicts, backlog, failures, quarantines" || bad "metrics: $(grep 'vigil_verdicts\|vigil_webhook\|quarantined' "$T/metrics")"

# kill -9 with undelivered events: the receiver is down, uploads make
# events, the server dies; receiver and server come back; every event
# arrives once.
kill "$RCV"; wait "$RCV" 2>/dev/null; RCV=
upload "$DEMO/uploads/aqua-reupload.jpg" k1 u9; E1=$(json '[a["event_id"] for a in d["actions"] if a["type"]=="webhook"][0]' < "$T/r")
upload "$DEMO/known/ladybird.jpg" k2 u9; E2=$(json '" ".join(a["event_id"] for a in d["actions"] if a["type"]=="webhook")' < "$T/r")
sleep 0.3
kill -9 "$SRV"; wait "$SRV" 2>/dev/null; SRV=
[ -n "$E1" ] && [ -n "$E2" ] && [ "$(grep -c "$E1" "$T/rlog")" = 0 ] && ok "events pending when killed" || bad "pending: $E1 $E2"
start_receiver "$RPORT"
start_server
for e in $E1 $E2; do
	wait_for "grep -q '^new $e ' '$T/rlog'" || bad "event $e lost after restart"
done
[ "$(grep -c "^new $E1 " "$T/rlog")" = 1 ] && ok "after kill -9: delivered after restart" || bad "after restart"
# A crash between a receiver's 2xx and the row's update sends the event
# again: make that state by hand (what kill -9 at that moment leaves); the
# receiver's dedupe sees a dup, never a second new.
sleep 0.2
kill -9 "$SRV"; wait "$SRV" 2>/dev/null; SRV=
sql "UPDATE outbox SET state='pending', next_ms=0 WHERE event_id='$E1'"
start_server
wait_for "grep -q '^dup $E1 ' '$T/rlog'" && [ "$(grep -c "^new $E1 " "$T/rlog")" = 1 ] &&
	ok "redelivery deduped by event id" || bad "redelivery"
# Nothing lost: every row of the outbox arrived exactly once as new.
wait_for '[ "$(sql "SELECT count(*) FROM outbox WHERE state<>'"'"'delivered'"'"'")" = 0 ]' &&
	ok "outbox drained" || bad "outbox: $(sql "SELECT event_id,state,last_error FROM outbox WHERE state<>'delivered'")"
total=$(sql "SELECT count(*) FROM outbox")
distinct=$(grep '^new ' "$T/rlog" | cut -d' ' -f2 | sort -u | wc -l)
newlines=$(grep -c '^new ' "$T/rlog")
[ "$total" = "$distinct" ] && [ "$newlines" = "$distinct" ] && ok "$total events, each received once" ||
	bad "total $total, distinct $distinct, new lines $newlines"
# The audit has one row per verdict.
n=$(sql "SELECT count(*) FROM audit WHERE action='content.verdict'")
[ "$n" = 15 ] && ok "audit rows for every verdict (13 images, 2 videos)" || bad "audit rows: $n"
# kill -9 with an event in flight: the receiver has it but has not
# answered; after the restart it comes again (a dup, deduped), never lost.
upload "$DEMO/uploads/wood.jpg" s1 u12
ES=$(json '" ".join(a["event_id"] for a in d["actions"] if a.get("bank")=="slow")' < "$T/r")
wait_for "grep -q '^arrived $ES' '$T/rlog'" || bad "the slow delivery never started"
kill -9 "$SRV"; wait "$SRV" 2>/dev/null; SRV=
start_server
[ -n "$ES" ] && wait_for "grep -q '^dup $ES ' '$T/rlog'" && [ "$(grep -c "^new $ES " "$T/rlog")" = 1 ] &&
	ok "kill -9 mid-delivery: sent again after the restart, deduped" || bad "in flight: $ES $(grep "$ES" "$T/rlog" | cut -c1-60)"
# kill -9 under load: uploads keep coming while the server dies; every
# event of every upload that got its answer is delivered after the restart.
( for i in $(seq 1 40); do
	curl -s -H "Authorization: Bearer $SUB" -F "file=@$DEMO/uploads/aqua-reupload.jpg" \
		-F "context={\"content_id\":\"L$i\",\"user_id\":\"u13\"}" "$URL/v1/content" >> "$T/load" && echo >> "$T/load"
  done ) &
LOAD=$!
wait_for '[ "$(cat "$T/load" 2>/dev/null | grep -c verdict)" -ge 5 ]'
kill -9 "$SRV"; wait "$SRV" 2>/dev/null; SRV=
wait "$LOAD" 2>/dev/null
answered=$(python3 -c "
import json
ids=[]
for l in open('$T/load'):
    l=l.strip()
    if l.startswith('{'):
        d=json.loads(l)
        ids += [a['event_id'] for a in d.get('actions',[]) if a['type']=='webhook']
print(' '.join(ids))")
start_server
n_ans=$(echo $answered | wc -w)
lost=0
for e in $answered; do wait_for "grep -q '^new $e ' '$T/rlog'" || lost=$((lost + 1)); done
dups=0
for e in $answered; do [ "$(grep -c "^new $e " "$T/rlog")" = 1 ] || dups=$((dups + 1)); done
[ "$n_ans" -ge 5 ] && [ $lost -eq 0 ] && [ $dups -eq 0 ] &&
	ok "kill -9 under load: all $n_ans events of answered uploads delivered once" ||
	bad "under load: answered $n_ans lost $lost dups $dups"

# Policies over the API: GET shows it, PATCH edits it (validated, all or
# nothing), and the next upload follows it.
curl -s -H "Authorization: Bearer $ADM" "$URL/v1/banks/blocked" > "$T/r"
[ "$(json 'd["policy"]["action"]+" "+str(d["policy"]["pdq_distance"])' < "$T/r")" = "block 31" ] &&
	ok "GET /v1/banks/NAME carries the policy" || bad "bank policy: $(cat "$T/r")"
code=$(curl -s -o "$T/r" -w '%{http_code}' -X PATCH -H "Authorization: Bearer $ADM" -H 'Content-Type: application/json' \
	-d '{"description":"x","policy":{"action":"nuke"}}' "$URL/v1/banks/blocked")
curl -s -H "Authorization: Bearer $ADM" "$URL/v1/banks/blocked" > "$T/r2"
[ "$code" = 400 ] && grep -q invalid_policy "$T/r" && [ "$(json 'd["description"]+d["policy"]["action"]' < "$T/r2")" = block ] &&
	ok "PATCH with a bad policy: 400, nothing changed" || bad "bad policy: $code $(cat "$T/r") $(cat "$T/r2")"
code=$(curl -s -o "$T/r" -w '%{http_code}' -X PATCH -H "Authorization: Bearer $ADM" -H 'Content-Type: application/json' \
	-d '{"policy":{"action":"none"}}' "$URL/v1/banks/blocked")
[ "$code" = 200 ] && [ "$(json 'd["policy"]["action"]' < "$T/r")" = none ] && ok "PATCH policy" || bad "patch: $code $(cat "$T/r")"
upload "$DEMO/uploads/aqua-reupload.jpg" p1 u11
[ "$(json 'd["verdict"]+" "+d["matches"][0]["disposition"]' < "$T/r")" = "allow no_action" ] &&
	ok "the next upload follows the new policy" || bad "after patch: $(cat "$T/r")"
code=$(curl -s -o "$T/r" -w '%{http_code}' -X POST -H "Authorization: Bearer $ADM" -H 'Content-Type: application/json' \
	-d '{"name":"api-fp","policy":{"kind":"suppression","pdq_distance":4}}' "$URL/v1/banks")
[ "$code" = 201 ] && [ "$(json 'd["policy"]["kind"]+str(d["policy"]["pdq_distance"])' < "$T/r")" = suppression4 ] &&
	ok "POST /v1/banks with a policy" || bad "create with policy: $code $(cat "$T/r")"
# SIGTERM: a clean exit (and, in the sanitizer build, no leak or error
# report from any server run of this test).
kill -TERM "$SRV"; wait "$SRV"; rc=$?; SRV=
[ $rc -eq 0 ] && ok "SIGTERM: exit 0" || bad "SIGTERM: exit $rc"
! grep -q "Sanitizer\|runtime error" "$T/server.log" && ok "no sanitizer reports" ||
	bad "sanitizer: $(grep -A5 "Sanitizer\|runtime error" "$T/server.log" | head -30)"
exit $fail
