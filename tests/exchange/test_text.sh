#!/bin/sh
# End-to-end: ThreatExchange's text signals into a text bank (src/exchange/
# xtext.c) against the stand-in: TEXT_STRING, a one-group TREND_QUERY (plain
# and regex- terms), URI become terms with the descriptor's tag and status;
# a two-group query, a hash and an all-NON_MALICIOUS record are not kept;
# `vigil text match` finds the fetched terms; an update replaces a record's
# terms, a delete and a full refetch without the record remove them. Every
# term is invented.
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

python3 "$HERE/standin.py" "$T/port" & SRV=$!
i=0; while [ ! -s "$T/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
B="http://127.0.0.1:$(cat "$T/port")"
ctl() { curl -sf -X POST --data-binary "$2" "$B/_ctl/$1" >/dev/null || bad "control $1"; }
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
desc() { # desc ID STATUS TAG
	echo '{"data":[{"id":"'$1'","owner":{"id":"55"},"status":"'$2'","tags":{"data":[{"id":"1","text":"'$3'"}]}}]}'
}

"$VIGIL" bank create tx --type text >/dev/null
"$VIGIL" exchange add tet --api threatexchange --url "$B/v21.0" --privacy-group 777 \
	--page-size 2 --credentials env:TE_CRED --bank tx >/dev/null && ok "add an exchange into a text bank" ||
	bad "add"
TQ1='{\"and\":[{\"or\":[\"greenowl\",\"regex-/red ?kite[0-9]+/\"]}],\"not\":[]}'
TQ2='{\"and\":[{\"or\":[\"amberfox\"]},{\"or\":[\"tonight\"]}],\"not\":[]}'
ctl add '{"api":"te","records":[
 {"id":"1","indicator":"bluefinch","type":"TEXT_STRING","should_delete":false,"descriptors":'"$(desc 9001 MALICIOUS standin-a)"'},
 {"id":"2","indicator":"'"$TQ1"'","type":"TREND_QUERY","should_delete":false,"descriptors":'"$(desc 9002 UNKNOWN standin-b)"'},
 {"id":"3","indicator":"'"$TQ2"'","type":"TREND_QUERY","should_delete":false,"descriptors":'"$(desc 9003 MALICIOUS standin-b)"'},
 {"id":"4","indicator":"https://shop.example.test/item7","type":"URI","should_delete":false,"descriptors":'"$(desc 9004 MALICIOUS standin-url)"'},
 {"id":"5","indicator":"'$(printf p1 | sha256sum | cut -c1-64)'","type":"HASH_PDQ","should_delete":false,"descriptors":'"$(desc 9005 MALICIOUS x)"'},
 {"id":"6","indicator":"quietbadger","type":"TEXT_STRING","should_delete":false,"descriptors":'"$(desc 9006 NON_MALICIOUS standin-c)"'}]}'
fetch tet
check "first fetch: 6 records over 3 pages, 2 skipped (the two-group query, the hash)" \
	sh -c "[ $rc = 0 ] && grep -q '3 pages, 6 records' '$T/out' && grep -q '2 hashes skipped' '$T/out'" ||
	cat "$T/out" "$T/err"
expect "text signals became terms (token, regex, substring) with tag and status" \
	"bluefinch|0|standin-a|90|TEXT_STRING:bluefinch" \
	"greenowl|0|standin-b|50|TREND_QUERY:{\"and\":[{\"or\":[\"greenowl\",\"regex-/red ?kite[0-9]+/\"]}],\"not\":[]}" \
	"red ?kite[0-9]+|3|standin-b|50|TREND_QUERY:{\"and\":[{\"or\":[\"greenowl\",\"regex-/red ?kite[0-9]+/\"]}],\"not\":[]}" \
	"shop.example.test/item7|1|standin-url|90|URI:https://shop.example.test/item7"
check "vigil text match finds them (folded: B.L.U.E.F.I.N.C.H, SHOP EXAMPLE TEST ITEM7, redkite42)" \
	[ "$(match 'a B.L.U.E.F.I.N.C.H and a GreenOwl saw redkite42 at SHOP EXAMPLE TEST ITEM7')" = \
	  "bluefinch greenowl red ?kite[0-9]+ shop.example.test/item7 " ]
check "the two-group query's term and the benign record's are not matched" \
	[ "$(match 'amberfox tonight, quietbadger')" = "" ]

ctl add '{"api":"te","records":[
 {"id":"1","indicator":"bluefinch","type":"TEXT_STRING","should_delete":false,"descriptors":'"$(desc 9001 UNKNOWN standin-z)"'},
 {"id":"4","indicator":"https://shop.example.test/item7","type":"URI","should_delete":true}]}'
fetch tet
check "incremental fetch" [ $rc = 0 ]
expect "an update replaced the term's tag and status; should_delete removed the URI" \
	"bluefinch|0|standin-z|50|TEXT_STRING:bluefinch" \
	"greenowl|0|standin-b|50|TREND_QUERY:{\"and\":[{\"or\":[\"greenowl\",\"regex-/red ?kite[0-9]+/\"]}],\"not\":[]}" \
	"red ?kite[0-9]+|3|standin-b|50|TREND_QUERY:{\"and\":[{\"or\":[\"greenowl\",\"regex-/red ?kite[0-9]+/\"]}],\"not\":[]}"
check "the deleted term no longer matches" [ "$(match 'visit shop.example.test/item7 bluefinch')" = "bluefinch " ]

ctl add '{"api":"te","records":[
 {"id":"1","indicator":"bluefinch","type":"TEXT_STRING","should_delete":false,"descriptors":'"$(desc 9001 NON_MALICIOUS standin-z)"'}]}'
fetch tet
expect "a record now called NON_MALICIOUS by every descriptor is removed" \
	"greenowl|0|standin-b|50|TREND_QUERY:{\"and\":[{\"or\":[\"greenowl\",\"regex-/red ?kite[0-9]+/\"]}],\"not\":[]}" \
	"red ?kite[0-9]+|3|standin-b|50|TREND_QUERY:{\"and\":[{\"or\":[\"greenowl\",\"regex-/red ?kite[0-9]+/\"]}],\"not\":[]}"

# A local term in the same bank is never the exchange's to remove.
printf 'localterm,mine,10\n' > "$T/local.csv"
"$VIGIL" bank import tx "$T/local.csv" 2>/dev/null
ctl vanish '{"api":"te","key":"TREND_QUERY:{\"and\":[{\"or\":[\"greenowl\",\"regex-/red ?kite[0-9]+/\"]}],\"not\":[]}"}'
fetch tet --full
check "full refetch" [ $rc = 0 ] || cat "$T/err"
expect "a full refetch without the query removed its terms, kept the local one" "localterm|0|mine|10|"
check "and they no longer match" [ "$(match 'greenowl redkite42 localterm')" = "localterm " ]
exit $fail
