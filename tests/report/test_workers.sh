#!/bin/sh
# Two vigil serve processes on one store (a SQLite file; PostgreSQL when
# tests/pg/pg_env.sh runs this again, pg/report-workers) file a report once
# (the report worker's lease), and an unknown report is sent again only
# when a person says NCMEC never got it: POST /v1/reports/ID/resend and
# vigil report resend --confirm, each audited, each exactly one more
# /submit at the stand-in (ncmec_standin.py).
set -u
VIGIL=$1
STANDIN=$2
T=$(mktemp -d)
PA= PB= NC=
trap '[ -n "$PA" ] && kill -9 $PA; [ -n "$PB" ] && kill -9 $PB; [ -n "$NC" ] && kill $NC; rm -rf "$T"' EXIT
. "$(dirname "$0")/../server/lib.sh"
. "$(dirname "$0")/lib.sh"
export VIGIL_DB="$(store_uri v)"
q() { if on_pg; then store_sql "$VIGIL_DB" "$1"; else sqlite3 -cmd ".timeout 10000" "$VIGIL_DB" "$1"; fi; }
wait_for() { i=0; while ! eval "$1"; do i=$((i + 1)); [ $i -gt 600 ] && return 1; sleep 0.05; done; }
# serve NAME: a server on the shared store; its URL in $T/NAME.url.
serve() {
	rm -f "$T/$1.port"
	"$VIGIL" serve --listen 127.0.0.1:0 --port-file "$T/$1.port" --log-level warn \
		--config "$T/vigil.conf" 2>>"$T/$1.log" &
	eval "P$1=\$!"
	wait_for "[ -s '$T/$1.port' ]" || { echo "server $1 did not start"; cat "$T/$1.log"; exit 1; }
	echo "http://127.0.0.1:$(cat "$T/$1.port")" > "$T/$1.url"
}
# post NAME PATH [BODY]: POST as admin to server NAME; the status code.
post() {
	curl -s -o "$T/body" -w '%{http_code}' -X POST -H "Authorization: Bearer $ADM" \
		-H 'Content-Type: application/json' -d "${3:-"{}"}" "$(cat "$T/$1.url")$2"
}
rep() { curl -s -H "Authorization: Bearer $ADM" "$(cat "$T/A.url")/v1/reports/$1" |
	python3 -c "import json,sys; d=json.load(sys.stdin); print($2)"; }
DOC='<report><incidentSummary><incidentType>Child Sex Trafficking</incidentType><incidentDateTime>2026-01-01T00:00:00Z</incidentDateTime></incidentSummary><reporter><reportingPerson><email>trust@example.invalid</email></reportingPerson></reporter></report>'
# report STATE: a report row with a stored document (no case, no files),
# each on a case id of its own.
report() { q "INSERT INTO reports(case_id,state,xml,created,updated) VALUES((SELECT coalesce(max(case_id),900)+1 FROM reports),$1,'$DOC',$(date +%s),$(date +%s)) RETURNING id"; }

"$VIGIL" bank list >/dev/null 2>&1
ADM=$("$VIGIL" key create ops --role admin 2>/dev/null | tail -1)
REV=$("$VIGIL" key create rev --role review 2>/dev/null | tail -1)
nc_start --hang-finish "$T/hang"
export NCMEC_CRED=vigil-test:pa55word
cat > "$T/vigil.conf" <<CONF
db = $VIGIL_DB
reporter_email = trust@example.invalid
ncmec_url = $NCURL
ncmec_credentials = env:NCMEC_CRED
fetch_allow = 127.0.0.1
report_backoff = 100
CONF
serve A
serve B

# Two servers, one store: report R queued through A while /finish is held.
# Both workers see the work due every second; only the lease holder runs
# it (B alone would send a second /finish, or take A's SUBMITTING for a
# crash and make the report unknown).
touch "$T/hang"
R=$(report 0)
c=$(post A "/v1/reports/$R/submit")
[ "$c" = 202 ] && ok "submit queued on A" || bad "submit: $c $(cat "$T/body")"
wait_for '[ -s "$T/ncstate" ] && [ "$(nc "d[\"requests\"][-1]")" = /finish ]' || bad "never reached /finish"
sleep 10 # rounds of both workers, longer than the lease (8 s): renewed
[ "$(nc 'd["requests"].count("/submit")')" = 1 ] && [ "$(nc 'd["requests"].count("/finish")')" = 1 ] &&
	ok "while A's /finish is held, B sends nothing (1 /submit, 1 /finish)" ||
	bad "duplicate requests: $(nc 'd["requests"]')"
rm -f "$T/hang"
wait_for '[ "$(rep $R "d[\"state\"]")" = finished ]' || bad "never finished: $(rep $R d)"
sleep 2
[ "$(nc 'd["submits"]')" = 1 ] && [ "$(nc 'd["finishes"]')" = 1 ] &&
	[ "$(nc 'd["requests"].count("/submit")')" = 1 ] && [ "$(nc 'd["requests"].count("/finish")')" = 1 ] &&
	ok "filed once by two servers: 1 submit, 1 finish" || bad "counts: $(nc 'd["requests"]')"
[ "$(q "SELECT count(*) FROM leases WHERE name='report-work:$R'")" = 0 ] && ok "the lease is given up after the run" ||
	bad "lease left: $(q "SELECT * FROM leases")"

# A server killed with the lease held: the other resumes once it expires.
touch "$T/hang"
R2=$(report 0)
n0=$(nc 'd["requests"].count("/finish")')
post A "/v1/reports/$R2/submit" >/dev/null
wait_for '[ "$(nc "d[\"requests\"].count(\"/finish\")")" -gt "$n0" ]' || bad "R2 never reached /finish"
kill -9 $PA; wait $PA 2>/dev/null; PA=
rm -f "$T/hang"
U=$(cat "$T/B.url")
wait_for '[ "$(curl -s -H "Authorization: Bearer $ADM" "$U/v1/reports/$R2" | jq -r .state)" = finished ]' &&
	[ "$(nc 'd["requests"].count("/submit")')" = 2 ] &&
	ok "A killed holding the lease: B finishes R2 (no second /submit)" || bad "R2: $(curl -s -H "Authorization: Bearer $ADM" "$U/v1/reports/$R2")"
kill -TERM $PB; wait $PB; PB=
serve A

# Resend: an unknown report is sent again only when confirmed.
RU=$(report 6)
n0=$(nc 'd["requests"].count("/submit")')
c=$(post A "/v1/reports/$RU/submit"); [ "$c" = 409 ] && ok "submit of an unknown report: 409" || bad "submit unknown: $c"
c=$(post A "/v1/reports/$RU/resend"); [ "$c" = 400 ] && [ "$(errcode)" = invalid ] &&
	ok "resend without confirm: 400 invalid" || bad "resend unconfirmed: $c $(cat "$T/body")"
c=$(curl -s -o "$T/body" -w '%{http_code}' -X POST -H "Authorization: Bearer $REV" \
	-d '{"confirm":true}' "$(cat "$T/A.url")/v1/reports/$RU/resend")
[ "$c" = 403 ] && ok "resend by a reviewer: 403" || bad "resend by review: $c"
c=$(post A "/v1/reports/$R/resend" '{"confirm":true}'); [ "$c" = 409 ] && [ "$(errcode)" = wrong_state ] &&
	ok "resend of a finished report: 409 wrong_state" || bad "resend finished: $c"
c=$(post A "/v1/reports/$RU/resend" '{"confirm":true}')
[ "$c" = 202 ] && ok "resend confirmed: 202" || bad "resend: $c $(cat "$T/body")"
wait_for '[ "$(rep $RU "d[\"state\"]")" = finished ]' && [ "$(nc 'd["requests"].count("/submit")')" = $((n0 + 1)) ] &&
	ok "unknown -> resend -> finished, exactly one more /submit" || bad "after resend: $(rep $RU d)"
[ "$(q "SELECT count(*) FROM audit WHERE action='report.resend' AND object='$RU'")" = 1 ] &&
	ok "resend audited" || bad "audit: $(q "SELECT action FROM audit WHERE object='$RU'")"
kill -TERM $PA; wait $PA; PA=

# The CLI: refused without --confirm, then one more /submit.
RC=$(report 6)
n0=$(nc 'd["requests"].count("/submit")')
"$VIGIL" report resend "$RC" --config "$T/vigil.conf" >/dev/null 2>"$T/err"; rc=$?
[ $rc = 2 ] && grep -q "check with NCMEC" "$T/err" && [ "$(nc 'd["requests"].count("/submit")')" = "$n0" ] &&
	ok "vigil report resend without --confirm: refused, nothing sent" || bad "cli unconfirmed: rc=$rc $(cat "$T/err")"
"$VIGIL" report resend "$R" --confirm --config "$T/vigil.conf" >/dev/null 2>&1; [ $? = 1 ] &&
	ok "vigil report resend of a finished report: refused" || bad "cli resend finished"
"$VIGIL" report resend "$RC" --confirm --config "$T/vigil.conf" > "$T/out" 2>"$T/err" &&
	grep -q finished "$T/out" && [ "$(nc 'd["requests"].count("/submit")')" = $((n0 + 1)) ] &&
	[ "$(q "SELECT count(*) FROM audit WHERE action='report.resend' AND object='$RC'")" = 1 ] &&
	ok "vigil report resend --confirm: finished, one more /submit, audited" || bad "cli resend: $(cat "$T/out" "$T/err")"
"$VIGIL" audit verify | grep -q '^ok' && ok "audit chain intact" || bad "chain"
exit $fail
