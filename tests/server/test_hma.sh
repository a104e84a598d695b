#!/bin/sh
# End-to-end: the HMA-compatible routes of `vigil serve` (docs/hma.md), on an
# ephemeral port, driven with curl as HMA's clients call them; bodies are
# compared byte for byte with HMA's shapes (sorted keys, compact JSON, string
# distances). Also --trust-network, and url= fetches: refused without a
# request (not allowlisted, private/loopback address, bad scheme), allowed
# from a loopback HTTP server listed by address.
set -u
VIGIL=$1 DEMO=$2 HERE=$(dirname "$0")
T=$(mktemp -d)
SPID= HPID=
trap '[ -n "$SPID" ] && kill -9 $SPID 2>/dev/null; [ -n "$HPID" ] && kill $HPID 2>/dev/null; rm -rf "$T"' EXIT
. "$HERE/lib.sh"
export VIGIL_DB="$T/v.db"

ADMIN=$("$VIGIL" key create curator --role admin 2>/dev/null)
SUBMIT=$("$VIGIL" key create matcher --role submit 2>/dev/null)
A="Authorization: Bearer $ADMIN" S="Authorization: Bearer $SUBMIT"
J='Content-Type: application/json'
body() { cat "$T/body"; }
# is STATUS BODY: the last reply had exactly this status and body.
is() { [ "$st" = "$1" ] && [ "$(body)" = "$2" ] || { echo "  got $st $(body)"; return 1; }; }
pdq() { "$VIGIL" hash "$1" | cut -d, -f1; }
dist() { python3 -c "import sys; print(bin(int(sys.argv[1],16)^int(sys.argv[2],16)).count('1'))" "$1" "$2"; }
AQUA=$(pdq "$DEMO/known/aqua.jpg") STORM=$(pdq "$DEMO/known/storm.jpg")
EDIT=$(pdq "$DEMO/uploads/storm-edit.jpg")
D_EDIT=$(dist "$STORM" "$EDIT")
check "test data: storm-edit is near storm, not equal" [ "$D_EDIT" -gt 0 -a "$D_EDIT" -le 31 ]

# A tiny HTTP server on loopback; its log shows whether a fetch was made.
mkdir "$T/www" "$T/www/dir"
cp "$DEMO/known/storm.jpg" "$T/www/storm.jpg"
(cd "$T/www" && exec python3 -m http.server 0 --bind 127.0.0.1) > "$T/http.log" 2>&1 &
HPID=$!
i=0
until HP=$(grep -o 'port [0-9]*' "$T/http.log" | head -1 | cut -d' ' -f2) && [ -n "$HP" ]; do
	i=$((i + 1)); [ $i -gt 200 ] && { echo "http.server did not start"; exit 1; }; sleep 0.05
done
requests() { grep -c '"GET ' "$T/http.log"; }

start --trust-network 127.0.0.2 --fetch-allow localhost
P=${U##*:}

# --- core, keys, trusted networks
st=$(code GET /status -H "$S"); check "status: 200 I-AM-ALIVE" is 200 I-AM-ALIVE
check "status: text/html like Flask" sh -c "curl -s -o /dev/null -w '%{content_type}' -H '$S' '$U/status' | grep -qx 'text/html; charset=utf-8'"
st=$(code GET /status/live -H "$S"); check "status/live" is 200 I-AM-ALIVE
st=$(code GET /c/banks); check "no key: 401 with HMA's message shape" sh -c "[ $st = 401 ] && jq -e 'keys == [\"message\"]' < '$T/body' >/dev/null"
st=$(code GET /m/lookup -H "$A"); check "curation key on a matcher route: 403" [ "$st" = 403 ]
st=$(code GET /c/banks --interface 127.0.0.2)
check "trusted network: no key needed on HMA routes" is 200 '[]'
st=$(code GET /v1/banks --interface 127.0.0.2)
check "trusted network: native routes still need a key" [ "$st" = 401 ]
st=$(code GET /c/banks --interface 127.0.0.3)
check "untrusted source: key needed" [ "$st" = 401 ]

# --- banks
st=$(code POST /c/banks -H "$A" -H "$J" -d '{"name":"TEST_BANK"}')
check "create bank: 201 + bank JSON" is 201 '{"matching_enabled_ratio":1.0,"name":"TEST_BANK"}'
st=$(code POST /c/banks -H "$A" -H "$J" -d '{"name":"TEST_BANK"}')
check "duplicate bank: 403" is 403 '{"message":"Bank already exists"}'
for n in 01_TEST_BANK my_test_bank; do
	st=$(code POST /c/banks -H "$A" -H "$J" -d "{\"name\":\"$n\"}")
	check "bank name rule: $n refused" is 400 '{"message":"Bank names must be UPPER_WITH_UNDERSCORE"}'
done
st=$(code POST /c/banks -H "$A" -H "$J" -d '{"enabled_ratio":1}')
check "missing name: 422 pydantic list" sh -c "[ $st = 422 ] && jq -e '.[0].type == \"missing\" and .[0].loc == [\"name\"]' < '$T/body' >/dev/null"
st=$(code POST /c/banks -H "$A" -H "$J" -d '{"name":"OTHER_BANK","enabled_ratio":0.5}')
check "create with a ratio" is 201 '{"matching_enabled_ratio":0.5,"name":"OTHER_BANK"}'
st=$(code GET /c/banks -H "$A")
check "list banks" is 200 '[{"matching_enabled_ratio":0.5,"name":"OTHER_BANK"},{"matching_enabled_ratio":1.0,"name":"TEST_BANK"}]'
st=$(code GET /c/bank/TEST_BANK -H "$A"); check "get bank" is 200 '{"matching_enabled_ratio":1.0,"name":"TEST_BANK"}'
st=$(code GET /c/bank/NOPE -H "$A"); check "get missing bank: 404" is 404 "{\"message\":\"bank 'NOPE' not found\"}"

# --- hashing
st=$(code POST /h/hash -H "$S" -F photo=@"$DEMO/known/aqua.jpg")
check "h/hash photo upload" is 200 "{\"pdq\":\"$AQUA\"}"
MD5=$(md5sum < "$DEMO/known/aqua.jpg" | cut -d' ' -f1)
st=$(code POST /h/hash -H "$S" -F video=@"$DEMO/known/aqua.jpg")
check "h/hash as video: MD5 of the bytes" is 200 "{\"video_md5\":\"$MD5\"}"
st=$(code POST /h/hash -H "$S" -F file=@"$DEMO/known/aqua.jpg")
check "h/hash: field must be a content type" is 400 "{\"message\":\"no such content_type: 'file'\"}"
st=$(code POST /h/hash -H "$S" -F photo=@"$DEMO/known/aqua.jpg" -F video=@"$DEMO/known/aqua.jpg")
check "h/hash: one file only" is 400 '{"message":"Only one file allowed per request"}'
st=$(code POST /h/hash -H "$S" -F note=x)
check "h/hash: no file" is 400 '{"message":"Missing multipart/form-data file upload"}'
st=$(code POST '/h/hash?types=nope' -H "$S" -F photo=@"$DEMO/known/aqua.jpg")
check "h/hash: unknown type" is 400 "{\"message\":\"signal type 'nope' doesn't exist or is disabled\"}"

# --- content: upload with metadata and note, then look it up
st=$(code POST /c/bank/TEST_BANK/content -H "$A" -F photo=@"$DEMO/known/storm.jpg" -F note="Reported by user X" -F 'metadata={"content_id":"ext-id-123","json":{"source":"test"}}')
ID=$(jq .id < "$T/body")
check "add content (upload): 200 id + signals" is 200 "{\"id\":$ID,\"signals\":{\"pdq\":\"$STORM\"}}"
st=$(code POST /c/bank/TEST_BANK/content -H "$A" -F photo=@"$DEMO/known/storm.jpg" -F 'metadata={"bogus":1}')
check "bad metadata key: 400" sh -c "[ $st = 400 ] && jq -e '.message | startswith(\"Invalid metadata\")' < '$T/body' >/dev/null"
st=$(code POST /c/bank/NOPE/content -H "$A" -F photo=@"$DEMO/known/storm.jpg")
check "add content to a missing bank: 404" is 404 "{\"message\":\"bank 'NOPE' not found\"}"
st=$(code GET "/m/lookup?signal_type=pdq&signal=$STORM" -H "$S")
check "lookup by hash: bank map, string distance, matchable at once" is 200 "{\"TEST_BANK\":[{\"bank_content_id\":$ID,\"distance\":\"0\"}]}"
st=$(code GET "/m/lookup?signal_type=pdq&signal=$EDIT" -H "$S")
check "lookup a near copy: distance $D_EDIT as a string" is 200 "{\"TEST_BANK\":[{\"bank_content_id\":$ID,\"distance\":\"$D_EDIT\"}]}"
st=$(code POST /m/lookup -H "$S" -F photo=@"$DEMO/uploads/storm-edit.jpg")
check "lookup by upload: keyed by signal type" is 200 "{\"pdq\":{\"TEST_BANK\":[{\"bank_content_id\":$ID,\"distance\":\"$D_EDIT\"}]}}"
st=$(code POST /m/lookup -H "$S" -F photo=@"$DEMO/uploads/wood.jpg")
check "lookup an unrelated upload" is 200 '{"pdq":{}}'
st=$(code GET "/m/lookup?signal_type=pdq&signal=$(echo "$STORM" | tr a-f A-F)" -H "$S")
check "uppercase PDQ refused as HMA does" is 400 '{"message":"invalid signal: invalid PDQ hash"}'
st=$(code GET "/m/lookup?signal_type=nope&signal=x" -H "$S")
check "unknown signal type" is 400 "{\"message\":\"No such SignalType 'nope'\"}"
st=$(code GET "/m/lookup" -H "$S")
check "lookup without arguments" is 400 '{"message":"Either url or both signal and signal_type are required"}'
st=$(code GET "/m/lookup?signal_type=pdq&signal=$STORM&banks=OTHER_BANK" -H "$S")
check "banks filter" is 200 '{}'
st=$(code GET "/m/raw_lookup?signal_type=pdq&signal=$STORM" -H "$S")
check "raw_lookup: ids" is 200 "{\"matches\":[$ID]}"
st=$(code GET "/m/raw_lookup?signal_type=pdq&signal=$STORM&include_distance=true" -H "$S")
check "raw_lookup with distances" is 200 "{\"matches\":[{\"bank_content_id\":$ID,\"distance\":\"0\"}]}"
st=$(code GET "/m/raw_lookup?signal=$STORM" -H "$S")
check "raw_lookup without signal_type: 422" sh -c "[ $st = 422 ] && jq -e '.[0].loc == [\"signal_type\"]' < '$T/body' >/dev/null"
st=$(code GET /m/index/status -H "$S")
check "index status: every signal type, present, sizes" sh -c "[ $st = 200 ] && jq -e '.pdq.present and .pdq.size == 1 and .pdq.built_to > 0 and .video_md5.size == 0 and .video_md5.built_to == -1 and (keys == [\"pdq\",\"video_md5\"])' < '$T/body' >/dev/null"
st=$(code GET "/m/index/status?signal_type=nope" -H "$S")
check "index status: unknown type" is 400 "{\"message\":\"No such signal type 'nope'\"}"

# A bank and entry made through the native API are HMA banks and content,
# matchable at once (the content id is the entry id).
LADY=$(pdq "$DEMO/known/ladybird.jpg")
code POST /v1/banks -H "$A" -d '{"name":"NATIVE_BANK"}' >/dev/null
code POST /v1/banks/NATIVE_BANK/entries -H "$A" -d "[{\"type\":\"pdq\",\"value\":\"$LADY\"}]" >/dev/null
NID=$(jq '.entries[0].id' < "$T/body")
st=$(code GET "/m/lookup?signal_type=pdq&signal=$LADY" -H "$S")
check "native bank + entry: found by HMA lookup at once" is 200 "{\"NATIVE_BANK\":[{\"bank_content_id\":$NID,\"distance\":\"0\"}]}"
code DELETE /v1/banks/NATIVE_BANK -H "$A" >/dev/null

st=$(code GET "/c/bank/TEST_BANK/content/$ID?include_signals=true" -H "$A")
check "get content: HMA's record" is 200 "{\"bank\":{\"matching_enabled_ratio\":1.0,\"name\":\"TEST_BANK\"},\"disable_until_ts\":1,\"id\":$ID,\"metadata\":{\"collab\":null,\"content_id\":\"ext-id-123\",\"content_uri\":null,\"json\":{\"source\":\"test\"}},\"note\":\"Reported by user X\",\"original_media_uri\":null,\"signals\":{\"pdq\":\"$STORM\"}}"
st=$(code GET "/c/bank/TEST_BANK/content/$ID?include_metadata=false" -H "$A")
check "get content without metadata or signals" is 200 "{\"bank\":{\"matching_enabled_ratio\":1.0,\"name\":\"TEST_BANK\"},\"disable_until_ts\":1,\"id\":$ID,\"note\":\"Reported by user X\",\"original_media_uri\":null}"
st=$(code GET "/c/bank/TEST_BANK/content/99999" -H "$A")
check "get missing content: 404" is 404 "{\"message\":\"content '99999' not found\"}"

# disable_until_ts: hidden from lookup at once, still in raw_lookup.
st=$(code PUT "/c/bank/TEST_BANK/content/$ID" -H "$A" -H "$J" -d '{"disable_until_ts":0,"note":""}')
check "put content: the raw record" is 200 "{\"bank\":{\"matching_enabled_ratio\":1.0,\"name\":\"TEST_BANK\"},\"collab_metadata\":{},\"disable_until_ts\":0,\"id\":$ID,\"note\":null,\"original_media_uri\":null,\"user_metadata\":{\"collab\":null,\"content_id\":\"ext-id-123\",\"content_uri\":null,\"json\":{\"source\":\"test\"}}}"
st=$(code GET "/m/lookup?signal_type=pdq&signal=$STORM" -H "$S")
check "disabled content is not matched" is 200 '{}'
st=$(code GET "/m/raw_lookup?signal_type=pdq&signal=$STORM" -H "$S")
check "...but raw_lookup sees it" is 200 "{\"matches\":[$ID]}"
st=$(code PUT "/c/bank/TEST_BANK/content/$ID" -H "$A" -H "$J" -d '{"disable_until_ts":-5}')
check "negative disable_until_ts" is 400 '{"message":"disable_until_ts must be a non-negative integer"}'
st=$(code PUT "/c/bank/TEST_BANK/content/$ID" -H "$A" -d 'x=1')
check "put needs JSON: 415" sh -c "[ $st = 415 ]"
st=$(code PUT "/c/bank/TEST_BANK/content/$ID" -H "$A" -H "$J" -d '{"disable_until_ts":"1"}')
st=$(code GET "/m/lookup?signal_type=pdq&signal=$STORM" -H "$S")
check "enabled again" is 200 "{\"TEST_BANK\":[{\"bank_content_id\":$ID,\"distance\":\"0\"}]}"

# Signals: one item from several hashes; md5 normalised; bad values.
UMD5=0123456789ABCDEF0123456789ABCDEF LMD5=0123456789abcdef0123456789abcdef
st=$(code POST /c/bank/TEST_BANK/signal -H "$A" -H "$J" -d "{\"pdq\":\"$AQUA\",\"video_md5\":\" $UMD5 \",\"note\":\"two\"}")
SID=$(jq .id < "$T/body")
check "add signals: one item" is 200 "{\"id\":$SID,\"signals\":{\"pdq\":\"$AQUA\",\"video_md5\":\"$LMD5\"}}"
st=$(code GET "/m/lookup?signal_type=video_md5&signal=$LMD5" -H "$S")
check "md5 lookup: distance \"-\", the item's id" is 200 "{\"TEST_BANK\":[{\"bank_content_id\":$SID,\"distance\":\"-\"}]}"
st=$(code GET "/c/bank/TEST_BANK/content/$SID?include_signals=true" -H "$A")
check "the item has both signals" sh -c "[ $st = 200 ] && jq -e '.signals == {\"pdq\":\"$AQUA\",\"video_md5\":\"$LMD5\"} and .note == \"two\"' < '$T/body' >/dev/null"
st=$(code POST /c/bank/TEST_BANK/signal -H "$A" -H "$J" -d '{"pdq":"abc"}')
check "bad pdq signal" is 400 '{"message":"Invalid pdq signal: invalid PDQ hash"}'
st=$(code POST /c/bank/TEST_BANK/signal -H "$A" -H "$J" -d '{"metadata":"x"}')
check "unknown signal type" is 400 '{"message":"No such signal type metadata"}'
st=$(code POST /c/bank/TEST_BANK/signal -H "$A" -H "$J" -d '{}')
check "no signals" is 400 '{"message":"No signals given"}'

# Rename + disable (ratio 0): coinflip drops it unless bypassed.
st=$(code PUT /c/bank/TEST_BANK -H "$A" -H "$J" -d '{"name":"RENAMED_BANK","enabled":false}')
check "rename + enabled=false: ratio as the integer 0" is 200 '{"matching_enabled_ratio":0,"name":"RENAMED_BANK"}'
st=$(code PUT /c/bank/RENAMED_BANK -H "$A" -H "$J" -d '{"name":"OTHER_BANK"}')
check "rename onto an existing name: 403" is 403 '{"message":"Bank name already exists"}'
st=$(code PUT /c/bank/NOPE -H "$A" -H "$J" -d '{}')
check "update a missing bank: 404" is 404 '{"message":"Bank not found"}'
st=$(code GET "/m/lookup?signal_type=pdq&signal=$STORM" -H "$S")
check "ratio 0: not matched" is 200 '{}'
st=$(code GET "/m/lookup?signal_type=pdq&signal=$STORM&bypass_coinflip=true" -H "$S")
check "bypass_coinflip: matched, under the new name" is 200 "{\"RENAMED_BANK\":[{\"bank_content_id\":$ID,\"distance\":\"0\"}]}"
st=$(code PUT /c/bank/RENAMED_BANK -H "$A" -H "$J" -d '{"enabled_ratio":1.0}')
st=$(code GET "/m/lookup?signal_type=pdq&signal=$STORM&seed=abc" -H "$S")
check "ratio 1 again: matched" is 200 "{\"RENAMED_BANK\":[{\"bank_content_id\":$ID,\"distance\":\"0\"}]}"

# Delete content, then the bank.
st=$(code DELETE "/c/bank/RENAMED_BANK/content/$ID" -H "$A"); check "delete content" is 200 '{"deleted":1}'
st=$(code GET "/m/raw_lookup?signal_type=pdq&signal=$STORM" -H "$S"); check "gone from the index at once" is 200 '{"matches":[]}'
st=$(code DELETE "/c/bank/RENAMED_BANK/content/$ID" -H "$A"); check "delete it again" is 200 '{"deleted":0}'
st=$(code DELETE /c/bank/RENAMED_BANK -H "$A"); check "delete bank" is 200 '{"message":"Done"}'
st=$(code GET "/m/lookup?signal_type=pdq&signal=$AQUA" -H "$S"); check "its content is no longer matched" is 200 '{}'
st=$(code DELETE /c/bank/RENAMED_BANK -H "$A"); check "delete a missing bank: still Done" is 200 '{"message":"Done"}'
st=$(code GET /site-map -H "$S")
check "site-map: sorted Flask rules of the HMA routes" sh -c "[ $st = 200 ] && jq -e '. == (. | unique) and index(\"/m/lookup\") != null and index(\"/c/bank/<bank_name>/content/<int:content_id>\") != null and index(\"/status/live\") != null' < '$T/body' >/dev/null"

# --- url= fetches that must not happen (fetch_allow=localhost only)
n0=$(requests)
for url in "http://127.0.0.1:$HP/storm.jpg" "http://10.1.2.3/storm.jpg" "http://localhost:$HP/storm.jpg" \
	"ftp://localhost:$HP/storm.jpg" "http://[::1]:$HP/storm.jpg" "http://169.254.169.254/latest/meta-data/"; do
	st=$(code GET "/h/hash?url=$url" -H "$S")
	check "refused: $url" is 400 '{"message":"Invalid or unsafe URL provided"}'
done
check "no request reached the HTTP server" [ "$(requests)" = "$n0" ]
grep -q "address 127.0.0.1 is loopback" "$T/server.log"
check "localhost was refused for its loopback address, after resolving" [ $? = 0 ]
st=$(code GET /h/hash -H "$S"); check "h/hash without url: 422" [ "$st" = 422 ]
check "server stops cleanly" stop

# --- allowed fetches (127.0.0.1 listed by address)
start --fetch-allow 127.0.0.1 --fetch-max-bytes 2m
st=$(code GET "/h/hash?url=http://127.0.0.1:$HP/storm.jpg" -H "$S")
check "fetch from an allowlisted address" is 200 "{\"pdq\":\"$STORM\"}"
st=$(code POST /c/banks -H "$A" -H "$J" -d '{"name":"URL_BANK"}')
st=$(code POST "/c/bank/URL_BANK/content?url=http://127.0.0.1:$HP/storm.jpg" -H "$A" -H "$J" -d '{"note":"by url"}')
UID_=$(jq .id < "$T/body")
check "add content by url" is 200 "{\"id\":$UID_,\"signals\":{\"pdq\":\"$STORM\"}}"
st=$(code GET "/m/lookup?url=http://127.0.0.1:$HP/storm.jpg" -H "$S")
check "lookup by url: keyed by signal type" is 200 "{\"pdq\":{\"URL_BANK\":[{\"bank_content_id\":$UID_,\"distance\":\"0\"}]}}"
st=$(code GET "/m/lookup?url=http://127.0.0.1:$HP/storm.jpg&signal_type=pdq" -H "$S")
check "lookup by url with signal_type: one map" is 200 "{\"URL_BANK\":[{\"bank_content_id\":$UID_,\"distance\":\"0\"}]}"
n0=$(requests)
st=$(code GET "/h/hash?url=http://127.0.0.1:$HP/dir" -H "$S")
check "a redirect is not followed" sh -c "[ $st = 400 ] && grep -q 'Failed to fetch URL' '$T/body' && [ $(requests) -eq $((n0 + 1)) ]"
st=$(code GET "/h/hash?url=http://127.0.0.1:$HP/missing.jpg" -H "$S")
check "a 404 upstream" is 400 '{"message":"Failed to fetch URL: HTTP status 404"}'
check "server stops cleanly" stop
start --fetch-allow 127.0.0.1 --fetch-max-bytes 1k
st=$(code GET "/h/hash?url=http://127.0.0.1:$HP/storm.jpg" -H "$S")
check "over fetch-max-bytes: 413" is 413 '{"message":"Content too large"}'
check "server stops cleanly" stop
exit $fail
