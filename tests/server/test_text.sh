#!/bin/sh
# End-to-end: text banks and POST /v1/text of `vigil serve` — banks of type
# text made and filled with the CLI, hits with spans in the original text
# (folded, regex and literal terms), the verdict by each bank's policy
# (block, review + case), the term shown to admin keys only, the matcher
# rebuilt while the server runs when a text bank changes (import, disable),
# grooming state per conversation and author raising an alert that opens a
# case, bad bodies and roles, and the message text in no log, audit row or
# event. All text is invented.
set -u
VIGIL=$1 GEN=$2
T=$(mktemp -d)
SPID=
trap '[ -n "$SPID" ] && kill -9 $SPID 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
export VIGIL_DB="$(store_uri v)"

"$VIGIL" bank create blk --type text >/dev/null
"$VIGIL" bank policy blk action=block >/dev/null
"$VIGIL" bank create rev --type text >/dev/null
"$VIGIL" bank policy rev action=review priority=80 >/dev/null
printf 'term,category,severity,mode\nbluebird,standin-a,70\n' > "$T/blk.csv"
printf 'term,category,severity,mode\n"blue ?fish[0-9]+",standin-rx,60,regex\n"#exacttag",standin-tag,40,literal\n' > "$T/rev.csv"
printf '"(unclosed",standin-rx,60,regex\n' > "$T/badrx.csv"
"$VIGIL" bank import blk "$T/blk.csv" 2>/dev/null
"$VIGIL" text import rev "$T/rev.csv" 2>/dev/null
"$VIGIL" text import rev "$T/badrx.csv" 2>"$T/badrx.err"
check "a regex that does not compile is refused with its line and reason" \
	grep -q 'badrx.csv:1: regex does not compile: Missing close parenthesis' "$T/badrx.err"
check "vigil text banks lists both with their policies" \
	sh -c "\"$VIGIL\" text banks | jq -s -e 'length == 2 and .[0].name == \"blk\" and .[0].action == \"block\" and .[0].terms == 1 and .[1].terms == 2' >/dev/null"
SUBMIT=$("$VIGIL" key create sub1 --role submit 2>/dev/null)
ADMIN=$("$VIGIL" key create adm1 --role submit,admin 2>/dev/null)
REVIEW=$("$VIGIL" key create rev1 --role review 2>/dev/null)
# events are queued for a webhook nobody answers (only the rows are checked)
# The grooming part below scores with the stage lexicon (the shipped model
# is test_text_state.sh's).
start --webhook-url http://127.0.0.1:9/hook --webhook-allow 127.0.0.1 --text-model lexicon
S="Authorization: Bearer $SUBMIT"
A="Authorization: Bearer $ADMIN"
post() { # post KEY-HEADER JSON
	code POST /v1/text -H "$1" -H 'Content-Type: application/json' --data-binary "$2"
}
# span TEXT: checks every match's [start,end) in the UTF-8 bytes of TEXT is
# what the response's "want" says (computed here from the request text)
span_is() { # span_is TEXT WANT
	python3 - "$1" "$2" "$T/body" <<'PY'
import json, sys
text, want, body = sys.argv[1].encode(), sys.argv[2].encode(), json.load(open(sys.argv[3]))
spans = [text[m["start"]:m["end"]] for m in body["matches"]]
sys.exit(0 if want in spans else 1)
PY
}

r=$(post "$S" '{"text":"a quiet morning at the lake"}')
check "benign text: 200 allow, no matches, no grooming without ids" \
	jq -e "$r == 200 and .verdict == \"allow\" and (.matches | length) == 0 and .grooming == null and .case == null" "$T/body"
# Nothing changed state, so nothing was written (no transaction at all);
# a hit is audited once.
naudit() { store_sql "$VIGIL_DB" "SELECT count(*) FROM audit WHERE action='text.verdict'"; }
check "a benign message writes no audit row ($(naudit))" [ "$(naudit)" = 0 ]

MSG='I saw a 𝐁𝐋𝐔𝐄𝐁𝐈𝐑𝐃 today'
r=$(post "$S" "{\"text\":\"$MSG\",\"message_id\":\"m1\"}")
check "obfuscated term: 200 block by bank blk" \
	jq -e '.verdict == "block" and .matches[0].bank == "blk" and .matches[0].category == "standin-a" and .matches[0].disposition == "acted" and (.actions | map(.type) | index("block")) != null' "$T/body"
check "its span is the original (mathematical letters) bytes" span_is "$MSG" '𝐁𝐋𝐔𝐄𝐁𝐈𝐑𝐃'
check "a submit key is not shown the listed term" jq -e '.matches[0] | has("term") | not' "$T/body"
post "$A" "{\"text\":\"$MSG\"}" >/dev/null
check "an admin key is" jq -e '.matches[0].term == "bluebird"' "$T/body"
check "the two hits wrote one audit row each ($(naudit))" [ "$(naudit)" = 2 ]

MSG2='then bluefish42 swam by #exacttag'
r=$(post "$S" "{\"text\":\"$MSG2\",\"message_id\":\"m2\",\"conversation_id\":\"cx\",\"author_id\":\"ux\"}")
check "regex and literal terms: 200 review with a case" \
	jq -e '.verdict == "review" and (.case | type) == "number" and (.matches | length) == 2 and ([.matches[].mode] | sort) == ["literal","regex"]' "$T/body"
check "the regex span is the whole match" span_is "$MSG2" 'bluefish42'
check "hashtags are listed" jq -e '.hashtags == [{"start":24,"end":33}]' "$T/body"
CASE=$(jq -r .case "$T/body")
check "the case has the bank's priority and no message text" \
	[ "$(store_sql "$VIGIL_DB" "SELECT priority, source FROM cases WHERE id=$CASE")" = '80|text' ]

# Changes while the server runs: the next requests see them.
printf 'zebrafinch,standin-b,50\n' > "$T/more.csv"
"$VIGIL" bank import rev "$T/more.csv" 2>/dev/null
# until BODY JQ: posts BODY (up to 100 times, 0.1 s apart) until the reply
# satisfies JQ; the number of posts it took is in $i.
until_reply() {
	i=0
	while [ $i -lt 100 ]; do
		i=$((i + 1))
		post "$S" "$1" >/dev/null
		jq -e "$2" "$T/body" >/dev/null && return 0
		sleep 0.1
	done
	return 1
}
until_reply '{"text":"a zebrafinch sang"}' '.matches | length == 1'; seen=$?
check "a term imported while serving is matched (after $i requests)" [ $seen = 0 ]
# Deleting that one term through the API: the very next request misses it.
post "$S" '{"text":"a zebrafinch sang"}' >/dev/null
ZID=$(jq -r '.matches[0].entry' "$T/body")
r=$(code DELETE "/v1/banks/rev/entries/$ZID" -H "$A")
post "$S" '{"text":"a zebrafinch sang"}' >/dev/null
check "DELETE /v1/banks/rev/entries/$ZID ($r) removes the term at once" \
	jq -e "$r == 200 and (.matches | length) == 0" "$T/body"
check "a term deletion is audited" \
	[ "$(store_sql "$VIGIL_DB" "SELECT count(*) FROM audit WHERE action='bank.terms.delete'")" = 1 ]
r=$(code DELETE "/v1/banks/rev/entries/$ZID" -H "$A")
check "deleting it again: 404 ($r)" [ "$r" = 404 ]
"$VIGIL" bank import rev "$T/more.csv" 2>/dev/null
"$VIGIL" bank disable blk
until_reply "{\"text\":\"$MSG\"}" '.verdict == "allow"'; gone=$?
check "a disabled text bank stops matching (after $i requests)" [ $gone = 0 ]
r=$(code PATCH /v1/banks/rev -H "$A" -H 'Content-Type: application/json' -d '{"enabled":false}')
post "$S" "{\"text\":\"$MSG2\"}" >/dev/null
check "disabled through the API ($r): the very next request no longer matches" \
	jq -e '.verdict == "allow" and (.matches | length) == 0' "$T/body"

# Grooming: scripted stand-in stage markers by one author; another author in
# the same conversation writes benign lines.
alert_at=0 n=0 other_alert=0
for m in "hi, how old are you?" "where do you live" "are you alone right now" \
	"this is our secret, don't tell your parents" "add me on another app, private chat" \
	"send me a photo" "let's meet"; do
	n=$((n + 1))
	post "$S" "{\"text\":\"$m\",\"conversation_id\":\"c1\",\"author_id\":\"a1\",\"message_id\":\"g$n\"}" >/dev/null
	if [ $alert_at = 0 ] && jq -e '.grooming.alert' "$T/body" >/dev/null; then
		alert_at=$n; GCASE=$(jq -r .case "$T/body"); fi
	post "$S" "{\"text\":\"fine, see you at practice\",\"conversation_id\":\"c1\",\"author_id\":\"a2\"}" >/dev/null
	jq -e '.grooming.alert' "$T/body" >/dev/null && other_alert=1
done
check "the stage-marker author raises the alert (at message $alert_at, by the 6th)" \
	[ $alert_at -ge 1 ] && [ $alert_at -le 6 ]
check "the other author in the conversation never does" [ $other_alert = 0 ]
check "the alert opened a grooming case" \
	[ "$(store_sql "$VIGIL_DB" "SELECT source, user_id FROM cases WHERE id=${GCASE:-0}")" = 'grooming|a1' ]

is() { [ "$1" = "$2" ]; }
r=$(post "$S" '{"conversation_id":"c"}')
check "no text: 400 bad_text" is "$r $(errcode)" "400 bad_text"
r=$(post "$S" '{"text":"x","colour":"red"}')
check "an unknown member: 400 bad_text" is "$r $(errcode)" "400 bad_text"
r=$(post "$S" 'text=x')
check "not JSON: 400 bad_json" is "$r $(errcode)" "400 bad_json"
check "no key: 401" is "$(code POST /v1/text -d '{}')" 401
check "a review key: 403" is "$(post "Authorization: Bearer $REVIEW" '{"text":"x"}')" 403
ev() { store_sql "$VIGIL_DB" "SELECT count(*) FROM outbox WHERE type='$1' AND body LIKE '%$2%'"; }
check "the block verdict went out as a text.verdict event" is "$(ev text.verdict 'content_id":"m1"')" 1
check "the review case and the grooming case as case.created events" \
	is "$(ev case.created "\"case\":$CASE,") $(ev case.created "\"case\":${GCASE:-0},")" "1 1"
check "the grooming alert as a text.verdict event with its stages" \
	is "$(ev text.verdict '"alert":true')" 1

check "the server stops cleanly" stop

# With text_model set, the message score is the trained model's: the same
# number `vigil text score --model` gives for that line.
python3 "$GEN" train 1 > "$T/train.jsonl"
"$VIGIL" text train --data "$T/train.jsonl" --out "$T/model" --epochs 5 > /dev/null
start --text-model "$T/model"
LINE="keep this between us, want to meet up alone"
post "$S" "{\"text\":\"$LINE\",\"conversation_id\":\"m\",\"author_id\":\"x\"}" > /dev/null
got=$(jq -r '.grooming.message * 10000 | round' "$T/body")
want=$(printf '%s\n' "$LINE" | "$VIGIL" text score --model "$T/model" | jq -r '.message * 10000 | round')
check "the server scores with the model ($got/10000, the CLI $want/10000)" is "$got" "$want"
check "the server stops cleanly" stop
printf 'VIGILGRM' > "$T/badmodel"
"$VIGIL" serve --listen 127.0.0.1:0 --db "$VIGIL_DB" --text-model "$T/badmodel" 2> "$T/bad.err" &
BPID=$!
wait $BPID
brc=$?
check "a damaged text_model stops the server at start (status $brc)" sh -c "[ $brc -ne 0 ] && grep -q 'text_model' '$T/bad.err'"
# The message text is in no log, audit row or event (the ids are).
{ store_sql "$VIGIL_DB" "SELECT detail FROM audit"; store_sql "$VIGIL_DB" "SELECT body FROM outbox"
  store_sql "$VIGIL_DB" "SELECT contexts, matches FROM cases"; } > "$T/dump" 2>/dev/null
cat "$T/server.log" >> "$T/dump"
check "the audit names the messages by id" grep -q '"user_id":"a1"' "$T/dump"
leak=0
for w in bluefish42 zebrafinch 'quiet morning' 'how old' 'see you at practice'; do
	grep -q "$w" "$T/dump" && { echo "# leaked: $w"; leak=1; }
done
check "no message text in the logs, audit, events or cases" [ $leak = 0 ]
exit $fail
