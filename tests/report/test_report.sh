#!/bin/sh
# End-to-end: a CyberTipline report from a confirmed case, filed through the
# stand-in API (ncmec_standin.py): the documents validate and are in order,
# fileViewedByEsp follows the reveal log, Basic auth, retries, a rejected
# document, retract, and kill -9 between upload and finish -> the restart
# completes the report exactly once.
set -u
VIGIL=$1
STANDIN=$2
DEMO=$3
T=$(mktemp -d)
. "$(dirname "$0")/lib.sh"
SRV= NC=
trap '[ -n "$SRV" ] && kill $SRV; [ -n "$NC" ] && kill $NC; rm -rf "$T"' EXIT
. "$(dirname "$0")/../server/lib.sh"
# SQLite, or PostgreSQL when tests/pg/pg_env.sh runs this again (pg/report).
export VIGIL_DB="$(store_uri v)"
fail=0
ok() { echo "ok - $1"; }
bad() { echo "FAIL - $1"; fail=1; }
wait_for() { i=0; while ! eval "$1"; do i=$((i + 1)); [ $i -gt 400 ] && return 1; sleep 0.05; done; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
q() { store_sql "$VIGIL_DB" "$1"; }

# A confirmed case on a report bank: two uploads by one user (IP, port,
# time), two sealed items, the first revealed by the reviewer.
python3 -c "import secrets; print(secrets.token_hex(32))" > "$T/master.key"
chmod 600 "$T/master.key"
"$VIGIL" hash "$DEMO/known/storm.jpg" > "$T/storm.csv"
"$VIGIL" bank create reported --action report >/dev/null && "$VIGIL" bank import reported "$T/storm.csv" 2>/dev/null ||
	bad "bank"
SUB=$("$VIGIL" key create uploader --role submit 2>/dev/null | tail -1)
REV=$("$VIGIL" key create alice --role review 2>/dev/null | tail -1)
"$VIGIL" serve --listen 127.0.0.1:0 --port-file "$T/port" --log-level warn \
	--master-key-file "$T/master.key" 2>>"$T/server.log" & SRV=$!
wait_for '[ -s "$T/port" ]' || { echo "server did not start"; cat "$T/server.log"; exit 1; }
URL="http://127.0.0.1:$(cat "$T/port")"
# The second upload's IP is random: a marker that is kept sealed at rest
# (see below).
IP2=2001:db8:$(python3 -c "import secrets; print(':'.join(secrets.token_hex(2) for _ in range(6)))")
up "$DEMO/known/storm.jpg" c1 192.0.2.7 50123 2026-11-30T10:00:00Z
CASE=$(json 'd["case"]' < "$T/r")
# The same picture again with other bytes (data after the JPEG's end): the
# same PDQ, so the same case, and a second item (another SHA-256).
{ cat "$DEMO/known/storm.jpg"; printf 'a second copy'; } > "$T/storm2.jpg"
up "$T/storm2.jpg" c2 "$IP2" 40999 2026-11-30T11:30:00Z
[ "$(json 'd["case"]' < "$T/r")" = "$CASE" ] && ok "two uploads in case $CASE" || bad "case: $(cat "$T/r")"
A() { curl -s -o "$T/r" -w '%{http_code}' -H "Authorization: Bearer $REV" "$@"; }
A -X POST "$URL/v1/cases/$CASE/claim" >/dev/null
A "$URL/v1/cases/$CASE/media/1?view=original" >/dev/null
code=$(A -X POST -H 'Content-Type: application/json' \
	-d '{"decision":"confirm","classification":"A1","annotations":["sextortion","viral"]}' "$URL/v1/cases/$CASE/decision")
[ "$code" = 200 ] && ok "confirmed" || bad "decision: $code $(cat "$T/r")"
kill -TERM $SRV; wait $SRV; SRV=
[ "$(q "SELECT count(*) FROM case_media WHERE case_id=$CASE")" = 2 ] && ok "two sealed items" || bad "media"

# The confirm drafted the report.
"$VIGIL" report list > "$T/list"
set -- $(cat "$T/list")
RID=${1:-}
[ -n "$RID" ] && [ "$2" = draft ] && [ "$3" = "case=$CASE" ] && ok "confirm drafted report $RID: $(cat "$T/list")" || bad "list: $(cat "$T/list")"
[ "$("$VIGIL" report draft "$CASE")" = "$RID" ] && ok "drafting again gives the same report" || bad "second draft"

# The documents.
cat > "$T/vigil.conf" <<CONF
reporter_email = trust@example.invalid
reporter_first_name = Tess
reporter_last_name = Safety
master_key_file = $T/master.key
CONF
"$VIGIL" report xml "$RID" 2>"$T/err"; [ $? = 1 ] && grep -q reporter_email "$T/err" &&
	ok "no reporter email: refused" || bad "xml without email"
"$VIGIL" report xml "$RID" --config "$T/vigil.conf" > "$T/report.xml" || bad "xml: $(cat "$T/err")"
python3 - "$T/report.xml" "$IP2" <<'PY' && ok "report XML: incident, reporter, user, two IP events with ports, annotation" || bad "report xml: $(cat "$T/report.xml")"
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
assert r.tag == 'report'
assert [c.tag for c in r] == ['incidentSummary', 'reporter', 'personOrUserReported', 'additionalInfo'], [c.tag for c in r]
s = r.find('incidentSummary')
assert s.findtext('incidentType').startswith('Child Pornography')
assert s.find('reportAnnotations/sextortion') is not None
assert s.findtext('incidentDateTime') == '2026-11-30T10:00:00Z'
assert r.findtext('reporter/reportingPerson/email') == 'trust@example.invalid'
u = r.find('personOrUserReported')
assert u.findtext('espIdentifier') == 'user-77' and u.findtext('espService') == 'chat'
ev = [(e.findtext('ipAddress'), e.findtext('eventName'), e.findtext('dateTime'), e.findtext('port')) for e in u.findall('ipCaptureEvent')]
assert ev == [('192.0.2.7', 'Upload', '2026-11-30T10:00:00Z', '50123'), (sys.argv[2], 'Upload', '2026-11-30T11:30:00Z', '40999')], ev
PY
"$VIGIL" report xml "$RID" --files --config "$T/vigil.conf" > "$T/files.xml" || bad "xml --files"
python3 - "$T/files.xml" "$DEMO/known/storm.jpg" "$T/storm2.jpg" <<'PY' && ok "fileDetails: viewed only for the revealed item, A1, viral, SHA-256" || bad "files xml: $(cat "$T/files.xml")"
import sys, re, hashlib, xml.etree.ElementTree as ET
docs = re.findall(r'<fileDetails.*?</fileDetails>', open(sys.argv[1]).read(), re.S)
assert len(docs) == 2, len(docs)
d = [ET.fromstring(x) for x in docs]
assert [x.findtext('fileViewedByEsp') for x in d] == ['true', 'false']
assert all(x.findtext('industryClassification') == 'A1' for x in d)
assert all(x.find('fileAnnotations/viral') is not None for x in d)
sha = [x.find("originalFileHash[@hashType='SHA256']").text for x in d]
assert sha == [hashlib.sha256(open(p, 'rb').read()).hexdigest() for p in sys.argv[2:4]], sha
assert [x.findtext('originalFileName') for x in d] == ['c1', 'c2']
PY

# The stand-in.
start_nc() {
	nc_start "$@"
	echo "ncmec_url = $NCURL" >> "$T/vigil.conf"
}
st() { nc "$1"; }
start_nc --hang-finish "$T/hang" --fail-upload 1
echo "ncmec_credentials = env:NCMEC_CRED" >> "$T/vigil.conf"

# Wrong credentials: NCMEC's 3000, nothing filed, still a draft.
NCMEC_CRED=vigil-test:wrong "$VIGIL" report submit "$RID" --config "$T/vigil.conf" >/dev/null 2>"$T/err"; rc=$?
[ $rc = 1 ] && grep -q "credentials (3000)" "$T/err" && "$VIGIL" report list | grep -q "^$RID draft" &&
	ok "wrong credentials: refused (3000), still a draft" || bad "wrong creds rc=$rc: $(cat "$T/err")"
export NCMEC_CRED=vigil-test:pa55word

# Submit, with /finish held: kill -9 the client there (uploads done).
touch "$T/hang"
"$VIGIL" report submit "$RID" --config "$T/vigil.conf" >/dev/null 2>"$T/err1" & CL=$!
wait_for '[ -s "$T/ncstate" ] && [ "$(st "len(d[\"requests\"])>0 and d[\"requests\"][-1]")" = /finish ]' ||
	bad "never reached finish: $(cat "$T/err1")"
kill -9 $CL; wait $CL 2>/dev/null
[ "$(st 'd["submits"]')" = 1 ] && [ "$(st 'd["uploads"]')" = 2 ] && [ "$(st 'd["finishes"]')" = 0 ] &&
	[ "$(st 'd["requests"].count("/upload")')" = 3 ] &&
	ok "killed between upload and finish: 1 submit, 2 uploads (one retried after a 1000), no finish" ||
	bad "before restart: $(cat "$T/ncstate")"
# The held /finish now goes through at NCMEC; its answer went to a dead
# client. The restart's /finish gets 5102 (already finished): done.
rm -f "$T/hang"
"$VIGIL" report list | grep -q "^$RID open case=$CASE ncmec=1000" && ok "stored state: open, NCMEC id 1000" || bad "state: $("$VIGIL" report list)"
"$VIGIL" report submit "$RID" --config "$T/vigil.conf" > "$T/out" 2>"$T/err" &&
	grep -q "finished ncmec=1000" "$T/out" && ok "restart completes it: $(cat "$T/out")" || bad "restart: $(cat "$T/err")"
[ "$(st 'd["submits"]')" = 1 ] && [ "$(st 'd["uploads"]')" = 2 ] && [ "$(st 'd["finishes"]')" = 1 ] &&
	[ "$(st 'len(d["reports"]["1000"]["fileinfo"])')" = 2 ] &&
	ok "exactly once: 1 submit, 2 uploads, 2 fileinfo, 1 finish" || bad "counts: $(cat "$T/ncstate")"
"$VIGIL" report submit "$RID" --config "$T/vigil.conf" >/dev/null && [ "$(st 'len(d["requests"])')" = "$(st 'len(d["requests"])')" ] &&
	[ "$(st 'd["finishes"]')" = 1 ] && [ "$(st 'd["submits"]')" = 1 ] && ok "submit of a finished report sends nothing" || bad "resubmit"
# What NCMEC got is what vigil stored, and validates in order (the
# stand-in checked order; the MD5s are of the original bytes).
python3 - "$T/ncstate" "$DEMO/known/storm.jpg" "$T/storm2.jpg" <<'PY' && ok "NCMEC received the original bytes (MD5)" || bad "uploaded bytes"
import json, sys, hashlib
d = json.load(open(sys.argv[1]))['reports']['1000']
assert sorted(f['md5'] for f in d['files'].values()) == sorted(hashlib.md5(open(p, 'rb').read()).hexdigest() for p in sys.argv[2:4])
PY
"$VIGIL" report xml "$RID" --config "$T/vigil.conf" > "$T/a"
python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['reports']['1000']['xml'],end='')" "$T/ncstate" > "$T/b"
cmp -s "$T/a" "$T/b" && ok "report xml prints the document as sent" || bad "xml differs from what was sent"
# Once sent, the document is stored: reading it needs no reporter.
echo "master_key_file = $T/master.key" > "$T/keyonly.conf"
"$VIGIL" report xml "$RID" --config "$T/keyonly.conf" > "$T/c" 2>"$T/err" && cmp -s "$T/c" "$T/b" &&
	ok "a sent report's XML reads without reporter_email" || bad "xml after send, no reporter_email: $(cat "$T/err")"
"$VIGIL" report show "$RID" --config "$T/vigil.conf" | json 'len(d["answers"])' | grep -qv '^0$' && ok "NCMEC's answers kept" || bad "answers"
"$VIGIL" report show "$RID" >/dev/null 2>"$T/err"; [ $? = 1 ] && grep -q "sealed" "$T/err" &&
	ok "without the master key the sealed report does not open" || bad "show without key: $(cat "$T/err")"
# At rest: the report row (the XML as sent, each fileDetails, NCMEC's
# answers) and the case's contexts are sealed under master_key_file, so
# neither upload's IP (the second one random; in the context, the report
# and the fileDetails) is in any file of the store.
at_rest() {
	if on_pg; then
		psql -qAt "$VIGIL_DB" -c CHECKPOINT >/dev/null
		find "$(dirname "$VIGIL_TEST_PG_LOG")/data" -type f
	else ls "$T"/v.db*; fi
}
found=$(at_rest | while read -r f; do for m in "$IP2" 192.0.2.7; do
	grep -qaF "$m" "$f" && echo "$m in $f"; done; done)
[ -z "$found" ] && [ "$(at_rest | wc -l)" -gt 0 ] && ok "neither IP (one random) in the store's files" || bad "clear at rest: $found"
[ "$(q "SELECT substr(contexts,1,4) || substr(xml,1,4) || substr(files,1,4) || substr(answers,1,4) FROM reports r JOIN cases c ON c.id=r.case_id WHERE r.id=$RID")" = "vs1:vs1:vs1:vs1:" ] &&
	ok "contexts, xml, files, answers stored sealed (vs1:)" || bad "not sealed"
grep -qF "$IP2" "$T/a" && "$VIGIL" report xml "$RID" --files --config "$T/vigil.conf" | grep -qF 192.0.2.7 &&
	ok "report xml (--files) gives the IPs back" || bad "xml lost the IPs"
q "SELECT count(*) FROM reports" | grep -q '^1$' && ok "one report row" || bad "rows"
[ "$(q "SELECT count(*) FROM audit WHERE action='report.submit' AND object='$RID'")" -ge 2 ] && ok "submits audited" || bad "audit"
"$VIGIL" audit verify | grep -q '^ok' && ok "audit chain intact" || bad "chain"

# Retract: a finished report cannot be; a second case's open report can,
# once (5101 the second time is done, not an error).
"$VIGIL" report retract "$RID" --config "$T/vigil.conf" >/dev/null 2>&1; [ $? = 1 ] && ok "finished report: no retract" || bad "retract finished"
R2=$(q "INSERT INTO reports(case_id,state,ncmec_id,created,updated) VALUES(999,2,'77',0,0) RETURNING id")
"$VIGIL" report retract "$R2" --config "$T/vigil.conf" >/dev/null 2>"$T/err"; rc=$?
[ $rc = 1 ] && grep -q "5001" "$T/err" && ok "retract of a report NCMEC does not have: 5001, kept open" || bad "retract unknown rc=$rc $(cat "$T/err")"

# An out-of-order document: the stand-in answers 4100 and the report is
# rejected (never resent). Made by editing the stored document.
R3=$(q "INSERT INTO reports(case_id,state,xml,created,updated) VALUES(998,0,'<report><reporter><reportingPerson><email>a@b</email></reportingPerson></reporter><incidentSummary><incidentType>Child Sex Trafficking</incidentType><incidentDateTime>2026-01-01T00:00:00Z</incidentDateTime></incidentSummary></report>',0,0) RETURNING id")
n0=$(st 'd["submits"]')
"$VIGIL" report submit "$R3" --config "$T/vigil.conf" >/dev/null 2>"$T/err"; rc=$?
[ $rc = 1 ] && grep -q "rejected by NCMEC (4100)" "$T/err" && "$VIGIL" report list | grep -q "^$R3 rejected" &&
	[ "$(st 'd["submits"]')" = "$n0" ] && ok "out of order: 4100, rejected" || bad "4100 rc=$rc: $(cat "$T/err")"
# R3 was written as a schema-7 store writes (in the clear): it read, and its
# next write sealed it.
[ "$(q "SELECT substr(xml,1,4) FROM reports WHERE id=$R3")" = "vs1:" ] &&
	"$VIGIL" report xml "$R3" --config "$T/vigil.conf" | grep -q "<incidentType>Child Sex Trafficking<" &&
	ok "an old clear row reads, and is sealed on its next write" || bad "old row: $(q "SELECT substr(xml,1,10) FROM reports WHERE id=$R3")"
"$VIGIL" report submit "$R3" --config "$T/vigil.conf" >/dev/null 2>&1; [ $? = 1 ] && [ "$(st 'len(d["requests"])')" -gt 0 ] &&
	ok "a rejected report is not sent again" || bad "rejected resent"

# A submit whose answer is lost (the client killed while /submit is in
# flight): never resent automatically.
R4=$(q "INSERT INTO reports(case_id,state,created,updated) VALUES(997,1,0,0) RETURNING id")
"$VIGIL" report submit "$R4" --config "$T/vigil.conf" >/dev/null 2>"$T/err"; rc=$?
[ $rc = 1 ] && grep -q "check with NCMEC" "$T/err" && "$VIGIL" report list | grep -q "^$R4 unknown" &&
	ok "interrupted submit: unknown, not resent" || bad "submitting rc=$rc: $(cat "$T/err")"

# Transparency counts for today, against the store's own rows.
D=$(date -u +%Y-%m-%d)
"$VIGIL" transparency --from "$D" --to "$D" > "$T/tr.json" || bad "transparency"
today=$(python3 -c "import time;print(int(time.time())//86400*86400*1000)")
nv=$(q "SELECT count(*) FROM audit WHERE action='content.verdict' AND time_ms>=$today")
if on_pg; then nm=$(q "SELECT count(*) FROM cases, json_array_elements(cases.matches::json) m WHERE m->>'bank'='reported' AND m->>'type'='pdq' AND created>=$today/1000")
else nm=$(q "SELECT count(*) FROM cases, json_each(cases.matches) WHERE json_extract(json_each.value,'\$.bank')='reported' AND json_extract(json_each.value,'\$.type')='pdq' AND created>=$today/1000"); fi
nd=$(q "SELECT decided-c.created FROM case_review r JOIN cases c ON c.id=r.case_id WHERE r.case_id=$CASE")
python3 - "$T/tr.json" "$nv" "$nm" "$nd" <<'PY' && ok "transparency: checked $nv, matches reported/pdq $nm, 1 opened, 1 confirmed, 1 filed, median ${nd}s" || bad "transparency: $(cat "$T/tr.json")"
import json, sys
d = json.load(open(sys.argv[1]))['days']
assert len(d) == 1, d
d = d[0]
assert d['items_checked'] == int(sys.argv[2]) == 2, d
assert d['verdicts'] == {'review': 2}, d
assert d['items_matched'] == 2, d
assert d['matches'] == {'reported/pdq': int(sys.argv[3])}, d
assert d['cases_opened'] == 1 and d['cases_decided'] == {'confirm': 1}, d
assert d['reports_filed'] == 1 and d['reports_retracted'] == 0, d
assert d['median_decision_seconds'] == int(sys.argv[4]), d
PY
"$VIGIL" transparency --from "$D" --to "$D" --format csv | grep -q "^$D,reports_filed,,1$" && ok "transparency csv" || bad "csv"
"$VIGIL" transparency --from 2026-01-02 --to 2026-01-01 2>/dev/null; [ $? = 2 ] && ok "to before from refused" || bad "bad range"

# The same over the API (admin only).
ADMK=$("$VIGIL" key create ops --role admin 2>/dev/null | tail -1)
# An old clear case row, written before the server starts (its own
# writers would make this shell's write wait on the lock).
C0=$(q "INSERT INTO cases(priority,source,contexts,matches,created,updated) VALUES(1,'match','[{\"ip\":\"203.0.113.5\"}]','[]',0,0) RETURNING id")
rm -f "$T/port"
"$VIGIL" serve --listen 127.0.0.1:0 --port-file "$T/port" --log-level warn \
	--master-key-file "$T/master.key" 2>>"$T/server.log" & SRV=$!
wait_for '[ -s "$T/port" ]' || { echo "server did not start"; cat "$T/server.log"; exit 1; }
URL="http://127.0.0.1:$(cat "$T/port")"
# The routes open what is sealed; an old clear case row (C0) reads as it is.
curl -s -H "Authorization: Bearer $ADMK" "$URL/v1/reports/$RID/xml?file=2" > "$T/rx"
grep -qF "$IP2" "$T/rx" && ok "GET /v1/reports/ID/xml?file=2 opens the sealed fileDetails" || bad "xml route: $(head -c 300 "$T/rx")"
curl -s -H "Authorization: Bearer $ADMK" "$URL/v1/cases/$CASE" > "$T/rc"
grep -qF "$IP2" "$T/rc" && ok "GET /v1/cases/ID opens the sealed contexts" || bad "case route: $(head -c 300 "$T/rc")"
curl -s -H "Authorization: Bearer $ADMK" "$URL/v1/cases/$C0" > "$T/rc"
grep -qF 203.0.113.5 "$T/rc" && ok "an old clear case row reads" || bad "old case: $C0 $(head -c 300 "$T/rc")"
code=$(curl -s -o "$T/api.json" -w '%{http_code}' -H "Authorization: Bearer $ADMK" "$URL/v1/transparency?from=$D&to=$D")
"$VIGIL" transparency --from "$D" --to "$D" > "$T/cli.json"
[ "$code" = 200 ] && python3 -c "import json,sys; sys.exit(json.load(open(sys.argv[1])) != json.load(open(sys.argv[2])))" "$T/api.json" "$T/cli.json" && ok "GET /v1/transparency = the CLI's counts" || bad "api $code: $(cat "$T/api.json")"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $SUB" "$URL/v1/transparency?from=$D&to=$D")
[ "$code" = 403 ] && ok "transparency needs admin" || bad "submit key: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $ADMK" "$URL/v1/transparency?from=$D")
[ "$code" = 400 ] && ok "missing to: 400" || bad "missing to: $code"
kill -TERM $SRV; wait $SRV; SRV=

exit $fail
