#!/bin/sh
# End-to-end: evidence preservation (docs/evidence.md). A confirmed case is
# filed through the NCMEC stand-in; what it sent is preserved sealed (the
# uploads carry a random marker that must appear in no file of the test's
# tree), the retention job inside vigil serve preserves a report filed
# elsewhere, legal holds keep items past the year, released expired items
# are unrecoverable after the sweep (key row gone, the key's bytes in no
# store file), every action is audited, signed bundles verify and any
# change to them is detected, and retention under 365 days is refused.
set -u
VIGIL=$1
STANDIN=$2
DEMO=$3
T=$(mktemp -d)   # vigil's side: the store, keys, bundles, logs
O=$(mktemp -d)   # outside it: the marked source images, NCMEC's stand-in
SPID= NC=
trap '[ -n "$SPID" ] && kill $SPID; [ -n "$NC" ] && kill $NC; rm -rf "$T" "$O"' EXIT
. "$(dirname "$0")/../server/lib.sh"
export VIGIL_DB="$T/v.db"
q() { sqlite3 "$T/v.db" "$1"; }
wait_for() { i=0; while ! eval "$1"; do i=$((i + 1)); [ $i -gt 400 ] && return 1; sleep 0.05; done; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
# found FILE-OR-DIR STRING: is the string anywhere in it (binary files too)?
found() { grep -r -a -q -F -- "$2" "$1"; }

MARK="vigil-evidence-marker-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
python3 -c "import secrets; print(secrets.token_hex(32))" > "$T/master.key"
chmod 600 "$T/master.key"
"$VIGIL" audit keygen --key "$T/sign.key" >/dev/null || bad "keygen"
PUB=$("$VIGIL" audit pubkey --key "$T/sign.key")
# Benign Debian/demo pictures with the marker after the image's end (the
# same PDQ, other bytes): case 1 gets two items, case 2 one.
{ cat "$DEMO/known/storm.jpg"; printf '%s-one' "$MARK"; } > "$O/a.jpg"
{ cat "$DEMO/known/storm.jpg"; printf '%s-two' "$MARK"; } > "$O/b.jpg"
{ cat "$DEMO/known/ladybird.jpg"; printf '%s-three' "$MARK"; } > "$O/c.jpg"
"$VIGIL" hash "$DEMO/known/storm.jpg" "$DEMO/known/ladybird.jpg" > "$T/known.csv"
"$VIGIL" bank create reported --action report >/dev/null &&
	"$VIGIL" bank import reported "$T/known.csv" 2>/dev/null || bad "bank"
SUB=$("$VIGIL" key create uploader --role submit 2>/dev/null | tail -1)
REV=$("$VIGIL" key create alice --role review 2>/dev/null | tail -1)

start --master-key-file "$T/master.key"
up() {
	curl -s -o "$T/r" -H "Authorization: Bearer $SUB" -F "file=@$1" \
		-F "context={\"content_id\":\"$2\",\"user_id\":\"$3\",\"ip\":\"192.0.2.7\",\"port\":50123,\"upload_time\":\"2026-11-30T10:00:00Z\",\"surface\":\"chat\"};type=application/json" \
		"$U/v1/content"
}
up "$O/a.jpg" c1 user-1; CASE=$(json 'd["case"]' < "$T/r")
up "$O/b.jpg" c2 user-1
up "$O/c.jpg" c3 user-2; CASE2=$(json 'd["case"]' < "$T/r")
[ -n "$CASE" ] && [ -n "$CASE2" ] && [ "$CASE" != "$CASE2" ] && ok "cases $CASE (2 items) and $CASE2" || bad "cases: $(cat "$T/r")"
A() { curl -s -o "$T/r" -w '%{http_code}' -H "Authorization: Bearer $REV" "$@"; }
A -X POST "$U/v1/cases/$CASE/claim" >/dev/null
code=$(A -X POST -H 'Content-Type: application/json' \
	-d '{"decision":"confirm","classification":"A1","annotations":["viral"]}' "$U/v1/cases/$CASE/decision")
[ "$code" = 200 ] && ok "confirmed" || bad "decision: $code $(cat "$T/r")"
stop || bad "server exit"
RID=$("$VIGIL" report list | awk '{print $1; exit}')

# File it through the stand-in (NCMEC's side lives outside $T).
python3 "$STANDIN" "$O/ncport" "$O/ncstate" "vigil-test:pa55word" 2>>"$O/nc.log" & NC=$!
wait_for '[ -s "$O/ncport" ]' || { echo "stand-in did not start"; exit 1; }
cat > "$T/vigil.conf" <<CONF
reporter_email = trust@example.invalid
master_key_file = $T/master.key
ncmec_url = http://127.0.0.1:$(cat "$O/ncport")
ncmec_credentials = env:NCMEC_CRED
CONF
NCMEC_CRED=vigil-test:pa55word "$VIGIL" report submit "$RID" --config "$T/vigil.conf" > "$T/out" 2>"$T/err" &&
	grep -q finished "$T/out" && ok "report $RID filed" || bad "submit: $(cat "$T/err")"
kill $NC; wait $NC 2>/dev/null; NC=

# Filing preserved it: 2 files, the context, the report, 2 fileDetails, the answers.
"$VIGIL" evidence list --report "$RID" > "$T/list"
kinds=$(awk '{print $2}' "$T/list" | sort | tr '\n' ' ')
[ "$kinds" = "answers context file file fileinfo fileinfo report " ] &&
	awk '{ if ($1 !~ /^[0-9]+$/) exit 1 }' "$T/list" &&
	ok "filing preserved 7 items, one line each starting with its id" || bad "list: $(cat "$T/list")"
F1=$(awk '$2 == "file" && $3 == "n=1" {print $1}' "$T/list")
F2=$(awk '$2 == "file" && $3 == "n=2" {print $1}' "$T/list")
RX=$(awk '$2 == "report" {print $1}' "$T/list")
"$VIGIL" evidence show "$F1" --master-key "$T/master.key" --content > "$T/shown" &&
	cmp -s "$T/shown" "$O/a.jpg" && ok "show --content gives the upload's bytes back" || bad "show content"
rm -f "$T/shown"
"$VIGIL" evidence show "$RX" --config "$T/vigil.conf" | json 'd["intact"] and d["kind"]=="report"' | grep -q True &&
	ok "show: the report document, intact" || bad "show report"
"$VIGIL" evidence show "$RX" --config "$T/vigil.conf" --content > "$T/rx.xml"
python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['reports']['1000']['xml'],end='')" "$O/ncstate" > "$T/sent.xml"
cmp -s "$T/rx.xml" "$T/sent.xml" && ok "the preserved report is the document NCMEC received" || bad "report differs"
rm -f "$T/rx.xml" "$T/sent.xml"

# The retention job inside vigil serve: a report filed by another instance
# (made here in the store directly) is preserved at start.
R2=$(q "INSERT INTO reports(case_id,state,ncmec_id,xml,answers,created,updated) VALUES($CASE2,3,'2000','<report/>','[{\"step\":\"finish\"}]',0,0) RETURNING id")
start --master-key-file "$T/master.key" --evidence-sweep-interval 1
wait_for '[ "$("$VIGIL" evidence list --report "$R2" | wc -l)" = 4 ]' &&
	ok "vigil serve's retention job preserved report $R2 (file, context, report, answers)" ||
	bad "serve job: $("$VIGIL" evidence list --report "$R2"; cat "$T/server.log")"
stop || bad "server exit"
G1=$("$VIGIL" evidence list --report "$R2" | awk '$2 == "file" {print $1}')

# Encrypted at rest: the marker is in no file of the tree (the store, its
# WAL, logs), once the sources outside it are gone.
rm -f "$O/a.jpg" "$O/b.jpg" "$O/c.jpg"
ls "$T"/v.db* >/dev/null && ! found "$T" "$MARK" && ok "no plaintext: the marker is in no file under the test's directory" ||
	bad "marker found in: $(grep -r -a -l -F -- "$MARK" "$T")"

# A bundle for a hotline / law enforcement, and tampering with it.
"$VIGIL" evidence export --report "$RID" --out "$T/bundle" --key "$T/sign.key" \
	--master-key "$T/master.key" --reason "LE request 2026-117" > "$T/out" 2>"$T/err" &&
	[ "$(ls "$T/bundle/files" | wc -l)" = 7 ] && found "$T/bundle" "$MARK" && ok "export (in the clear, the marker found by the same check): $(cat "$T/out")" || bad "export: $(cat "$T/err")"
"$VIGIL" evidence verify "$T/bundle" --pubkey "$PUB" >/dev/null && ok "bundle verifies" || bad "verify"
python3 - "$T/bundle" <<'PY' && ok "manifest: every file's SHA-256 matches its bytes (checked independently)" || bad "manifest"
import hashlib, json, sys, os
m = json.load(open(os.path.join(sys.argv[1], 'manifest.json')))
assert m['format'] == 'vigil-evidence-bundle-1' and m['reason'] == 'LE request 2026-117'
for f in m['files']:
    assert hashlib.sha256(open(os.path.join(sys.argv[1], f['name']), 'rb').read()).hexdigest() == f['sha256'], f
PY
tamper() { # tamper NAME EXPECTED-MESSAGE COMMAND...: change, verify must fail, restore
	name=$1 want=$2
	shift 2
	cp -a "$T/bundle" "$T/b2"
	(cd "$T/b2" && eval "$@")
	if "$VIGIL" evidence verify "$T/b2" --pubkey "$PUB" 2>"$T/err" >/dev/null; then
		bad "$name: not detected"
	elif grep -q -- "$want" "$T/err"; then
		ok "$name: detected ($(cat "$T/err"))"
	else
		bad "$name: wrong message: $(cat "$T/err")"
	fi
	rm -rf "$T/b2"
}
FN=$(cd "$T/bundle/files" && ls | head -1)
tamper "a file changed" "files/$FN: changed" "printf x >> files/$FN"
tamper "a file removed" "files/$FN: listed in the manifest, missing" "rm files/$FN"
tamper "a file added" "files/extra.jpg: not in the manifest" "cp files/$FN files/extra.jpg"
tamper "the manifest changed" "signature does not match" "sed -i 's/LE request/LE requests/' manifest.json"
tamper "the signature changed" "signature does not match" \
	"python3 -c \"import sys;s=open('manifest.sig').read();open('manifest.sig','w').write(('0' if s[0]!='0' else '1')+s[1:])\""
"$VIGIL" audit keygen --key "$T/other.key" >/dev/null
"$VIGIL" evidence verify "$T/bundle" --pubkey "$("$VIGIL" audit pubkey --key "$T/other.key")" 2>/dev/null >/dev/null; [ $? = 1 ] &&
	ok "another key's public half: refused" || bad "other key"
"$VIGIL" evidence export "$F1" --out "$T/sealed" --key "$T/sign.key" --master-key "$T/master.key" \
	--to "$(python3 -c 'import secrets; print(secrets.token_hex(32))')" >/dev/null 2>"$T/err" &&
	ls "$T/sealed/files" | grep -q '\.sealed$' && ! found "$T/sealed" "$MARK" &&
	"$VIGIL" evidence verify "$T/sealed" --pubkey "$PUB" >/dev/null &&
	ok "export --to: files sealed to the recipient, no plaintext, verifies" || bad "sealed export: $(cat "$T/err")"
rm -rf "$T/bundle"  # the plaintext export: the operator's to send, not kept

# Retention under a year is refused, by the sweep and by vigil serve.
"$VIGIL" evidence sweep --retention-days 364 2>"$T/err"; [ $? = 2 ] && grep -q "365" "$T/err" &&
	ok "sweep --retention-days 364: refused ($(cat "$T/err"))" || bad "short retention: $(cat "$T/err")"
timeout 20 "$VIGIL" serve --evidence-retention-days 100 --listen 127.0.0.1:0 2>"$T/err" >/dev/null; rc=$?
[ $rc != 0 ] && grep -q "evidence_retention_days" "$T/err" && ok "serve --evidence-retention-days 100: refused" ||
	bad "serve short retention rc=$rc: $(cat "$T/err")"
"$VIGIL" evidence sweep --now 99999999999 2>/dev/null; [ $? = 2 ] && ok "--now without VIGIL_TEST_CLOCK=1: refused" || bad "--now unguarded"

# Holds: two on file 1 (one released), one on case 2's file.
H1=$("$VIGIL" evidence hold "$F1" --reason "LE request 2026-117" --by officer | awk '{print $2}')
H2=$("$VIGIL" evidence hold "$F1" "$G1" --reason "civil suit" --by counsel | awk 'NR==1 {print $2}')
H3=$("$VIGIL" evidence hold "$G1" --reason "appeal" | awk '{print $2}')
"$VIGIL" evidence hold "$F1" 2>/dev/null; [ $? = 2 ] && ok "a hold needs a reason" || bad "hold without reason"
"$VIGIL" evidence release "$H2" --by counsel | grep -q released && ok "hold $H2 released" || bad "release"
"$VIGIL" evidence release "$H2" 2>"$T/err"; [ $? = 1 ] && grep -q "released already" "$T/err" && ok "released twice: refused" || bad "release twice"
"$VIGIL" evidence list | grep -q "^$F1 .* held=1$" && ok "file 1: held=1" || bad "held: $("$VIGIL" evidence list)"
KEY2=$(q "SELECT hex(wrapped) FROM pres_keys WHERE item_id=$F2")
[ ${#KEY2} = 152 ] || bad "wrapped key of $F2: $KEY2"
BODY2=$(q "SELECT hex(substr(body,1000,64)) FROM pres_items WHERE id=$F2")
# in_store HEX: is the byte string in some store file (v.db, its WAL)?
in_store() {
	python3 -c 'import glob, sys
k = bytes.fromhex(sys.argv[2])
assert len(k) >= 64
sys.exit(0 if any(k in open(p, "rb").read() for p in glob.glob(sys.argv[1] + "/v.db*")) else 1)' "$T" "$1"
}
in_store "$KEY2" && in_store "$BODY2" && ok "before: item $F2's wrapped key and ciphertext are in the store file" || bad "before: not found"

# A year and a day later.
NOW=$(( $(date +%s) + 366 * 86400 ))
export VIGIL_TEST_CLOCK=1
"$VIGIL" evidence sweep --now $((NOW - 2 * 86400)) > "$T/out" && grep -q "deleted 0," "$T/out" &&
	ok "before the year ends nothing is deleted: $(cat "$T/out")" || bad "early sweep: $(cat "$T/out")"
# The sweep reads evidence_retention_days from the serve config (--config);
# --retention-days overrides it; under a year is refused from the file too.
printf 'evidence_retention_days = 400\n' > "$T/c400.conf"
printf 'evidence_retention_days = 364\n' > "$T/c364.conf"
"$VIGIL" evidence sweep --now $NOW --config "$T/c400.conf" > "$T/out" && grep -q "deleted 0," "$T/out" &&
	ok "evidence_retention_days = 400 in --config: nothing deleted after 366 days" || bad "config retention: $(cat "$T/out")"
"$VIGIL" evidence sweep --now $NOW --config "$T/c364.conf" >/dev/null 2>"$T/err"; [ $? = 2 ] &&
	grep -q "evidence_retention_days" "$T/err" && ok "evidence_retention_days = 364 in --config: refused" ||
	bad "config 364: $(cat "$T/err")"
"$VIGIL" evidence sweep --now $NOW --config "$T/c400.conf" --retention-days 365 --master-key "$T/master.key" > "$T/out" &&
	grep -q "preserved 0, deleted 9, held 2, kept 0" "$T/out" && ok "after a year (--retention-days 365 overrides the config's 400): $(cat "$T/out")" || bad "sweep: $(cat "$T/out")"
"$VIGIL" evidence list | grep -q "^$F1 .* held=1$" && "$VIGIL" evidence list | grep -q "^$G1 .* held=2$" &&
	"$VIGIL" evidence show "$F1" --master-key "$T/master.key" | json 'd["intact"]' | grep -q True &&
	ok "held items survive the retention job, still intact" || bad "held: $("$VIGIL" evidence list)"
"$VIGIL" evidence show "$F2" --master-key "$T/master.key" >/dev/null 2>"$T/err"; [ $? = 1 ] &&
	grep -q "was deleted" "$T/err" && ok "deleted item: show fails ($(cat "$T/err"))" || bad "show deleted: $(cat "$T/err")"
"$VIGIL" evidence export "$F2" --out "$T/b3" --key "$T/sign.key" --master-key "$T/master.key" >/dev/null 2>"$T/err"; [ $? = 1 ] &&
	grep -q "was deleted" "$T/err" && ok "deleted item: export fails" || bad "export deleted: $(cat "$T/err")"
rm -rf "$T/b3"
[ "$(q "SELECT count(*) FROM pres_keys WHERE item_id=$F2")" = 0 ] && [ "$(q "SELECT length(body) FROM pres_items WHERE id=$F2")" = 0 ] &&
	[ "$(q "SELECT count(*) FROM case_media WHERE case_id=$CASE AND n=2")" = 0 ] &&
	ok "deleted: key row gone, ciphertext gone, the case's copy gone" || bad "rows after delete"
! in_store "$KEY2" && ! in_store "$BODY2" && ok "after: neither is in any store file (secure_delete, WAL truncated)" || bad "deleted bytes remain"
# Releasing the last holds: the next sweep deletes them too.
"$VIGIL" evidence release "$H1" >/dev/null && "$VIGIL" evidence release "$H3" >/dev/null &&
	"$VIGIL" evidence release "$(q "SELECT id FROM pres_holds WHERE item_id=$G1 AND released=0")" >/dev/null || bad "releases"
"$VIGIL" evidence sweep --now $NOW > "$T/out" && grep -q "deleted 2, held 0, kept 0" "$T/out" &&
	! "$VIGIL" evidence show "$F1" --master-key "$T/master.key" 2>/dev/null >/dev/null &&
	[ "$(q "SELECT count(*) FROM pres_keys")" = 0 ] && ok "released expired items are unrecoverable after the sweep" ||
	bad "after release: $(cat "$T/out")"
unset VIGIL_TEST_CLOCK

# Audited, and counted.
for a in preserve:11 show:6 export:8 hold:4 release:4 delete:11; do
	n=$(q "SELECT count(*) FROM audit WHERE action='evidence.${a%%:*}'")
	[ "$n" -ge "${a#*:}" ] || bad "audit evidence.${a%%:*}: $n < ${a#*:}"
done
[ "$(q "SELECT count(*) FROM audit WHERE action='evidence.delete'")" = 11 ] &&
	[ "$(q "SELECT count(*) FROM audit WHERE action='evidence.hold' AND object='$F1'")" = 2 ] &&
	ok "audited: preserve, show, export, hold, release, delete" || bad "audit counts"
"$VIGIL" audit verify | grep -q '^ok' && ok "audit chain intact" || bad "chain"
D=$(date -u +%Y-%m-%d)
"$VIGIL" transparency --from "$D" --to "$D" | json 'd["days"][0]["evidence_preserved"], d["days"][0]["evidence_deleted"]' > "$T/tr"
[ "$(cat "$T/tr")" = "11 11" ] && ok "transparency: 11 preserved, 11 deleted" || bad "transparency: $(cat "$T/tr")"
exit $fail
