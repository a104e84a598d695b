#!/bin/sh
# End-to-end: CyberTipline reports inside vigil serve, against the stand-in
# API (ncmec_standin.py): the /v1/reports routes and their roles, the
# incident type per case (the reviewer's, else the bank policy's), filing
# by the report worker only to an allowlisted host, a retried upload, kill
# -9 of the server while /finish is held -> after the restart the report
# completes exactly once, automatic filing, retract, and the deadline
# alert (metric, log line without content, one outbox event per report).
set -u
VIGIL=$1
STANDIN=$2
DEMO=$3
T=$(mktemp -d)
SPID= NC=
trap '[ -n "$SPID" ] && kill -9 $SPID; [ -n "$NC" ] && kill $NC; rm -rf "$T"' EXIT
export VIGIL_DB="$T/v.db"
. "$(dirname "$0")/../server/lib.sh"
. "$(dirname "$0")/lib.sh"
q() { sqlite3 "$T/v.db" "$1"; }
wait_for() { i=0; while ! eval "$1"; do i=$((i + 1)); [ $i -gt 600 ] && return 1; sleep 0.05; done; }
# rep ID EXPR: a Python expression over GET /v1/reports/ID (admin) as d.
rep() { curl -s -H "Authorization: Bearer $ADM" "$U/v1/reports/$1" |
	python3 -c "import json,sys; d=json.load(sys.stdin); print($2)"; }
TRAFFICKING="Child Sex Trafficking"
ENTICEMENT="Online Enticement of Children for Sexual Acts"

# A store at schema 6 (before the filing columns) upgrades in place.
"$VIGIL" bank list >/dev/null 2>&1
for col in reports.work reports.work_since reports.work_next reports.work_tries reports.work_error \
	reports.overdue_alerted case_review.incident_type; do
	q "ALTER TABLE ${col%%.*} DROP COLUMN ${col#*.}"
done
q "PRAGMA user_version=6"
"$VIGIL" bank list >/dev/null 2>&1
[ "$(q "PRAGMA user_version")" -ge 7 ] &&
	[ "$(q "SELECT count(*) FROM pragma_table_info('reports') WHERE name LIKE 'work%' OR name='overdue_alerted'")" = 6 ] &&
	[ "$(q "SELECT count(*) FROM pragma_table_info('case_review') WHERE name='incident_type'")" = 1 ] &&
	ok "a store at schema 6 gains the filing columns (schema 7)" || bad "upgrade 6 -> 7"
"$VIGIL" bank list >/dev/null 2>&1 || bad "reopen at 7"

python3 -c "import secrets; print(secrets.token_hex(32))" > "$T/master.key"
chmod 600 "$T/master.key"
for img in storm ladybird aqua; do "$VIGIL" hash "$DEMO/known/$img.jpg" > "$T/$img.csv"; done
"$VIGIL" bank create reported --action report >/dev/null &&
	"$VIGIL" bank import reported "$T/storm.csv" 2>/dev/null &&
	"$VIGIL" bank import reported "$T/aqua.csv" 2>/dev/null || bad "bank reported"
"$VIGIL" bank create trafficked --action report >/dev/null &&
	"$VIGIL" bank import trafficked "$T/ladybird.csv" 2>/dev/null || bad "bank trafficked"
"$VIGIL" bank policy trafficked "incident_type=Trafficking" >/dev/null 2>&1; [ $? = 2 ] &&
	ok "policy: an unknown incident type is refused" || bad "policy incident_type accepted"
"$VIGIL" bank policy trafficked "incident_type=$TRAFFICKING" | grep -q "\"incident_type\":\"$TRAFFICKING\"" &&
	ok "policy: incident_type set" || bad "policy incident_type"
SUB=$("$VIGIL" key create uploader --role submit 2>/dev/null | tail -1)
REV=$("$VIGIL" key create alice --role review 2>/dev/null | tail -1)
ADM=$("$VIGIL" key create ops --role admin 2>/dev/null | tail -1)
MET=$("$VIGIL" key create prom --role metrics 2>/dev/null | tail -1)
nc_start --hang-finish "$T/hang" --fail-upload 1
export NCMEC_CRED=vigil-test:pa55word
cat > "$T/vigil.conf" <<CONF
master_key_file = $T/master.key
reporter_email = trust@example.invalid
ncmec_url = $NCURL
ncmec_credentials = env:NCMEC_CRED
report_backoff = 100
webhook_url = http://127.0.0.1:9/hook
webhook_allow = 127.0.0.1
CONF

"$VIGIL" serve --db "$T/v.db" --listen 127.0.0.1:0 --ncmec-credentials vigil-test:pa55word 2>"$T/err"; rc=$?
[ $rc = 2 ] && grep -q "env:VAR or file:PATH" "$T/err" && ! grep -q pa55word "$T/err" &&
	ok "literal ncmec credentials refused at start" || bad "literal credentials: rc=$rc $(cat "$T/err")"

# Three confirmed-to-be cases: storm (two uploads, two items), ladybird on
# the trafficked bank, aqua (stays a draft).
start --config "$T/vigil.conf"
URL=$U
up "$DEMO/known/storm.jpg" c1 192.0.2.7 50123 2026-11-30T10:00:00Z
C1=$(jq -r .case < "$T/r")
{ cat "$DEMO/known/storm.jpg"; printf 'a second copy'; } > "$T/storm2.jpg"
up "$T/storm2.jpg" c2 198.51.100.9 40999 2026-11-30T11:30:00Z
up "$DEMO/known/ladybird.jpg" c3 192.0.2.8 50124 2026-11-30T12:00:00Z
C2=$(jq -r .case < "$T/r")
up "$DEMO/known/aqua.jpg" c4 192.0.2.9 50125 2026-11-30T13:00:00Z
C3=$(jq -r .case < "$T/r")
[ "$C1" != "$C2" ] && [ "$C2" != "$C3" ] && [ "$C3" != null ] && ok "cases $C1 $C2 $C3" || bad "cases: $C1 $C2 $C3"
R() { code "$@" -H "Authorization: Bearer $REV"; }
for c in $C1 $C2 $C3; do R POST "/v1/cases/$c/claim" >/dev/null; done
R GET "/v1/cases/$C1/media/1?view=original" >/dev/null
decide() { R POST "/v1/cases/$1/decision" -H 'Content-Type: application/json' -d "$2"; }
c=$(decide "$C1" '{"decision":"confirm","classification":"A1","incident_type":"Enticement"}')
[ "$c" = 400 ] && [ "$(errcode)" = invalid_incident_type ] && ok "decision: a bad incident type is 400 invalid_incident_type" ||
	bad "bad incident type: $c $(cat "$T/body")"
c=$(decide "$C1" "{\"decision\":\"confirm\",\"classification\":\"A1\",\"incident_type\":\"$ENTICEMENT\"}")
R1=$(jq -r .report.id < "$T/body")
[ "$c" = 200 ] && [ "$(jq -r .report.incident_type < "$T/body")" = "$ENTICEMENT" ] && [ "$(jq -r .report.filing < "$T/body")" = false ] &&
	ok "confirm with the reviewer's incident type: report $R1 drafted, not filed" || bad "decision 1: $c $(cat "$T/body")"
c=$(decide "$C2" '{"decision":"confirm","classification":"B1"}')
R2=$(jq -r .report.id < "$T/body")
[ "$c" = 200 ] && [ "$(jq -r .report.incident_type < "$T/body")" = "$TRAFFICKING" ] &&
	ok "confirm without one: the bank policy's ($TRAFFICKING)" || bad "decision 2: $c $(cat "$T/body")"

# Reading: reviewers and admins; not the submit role.
c=$(code GET /v1/reports -H "Authorization: Bearer $REV")
[ "$c" = 200 ] && [ "$(jq '[.reports[].id] | sort' -c < "$T/body")" = "$(echo "[$R1,$R2]" | jq -c sort)" ] &&
	ok "GET /v1/reports (review): both reports" || bad "list: $c $(cat "$T/body")"
c=$(code GET /v1/reports -H "Authorization: Bearer $SUB"); [ "$c" = 403 ] && ok "submit role: 403" || bad "submit role list: $c"
c=$(code GET "/v1/reports?state=finished" -H "Authorization: Bearer $REV")
[ "$c" = 200 ] && [ "$(jq '.reports | length' < "$T/body")" = 0 ] && ok "?state=finished: none yet" || bad "state filter: $c"
c=$(code GET "/v1/reports?state=nonsense" -H "Authorization: Bearer $REV")
[ "$c" = 400 ] && [ "$(errcode)" = invalid ] && ok "?state=nonsense: 400 invalid" || bad "bad state: $c"
c=$(code GET /v1/reports/99999 -H "Authorization: Bearer $REV"); [ "$c" = 404 ] && [ "$(errcode)" = not_found ] && ok "unknown report: 404 not_found" || bad "404: $c"
c=$(code GET /v1/reports/x1 -H "Authorization: Bearer $REV"); [ "$c" = 400 ] && ok "bad id: 400" || bad "bad id: $c"
c=$(code GET "/v1/reports/$R1/xml" -H "Authorization: Bearer $REV")
[ "$c" = 200 ] && python3 -c "
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
assert r.findtext('incidentSummary/incidentType') == sys.argv[2]
" "$T/body" "$ENTICEMENT" && ok "xml: the reviewer's incident type" || bad "xml 1: $c $(cat "$T/body")"
code GET "/v1/reports/$R2/xml" -H "Authorization: Bearer $REV" >/dev/null
grep -q "<incidentType>$TRAFFICKING</incidentType>" "$T/body" && ok "xml: the bank policy's incident type" || bad "xml 2: $(cat "$T/body")"
c=$(code GET "/v1/reports/$R1/xml?file=2" -H "Authorization: Bearer $REV")
[ "$c" = 200 ] && grep -q "<fileViewedByEsp>false</fileViewedByEsp>" "$T/body" && ok "xml?file=2: fileDetails (not viewed)" || bad "xml file: $c"
# Drafting: admin only, a confirmed case only; again gives the same report.
c=$(code POST /v1/reports -H "Authorization: Bearer $REV" -d "{\"case\":$C3}"); [ "$c" = 403 ] && ok "draft by a reviewer: 403" || bad "draft rev: $c"
c=$(code POST /v1/reports -H "Authorization: Bearer $ADM" -d "{\"case\":$C3}")
[ "$c" = 409 ] && [ "$(errcode)" = wrong_state ] && ok "draft of an undecided case: 409 wrong_state" || bad "draft undecided: $c"
c=$(code POST /v1/reports -H "Authorization: Bearer $ADM" -d "{\"case\":$C1}")
[ "$c" = 201 ] && [ "$(jq .id < "$T/body")" = "$R1" ] && ok "draft again: the same report" || bad "draft again: $c $(cat "$T/body")"
c=$(code POST /v1/reports -H "Authorization: Bearer $ADM" -d '{"case":"one"}'); [ "$c" = 400 ] && ok "draft: bad body 400" || bad "draft body: $c"
c=$(code POST "/v1/reports/$R1/submit" -H "Authorization: Bearer $REV"); [ "$c" = 403 ] && ok "submit by a reviewer: 403" || bad "submit rev: $c"
stop || bad "server exit"

# The host is not on fetch_allow: the work waits, nothing reaches NCMEC.
start --config "$T/vigil.conf"
c=$(code POST "/v1/reports/$R1/submit" -H "Authorization: Bearer $ADM")
[ "$c" = 202 ] && [ "$(jq -r .work.kind < "$T/body")" = submit ] && ok "submit: 202, queued" || bad "submit: $c $(cat "$T/body")"
wait_for '[ "$(rep $R1 "\"fetch_allow\" in d[\"work\"][\"error\"]")" = True ]' && [ ! -s "$T/ncstate" ] &&
	[ "$(rep $R1 'd["state"]')" = draft ] && ok "host not on fetch_allow: not contacted, still queued ($(rep $R1 'd["work"]["error"]'))" ||
	bad "allowlist: $(rep $R1 'd')"
kill -9 $SPID; wait $SPID 2>/dev/null; SPID=
[ "$("$VIGIL" report show "$R1" | jq -r '.work.kind')" = submit ] && ok "vigil report show: the queued work" || bad "cli show work"
echo "fetch_allow = 127.0.0.1" >> "$T/vigil.conf"

# Filing, /finish held: kill -9 the server there (uploads done, one after
# a 1000), restart: the stored work completes it, exactly once.
touch "$T/hang"
start --config "$T/vigil.conf"
wait_for '[ -s "$T/ncstate" ] && [ "$(nc "d[\"requests\"][-1]")" = /finish ]' || bad "never reached /finish: $(cat "$T/server.log")"
kill -9 $SPID; wait $SPID 2>/dev/null; SPID=
[ "$(nc 'd["submits"]')" = 1 ] && [ "$(nc 'd["uploads"]')" = 2 ] && [ "$(nc 'd["requests"].count("/upload")')" = 3 ] &&
	[ "$(nc 'd["finishes"]')" = 0 ] && ok "killed at /finish: 1 submit, 2 uploads (one retried after a 1000), no finish" ||
	bad "before restart: $(cat "$T/ncstate")"
[ "$(q "SELECT state||' '||ncmec_id||' '||work FROM reports WHERE id=$R1")" = "2 1000 submit" ] &&
	ok "stored: open, NCMEC id 1000, work submit" || bad "stored: $(q "SELECT state,ncmec_id,work FROM reports WHERE id=$R1")"
rm -f "$T/hang"
start --config "$T/vigil.conf"
wait_for '[ "$(rep $R1 "d[\"state\"]")" = finished ]' && ok "restart: report $R1 finished" || bad "restart: $(rep $R1 d)"
[ "$(nc 'd["submits"]')" = 1 ] && [ "$(nc 'd["finishes"]')" = 1 ] && [ "$(nc 'd["uploads"]')" = 2 ] &&
	[ "$(nc 'len(d["reports"]["1000"]["fileinfo"])')" = 2 ] && [ "$(nc 'd["requests"].count("/submit")')" = 1 ] &&
	ok "exactly once: 1 submit, 2 uploads, 2 fileinfo, 1 finish" || bad "counts: $(cat "$T/ncstate")"
[ "$(rep $R1 'd["ncmec_id"]+" "+",".join(f["file_id"] for f in d["steps"]["files"])+" "+d["work"]["kind"]')" = "1000 $(nc '",".join(d["reports"]["1000"]["files"])') none" ] &&
	ok "show: NCMEC id, the file ids NCMEC gave, no work left" || bad "show: $(rep $R1 d)"
python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['reports']['1000']['xml'],end='')" "$T/ncstate" > "$T/sent.xml"
code GET "/v1/reports/$R1/xml" -H "Authorization: Bearer $REV" >/dev/null
cmp -s "$T/body" "$T/sent.xml" && ok "GET xml: the document as NCMEC received it" || bad "xml differs from what was sent"
[ "$(q "SELECT count(*) FROM audit WHERE action='report.submit' AND object='$R1' AND json_extract(detail,'\$.state')='finished'")" = 1 ] &&
	[ "$(q "SELECT count(*) FROM audit WHERE action='report.submit.requested' AND object='$R1' AND who='ops'")" = 1 ] &&
	ok "audited: the request (by ops) and each state change (finished once)" || bad "audit: $(q "SELECT action,detail FROM audit WHERE object='$R1'")"
# The worker preserves what it sent right after filing (vigil/evidence.h),
# not only the retention job's next round (its first ran before the finish).
[ "$(q "SELECT count(*) FROM pres_items WHERE report_id=$R1 AND kind='report'")" = 1 ] &&
	[ "$(q "SELECT count(*) FROM audit WHERE action='evidence.preserve' AND who='report-worker'")" -ge 1 ] &&
	ok "filed report preserved by the worker" || bad "not preserved: $(q "SELECT kind,n FROM pres_items WHERE report_id=$R1")"
c=$(code POST "/v1/reports/$R1/submit" -H "Authorization: Bearer $ADM")
[ "$c" = 200 ] && [ "$(jq -r .work.kind < "$T/body")" = none ] && ok "submit of a finished report: 200, nothing queued" || bad "resubmit: $c"
c=$(code POST "/v1/reports/$R1/retract" -H "Authorization: Bearer $ADM")
[ "$c" = 409 ] && [ "$(errcode)" = wrong_state ] && ok "retract of a finished report: 409 wrong_state" || bad "retract finished: $c"

# Retract an open report (submitted straight to the stand-in).
code GET "/v1/reports/$R2/xml" -H "Authorization: Bearer $ADM" >/dev/null
NID=$(curl -s -u "$NCMEC_CRED" -H 'Content-Type: text/xml' --data-binary "@$T/body" "$NCURL/submit" | sed -n 's:.*<reportId>\(.*\)</reportId>.*:\1:p')
RO=$(q "INSERT INTO reports(case_id,state,ncmec_id,created,updated) VALUES(999,2,'$NID',strftime('%s'),strftime('%s')) RETURNING id")
c=$(code POST "/v1/reports/$RO/retract" -H "Authorization: Bearer $ADM")
[ "$c" = 202 ] && wait_for '[ "$(rep $RO "d[\"state\"]")" = retracted ]' && [ "$(nc "d[\"reports\"][\"$NID\"][\"state\"]")" = retracted ] &&
	ok "retract: 202, then retracted at NCMEC" || bad "retract: $c $(rep $RO d)"
# A report NCMEC does not know (5001): the work stops for a person, no retries.
RX=$(q "INSERT INTO reports(case_id,state,ncmec_id,created,updated) VALUES(998,2,'424242',strftime('%s'),strftime('%s')) RETURNING id")
c=$(code POST "/v1/reports/$RX/retract" -H "Authorization: Bearer $ADM")
wait_for '[ "$(rep $RX "d[\"work\"][\"kind\"]")" = none ]' && [ "$(rep $RX 'd["last_code"]')" = 5001 ] &&
	[ "$(rep $RX 'd["state"]')" = open ] && ok "retract answered 5001: stopped, still open, error kept" || bad "5001: $(rep $RX d)"
# A /submit whose answer was lost is never resent.
RU=$(q "INSERT INTO reports(case_id,state,created,updated) VALUES(997,1,strftime('%s'),strftime('%s')) RETURNING id")
q "UPDATE reports SET work='submit', work_since=1, work_next=0 WHERE id=$RU"
n0=$(nc 'd["requests"].count("/submit")')
wait_for '[ "$(rep $RU "d[\"state\"]")" = unknown ]' && [ "$(rep $RU 'd["work"]["kind"]')" = none ] &&
	[ "$(nc 'd["requests"].count("/submit")')" = "$n0" ] && ok "interrupted submit: unknown, not resent" || bad "unknown: $(rep $RU d)"
c=$(code POST "/v1/reports/$RU/submit" -H "Authorization: Bearer $ADM")
[ "$c" = 409 ] && [ "$(errcode)" = wrong_state ] && ok "submit of an unknown report: 409 wrong_state" || bad "submit unknown: $c"
stop || bad "server exit"

# Automatic filing: the confirm queues it in the decision's transaction.
start --config "$T/vigil.conf" --report-auto-file 1
URL=$U
R POST "/v1/cases/$C3/claim" >/dev/null
c=$(decide "$C3" '{"decision":"confirm","classification":"A2"}')
R3=$(jq -r .report.id < "$T/body")
[ "$c" = 200 ] && [ "$(jq -r .report.filing < "$T/body")" = true ] && ok "auto-file: the confirm queued report $R3" || bad "auto: $c $(cat "$T/body")"
wait_for '[ "$(rep $R3 "d[\"state\"]")" = finished ]' && ok "auto-file: finished" || bad "auto-file: $(rep $R3 d)"
stop || bad "server exit"

# The deadline: the draft R2 is unfiled (and three rows made above); with a
# one-second deadline each raises one alert, once.
q "UPDATE reports SET created=created-5 WHERE id IN ($R2,$RU)"
start --config "$T/vigil.conf" --report-deadline 1
wait_for '[ "$(q "SELECT count(*) FROM outbox WHERE type='"'"'report.overdue'"'"'")" -ge 2 ]' || bad "no overdue events"
sleep 1.2 # two more ticks of the worker: nothing more is sent
# (event bodies are sealed under the master key: counted by type, and the
# reports that raised one are those marked alerted)
ev="$(q "SELECT count(*) FROM outbox WHERE type='report.overdue'") $(q "SELECT group_concat(id) FROM (SELECT id FROM reports WHERE overdue_alerted != 0 ORDER BY id)")"
[ "$ev" = "2 $(q "SELECT group_concat(id) FROM (SELECT id FROM reports WHERE id IN ($R2,$RU) ORDER BY id)")" ] &&
	ok "one report.overdue event each for the unfiled reports $R2 and $RU" || bad "events: $ev"
[ "$(q "SELECT count(*) FROM outbox")" -gt 0 ] && [ "$(q "SELECT count(*) FROM outbox WHERE body NOT LIKE 'vs1:%'")" = 0 ] &&
	ok "every queued event body is sealed at rest" || bad "clear outbox bodies: $(q "SELECT count(*) FROM outbox WHERE body NOT LIKE 'vs1:%'")"
curl -s "$U/metrics" -H "Authorization: Bearer $MET" > "$T/metrics"
grep -q "^vigil_reports_overdue 2$" "$T/metrics" && grep -q "^vigil_report_overdue_alerts_total 2$" "$T/metrics" &&
	ok "metrics: vigil_reports_overdue 2, 2 alerts" || bad "metrics: $(grep overdue "$T/metrics")"
grep -q "report $R2 (case $C2) is overdue" "$T/server.log" && ! grep -E -q "user-77|192\.0\.2|trust@|ladybird" "$T/server.log" &&
	ok "logged, without content" || bad "log: $(grep overdue "$T/server.log")"
stop || bad "server exit"
start --config "$T/vigil.conf" --report-deadline 1
sleep 1.2
[ "$(q "SELECT count(*) FROM outbox WHERE type='report.overdue'")" = 2 ] && ok "after a restart: no second alert" || bad "alerted again"
stop || bad "server exit"
"$VIGIL" audit verify | grep -q '^ok' && ok "audit chain intact" || bad "chain"
exit $fail
