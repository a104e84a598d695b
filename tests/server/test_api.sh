#!/bin/sh
# End-to-end: `vigil serve` on an ephemeral port, driven with curl — every
# route, the roles, bad bodies, limits, a slow client, revocation, live bank
# changes, SIGHUP and SIGTERM.
set -u
VIGIL=$1 DEMO=$2 VEC=$3 HERE=$(dirname "$0")
T=$(mktemp -d)
SPID=
trap '[ -n "$SPID" ] && kill -9 $SPID 2>/dev/null; rm -rf "$T"' EXIT
. "$HERE/lib.sh"
# The store: SQLite, or the PostgreSQL database in $VIGIL_TEST_PG_URI
# (tests/pg/pg_env.sh runs this script again on PostgreSQL).
export VIGIL_DB="${VIGIL_TEST_PG_URI:-$T/v.db}"

ADMIN=$("$VIGIL" key create admin1 --role admin 2>/dev/null)
SUBMIT=$("$VIGIL" key create submit1 --role submit 2>/dev/null)
METRICS=$("$VIGIL" key create metrics1 --role metrics 2>/dev/null)
check "key create prints a vgl_ token" sh -c "echo '$ADMIN' | grep -qx 'vgl_[A-Za-z0-9_-]\{43\}'"
"$VIGIL" key create admin1 --role admin >/dev/null 2>&1; check "key names are unique" [ $? -eq 1 ]
"$VIGIL" key create x --role nobody >/dev/null 2>&1; check "unknown role is a usage error" [ $? -eq 2 ]
"$VIGIL" key list > "$T/keys"
check "key list shows keys, never tokens" sh -c "grep -q '^admin1 .*admin' '$T/keys' && ! grep -q vgl_ '$T/keys'"
A="Authorization: Bearer $ADMIN" S="Authorization: Bearer $SUBMIT" M="Authorization: Bearer $METRICS"

start
check "healthz open" [ "$(code GET /healthz)" = 200 ]
check "readyz open" [ "$(code GET /readyz)" = 200 ]
check "unknown route 404 route_not_found" sh -c "[ \"\$(curl -s -o '$T/body' -w '%{http_code}' '$U/nope')\" = 404 ] && [ \"\$(jq -r .error.code < '$T/body')\" = route_not_found ]"
st=$(code DELETE /healthz)
check "wrong method 405 method_not_allowed" [ "$st" = 405 -a "$(errcode)" = method_not_allowed ]

# Every keyed route: no key -> 401, a wrong role -> 403.
"$VIGIL" serve --routes > "$T/routes"
check "route list" [ -s "$T/routes" ]
while read -r m p; do
	# /review*: people's sessions, not keys (tests/server/test_review.sh).
	case "$p" in /healthz|/readyz|/review|/review/*) continue ;; esac
	path=$(echo "$p" | sed 's/{name}/known/g; s/{id}/1/g')
	st=$(code "$m" "$path")
	case "$p" in
	/v1/* | /metrics) shape=$(errcode) ;;
	*) shape=$(jq -r 'if keys == ["message"] then "unauthorized" else "" end' < "$T/body") ;; # HMA's {"message"}
	esac
	[ "$st" = 401 ] && [ "$shape" = unauthorized ] || bad "$m $p without a key: $st"
	st=$(code "$m" "$path" -H "Authorization: Bearer vgl_not-a-real-token")
	[ "$st" = 401 ] || bad "$m $p with an unknown key: $st"
done < "$T/routes"
ok "every keyed route refuses no key and unknown keys"
for r in "POST /v1/banks" "GET /v1/banks" "DELETE /v1/banks/known" "POST /v1/banks/known/entries" "GET /v1/keys" "POST /v1/keys"; do
	set -- $r
	st=$(code "$1" "$2" -H "$S" -H 'Content-Type: application/json' -d '{}')
	[ "$st" = 403 ] && [ "$(errcode)" = forbidden ] || bad "$r with a submit key: $st"
done
for r in "POST /v1/hash" "POST /v1/match" "GET /metrics"; do
	set -- $r
	[ "$(code "$1" "$2" -H "$A")" = 403 ] || bad "$r with an admin key"
done
[ "$(code GET /metrics -H "$S")" = 403 ] || bad "metrics with a submit key"
ok "wrong roles get 403 forbidden"

# Banks and entries; a hash added by the API matches on the very next request.
st=$(code POST /v1/banks -H "$A" -d '{"name":"known","description":"demo"}')
check "create bank 201" [ "$st" = 201 ]
check "create it again 409" [ "$(code POST /v1/banks -H "$A" -d '{"name":"known"}')" = 409 ]
check "bad bank name 400" [ "$(code POST /v1/banks -H "$A" -d '{"name":"no/slash"}')" = 400 ]
code POST /v1/hash -H "$S" --data-binary @"$DEMO/known/aqua.jpg" >/dev/null
AQUA=$(jq -r .pdq < "$T/body")
AQUA_MD5=$(jq -r .md5 < "$T/body")
check "hash: PDQ of aqua.jpg" [ "$AQUA" = "$("$VIGIL" hash "$DEMO/known/aqua.jpg" | cut -d, -f1)" ]
check "hash: MD5" [ "$AQUA_MD5" = "$(md5sum < "$DEMO/known/aqua.jpg" | cut -d' ' -f1)" ]
code POST '/v1/hash?dihedral=1' -H "$S" -F file=@"$DEMO/known/aqua.jpg" >/dev/null
check "hash multipart + dihedral: 8 variants" [ "$(jq '.dihedral | length' < "$T/body")" = 8 ]
"$VIGIL" hash -d "$DEMO/known/aqua.jpg" | cut -d, -f1 | sort > "$T/dih_cli"
jq -r '.dihedral[]' < "$T/body" | sort > "$T/dih_api"
check "dihedral hashes equal the CLI's" cmp -s "$T/dih_cli" "$T/dih_api"
st=$(code POST /v1/match -H "$S" -F file=@"$DEMO/uploads/aqua-reupload.jpg")
check "no match before the entry exists" [ "$st" = 200 -a "$(jq '.matches | length' < "$T/body")" = 0 ]
st=$(code POST /v1/banks/known/entries -H "$A" -d "[{\"type\":\"pdq\",\"value\":\"$AQUA\",\"source_ref\":\"aqua\"},{\"type\":\"md5\",\"value\":\"$AQUA_MD5\"}]")
check "add entries 201" [ "$st" = 201 -a "$(jq .added < "$T/body")" = 2 ]
ENTRY=$(jq '.entries[0].id' < "$T/body")
st=$(code POST /v1/match -H "$S" -F file=@"$DEMO/uploads/aqua-reupload.jpg")
check "the next request matches it" [ "$(jq -r '[.matches[] | select(.entry == '"$ENTRY"')][0].bank' < "$T/body")" = known ]
code POST /v1/match -H "$S" --data-binary @"$DEMO/uploads/flipped-repost.jpg" >/dev/null
check "a flipped copy matches through dihedral" [ "$(jq -r '.matches[0].variant' < "$T/body")" != orig -a "$(jq '.matches | length' < "$T/body")" -ge 1 ]
code POST '/v1/match?dihedral=0' -H "$S" --data-binary @"$DEMO/uploads/flipped-repost.jpg" >/dev/null
check "...and not without it" [ "$(jq '.matches | length' < "$T/body")" = 0 ]
code POST /v1/match -H "$S" -H 'Content-Type: application/json' -d "{\"hashes\":[{\"type\":\"pdq\",\"value\":\"$AQUA\"},{\"value\":\"$AQUA_MD5\"}]}" >/dev/null
check "match JSON hashes: pdq and md5" [ "$(jq '[.matches[].type] | sort | join(",")' -r < "$T/body")" = md5,pdq ]
check "add duplicate: marked" [ "$(code POST /v1/banks/known/entries -H "$A" -d "[{\"value\":\"$AQUA\"}]")" = 201 -a "$(jq .duplicates < "$T/body")" = 1 ]
"$VIGIL" hash "$DEMO/known/storm.jpg" "$DEMO/known/ladybird.jpg" > "$T/list.csv"
st=$(code POST /v1/banks/known/import -H "$A" --data-binary @"$T/list.csv")
check "import a pdq-csv list" [ "$st" = 200 -a "$(jq .added < "$T/body")" = 2 ]
code POST /v1/match -H "$S" --data-binary @"$DEMO/known/storm.jpg" >/dev/null
check "an imported hash matches at once" [ "$(jq '.matches | length' < "$T/body")" = 1 ]
printf 'zzz\n' > "$T/bad.txt"
st=$(code POST '/v1/banks/known/import?format=hex' -H "$A" --data-binary @"$T/bad.txt")
check "import reports a bad line with its number" [ "$st" = 200 -a "$(jq .bad < "$T/body")" = 1 -a "$(jq -r '.bad_lines[0]' < "$T/body" | cut -d: -f1)" = 1 ]
check "delete entry" [ "$(code DELETE /v1/banks/known/entries/$ENTRY -H "$A")" = 200 ]
code POST /v1/match -H "$S" -H 'Content-Type: application/json' -d "{\"hashes\":[{\"value\":\"$AQUA\"}]}" >/dev/null
check "a deleted entry stops matching at once" [ "$(jq '.matches | length' < "$T/body")" = 0 ]
check "delete it again: 404" [ "$(code DELETE /v1/banks/known/entries/$ENTRY -H "$A")" = 404 ]
check "patch: disable" [ "$(code PATCH /v1/banks/known -H "$A" -d '{"enabled":false,"description":"off"}')" = 200 -a "$(jq .enabled < "$T/body")" = false ]
code POST /v1/match -H "$S" --data-binary @"$DEMO/known/storm.jpg" >/dev/null
check "a disabled bank does not match" [ "$(jq '.matches | length' < "$T/body")" = 0 ]
code PATCH /v1/banks/known -H "$A" -d '{"enabled":true}' >/dev/null
code POST /v1/match -H "$S" --data-binary @"$DEMO/known/storm.jpg" >/dev/null
check "enabled again: matches" [ "$(jq '.matches | length' < "$T/body")" = 1 ]
check "get bank" [ "$(code GET /v1/banks/known -H "$A")" = 200 -a "$(jq -r .description < "$T/body")" = off ]
check "list banks" [ "$(code GET /v1/banks -H "$A")" = 200 -a "$(jq '.banks | length' < "$T/body")" = 1 ]
check "create a second bank" [ "$(code POST /v1/banks -H "$A" -d '{"name":"other","enabled":false}')" = 201 ]
check "delete a bank" [ "$(code DELETE /v1/banks/other -H "$A")" = 200 ]
check "get a deleted bank: 404 not_found" [ "$(code GET /v1/banks/other -H "$A")" = 404 -a "$(errcode)" = not_found ]

# Bad bodies: each a 4xx with a stable code, never a crash.
check "bad JSON: 400 bad_json" [ "$(code POST /v1/banks -H "$A" -d '{"name":')" = 400 -a "$(errcode)" = bad_json ]
deep=$(printf '%0.s[' $(seq 1 200))
check "deep JSON: 400 bad_json" [ "$(code POST /v1/banks/known/entries -H "$A" -d "$deep")" = 400 -a "$(errcode)" = bad_json ]
check "JSON of the wrong shape: 400" [ "$(code POST /v1/banks/known/entries -H "$A" -d '{"entries":5}')" = 400 ]
check "bad hash hex: 400 bad_hashes" [ "$(code POST /v1/match -H "$S" -H 'Content-Type: application/json' -d '{"hashes":[{"type":"pdq","value":"xyz"}]}')" = 400 -a "$(errcode)" = bad_hashes ]
check "not an image: 415" [ "$(code POST /v1/hash -H "$S" --data-binary @"$T/bad.txt")" = 415 -a "$(errcode)" = unsupported_media ]
head -c 3000 "$DEMO/known/aqua.jpg" > "$T/trunc.jpg"
check "truncated JPEG: 400 bad_media" [ "$(code POST /v1/hash -H "$S" --data-binary @"$T/trunc.jpg")" = 400 -a "$(errcode)" = bad_media ]
check "empty body: 400 missing_file" [ "$(code POST /v1/hash -H "$S")" = 400 -a "$(errcode)" = missing_file ]
check "multipart without the file field: 400" [ "$(code POST /v1/hash -H "$S" -F other=@"$T/bad.txt")" = 400 ]
check "bad query parameter: 400" [ "$(code POST '/v1/match?radius=99' -H "$S" --data-binary @"$DEMO/known/aqua.jpg")" = 400 -a "$(errcode)" = bad_parameter ]
check "metrics" [ "$(code GET /metrics -H "$M")" = 200 ]
check "metrics: requests by route and status" grep -q '^vigil_http_requests_total{route="/v1/match",status="200"} ' "$T/body"
check "metrics: matches by bank" grep -q '^vigil_matches_total{bank="known"} ' "$T/body"
check "metrics: index size" grep -q '^vigil_index_hashes 3$' "$T/body"
check "metrics: latency histogram" grep -q '^vigil_http_request_duration_seconds_bucket{route="/v1/hash",le="+Inf"} ' "$T/body"
check "openapi" [ "$(code GET /v1/openapi.json -H "$M")" = 200 -a "$(jq -r .openapi < "$T/body")" = 3.0.3 ]

# Videos: a vPDQ list imported through the API is matched at once by an
# uploaded video (hashed by the server); /v1/hash gives its frames.
V19="$VEC/vpdq/videos/chair-19-sd-bar.mp4"
code POST /v1/banks -H "$A" -d '{"name":"videos"}' >/dev/null
st=$(code POST '/v1/banks/videos/import?format=vpdq&source=chair-19' -H "$A" --data-binary @"$VEC/vpdq/hashes-debian12/chair-19-sd-bar-1s.txt")
check "import a vPDQ video" [ "$st" = 200 -a "$(jq .added < "$T/body")" = 1 ]
code POST /v1/match -H "$S" --data-binary @"$V19" >/dev/null
check "an uploaded video matches the imported one" [ "$(jq -r '[.matches[] | select(.type == "vpdq" and .bank == "videos")][0].query_pct' < "$T/body")" = 100 ]
code POST /v1/hash -H "$S" --data-binary @"$V19" >/dev/null
"$VIGIL" hash --algo vpdq --interval 1 "$V19" | cut -d, -f3 > "$T/vpdq_cli"
jq -r '.vpdq[].pdq' < "$T/body" > "$T/vpdq_api"
check "video hashes equal the CLI's vPDQ at 1 s" cmp -s "$T/vpdq_cli" "$T/vpdq_api"
code DELETE /v1/banks/videos -H "$A" >/dev/null

# Keys over the API; a revoke takes effect on the next request.
st=$(code POST /v1/keys -H "$A" -d '{"name":"api1","roles":["submit"]}')
TOK=$(jq -r .token < "$T/body")
check "create key by API" [ "$st" = 201 -a -n "$TOK" ]
check "the new key works at once" [ "$(code POST /v1/hash -H "Authorization: Bearer $TOK" --data-binary @"$DEMO/known/aqua.jpg")" = 200 ]
check "revoke by API" [ "$(code DELETE /v1/keys/api1 -H "$A")" = 200 ]
check "a key revoked by API is refused at once" [ "$(code POST /v1/hash -H "Authorization: Bearer $TOK" --data-binary @"$DEMO/known/aqua.jpg")" = 401 ]
check "list keys by API" [ "$(code GET /v1/keys -H "$A")" = 200 -a "$(jq '[.keys[] | select(.active)] | length' < "$T/body")" = 3 ]
check "no token in the list" sh -c "! grep -q vgl_ '$T/body'"
stop; check "SIGTERM: exit 0" [ $? -eq 0 ]

# A CLI revoke reaches the running server within key_refresh; the test
# polls (no timing threshold: it waits until refused, up to a minute).
CLIK=$("$VIGIL" key create cli1 --role submit 2>/dev/null)
start --key-refresh 1
check "CLI key accepted" [ "$(code POST /v1/hash -H "Authorization: Bearer $CLIK" --data-binary @"$DEMO/known/aqua.jpg")" = 200 ]
"$VIGIL" key revoke cli1
i=0
while [ "$(code POST /v1/hash -H "Authorization: Bearer $CLIK" --data-binary @"$DEMO/known/aqua.jpg")" = 200 ] && [ $i -lt 600 ]; do
	i=$((i + 1)); sleep 0.1
done
check "a key revoked with the CLI is refused by the running server" [ "$(code POST /v1/hash -H "Authorization: Bearer $CLIK" --data-binary @"$DEMO/known/aqua.jpg")" = 401 ]
"$VIGIL" key list > "$T/keys"
check "key list shows it revoked" grep -q '^cli1 .*REVOKED' "$T/keys"
stop

# Limits: body size (413 before reading it), rate limit (429 + Retry-After),
# slow headers and slow bodies are cut, SIGHUP reloads.
printf 'max_body = 100k\nrate_limit = 0\n# a comment\n' > "$T/conf"
start --config "$T/conf" --header-timeout 1 --body-timeout 1
head -c 200000 /dev/zero > "$T/big"
check "oversized body: 413 body_too_large" [ "$(code POST /v1/hash -H "$S" --data-binary @"$T/big")" = 413 -a "$(errcode)" = body_too_large ]
check "oversized chunked body: 413" [ "$(code POST /v1/hash -H "$S" -H 'Transfer-Encoding: chunked' --data-binary @"$T/big")" = 413 ]
check "under the limit: fine" [ "$(code POST /v1/hash -H "$S" --data-binary @"$DEMO/known/aqua.jpg")" = 200 ]
printf 'max_body = 100k\nrate_limit = 2\nrate_burst = 2\n' > "$T/conf"
kill -HUP $SPID
i=0; st=200
while [ $i -lt 50 ]; do
	st=$(curl -s -D "$T/hdr" -o "$T/body" -w '%{http_code}' -H "$S" --data-binary @"$DEMO/known/aqua.jpg" "$U/v1/hash")
	[ "$st" = 429 ] && break
	i=$((i + 1))
done
check "SIGHUP reloads rate_limit: 429 rate_limited" [ "$st" = 429 -a "$(errcode)" = rate_limited ]
check "429 has Retry-After" grep -qi '^Retry-After: [1-9]' "$T/hdr"
check "other keys are not limited by it" [ "$(code POST /v1/banks -H "$A" -d '{"name":"b2"}')" = 201 ]
python3 "$HERE/slow_client.py" "$(cat "$T/port")" headers > "$T/slow"
check "a client sending a header byte at a time is cut" grep -q '^cut ' "$T/slow"
python3 "$HERE/slow_client.py" "$(cat "$T/port")" body "$ADMIN" > "$T/slow"
check "a client trickling its body is cut" grep -q '^cut ' "$T/slow"
check "...and the server still answers" [ "$(code GET /healthz)" = 200 ]
stop; check "SIGTERM after all that: exit 0" [ $? -eq 0 ]

# SIGTERM drains: a request in flight (a slow upload) is answered, then the
# server exits 0; max_uploads refuses one upload too many with 503 busy.
start --max-uploads 1
ffmpeg -loglevel error -y -i "$DEMO/known/aqua.jpg" -vf scale=1600:-2 -q:v 2 "$T/large.jpg"
curl -s -o "$T/slow.body" -w '%{http_code}' --limit-rate 40k -H "$S" \
	--data-binary @"$T/large.jpg" "$U/v1/hash" > "$T/slow.code" &
CPID=$!
i=0
until curl -s -H "$M" "$U/metrics" | grep -q '^vigil_http_uploads_in_flight 1$'; do
	i=$((i + 1)); [ $i -lt 600 ] || break; sleep 0.05
done
check "a second upload while one is in flight: 503 busy" [ "$(code POST /v1/hash -H "$S" --data-binary @"$DEMO/known/aqua.jpg")" = 503 -a "$(errcode)" = busy ]
kill -TERM $SPID
wait $CPID
check "SIGTERM lets the upload in flight finish" [ "$(cat "$T/slow.code")" = 200 -a "$(jq -r .pdq < "$T/slow.body" | wc -c)" = 65 ]
wait $SPID; src=$?; SPID=
check "...and then exits 0" [ $src -eq 0 ]

# The audit trail: every change with who did it.
if [ -n "${VIGIL_TEST_PG_URI:-}" ]; then
	psql -At "$VIGIL_DB" -c 'SELECT who, action, object FROM audit ORDER BY id' > "$T/audit"
else sqlite3 "$T/v.db" 'SELECT who, action, object FROM audit ORDER BY id' > "$T/audit" 2>/dev/null ||
	python3 -c "import sqlite3,sys;[print('|'.join(r)) for r in sqlite3.connect(sys.argv[1]).execute('SELECT who, action, object FROM audit ORDER BY id')]" "$T/v.db" > "$T/audit"
fi
check "audit: bank created by admin1" grep -q '^admin1|bank.create|known$' "$T/audit"
check "audit: entries added" grep -q '^admin1|bank.entries.add|known$' "$T/audit"
check "audit: key revoked by the CLI" grep -q '^cli|key.revoke|cli1$' "$T/audit"
check "audit: key revoked by API" grep -q '^admin1|key.revoke|api1$' "$T/audit"
check "no token in the log" sh -c "! grep -q vgl_ '$T/server.log'"
exit $fail
