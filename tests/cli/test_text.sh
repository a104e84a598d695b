#!/bin/sh
# End-to-end: `vigil text match|fold|hashtags` on invented, benign text.
set -u
VIGIL=$1
T=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
fail=0
ok() { echo "ok - $1"; }
bad() { echo "FAIL - $1"; fail=1; }

cat > "$T/terms.csv" <<'L'
term,category,severity,mode
bluebird,birds,70
featherweight,birds,40,substring
"#Exact",tags,20,literal
sparrow,birds,500
L
printf 'I saw a B.L.U.E.B.I.R.D today\nnothing here\n#mybluebirdpics in a featherweightclass\nsee #Exact\n' > "$T/msgs"

"$VIGIL" text match --terms "$T/terms.csv" "$T/msgs" > "$T/out" 2>"$T/err"; rc=$?
[ $rc -eq 0 ] && ok "match runs" || bad "match rc=$rc $(cat "$T/err")"
grep -q "terms.csv:5: severity" "$T/err" && ok "bad list line reported with its number" ||
	bad "bad line: $(cat "$T/err")"
[ "$(wc -l < "$T/out")" -eq 4 ] && ok "four hits" || bad "hits: $(cat "$T/out")"
grep -q '^{"line":1,.*"entry":1,"list_line":2,"term":"bluebird",.*"start":8,"end":23,"view":"aggressive",.*"text":"B.L.U.E.B.I.R.D"}$' "$T/out" &&
	ok "spaced-out hit with its original span" || bad "line 1: $(cat "$T/out")"
grep -q '^{"line":3,.*"term":"bluebird",.*"hashtag":true' "$T/out" && ok "hit inside a hashtag" || bad "hashtag hit"
grep -q '^{"line":3,.*"term":"featherweight",.*"mode":"substring","start":21,"end":34' "$T/out" &&
	ok "substring hit" || bad "substring"
grep -q '^{"line":4,.*"view":"raw",.*"text":"#Exact"}$' "$T/out" && ok "literal hit" || bad "literal"
# standard input, and scan as another name
printf 'a bluebird\n' | "$VIGIL" text scan --terms "$T/terms.csv" 2>/dev/null | grep -q '"line":1,' &&
	ok "standard input" || bad "stdin"
"$VIGIL" text match --terms "$T/terms.csv" --bank b "$T/msgs" 2>/dev/null; [ $? -eq 2 ] && ok "match with --terms and --bank is a usage error" || bad "--terms and --bank"
"$VIGIL" text nope 2>/dev/null; [ $? -eq 2 ] && ok "unknown subcommand" || bad "unknown subcommand"

[ "$(printf 'H3LL0 W\303\266rld\n' | "$VIGIL" text fold)" = "helo world" ] && ok "fold aggressive" || bad "fold"
[ "$(printf 'H3LL0 W\303\266rld\n' | "$VIGIL" text fold --view conservative)" = "h3ll0 woerld" ] &&
	ok "fold conservative" || bad "fold conservative"
[ "$(printf '3adi\n' | "$VIGIL" text fold --lang ar)" = "3adl" ] && ok "fold --lang ar keeps Arabizi digits" || bad "arabizi"
[ "$(printf '#one #16 x#two\n' | "$VIGIL" text hashtags)" = '{"line":1,"start":0,"end":4,"tag":"#one"}' ] &&
	ok "hashtags" || bad "hashtags"

# score: per author in each conversation; the alert fires once, naming stages
printf 'c1\tbob\they\nc1\tbob\thow old are you\nc1\tamy\thow old are you\nc1\tbob\twhere do you live\nc1\tbob\tare you alone\nc1\tbob\tour secret\nc1\tbob\tadd me on\nc1\tbob\tok\nc2\tbob\thi\n' |
	"$VIGIL" text score --tsv > "$T/score" 2>"$T/err"
[ "$(grep -c '"alert":true' "$T/score")" -eq 1 ] && ok "score: one alert" || bad "score: $(cat "$T/score")"
grep -q '^{"line":7,"conversation":"c1","author":"bob",.*"alert":true,"messages":6,"features":\[{"stage":"age","first_message":2}' "$T/score" &&
	ok "score: alert at bob's 6th message with its features" || bad "score alert line"
grep -q '^{"line":3,"conversation":"c1","author":"amy",.*"stages":\["age"\],"alert":false' "$T/score" &&
	ok "score: authors kept apart" || bad "score authors"
grep -q '^{"line":9,"conversation":"c2",.*"risk":0.00' "$T/score" && ok "score: conversations kept apart" || bad "score conversations"

# Text banks in the store, and a store at schema 6 (before text banks)
# upgraded in place: its hash bank stays, text banks work.
export VIGIL_DB="$T/v.db"
"$VIGIL" bank create hashes >/dev/null
printf '%064d\n' 0 | "$VIGIL" bank import hashes 2>/dev/null
sqlite3 "$VIGIL_DB" "DROP TABLE text_terms; DROP TABLE text_banks; PRAGMA user_version=6;"
"$VIGIL" bank create kw --type text >/dev/null && ok "a text bank in a store upgraded from schema 6" || bad "create on 6"
[ "$(sqlite3 "$VIGIL_DB" "PRAGMA user_version")" -ge 7 ] && ok "schema raised to 7" || bad "schema version"
"$VIGIL" bank import kw "$T/terms.csv" 2>"$T/imp.err"
grep -qx "kw: 3 terms added, 0 already there" "$T/imp.err" && grep -q "terms.csv:5: severity" "$T/imp.err" && ok "bank import into a text bank takes a term list" || bad "import: $(cat "$T/imp.err")"
"$VIGIL" text import kw "$T/terms.csv" 2>"$T/imp2.err"
grep -qx "kw: 0 terms added, 3 already there" "$T/imp2.err" && ok "importing again adds nothing" || bad "reimport: $(cat "$T/imp2.err")"
"$VIGIL" text import hashes "$T/terms.csv" 2>"$T/imp3.err"; r=$?
[ $r -ne 0 ] && grep -q "is not a text bank" "$T/imp3.err" && ok "a hash bank refuses terms" || bad "terms into hashes"
"$VIGIL" bank list --format jsonl | jq -s -e 'map(select(.name == "kw"))[0].entries == 3' >/dev/null &&
	ok "bank list counts a text bank's terms" || bad "bank list"
"$VIGIL" bank list --format jsonl | jq -s -e 'map(select(.name == "hashes"))[0].entries == 1' >/dev/null &&
	ok "the hash bank kept its entry" || bad "hash bank"
"$VIGIL" text match "$T/msgs" > "$T/bankout" 2>/dev/null
"$VIGIL" text match --terms "$T/terms.csv" "$T/msgs" > "$T/fileout" 2>/dev/null
[ "$(jq -c '[.line,.term,.start,.end,.view]' "$T/bankout")" = "$(jq -c '[.line,.term,.start,.end,.view]' "$T/fileout")" ] &&
	[ -s "$T/bankout" ] && ok "the store's text banks match as the same list file does" || bad "bank vs file"
jq -s -e 'length > 0 and all(.[]; .bank == "kw" and (.entry | type) == "number")' "$T/bankout" >/dev/null &&
	ok "bank hits name the bank and the term id" || bad "bank hits name kw"
"$VIGIL" bank disable kw
[ ! -s "$("$VIGIL" text match "$T/msgs" 2>/dev/null | head -c1 > "$T/dis"; echo "$T/dis")" ] && ok "a disabled text bank does not match" || bad "disabled"
[ -s "$("$VIGIL" text match --bank kw "$T/msgs" 2>/dev/null | head -c1 > "$T/one"; echo "$T/one")" ] && ok "--bank names one, enabled or not" || bad "--bank"
# A term that folds to nothing is refused at import (it would stop every
# text bank of the store from matching).
printf 'goodterm,c,10\n"!!!",c,10\nab,c,10,substring\n' > "$T/badfold.csv"
"$VIGIL" bank import kw "$T/badfold.csv" 2>"$T/bf.err"
grep -q "badfold.csv:2: no letters or digits once folded" "$T/bf.err" &&
	grep -q "badfold.csv:3: a substring term needs 4 letters" "$T/bf.err" &&
	grep -qx "kw: 1 terms added, 0 already there" "$T/bf.err" &&
	ok "terms that fold to nothing are refused at import, the rest added" || bad "badfold: $(cat "$T/bf.err")"
echo "a goodterm" | "$VIGIL" text match --bank kw 2>"$T/bf2.err" | grep -q '"term":"goodterm"' &&
	ok "and the bank still matches" || bad "badfold match: $(cat "$T/bf2.err")"
# Deleting single terms: the term id is a hit's entry.
DT=$(jq -r .term "$T/bankout" | head -1) DID=$(jq -r .entry "$T/bankout" | head -1)
"$VIGIL" text delete kw "$DID" >/dev/null 2>&1 && ok "text delete kw $DID ($DT)" || bad "text delete"
"$VIGIL" text match --bank kw "$T/msgs" 2>/dev/null | jq -r .term > "$T/after"
! grep -qx "$DT" "$T/after" && [ -s "$T/after" ] && ok "the deleted term no longer matches, the others do" || bad "after delete: $(cat "$T/after")"
"$VIGIL" text delete kw "$DID" 2>"$T/del.err"; r=$?
[ $r -ne 0 ] && grep -q "has no term $DID" "$T/del.err" && ok "deleting it again: no such term" || bad "delete again: $r $(cat "$T/del.err")"
"$VIGIL" text delete hashes 1 2>"$T/del2.err"; r=$?
[ $r -ne 0 ] && grep -q "is not a text bank" "$T/del2.err" && ok "text delete refuses a hash bank" || bad "delete from hashes"
exit $fail
