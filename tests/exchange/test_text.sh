#!/bin/sh
# End-to-end: ThreatExchange's text signals into a text bank (src/exchange/
# xtext.c) against the stand-in: TEXT_STRING, a one-group TREND_QUERY (plain
# and regex- terms), URI become terms with the descriptor's tag and status;
# a query with two AND groups, or with NOT terms, becomes one rule term
# (src/text/rule.c) that matches a message only when its logic holds, with
# the spans of its terms; a hash and an all-NON_MALICIOUS record are not
# kept; `vigil text match` finds the fetched terms; an update replaces a
# record's terms (a rule's too), a delete and a full refetch without the
# record remove them. Every term is invented.
set -u
VIGIL=$1
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d)
SRV=
cleanup() { [ -n "$SRV" ] && kill "$SRV" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
. "$HERE/../server/lib.sh"
DB=$(store_uri x)
export VIGIL_DB="$DB"

. "$HERE/standin.sh"
standin_start
export TE_CRED='123456789|abcdefghijklmnopqrstuvwxyz'
fetch() { "$VIGIL" exchange fetch "$@" >"$T/out" 2>"$T/err"; rc=$?; }
# terms: "term|mode|category|severity|source_ref" lines of bank tx, sorted
terms() {
	store_sql "$DB" "SELECT t.term||'|'||t.mode||'|'||t.category||'|'||t.severity||'|'||t.source_ref
		FROM text_terms t JOIN banks b ON b.id=t.bank_id WHERE b.name='tx'" | sort
}
expect() { # NAME LINES...
	name=$1; shift
	printf '%s\n' "$@" | sort >"$T/want"
	terms >"$T/got"
	if cmp -s "$T/want" "$T/got"; then ok "$name"; else
		bad "$name: want $(tr '\n' ';' <"$T/want") got $(tr '\n' ';' <"$T/got")"; fi
}
# match LINE: the terms `vigil text match` finds in one line, sorted
match() { printf '%s\n' "$1" | "$VIGIL" text match - | jq -r .term | sort | tr '\n' ' '; }
# rules LINE: "category:covered text:part text:..." per rule hit, sorted
# (the bytes of LINE at the hit's span and at each of its parts' spans)
rules() { printf '%s\n' "$1" | "$VIGIL" text match - | python3 -c '
import json, sys
line = sys.argv[1].encode()
cut = lambda h: line[h["start"]:h["end"]].decode()
print(" ".join(sorted(":".join([h["category"], cut(h)] + [cut(p) for p in h["parts"]])
                      for h in map(json.loads, sys.stdin) if h["mode"] == "rule")))' "$1"; }
desc() { # desc ID STATUS TAG
	echo '{"data":[{"id":"'$1'","owner":{"id":"55"},"status":"'$2'","tags":{"data":[{"id":"1","text":"'$3'"}]}}]}'
}

"$VIGIL" bank create tx --type text >/dev/null
"$VIGIL" exchange add tet --api threatexchange --url "$B/v21.0" --privacy-group 777 \
	--page-size 2 --credentials env:TE_CRED --bank tx >/dev/null && ok "add an exchange into a text bank" ||
	bad "add"
TQ1='{\"and\":[{\"or\":[\"greenowl\",\"regex-/red ?kite[0-9]+/\"]}],\"not\":[]}'
TQ2='{\"and\":[{\"or\":[\"amberfox\"]},{\"or\":[\"tonight\"]}],\"not\":[]}'
TQ3='{\"and\":[{\"or\":[\"silverhare\",\"regex-/gold ?moth[0-9]+/\"]}],\"not\":[\"birthday\"]}'
R2='{"and":[{"or":["amberfox"]},{"or":["tonight"]}]}'
R3='{"and":[{"or":["silverhare","regex-/gold ?moth[0-9]+/"]}],"not":["birthday"]}'
ctl add '{"api":"te","records":[
 {"id":"1","indicator":"bluefinch","type":"TEXT_STRING","should_delete":false,"descriptors":'"$(desc 9001 MALICIOUS standin-a)"'},
 {"id":"2","indicator":"'"$TQ1"'","type":"TREND_QUERY","should_delete":false,"descriptors":'"$(desc 9002 UNKNOWN standin-b)"'},
 {"id":"3","indicator":"'"$TQ2"'","type":"TREND_QUERY","should_delete":false,"descriptors":'"$(desc 9003 MALICIOUS standin-b)"'},
 {"id":"4","indicator":"https://shop.example.test/item7","type":"URI","should_delete":false,"descriptors":'"$(desc 9004 MALICIOUS standin-url)"'},
 {"id":"5","indicator":"'$(printf p1 | sha256sum | cut -c1-64)'","type":"HASH_PDQ","should_delete":false,"descriptors":'"$(desc 9005 MALICIOUS x)"'},
 {"id":"6","indicator":"quietbadger","type":"TEXT_STRING","should_delete":false,"descriptors":'"$(desc 9006 NON_MALICIOUS standin-c)"'},
 {"id":"7","indicator":"'"$TQ3"'","type":"TREND_QUERY","should_delete":false,"descriptors":'"$(desc 9007 MALICIOUS standin-d)"'}]}'
fetch tet
check "first fetch: 7 records over 4 pages, 1 skipped (the hash)" \
	sh -c "[ $rc = 0 ] && grep -q '4 pages, 7 records' '$T/out' && grep -q '1 hashes skipped' '$T/out'" ||
	cat "$T/out" "$T/err"
expect "text signals became terms (token, regex, substring) with tag and status" \
	"bluefinch|0|standin-a|90|TEXT_STRING:bluefinch" \
	"greenowl|0|standin-b|50|TREND_QUERY:{\"and\":[{\"or\":[\"greenowl\",\"regex-/red ?kite[0-9]+/\"]}],\"not\":[]}" \
	"red ?kite[0-9]+|3|standin-b|50|TREND_QUERY:{\"and\":[{\"or\":[\"greenowl\",\"regex-/red ?kite[0-9]+/\"]}],\"not\":[]}" \
	"shop.example.test/item7|1|standin-url|90|URI:https://shop.example.test/item7" \
	"$R2|4|standin-b|90|TREND_QUERY:$(echo "$TQ2" | tr -d '\\')" \
	"$R3|4|standin-d|90|TREND_QUERY:$(echo "$TQ3" | tr -d '\\')"
check "vigil text match finds them (folded: B.L.U.E.F.I.N.C.H, SHOP EXAMPLE TEST ITEM7, redkite42)" \
	[ "$(match 'a B.L.U.E.F.I.N.C.H and a GreenOwl saw redkite42 at SHOP EXAMPLE TEST ITEM7')" = \
	  "bluefinch greenowl red ?kite[0-9]+ shop.example.test/item7 " ]
check "the benign record's term is not matched, nor a rule's term alone" \
	[ "$(match 'amberfox, later, quietbadger')" = "" ]
check "the two-group rule holds with a hit in each group, reported with both spans" \
	[ "$(rules 'an AmberFox came by tonight')" = "standin-b:AmberFox came by tonight:AmberFox:tonight" ]
check "the rule with a NOT term: an OR term (folded, or by its regex) and no NOT term" \
	[ "$(rules 's1lverhare and goldmoth7')" = "standin-d:s1lverhare and goldmoth7:s1lverhare:goldmoth7" ]
check "a NOT term's hit stops the rule; a rule's term is never a hit of its own" \
	[ "$(match 'silverhare at the birthday, tonight')" = "" ]

ctl add '{"api":"te","records":[
 {"id":"1","indicator":"bluefinch","type":"TEXT_STRING","should_delete":false,"descriptors":'"$(desc 9001 UNKNOWN standin-z)"'},
 {"id":"4","indicator":"https://shop.example.test/item7","type":"URI","should_delete":true},
 {"id":"3","indicator":"'"$TQ2"'","type":"TREND_QUERY","should_delete":false,"descriptors":'"$(desc 9003 UNKNOWN standin-y)"'},
 {"id":"7","indicator":"'"$TQ3"'","type":"TREND_QUERY","should_delete":true}]}'
fetch tet
check "incremental fetch" [ $rc = 0 ]
expect "an update replaced the terms' tag and status (a rule's too); should_delete removed the URI and a rule" \
	"bluefinch|0|standin-z|50|TEXT_STRING:bluefinch" \
	"$R2|4|standin-y|50|TREND_QUERY:$(echo "$TQ2" | tr -d '\\')" \
	"greenowl|0|standin-b|50|TREND_QUERY:{\"and\":[{\"or\":[\"greenowl\",\"regex-/red ?kite[0-9]+/\"]}],\"not\":[]}" \
	"red ?kite[0-9]+|3|standin-b|50|TREND_QUERY:{\"and\":[{\"or\":[\"greenowl\",\"regex-/red ?kite[0-9]+/\"]}],\"not\":[]}"
check "the deleted term no longer matches" [ "$(match 'visit shop.example.test/item7 bluefinch')" = "bluefinch " ]
check "the deleted rule no longer matches, the updated one does" \
	[ "$(rules 'silverhare goldmoth7 amberfox tonight')" = "standin-y:amberfox tonight:amberfox:tonight" ]

ctl add '{"api":"te","records":[
 {"id":"1","indicator":"bluefinch","type":"TEXT_STRING","should_delete":false,"descriptors":'"$(desc 9001 NON_MALICIOUS standin-z)"'}]}'
fetch tet
expect "a record now called NON_MALICIOUS by every descriptor is removed" \
	"$R2|4|standin-y|50|TREND_QUERY:$(echo "$TQ2" | tr -d '\\')" \
	"greenowl|0|standin-b|50|TREND_QUERY:{\"and\":[{\"or\":[\"greenowl\",\"regex-/red ?kite[0-9]+/\"]}],\"not\":[]}" \
	"red ?kite[0-9]+|3|standin-b|50|TREND_QUERY:{\"and\":[{\"or\":[\"greenowl\",\"regex-/red ?kite[0-9]+/\"]}],\"not\":[]}"

# A local term in the same bank is never the exchange's to remove.
printf 'localterm,mine,10\n' > "$T/local.csv"
"$VIGIL" bank import tx "$T/local.csv" 2>/dev/null
ctl vanish '{"api":"te","key":"TREND_QUERY:{\"and\":[{\"or\":[\"greenowl\",\"regex-/red ?kite[0-9]+/\"]}],\"not\":[]}"}'
ctl vanish '{"api":"te","key":"TREND_QUERY:'"$TQ2"'"}'
fetch tet --full
check "full refetch" [ $rc = 0 ] || cat "$T/err"
expect "a full refetch without the queries removed their terms and rule, kept the local one" "localterm|0|mine|10|"
check "and they no longer match" [ "$(match 'greenowl redkite42 amberfox tonight localterm')" = "localterm " ]
exit $fail
