#!/bin/sh
# End-to-end: the review API of `vigil serve` — the queue (priority, then
# age), claims (409 when someone else holds one; expiry), decisions
# (confirm/dismiss/escalate, double decisions refused), wrong roles refused,
# and what a decision does: the confirmed bank (a re-upload is then
# blocked), the suppression bank (the same false positive is then allowed),
# the verdict and report.drafted webhooks (delivered, signed), audit rows.
set -u
VIGIL=$1 RECEIVER=$2 DEMO=$3
PNGSTAT=$(dirname "$0")/pngstat.py
T=$(mktemp -d)
SRV= RCV=
cleanup() {
	[ -n "$SRV" ] && kill -9 "$SRV" 2>/dev/null
	[ -n "$RCV" ] && kill "$RCV" 2>/dev/null
	wait 2>/dev/null
	[ -n "${KEEP:-}" ] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT
. "$(dirname "$0")/lib.sh"
# SQLite, or PostgreSQL when tests/pg/pg_env.sh runs this again (pg/server-review).
export VIGIL_DB="$(store_uri v)"
fail=0
ok() { echo "ok - $1"; }
bad() { echo "FAIL - $1"; fail=1; }
wait_for() { i=0; while ! eval "$1"; do i=$((i + 1)); [ $i -gt 400 ] && return 1; sleep 0.05; done; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
q() { store_sql "$VIGIL_DB" "$1"; }

start_server() {
	rm -f "$T/port"
	"$VIGIL" serve --listen 127.0.0.1:0 --port-file "$T/port" --log-level warn \
		--webhook-url "http://127.0.0.1:$RPORT/hook" --webhook-secret s3cret \
		--webhook-allow 127.0.0.1 --webhook-poll 50 "$@" 2>>"$T/server.log" & SRV=$!
	wait_for '[ -s "$T/port" ]' || { echo "server did not start"; cat "$T/server.log"; exit 1; }
	URL="http://127.0.0.1:$(cat "$T/port")"
}
stop_server() { kill -TERM "$SRV"; wait "$SRV"; rc=$?; SRV=; [ $rc = 0 ] || bad "server exit $rc"; }
# upload FILE CONTENT_ID USER_ID -> reply in $T/r, status in $code
upload() {
	code=$(curl -s -o "$T/r" -w '%{http_code}' -H "Authorization: Bearer $SUB" \
		-F "file=@$1" -F "context={\"content_id\":\"$2\",\"user_id\":\"$3\",\"ip\":\"192.0.2.7\"};type=application/json" \
		"$URL/v1/content")
}
# call KEY METHOD PATH [BODY] -> reply in $T/r, status in $code
call() {
	if [ $# -ge 4 ]; then
		code=$(curl -s -o "$T/r" -w '%{http_code}' -X "$2" -H "Authorization: Bearer $1" \
			-H 'Content-Type: application/json' --data-binary "$4" "$URL$3")
	else
		code=$(curl -s -o "$T/r" -w '%{http_code}' -X "$2" -H "Authorization: Bearer $1" "$URL$3")
	fi
}
errc() { json 'd["error"]["code"]' < "$T/r" 2>/dev/null; }
new_events() { grep -c "^new .* $1 " "$T/rlog" 2>/dev/null || true; }

"$VIGIL" hash "$DEMO/known/ladybird.jpg" > "$T/ladybird.csv"
"$VIGIL" hash "$DEMO/known/storm.jpg" > "$T/storm.csv"
"$VIGIL" hash "$DEMO/known/aqua.jpg" > "$T/aqua.csv"
"$VIGIL" bank create reported --action report >/dev/null &&
	"$VIGIL" bank import reported "$T/ladybird.csv" 2>/dev/null &&
	"$VIGIL" bank policy reported priority=700 >/dev/null &&
	"$VIGIL" bank create watch --action review >/dev/null &&
	"$VIGIL" bank import watch "$T/storm.csv" 2>/dev/null &&
	"$VIGIL" bank import watch "$T/aqua.csv" 2>/dev/null && ok "banks" || bad "banks"
SUB=$("$VIGIL" key create uploader --role submit 2>/dev/null | tail -1)
ALICE=$("$VIGIL" key create alice --role review 2>/dev/null | tail -1)
BOB=$("$VIGIL" key create bob --role review 2>/dev/null | tail -1)
ADM=$("$VIGIL" key create ops --role admin 2>/dev/null | tail -1)
[ -n "$SUB" ] && [ -n "$ALICE" ] && [ -n "$BOB" ] && [ -n "$ADM" ] && ok "keys" || bad "keys"

rm -f "$T/rport"
python3 "$RECEIVER" "$T/rport" "$T/rlog" s3cret & RCV=$!
wait_for '[ -s "$T/rport" ]' || { echo "receiver did not start"; exit 1; }
RPORT=$(cat "$T/rport")
start_server

# Cases: storm (priority 50) first in time, then ladybird (700) twice by
# the same user (joined), then aqua (50).
upload "$DEMO/known/storm.jpg" s1 u1; B=$(json 'd["case"]' < "$T/r")
upload "$DEMO/known/ladybird.jpg" l1 u2; A=$(json 'd["case"]' < "$T/r")
upload "$DEMO/known/ladybird.jpg" l2 u2; A2=$(json 'd["case"]' < "$T/r")
upload "$DEMO/known/aqua.jpg" a1 u3; C=$(json 'd["case"]' < "$T/r")
[ "$A" = "$A2" ] && [ "$B" != "$A" ] && [ "$C" != "$B" ] && ok "cases $A (joined twice), $B, $C" ||
	bad "cases: $A $A2 $B $C"

call "$ALICE" GET "/v1/cases?state=open&sort=priority"
[ "$code" = 200 ] && [ "$(json '" ".join(str(c["id"]) for c in d["cases"])' < "$T/r")" = "$A $B $C" ] &&
	[ "$(json '[c["uploads"] for c in d["cases"]][0]' < "$T/r")" = 2 ] &&
	ok "queue: priority, then age" || bad "queue: $code $(cat "$T/r")"
call "$ALICE" GET "/v1/cases?state=bogus"
[ "$code" = 400 ] && ok "bad state refused" || bad "bad state: $code"
call "$SUB" GET /v1/cases
[ "$code" = 403 ] && ok "submit key refused (403)" || bad "wrong role: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' "$URL/v1/cases")
[ "$code" = 401 ] && ok "no key refused (401)" || bad "no key: $code"
call "$SUB" POST "/v1/cases/$A/claim"
[ "$code" = 403 ] && ok "submit key cannot claim" || bad "submit claim: $code"

# Claims.
call "$ALICE" POST "/v1/cases/$A/claim"
[ "$code" = 200 ] && [ "$(json 'd["assignee"]+d["state"]' < "$T/r")" = aliceclaimed ] &&
	ok "alice claims $A" || bad "claim: $code $(cat "$T/r")"
call "$BOB" POST "/v1/cases/$A/claim"
[ "$code" = 409 ] && [ "$(errc)" = claimed ] && ok "bob: 409 while alice holds it" ||
	bad "second claim: $code $(cat "$T/r")"
call "$ALICE" POST "/v1/cases/$A/claim"
[ "$code" = 200 ] && ok "alice renews her claim" || bad "renew: $code"
call "$BOB" POST "/v1/cases/$A/decision" '{"decision":"dismiss"}'
[ "$code" = 409 ] && [ "$(errc)" = wrong_state ] && ok "bob cannot decide alice's case" ||
	bad "foreign decision: $code $(cat "$T/r")"
call "$ALICE" GET "/v1/cases/$A"
[ "$code" = 200 ] && [ "$(json 'd["review"]["assignee"]+" "+str(len(d["contexts"]))+" "+d["matches"][0]["bank"]' < "$T/r")" = "alice 2 reported" ] &&
	ok "GET case: contexts of both uploads, matches, review" || bad "get: $code $(cat "$T/r")"
call "$ALICE" GET "/v1/cases/$A/media/1"
[ "$code" = 404 ] && [ "$(errc)" = not_kept ] && ok "no master key: content not kept (404 not_kept)" ||
	bad "not kept: $code $(cat "$T/r")"
call "$ALICE" GET "/v1/cases/999999"
[ "$code" = 404 ] && ok "unknown case 404" || bad "unknown: $code"

# Decisions: bad bodies first.
call "$ALICE" POST "/v1/cases/$A/decision" '{"decision":"confirm"}'
[ "$code" = 400 ] && ok "confirm without classification refused" || bad "no class: $code"
call "$ALICE" POST "/v1/cases/$A/decision" '{"decision":"confirm","classification":"C9"}'
[ "$code" = 400 ] && ok "unknown classification refused" || bad "bad class: $code"
call "$ALICE" POST "/v1/cases/$A/decision" '{"decision":"maybe"}'
[ "$code" = 400 ] && ok "unknown decision refused" || bad "bad decision: $code"
call "$ALICE" POST "/v1/cases/$A/decision" '{"decision":"confirm","classification":"A1","annotations":[1]}'
[ "$code" = 400 ] && ok "annotations must be strings" || bad "bad annotations: $code"
call "$ALICE" POST "/v1/cases/$A/decision" \
	'{"decision":"confirm","classification":"A1","annotations":["generative_ai"],"note":"matches the list"}'
[ "$code" = 200 ] && [ "$(json 'd["state"]+" "+d["bank"]["name"]+" "+str(d["bank"]["added"])' < "$T/r")" = "decided confirmed 1" ] &&
	json '[e["type"] for e in d["events"]]' < "$T/r" | grep -q "'report.drafted'" &&
	ok "confirm: decided, 1 hash in bank confirmed, report.drafted" || bad "confirm: $code $(cat "$T/r")"
call "$ALICE" POST "/v1/cases/$A/decision" '{"decision":"dismiss"}'
[ "$code" = 409 ] && [ "$(errc)" = decided ] && ok "double decision refused (409 decided)" ||
	bad "double: $code $(cat "$T/r")"
call "$BOB" POST "/v1/cases/$A/claim"
[ "$code" = 409 ] && [ "$(errc)" = wrong_state ] && ok "a decided case cannot be claimed" || bad "claim decided: $code"
[ "$(q "SELECT decision||classification||annotations||decided_by FROM case_review WHERE case_id=$A")" = 'confirmA1["generative_ai"]alice' ] &&
	ok "store: decision row" || bad "store: $(q "SELECT * FROM case_review")"
[ "$(q "SELECT count(*) FROM audit WHERE action='case.decision' AND object='$A' AND who='alice' AND detail LIKE '%A1%'")" = 1 ] &&
	[ "$(q "SELECT count(*) FROM audit WHERE action='case.claim' AND object='$A'")" = 2 ] &&
	ok "audit: claims and the decision" || bad "audit: $(q "SELECT action,object,who FROM audit")"
# The confirmed bank blocks a new upload of the same picture by anyone.
upload "$DEMO/known/ladybird.jpg" l3 u9
[ "$(json 'd["verdict"]' < "$T/r")" = block ] && json '[m["bank"] for m in d["matches"]]' < "$T/r" | grep -q confirmed &&
	ok "re-upload after confirm: block (bank confirmed)" || bad "after confirm: $(cat "$T/r")"

# Dismiss: the suppression bank silences the same false positive.
call "$BOB" POST "/v1/cases/$B/claim" && call "$BOB" POST "/v1/cases/$B/decision" '{"decision":"dismiss","note":"a weather photo"}'
[ "$code" = 200 ] && [ "$(json 'd["bank"]["name"]+str(d["bank"]["added"])' < "$T/r")" = suppressed1 ] &&
	ok "dismiss: 1 hash in bank suppressed" || bad "dismiss: $code $(cat "$T/r")"
[ "$(q "SELECT policy FROM bank_policy JOIN banks ON banks.id=bank_id WHERE name='suppressed'")" != "" ] &&
	"$VIGIL" bank show suppressed 2>/dev/null | grep -qi suppression &&
	ok "suppressed bank is of kind suppression" || bad "kind: $("$VIGIL" bank show suppressed 2>&1)"
upload "$DEMO/known/storm.jpg" s2 u1
[ "$(json 'd["verdict"]+str(d["case"])' < "$T/r")" = allowNone ] && ok "re-upload after dismiss: allow, no case" ||
	bad "after dismiss: $(cat "$T/r")"

# Escalate: to the admin queue.
call "$ALICE" POST "/v1/cases/$C/claim" && call "$ALICE" POST "/v1/cases/$C/decision" '{"decision":"escalate","note":"unsure"}'
[ "$code" = 200 ] && [ "$(json 'd["state"]' < "$T/r")" = escalated ] && ok "escalate" || bad "escalate: $code $(cat "$T/r")"
call "$ALICE" POST "/v1/cases/$C/claim"
[ "$code" = 409 ] && [ "$(errc)" = wrong_state ] && ok "a reviewer cannot claim an escalated case" || bad "claim esc: $code"
call "$ADM" GET "/v1/cases?state=escalated"
[ "$(json '[c["id"] for c in d["cases"]]' < "$T/r")" = "[$C]" ] && ok "admin queue lists it" || bad "admin queue: $(cat "$T/r")"
call "$ADM" POST "/v1/cases/$C/claim" && call "$ADM" POST "/v1/cases/$C/decision" '{"decision":"confirm","classification":"B2"}'
[ "$code" = 200 ] && [ "$(json 'd["state"]' < "$T/r")" = decided ] && ok "admin decides the escalated case" ||
	bad "admin decide: $code $(cat "$T/r")"

# Webhooks: verdict (confirm, dismiss, admin confirm) and report.drafted,
# delivered and signed (the receiver checks signatures).
wait_for '[ "$(new_events report.drafted)" -ge 1 ] && [ "$(new_events case.escalated)" -ge 1 ]' &&
	grep "^new .* verdict " "$T/rlog" | grep -q "\"reviewed_by\":\"alice\"" &&
	grep "^new .* verdict " "$T/rlog" | grep -q "\"reviewed_by\":\"bob\"" &&
	! grep -q badsig "$T/rlog" && ok "verdict, report.drafted, case.escalated webhooks delivered" ||
	bad "webhooks: $(cut -c1-100 "$T/rlog")"
stop_server

# Claim expiry: a 3 s claim; after it, another reviewer can claim.
start_server --claim-ttl 3
code=$(curl -s -o "$T/r" -w '%{http_code}' -H "Authorization: Bearer $SUB" -H 'Content-Type: application/json' \
	--data-binary '{"content_id":"x9","user_id":"u7","reason":"invented report"}' "$URL/v1/user-reports")
D=$(json 'd["case"]' < "$T/r")
call "$ALICE" POST "/v1/cases/$D/claim"
[ "$code" = 200 ] && ok "alice claims $D for 3 s" || bad "claim D: $code $(cat "$T/r")"
call "$BOB" POST "/v1/cases/$D/claim"
c1=$code
wait_for 'call "$BOB" GET "/v1/cases/$D"; [ "$(json "d[\"state\"]" < "$T/r")" = open ]' &&
	ok "the claim expires: open again" || bad "expiry: $(cat "$T/r")"
call "$BOB" POST "/v1/cases/$D/claim"
[ "$c1" = 409 ] && [ "$code" = 200 ] && ok "bob: 409 before expiry, claims after" || bad "claim after expiry: $c1 $code"
call "$ALICE" POST "/v1/cases/$D/decision" '{"decision":"dismiss"}'
[ "$code" = 409 ] && ok "alice's expired claim cannot decide" || bad "expired decide: $code"
stop_server

# Sealed content and the protected view: a user report with a file.
python3 -c "import secrets; print(secrets.token_hex(32))" > "$T/master.key"
chmod 600 "$T/master.key"
start_server --master-key-file "$T/master.key" --reveal-daily-cap 1
IMG="$DEMO/uploads/meadow.jpg"
code=$(curl -s -o "$T/r" -w '%{http_code}' -H "Authorization: Bearer $SUB" \
	-F "file=@$IMG" -F 'report={"content_id":"m1","user_id":"u8","reason":"invented"};type=application/json' \
	"$URL/v1/user-reports")
E=$(json 'd["case"]' < "$T/r")
call "$ALICE" GET "/v1/cases/$E"
[ "$(json 'd["media"]' < "$T/r")" = 1 ] && ok "case $E keeps 1 item" || bad "media count: $(cat "$T/r")"
# On PostgreSQL the sealed column's bytes, as the database holds them.
if on_pg; then
	q "SELECT encode(sealed,'hex') FROM case_media" | python3 -c \
		"import sys; sys.stdout.buffer.write(bytes.fromhex(''.join(sys.stdin.read().split())))" > "$T/v.db.sealed"
	[ -s "$T/v.db.sealed" ] && ok "sealed item stored in PostgreSQL" || bad "no sealed item in PostgreSQL"
fi
python3 - "$IMG" "$T" <<'PY' && ok "sealed: no 64-byte window of the file in the store's files" || bad "plaintext at rest"
import glob, sys
img = open(sys.argv[1], "rb").read()
wins = [img[i:i + 64] for i in range(len(img) // 4, len(img) - 64, len(img) // 5)]
for f in glob.glob(sys.argv[2] + "/v.db*"):
    d = open(f, "rb").read()
    if any(w in d for w in wins):
        sys.exit(1)
PY
getimg() { curl -s -D "$T/h" -o "$2" -w '%{http_code}' -H "Authorization: Bearer $ALICE" "$URL/v1/cases/$E/media/1$1"; }
code=$(getimg "?view=protected" "$T/p.png")
set -- $(python3 "$PNGSTAT" "$T/p.png")
[ "$code" = 200 ] && grep -qi '^cache-control: no-store' "$T/h" && grep -qi '^content-type: image/png' "$T/h" &&
	[ "$3" = 1 ] && [ "$4" = 0 ] && [ "$1" -le 256 ] && [ "$2" -le 256 ] &&
	ok "protected view: grey PNG ${1}x$2, no-store" || bad "protected: $code $*"
HF=$5
code=$(getimg "?view=protected&blur=0&size=256" "$T/p0.png")
HF0=$(python3 "$PNGSTAT" "$T/p0.png" | cut -d' ' -f5)
echo "# high-frequency energy: protected $HF, same size unblurred $HF0"
python3 -c "import sys; sys.exit(0 if $HF * 2 < $HF0 else 1)" &&
	ok "protected view has less than half the detail of the unblurred reduction ($HF vs $HF0)" || bad "detail: $HF vs $HF0"
code=$(getimg "?sepia=1" "$T/s.png")
[ "$code" = 200 ] && [ "$(python3 "$PNGSTAT" "$T/s.png" | cut -d' ' -f3)" = 3 ] && ok "sepia setting" || bad "sepia: $code"
code=$(getimg "?blur=99" "$T/x")
[ "$code" = 400 ] && ok "out-of-range setting refused" || bad "blur=99: $code"
code=$(getimg "?view=original" "$T/o")
[ "$code" = 409 ] && ok "original refused without a claim" || bad "unclaimed original: $code"
call "$ALICE" POST "/v1/cases/$E/claim"
code=$(getimg "?view=original" "$T/o")
[ "$code" = 200 ] && cmp -s "$T/o" "$IMG" && grep -qi '^cache-control: no-store' "$T/h" &&
	ok "original: the uploaded bytes, no-store" || bad "original: $code"
[ "$(q "SELECT who||' '||n FROM reveals WHERE case_id=$E")" = "alice 1" ] &&
	[ "$(q "SELECT count(*) FROM audit WHERE action='case.reveal' AND object='$E' AND who='alice'")" = 1 ] &&
	ok "reveal logged (reveals + audit)" || bad "reveal log: $(q "SELECT * FROM reveals")"
code=$(getimg "?view=original" "$T/o")
[ "$code" = 429 ] && grep -q exposure_cap "$T/o" && ok "daily cap reached: 429 exposure_cap" || bad "cap: $code"
stop_server
# The page's sessions and forms, with curl: CSRF refused when missing or
# wrong, a session after logout refused, lockout after 5 failures.
echo "a long invented password" | "$VIGIL" user add rita --role reviewer 2>/dev/null && ok "vigil user add" || bad "user add"
echo "short" | "$VIGIL" user add tom --role reviewer 2>/dev/null && bad "short password accepted" || ok "short password refused"
[ "$(q "SELECT substr(pwhash,1,10) FROM people WHERE name='rita'")" = '$argon2id$' ] && ok "Argon2id hash stored" || bad "pwhash"
start_server
J="$T/cj"
loginform() { curl -s -c "$J" -b "$J" "$URL/review/login" | grep -o 'name="csrf" value="[0-9a-f]*"' | grep -o '[0-9a-f]\{64\}'; }
LC=$(loginform)
code=$(curl -s -o /dev/null -w '%{http_code}' -c "$J" -b "$J" -d "name=rita&password=a+long+invented+password" "$URL/review/login")
[ "$code" = 403 ] && ok "login without the CSRF field refused" || bad "login no csrf: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -D "$T/h" -c "$J" -b "$J" -d "csrf=$LC&name=rita&password=a+long+invented+password" "$URL/review/login")
[ "$code" = 303 ] && grep -i '^set-cookie: vigil_session=' "$T/h" | grep -qi 'httponly' &&
	grep -i '^set-cookie: vigil_session=' "$T/h" | grep -qi 'samesite=strict' && ok "login: session cookie HttpOnly, SameSite=Strict" ||
	bad "login: $code $(cat "$T/h")"
code=$(curl -s -o "$T/page" -w '%{http_code}' -D "$T/h" -c "$J" -b "$J" "$URL/review")
SC=$(grep -o 'name="csrf" value="[0-9a-f]*"' "$T/page" | head -1 | grep -o '[0-9a-f]\{64\}')
[ "$code" = 200 ] && grep -qi "^content-security-policy: default-src 'none'" "$T/h" && grep -qi '^cache-control: no-store' "$T/h" &&
	! grep -qE '(src|href)="https?:' "$T/page" && ok "queue page: strict CSP, no-store, no external resources" || bad "queue page: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -b "$J" -d "blur=8&size=128" "$URL/review/settings")
[ "$code" = 403 ] && ok "form without CSRF token refused" || bad "no csrf: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -b "$J" -d "csrf=$(echo "$SC" | tr 0-9a-f a-f0-9)&blur=8" "$URL/review/settings")
[ "$code" = 403 ] && ok "form with a wrong CSRF token refused" || bad "bad csrf: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -b "$J" -d "csrf=$SC&blur=8&size=128" "$URL/review/settings")
[ "$code" = 303 ] && ok "form with the CSRF token accepted" || bad "csrf ok: $code"
cp "$J" "$T/old-cookies"
code=$(curl -s -o /dev/null -w '%{http_code}' -c "$J" -b "$J" -d "csrf=$SC" "$URL/review/logout")
[ "$code" = 303 ] && ok "logout" || bad "logout: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -b "$T/old-cookies" "$URL/review")
loc=$(curl -s -o /dev/null -w '%{redirect_url}' -b "$T/old-cookies" "$URL/review")
code2=$(curl -s -o /dev/null -w '%{http_code}' -b "$T/old-cookies" -d "csrf=$SC&blur=1" "$URL/review/settings")
[ "$code" = 303 ] && echo "$loc" | grep -q /review/login && [ "$code2" = 403 ] &&
	ok "the old session cookie after logout is refused" || bad "after logout: $code $loc $code2"
code=$(curl -s -o /dev/null -w '%{http_code}' "$URL/review/case/1")
[ "$code" = 303 ] && ok "no session: the case page sends to login" || bad "no session case: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $ALICE" "$URL/review/media/1/1")
[ "$code" = 303 ] && ok "an API key is not a page session" || bad "key on page: $code"
for i in 1 2 3 4 5; do
	LC=$(loginform)
	curl -s -o /dev/null -c "$J" -b "$J" -d "csrf=$LC&name=rita&password=wrong+password+$i" "$URL/review/login"
done
LC=$(loginform)
curl -s -o "$T/page" -c "$J" -b "$J" -d "csrf=$LC&name=rita&password=a+long+invented+password" "$URL/review/login"
grep -q "locked" "$T/page" && [ "$(q "SELECT CASE WHEN failures>=5 AND locked_until>0 THEN 1 ELSE 0 END FROM people WHERE name='rita'")" = 1 ] &&
	[ "$(q "SELECT count(*) FROM audit WHERE action='login.failed' AND who='rita'")" = 5 ] &&
	ok "5 failed logins lock the account (the right password is refused too)" || bad "lockout: $(head -c 300 "$T/page")"
stop_server
if grep -qE "runtime error|Sanitizer" "$T/server.log"; then bad "sanitizer report:"; grep -E -A5 "runtime error|Sanitizer" "$T/server.log" | head -20; fi
exit $fail
