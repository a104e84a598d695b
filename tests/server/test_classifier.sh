#!/bin/sh
# End-to-end: the classifier hook (classifier_url) against a stand-in
# classifier (classifier.py, no model). An upload no list knows is sent as
# the protected derivative (a greyscale PNG of at most protect_size) and
# nothing else; a score at or above the threshold opens a case (source
# classifier, priority from the score) while the verdict stays allow; a
# score below opens none; a slow, failing or nonsensical classifier never
# fails the upload (counted in metrics); a matched upload is not sent; a
# host not on fetch_allow is not called; classifier_send=original sends
# the uploaded bytes.
set -u
VIGIL=$1 DEMO=$2
HERE=$(dirname "$0")
T=$(mktemp -d)
SRV= CLS=
cleanup() {
	[ -n "$SRV" ] && kill -9 "$SRV" 2>/dev/null
	[ -n "$CLS" ] && kill "$CLS" 2>/dev/null
	wait 2>/dev/null
	[ -n "${KEEP:-}" ] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT
export VIGIL_DB="$T/v.db"
fail=0
ok() { echo "ok - $1"; }
bad() { echo "FAIL - $1"; fail=1; }
wait_for() { i=0; while ! eval "$1"; do i=$((i + 1)); [ $i -gt 400 ] && return 1; sleep 0.05; done; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

start_server() {
	rm -f "$T/port"
	"$VIGIL" serve --listen 127.0.0.1:0 --port-file "$T/port" --log-level warn \
		--classifier-url "http://127.0.0.1:$CPORT/classify" --classifier-timeout 1 \
		--classifier-threshold 80 "$@" 2>>"$T/server.log" & SRV=$!
	wait_for '[ -s "$T/port" ]' || { echo "server did not start"; cat "$T/server.log"; exit 1; }
	URL="http://127.0.0.1:$(cat "$T/port")"
}
stop_server() { kill -TERM "$SRV"; wait "$SRV"; rc=$?; SRV=; [ $rc = 0 ] || bad "server exit $rc"; }
upload() {
	code=$(curl -s -o "$T/r" -w '%{http_code}' -H "Authorization: Bearer $SUB" \
		-F "file=@$1" -F "context={\"content_id\":\"$2\",\"user_id\":\"$3\"};type=application/json" \
		"$URL/v1/content")
}
calls() { [ -f "$T/clog" ] && wc -l < "$T/clog" || echo 0; }
metric() { curl -s -H "Authorization: Bearer $ADM" "$URL/metrics" |
	awk -v k="vigil_classifier_calls_total{result=\"$1\"}" '$1 == k { print $2 }'; }
mode() { echo "$1" > "$T/mode"; }

"$VIGIL" hash "$DEMO/known/ladybird.jpg" > "$T/ladybird.csv"
"$VIGIL" bank create watch --action review >/dev/null &&
	"$VIGIL" bank import watch "$T/ladybird.csv" 2>/dev/null && ok "bank" || bad "bank"
SUB=$("$VIGIL" key create uploader --role submit 2>/dev/null | tail -1)
ALICE=$("$VIGIL" key create alice --role review 2>/dev/null | tail -1)
ADM=$("$VIGIL" key create prom --role metrics 2>/dev/null | tail -1)

mode "score 0.93"
python3 "$HERE/classifier.py" "$T/cport" "$T/clog" "$T/mode" & CLS=$!
wait_for '[ -s "$T/cport" ]' || { echo "classifier did not start"; exit 1; }
CPORT=$(cat "$T/cport")

# Not on fetch_allow: never called, the upload answered as usual.
start_server
upload "$DEMO/uploads/dune.jpg" c0 u0
[ "$code" = 200 ] && [ "$(json 'd["verdict"], d["case"]' < "$T/r")" = "allow None" ] &&
	[ "$(calls)" = 0 ] && [ "$(metric error)" = 1 ] &&
	ok "host not on fetch_allow: not called, upload allowed, counted" ||
	bad "not allowed host: $code $(cat "$T/r") calls $(calls) err $(metric error)"
stop_server

start_server --fetch-allow 127.0.0.1

# Above the threshold: a case, priority from the score, verdict allow.
upload "$DEMO/uploads/dune.jpg" c-secret-1 u1
CASE=$(json 'd["case"]' < "$T/r")
[ "$code" = 200 ] && [ "$(json 'd["verdict"]' < "$T/r")" = allow ] && [ "$CASE" != None ] &&
	ok "score 0.93 >= 0.80: case $CASE, verdict still allow" || bad "above: $code $(cat "$T/r")"
set -- $(tail -1 "$T/clog")
[ "$1" = image/png ] && [ "$6" = 1 ] && [ "$4" -le 256 ] && [ "$5" -le 256 ] &&
	{ [ "$4" = 256 ] || [ "$5" = 256 ]; } &&
	ok "the classifier got the protected derivative: $1, ${4}x$5, $6 channel (grey)" ||
	bad "what was sent: $*"
[ "$(sha256sum < "$DEMO/uploads/dune.jpg" | cut -d' ' -f1)" != "$3" ] &&
	ok "not the original bytes" || bad "original bytes sent"
code=$(curl -s -o "$T/c" -w '%{http_code}' -H "Authorization: Bearer $ALICE" "$URL/v1/cases/$CASE")
[ "$code" = 200 ] &&
	[ "$(json 'd["source"], d["priority"], d["matches"][0]["type"], d["matches"][0]["score"]' < "$T/c")" = \
		"classifier 93 classifier 0.93" ] &&
	ok "case: source classifier, priority 93, the score as its evidence" || bad "case: $code $(cat "$T/c")"

# Below the threshold: no case.
mode "score 0.2"
upload "$DEMO/uploads/wood.jpg" c2 u2
[ "$code" = 200 ] && [ "$(json 'd["verdict"], d["case"]' < "$T/r")" = "allow None" ] &&
	[ "$(metric below)" = 1 ] && [ "$(metric case)" = 1 ] &&
	ok "score 0.2 < 0.80: no case" || bad "below: $code $(cat "$T/r")"

# A matched upload is decided by its list, not sent.
n=$(calls)
upload "$DEMO/known/ladybird.jpg" c3 u3
[ "$code" = 200 ] && [ "$(json 'd["verdict"]' < "$T/r")" = review ] && [ "$(calls)" = "$n" ] &&
	ok "a matched upload is not sent to the classifier" || bad "matched: $code $(calls) vs $n"

# Slow (over classifier_timeout), failing, nonsense: the upload stands.
for m in slow fail bad; do
	mode "$m"
	upload "$DEMO/uploads/meadow.jpg" "c-$m" u4
	[ "$code" = 200 ] && [ "$(json 'd["verdict"], d["case"]' < "$T/r")" = "allow None" ] &&
		ok "classifier $m: upload allowed, no case" || bad "$m: $code $(cat "$T/r")"
done
[ "$(metric error)" = 3 ] && ok "errors counted (3)" || bad "error count $(metric error)"
grep -q "classifier" "$T/server.log" && ! grep -q "c-secret\|u1" "$T/server.log" &&
	ok "failures logged, without content or context" || bad "log: $(cat "$T/server.log")"
stop_server

# classifier_send = original: the uploaded bytes.
mode "score 0.5"
start_server --fetch-allow 127.0.0.1 --classifier-send original
upload "$DEMO/uploads/wood.jpg" c5 u5
set -- $(tail -1 "$T/clog")
[ "$code" = 200 ] && [ "$1" = image/jpeg ] &&
	[ "$(sha256sum < "$DEMO/uploads/wood.jpg" | cut -d' ' -f1)" = "$3" ] &&
	ok "classifier_send=original: the uploaded bytes" || bad "original: $code $*"
stop_server
code=0
"$VIGIL" serve --listen 127.0.0.1:0 --classifier-send everything 2>/dev/null || code=$?
[ "$code" = 2 ] && ok "bad classifier_send refused" || bad "bad classifier_send: $code"

if grep -q "runtime error\|ERROR: AddressSanitizer\|LeakSanitizer" "$T/server.log"; then
	bad "sanitizer report"; cat "$T/server.log"
fi
exit $fail
