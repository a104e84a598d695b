#!/bin/sh
# POST /v1/text's grooming state per (conversation, author) survives a
# kill -9 and a restart (the risk goes on rising from the stored
# aggregates, the alert opens one case, not two), and is evicted by age
# (the test clock: VIGIL_TEST_CLOCK=1 makes each message's "time" the
# clock). Scripted, benign stand-in stage markers only.
set -u
VIGIL=$1 SRC=$2
T=$(mktemp -d)
SPID=
trap '[ -n "$SPID" ] && kill -9 $SPID 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
export VIGIL_DB="$(store_uri v)"
export VIGIL_TEST_CLOCK=1
SUBMIT=$("$VIGIL" key create sub1 --role submit 2>/dev/null)
S="Authorization: Bearer $SUBMIT"
AGE=3600
T0=2000000000
post() { # post CONVERSATION AUTHOR TIME TEXT
	code POST /v1/text -H "$S" -H 'Content-Type: application/json' --data-binary \
		"{\"text\":\"$4\",\"conversation_id\":\"$1\",\"author_id\":\"$2\",\"time\":$3}"
}
is() { [ "$1" = "$2" ]; }
risk() { jq -r '.grooming.risk' "$T/body"; }
msgs() { jq -r '.grooming.messages' "$T/body"; }
gt() { python3 -c "import sys; sys.exit(0 if float('$1') > float('$2') else 0 if False else 1)"; }
kill9() { kill -9 $SPID; wait $SPID 2>/dev/null; SPID=; }

start --text-state-max-age $AGE --text-model lexicon
post c1 a1 $T0 "hi, how old are you?" >/dev/null
post c1 a1 $((T0 + 1)) "where do you live" >/dev/null
post c1 a1 $((T0 + 2)) "are you alone right now" >/dev/null
r3=$(risk)
check "three messages scored (risk $r3)" is "$(msgs)" 3
kill9
start --text-state-max-age $AGE --text-model lexicon
post c1 a1 $((T0 + 3)) "this is our secret ok" >/dev/null
r4=$(risk) m4=$(msgs)
check "after kill -9 and restart the pair goes on: message $m4, risk $r3 -> $r4" \
	sh -c "[ '$m4' = 4 ] && python3 -c 'import sys; sys.exit(0 if $r4 > $r3 else 1)'"
alerts=0 at=0 n=4
for m in "add me on another app" "send me a photo" "let's meet"; do
	n=$((n + 1))
	post c1 a1 $((T0 + n)) "$m" >/dev/null
	if jq -e '.grooming.alert' "$T/body" >/dev/null; then alerts=$((alerts + 1)); at=$n
		fired=$(jq -c '.grooming.fired' "$T/body"); fi
	[ $n = 5 ] && { kill9; start --text-state-max-age $AGE; }
done
check "the alert is raised once (at message $at), listing what fired: $fired" \
	sh -c "[ $alerts = 1 ] && echo '$fired' | jq -e 'length > 0' >/dev/null"
kill9
start --text-state-max-age $AGE --text-model lexicon
post c1 a1 $((T0 + 9)) "let's meet" >/dev/null
check "after another restart: no second alert (message $(msgs))" \
	sh -c "[ \"\$(jq -r .grooming.alert '$T/body')\" = false ] && [ $(msgs) = 8 ]"
check "one grooming case for the pair" \
	is "$(store_sql "$VIGIL_DB" "SELECT count(*) FROM cases WHERE source='grooming' AND user_id='a1'")" 1

# Eviction by age: c2/a2 last seen at T1; a message of another pair past
# T1 + max_age sweeps its row; c2/a2's next message starts from zero,
# while c3/a3 (seen within the age) goes on.
T1=$((T0 + 100))
post c2 a2 $T1 "how old are you?" >/dev/null
post c2 a2 $((T1 + 1)) "where do you live" >/dev/null
check "c1 and c2 stored" is "$(store_sql "$VIGIL_DB" "SELECT count(*) FROM groom_state")" 2
post c3 a3 $((T1 + AGE - 10)) "how old are you?" >/dev/null
check "c1 (last seen more than max_age before) swept, c2 and c3 stored" \
	is "$(store_sql "$VIGIL_DB" "SELECT count(*) FROM groom_state")" 2
post c3 a3 $((T1 + AGE + 100)) "hello again" >/dev/null
check "a pair seen within max_age goes on (message $(msgs))" is "$(msgs)" 2
check "c2's row swept in turn, c3 kept" \
	is "$(store_sql "$VIGIL_DB" "SELECT count(*) FROM groom_state")" 1
post c2 a2 $((T1 + AGE + 101)) "where do you live" >/dev/null
check "an expired pair starts again from zero (message $(msgs))" is "$(msgs)" 1
# expiry in memory alone, without a sweep in between (within a minute)
post c3 a3 $((T1 + 2 * AGE + 150)) "hello" >/dev/null
check "expired in memory too: starts from zero (message $(msgs))" is "$(msgs)" 1
check "the server stops cleanly" stop

# With no text_model setting the server loads the shipped model
# (data/groom-default.vgm, found in the source tree since this vigil runs
# from its build directory): the conversation model's risk over the stored
# aggregates, across a kill -9 after message 3.
start --text-state-max-age $AGE --log-level info
check "no text_model: the shipped model is loaded" \
	grep -q "grooming model $SRC/data/groom-default.vgm" "$T/server.log"
T2=$((T0 + 10 * AGE)) n=0 alerts=0 at=0 fired=
for m in "hey nice game today" "how old are you?" "which school do you go to" \
	"are you alone right now" "this is our secret ok" "add me on the other app" "gg"; do
	n=$((n + 1))
	post c9 a9 $((T2 + n)) "$m" >/dev/null
	if jq -e '.grooming.alert' "$T/body" >/dev/null; then alerts=$((alerts + 1)); at=$n
		fired=$(jq -c '.grooming.fired' "$T/body"); fi
	[ $n = 3 ] && { kill9; start --text-state-max-age $AGE; }
done
check "shipped model: one alert (message $at, by 7), after a restart at 3, fired $fired" \
	sh -c "[ $alerts = 1 ] && [ $at -le 7 ] && [ $(msgs) = 7 ] && echo '$fired' | jq -e 'map(startswith(\"stages>=\")) | any' >/dev/null"
check "the server stops cleanly" stop

# text_model 'off': the same conversation is not scored at all (no
# grooming object, no alert, no state row, no case).
rows=$(store_sql "$VIGIL_DB" "SELECT count(*) FROM groom_state")
start --text-state-max-age $AGE --text-model off
n=0 scored=0
for m in "hey nice game today" "how old are you?" "which school do you go to" \
	"are you alone right now" "this is our secret ok" "add me on the other app" "gg"; do
	n=$((n + 1))
	post c8 a8 $((T2 + n)) "$m" >/dev/null
	jq -e '.grooming != null' "$T/body" >/dev/null && scored=$((scored + 1))
done
check "text_model off: none of 7 messages scored ($scored), no state, no case" \
	sh -c "[ $scored = 0 ] && [ \"\$(jq -r .verdict '$T/body')\" = allow ] && \
	[ \"$(store_sql "$VIGIL_DB" "SELECT count(*) FROM groom_state")\" = $rows ] && \
	[ \"$(store_sql "$VIGIL_DB" "SELECT count(*) FROM cases WHERE user_id='a8'")\" = 0 ]"
check "the server stops cleanly" stop
"$VIGIL" serve --listen 127.0.0.1:0 --db "$VIGIL_DB" --text-model "$T/nonesuch.vgm" 2> "$T/bad.err" &
BPID=$!
wait $BPID
brc=$?
check "a text_model file that is not there stops the server (status $brc)" \
	sh -c "[ $brc -ne 0 ] && grep -q 'text_model' '$T/bad.err'"

# A store of schema 7 (before groom_state) is upgraded on open.
if ! on_pg; then
	store_sql "$VIGIL_DB" "DROP TABLE groom_state; PRAGMA user_version=7;"
	"$VIGIL" bank list > /dev/null
	v=$(store_sql "$VIGIL_DB" "PRAGMA user_version")
	n=$(store_sql "$VIGIL_DB" "SELECT count(*) FROM groom_state")
	check "schema 7 -> $v adds groom_state" sh -c "[ '$v' -ge 8 ] && [ '$n' = 0 ]"
fi
exit $fail
