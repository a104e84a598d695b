#!/bin/sh
# End-to-end: `vigil exchange` against the stand-in servers (standin.py) for
# NCMEC, StopNCII, ThreatExchange and TCAP: first fetch across pages,
# incremental fetch, update, delete, stale checkpoint / full refetch, 429 and
# 5xx retries, bad credentials, kill -9 mid-fetch then resume, and that no
# secret is ever printed or stored.
set -u
VIGIL=$1
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d)
SRV=
cleanup() { [ -n "$SRV" ] && kill "$SRV" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
. "$HERE/../server/lib.sh"
# The stores: SQLite files, or PostgreSQL databases when tests/pg/pg_env.sh
# runs this again (pg/exchange): NDB, SDB, TDB, CDB, one per API.
NDB=$(store_uri n) SDB=$(store_uri s) TDB=$(store_uri t) CDB=$(store_uri c)

. "$HERE/standin.sh"
standin_start
nlog() { curl -sf "$B/_ctl/log" | wc -l; }

export NCMEC_CRED='ncmec_user:ncmec_pass'
export SNCII_CRED='fetchkey123,subkey456'
export TE_CRED='123456789|abcdefghijklmnopqrstuvwxyz'
printf 'tcap_user:tcap_pass\n' >"$T/tcap.cred"
SECRETS='ncmec_pass subkey456 fetchkey123 feedbackkey789 abcdefghijklmnopqrstuvwxyz tcap_pass'

h() { printf '%s' "$1" | sha256sum | cut -c1-"$2"; }   # invented hex values
up() { printf '%s' "$1" | tr a-f A-F; }
P1=$(h p1 64) P2=$(h p2 64) P3=$(h p3 64) P4=$(h p4 64) P5=$(h p5 64)
M1=$(h m1 32) M2=$(h m2 32) S1=$(h s1 40)

# What a bank holds: "type value source_ref" lines, sorted.
entries() {
	if on_pg; then hex="encode(e.value,'hex')"; else hex="lower(hex(e.value))"; fi
	store_sql "$1" "SELECT e.type||' '||$hex||' '||e.source_ref FROM entries e
		JOIN banks b ON b.id=e.bank_id WHERE b.name='$2' ORDER BY 1" | sort
}
expect() { # DB BANK NAME LINES...
	db=$1 bank=$2 name=$3; shift 3
	printf '%s\n' "$@" | sort >"$T/want"
	entries "$db" "$bank" >"$T/got"
	if cmp -s "$T/want" "$T/got"; then ok "$name"; else
		bad "$name: want $(tr '\n' ';' <"$T/want") got $(tr '\n' ';' <"$T/got")"; fi
}
fetch() { # DB NAME [ARGS]: output in $T/out, stderr in $T/err, status in $rc
	db=$1 name=$2; shift 2
	"$VIGIL" exchange fetch --db "$db" "$name" "$@" >"$T/out" 2>"$T/err"; rc=$?
	cat "$T/out" "$T/err" >>"$T/all_output"
}

# ------------------------------------------------------------- NCMEC
DB=$NDB
"$VIGIL" exchange add nc --db "$DB" --api ncmec --url "$B/hashsharing" \
	--credentials env:NCMEC_CRED --bank ncmec-bank && ok "ncmec: add" || bad "ncmec: add"
ctl add '{"api":"ncmec","records":[
 {"member":42,"id":"img1","classification":"A1","fingerprints":{"md5":"'$M1'","sha1":"'$S1'","pdq":"'$(up $P1)'","pdna":"0a0b","tmk-pdqf":null}},
 {"member":42,"id":"img2","fingerprints":{"pdq":"'$P2'"}},
 {"member":43,"id":"vid1","kind":"video","fingerprints":{"md5":"'$M2'","videntifier":null}}]}'
fetch "$DB" nc
[ $rc -eq 0 ] && grep -q "2 pages, 3 records" "$T/out" && grep -q "3 hashes skipped" "$T/out" &&
	ok "ncmec: first fetch over 2 pages" || bad "ncmec: first fetch: $(cat "$T/out" "$T/err")"
expect "$DB" ncmec-bank "ncmec: MD5, SHA-1, PDQ (upper-case) kept; PDNA, TMK, Videntifier not" \
	"0 $P1 42-img1" "1 $M1 42-img1" "2 $S1 42-img1" "0 $P2 42-img2" "1 $M2 43-vid1"
store_sql "$DB" "SELECT metadata FROM entries WHERE source_ref='42-img1' LIMIT 1" |
	grep -q '"classification":"A1".*"member":42.*"pdna":"0a0b"' &&
	ok "ncmec: member, classification, PDNA kept as metadata" || bad "ncmec: metadata"
curl -sf "$B/_ctl/log" | grep -q '"path": "/hashsharing/v2/entries?from=1970-01-01T00:00:00Z&to=' &&
	ok "ncmec: first window from 1970, UTC" || bad "ncmec: first window"
curl -sf "$B/_ctl/log" | grep -q 'start=3&size=2&max=3' && ok "ncmec: relative next link followed" ||
	bad "ncmec: paging link"
sleep 2 # the new records' timestamps must fall before the next window's end (now - 5 s)
ctl add '{"api":"ncmec","records":[
 {"member":42,"id":"img1","fingerprints":{"pdq":"'$P3'"}},
 {"member":42,"id":"img2","deleted":true},
 {"member":44,"id":"img9","fingerprints":{"pdq":"'$P4'"}}]}'
n0=$(nlog)
fetch "$DB" nc
[ $rc -eq 0 ] && grep -q " 3 records" "$T/out" && ok "ncmec: incremental fetch takes only the changes" ||
	bad "ncmec: incremental: $(cat "$T/out" "$T/err")"
curl -sf "$B/_ctl/log" | tail -n +$((n0+1)) | grep -q 'from=1970' && bad "ncmec: refetched from 1970" ||
	ok "ncmec: incremental window starts at the checkpoint"
expect "$DB" ncmec-bank "ncmec: update replaces, tombstone deletes" \
	"0 $P3 42-img1" "1 $M2 43-vid1" "0 $P4 44-img9"

# Retries: two 429s with Retry-After 1, then a 503. (A second later, so
# that the window (checkpoint, now - 5 s] is not empty and a GET is sent.)
sleep 1
ctl fault '{"status":429,"count":2,"retry_after":1}'
ctl fault '{"status":503,"count":1}'
fetch "$DB" nc
[ $rc -eq 0 ] && grep -q "3 retries" "$T/out" && ok "ncmec: 429 (Retry-After) and 503 retried" ||
	bad "ncmec: retries: $(cat "$T/out" "$T/err")"
ctl fault '{"status":500,"count":5}'
fetch "$DB" nc
[ $rc -eq 1 ] && grep -q "HTTP 500 after 5 tries" "$T/err" && ok "ncmec: gives up after 5 tries" ||
	bad "ncmec: give up: $(cat "$T/err")"
"$VIGIL" exchange show --db "$DB" nc | grep -q "last error.*HTTP 500" && ok "ncmec: last error shown" ||
	bad "ncmec: last error"

# Bad credentials: a clear error, nothing changed.
NCMEC_BAD='ncmec_user:wrong-secret-xyz'; export NCMEC_BAD
"$VIGIL" exchange add ncbad --db "$DB" --api ncmec --url "$B/hashsharing" \
	--credentials env:NCMEC_BAD --bank ncmec-bank >/dev/null
entries "$DB" ncmec-bank >"$T/before"
fetch "$DB" ncbad
entries "$DB" ncmec-bank >"$T/after"
[ $rc -eq 1 ] && grep -q "refused the credentials (HTTP 401)" "$T/err" && cmp -s "$T/before" "$T/after" &&
	ok "ncmec: bad credentials: clear error, bank unchanged" || bad "ncmec: bad credentials: $(cat "$T/err")"
grep -q wrong-secret-xyz "$T/all_output" && bad "ncmec: bad secret printed" || ok "ncmec: bad secret not printed"

# Two records carrying one hash share its entry: deleting the first keeps
# the hash (now the second's), deleting the second removes it.
DB=$T/n2.db
M3=$(h m3 32)
"$VIGIL" exchange add sh --db "$DB" --api ncmec --url "$B/hashsharing" \
	--credentials env:NCMEC_CRED --bank shared >/dev/null
ctl add '{"api":"ncmec","records":[
 {"member":60,"id":"sa","fingerprints":{"md5":"'$M3'"}},
 {"member":60,"id":"sb","fingerprints":{"md5":"'$M3'","pdq":"'$P5'"}}]}'
sleep 2
fetch "$DB" sh
m3() { sqlite3 "$DB" "SELECT e.source_ref FROM entries e JOIN banks b ON b.id=e.bank_id
	WHERE b.name='shared' AND lower(hex(e.value))='$M3'"; }
[ "$(m3)" = 60-sa ] && ok "shared hash: one entry, first record's" || bad "shared hash: $(m3)"
sleep 1
ctl add '{"api":"ncmec","records":[{"member":60,"id":"sa","deleted":true}]}'
sleep 2
fetch "$DB" sh
[ "$(m3)" = 60-sb ] && ok "shared hash: deleting the first record keeps it for the second" ||
	bad "shared hash: after deleting the first record: '$(m3)'"
sleep 1
ctl add '{"api":"ncmec","records":[{"member":60,"id":"sb","deleted":true}]}'
sleep 2
fetch "$DB" sh
[ -z "$(m3)" ] && ok "shared hash: deleting the last holder removes it" || bad "shared hash: still '$(m3)'"

# ---------------------------------------------------------- StopNCII
DB=$SDB
"$VIGIL" exchange add sn --db "$DB" --api stopncii --url "$B/v1" --page-size 2 \
	--credentials env:SNCII_CRED >/dev/null && ok "stopncii: add" || bad "stopncii: add"
ctl add '{"api":"stopncii","records":[
 {"signalType":"ImagePDQ","hashValue":"'$P1'","hashStatus":"Active","CSPFeedbacks":[{"source":"X","feedbackValue":"Blocked","tags":["tagA"]}]},
 {"signalType":"VideoMD5","hashValue":"'$M1'","hashStatus":"Received"},
 {"signalType":"ImagePDQ","hashValue":"'$P5'","hashStatus":"Active","CSPFeedbacks":[{"source":"X","feedbackValue":"Undefined","tags":[]}]},
 {"signalType":"VideoTMK","hashValue":"0011","hashStatus":"Active"},
 {"signalType":"ImagePDQ","hashValue":"'$P2'","hashStatus":"Active"}]}'
fetch "$DB" sn
[ $rc -eq 0 ] && grep -q "3 pages, 4 records" "$T/out" && ok "stopncii: first fetch over 3 pages, unknown enum record skipped" ||
	bad "stopncii: first: $(cat "$T/out" "$T/err")"
expect "$DB" sn "stopncii: ImagePDQ and VideoMD5 kept, VideoTMK skipped" \
	"0 $P1 ImagePDQ:$P1" "1 $M1 VideoMD5:$M1" "0 $P2 ImagePDQ:$P2"
curl -sf "$B/_ctl/log" | grep '/v1/FetchHashes' | head -1 | grep -q '"sub": "subkey456", "fkey": "fetchkey123"' &&
	curl -sf "$B/_ctl/log" | grep -q 'startTimestamp=10&pageSize=2&nextPageToken=' &&
	ok "stopncii: both key headers, startTimestamp 10, page tokens" || bad "stopncii: request shape"
ctl add '{"api":"stopncii","records":[
 {"signalType":"ImagePDQ","hashValue":"'$P1'","hashStatus":"Active","CSPFeedbacks":[{"source":"X","feedbackValue":"Blocked","tags":["tagB"]}]},
 {"signalType":"VideoMD5","hashValue":"'$M1'","hashStatus":"Withdrawn"},
 {"signalType":"ImagePDQ","hashValue":"'$P3'","hashStatus":"Active"}]}'
n0=$(nlog)
fetch "$DB" sn
curl -sf "$B/_ctl/log" | tail -n +$((n0+1)) | grep -q 'startTimestamp=10&' && bad "stopncii: refetched from 10" ||
	ok "stopncii: incremental from the stored timestamp"
expect "$DB" sn "stopncii: Withdrawn deletes (pytx keeps it)" \
	"0 $P1 ImagePDQ:$P1" "0 $P2 ImagePDQ:$P2" "0 $P3 ImagePDQ:$P3"
store_sql "$DB" "SELECT metadata FROM entries WHERE source_ref='ImagePDQ:$P1'" | grep -q tagB &&
	ok "stopncii: update replaces the record's metadata" || bad "stopncii: update"
# Stale checkpoint (30 days): a full refetch removes what vanished.
ctl vanish '{"api":"stopncii","key":"ImagePDQ:'$P2'"}'
if on_pg; then store_sql "$DB" "UPDATE exchanges SET checkpoint=jsonb_set(checkpoint::jsonb,'{last_fetch}','1000')::text"
else store_sql "$DB" "UPDATE exchanges SET checkpoint=json_set(checkpoint,'\$.last_fetch',1000)"; fi
fetch "$DB" sn
[ $rc -eq 0 ] && ok "stopncii: stale checkpoint refetch" || bad "stopncii: stale: $(cat "$T/err")"
expect "$DB" sn "stopncii: stale refetch removed the vanished hash" \
	"0 $P1 ImagePDQ:$P1" "0 $P3 ImagePDQ:$P3"
SNCII_BAD='fetchkey123,wrongsub999'; export SNCII_BAD
"$VIGIL" exchange add snbad --db "$DB" --api stopncii --url "$B/v1" --credentials env:SNCII_BAD --bank sn >/dev/null
fetch "$DB" snbad
[ $rc -eq 1 ] && grep -q "refused the keys (HTTP 401)" "$T/err" && ok "stopncii: bad keys: clear error" ||
	bad "stopncii: bad keys: $(cat "$T/err")"

# ---------------------------------------------------- ThreatExchange
DB=$TDB
"$VIGIL" exchange add te --db "$DB" --api threatexchange --url "$B/v21.0" --privacy-group 777 \
	--page-size 2 --credentials env:TE_CRED >/dev/null && ok "threatexchange: add" || bad "te: add"
desc() { echo '{"data":[{"id":"'$1'","owner":{"id":"55"},"status":"MALICIOUS","tags":{"data":[{"id":"1","text":"'$2'"}]}}]}'; }
ctl add '{"api":"te","records":[
 {"id":"1","indicator":"'$P1'","type":"HASH_PDQ","should_delete":false,"descriptors":'"$(desc 9001 tagA)"'},
 {"id":"2","indicator":"'$M1'","type":"HASH_MD5","should_delete":false,"descriptors":'"$(desc 9002 media_type_video)"'},
 {"id":"3","indicator":"'$P2'","type":"HASH_PDQ","should_delete":false,"descriptors":'"$(desc 9003 tagA)"'},
 {"id":"4","indicator":"x","type":"HASH_TMK","should_delete":false,"descriptors":'"$(desc 9004 tagA)"'}]}'
fetch "$DB" te
[ $rc -eq 0 ] && grep -q "2 pages, 4 records" "$T/out" && ok "threatexchange: first fetch over 2 pages" ||
	bad "te: first: $(cat "$T/out" "$T/err")"
expect "$DB" te "threatexchange: PDQ and MD5 kept, TMK skipped" \
	"0 $P1 HASH_PDQ:$P1" "1 $M1 HASH_MD5:$M1" "0 $P2 HASH_PDQ:$P2"
store_sql "$DB" "SELECT checkpoint FROM exchanges" | grep -q access_token &&
	bad "te: token stored in the checkpoint" || ok "threatexchange: token not stored in the checkpoint"
ctl add '{"api":"te","records":[
 {"id":"1","indicator":"'$P1'","type":"HASH_PDQ","should_delete":false,"descriptors":'"$(desc 9001 tagB)"'},
 {"id":"2","indicator":"'$M1'","type":"HASH_MD5","should_delete":true},
 {"id":"3","indicator":"'$P2'","type":"HASH_PDQ","should_delete":false}]}'
fetch "$DB" te
[ $rc -eq 0 ] && curl -sf "$B/_ctl/log" | grep -q 'start_time=' && ok "threatexchange: incremental with start_time" ||
	bad "te: incremental: $(cat "$T/err")"
expect "$DB" te "threatexchange: should_delete and a record without descriptors delete" "0 $P1 HASH_PDQ:$P1"
store_sql "$DB" "SELECT metadata FROM entries" | grep -q '"descriptors":\["9001"\].*tagB' &&
	ok "threatexchange: descriptor ids and tags kept" || bad "te: metadata"
fetch "$DB" te
[ $rc -eq 0 ] && grep -q "up to date" "$T/out" && ok "threatexchange: an empty page is up to date (pytx fails)" ||
	bad "te: empty page: $(cat "$T/err")"
ctl fault '{"status":503,"count":2}'
fetch "$DB" te
[ $rc -eq 0 ] && grep -q "2 retries" "$T/out" && ok "threatexchange: GETs retried on 503 (pytx does not)" ||
	bad "te: retry: $(cat "$T/out" "$T/err")"
TE_BAD='123456789|zzzzzzzzzzzzzzzzzzzzzzzzzz'; export TE_BAD
"$VIGIL" exchange add tebad --db "$DB" --api threatexchange --url "$B/v21.0" --privacy-group 777 \
	--credentials env:TE_BAD --bank te >/dev/null
fetch "$DB" tebad
[ $rc -eq 1 ] && grep -q "refused the access token (HTTP 400)" "$T/err" && ok "threatexchange: bad token: clear error" ||
	bad "te: bad token: $(cat "$T/err")"

# -------------------------------------------------------------- TCAP
DB=$CDB
"$VIGIL" exchange add tc --db "$DB" --api tcap --url "$B" --page-size 2 \
	--credentials "file:$T/tcap.cred" >/dev/null && ok "tcap: add" || bad "tcap: add"
ctl add '{"api":"tcap","records":[
 {"hash_digest":"'$P1'","algorithm":"PDQ","ideology":"far-right","file_type":"jpg","deleted":false},
 {"hash_digest":"'$M1'","algorithm":"MD5","ideology":"islamist","file_type":"mp4","deleted":false},
 {"hash_digest":"'$M2'","algorithm":"MD5","ideology":"islamist","file_type":"jpg","deleted":false}]}'
fetch "$DB" tc
[ $rc -eq 0 ] && grep -q "2 pages, 3 records" "$T/out" && ok "tcap: first fetch over 2 pages" ||
	bad "tcap: first: $(cat "$T/out" "$T/err")"
expect "$DB" tc "tcap: PDQ and MD5 (any file type) kept" \
	"0 $P1 PDQ:$P1" "1 $M1 MD5:$M1" "1 $M2 MD5:$M2"
[ "$(curl -sf "$B/_ctl/log" | grep -c token-auth)" -eq 1 ] && ok "tcap: one login per fetch" || bad "tcap: logins"
ctl add '{"api":"tcap","records":[
 {"hash_digest":"'$M2'","algorithm":"MD5","ideology":"islamist","file_type":"jpg","deleted":true},
 {"hash_digest":"'$P1'","algorithm":"PDQ","ideology":"islamist","file_type":"png","deleted":false}]}'
ctl expire '{}'
fetch "$DB" tc
[ $rc -eq 0 ] && curl -sf "$B/_ctl/log" | grep -q 'after=1704901' && ok "tcap: incremental after the checkpoint, token renewed" ||
	bad "tcap: incremental: $(cat "$T/err")"
expect "$DB" tc "tcap: deleted removes, update replaces" "0 $P1 PDQ:$P1" "1 $M1 MD5:$M1"
store_sql "$DB" "SELECT metadata FROM entries WHERE source_ref='PDQ:$P1'" | grep -q '"file_type":"png"' &&
	ok "tcap: update's metadata" || bad "tcap: update metadata"
ctl vanish '{"api":"tcap","key":"MD5:'$M1'"}'
fetch "$DB" tc --full
expect "$DB" tc "tcap: --full removes what vanished" "0 $P1 PDQ:$P1"
printf 'tcap_user:nope-secret-777\n' >"$T/tcap.bad"
"$VIGIL" exchange add tcbad --db "$DB" --api tcap --url "$B" --credentials "file:$T/tcap.bad" --bank tc >/dev/null
fetch "$DB" tcbad
[ $rc -eq 1 ] && grep -q "login refused (HTTP 400)" "$T/err" && ok "tcap: bad login: clear error" ||
	bad "tcap: bad login: $(cat "$T/err")"

# A record delivered twice in one page (a list holding one hash twice) is
# one record: one entry, counted once, nothing removed. (The records above
# are forgotten first, so the page holds only these.)
ctl vanish '{"api":"tcap","key":"PDQ:'$P1'"}'
ctl vanish '{"api":"tcap","key":"MD5:'$M2'"}'
"$VIGIL" exchange add tcdup --db "$DB" --api tcap --url "$B" --page-size 50 \
	--credentials "file:$T/tcap.cred" --bank tcdup >/dev/null
P6=$(h p6 64)
ctl add '{"api":"tcap","records":[
 {"hash_digest":"'$P5'","algorithm":"PDQ","ideology":"x","file_type":"jpg","deleted":false},
 {"hash_digest":"'$P6'","algorithm":"PDQ","ideology":"x","file_type":"jpg","deleted":false},
 {"hash_digest":"'$P5'","algorithm":"PDQ","ideology":"x","file_type":"png","deleted":false}]}'
fetch "$DB" tcdup
[ $rc -eq 0 ] && grep -q "1 pages, 3 records, 2 entries added, 0 removed" "$T/out" &&
	ok "tcap: a duplicate within a page counted once" || bad "tcap: duplicate: $(cat "$T/out" "$T/err")"
expect "$DB" tcdup "tcap: a duplicate within a page is one entry" "0 $P5 PDQ:$P5" "0 $P6 PDQ:$P6"
store_sql "$DB" "SELECT metadata FROM entries WHERE source_ref='PDQ:$P5'" | grep -q '"file_type":"png"' &&
	ok "tcap: of a duplicate within a page the later wins" || bad "tcap: duplicate metadata"

# ------------------------------------- kill -9 mid-fetch, then resume
# Each API: a reference store fetched without interruption, and one whose
# fetch is killed while it waits for its third page; after a second fetch
# both hold the same entries, and no record twice.
killtest() { # API NAME ADDARGS...
	api=$1; shift
	kr=$(store_uri "k_ref_$api") ki=$(store_uri "k_int_$api")
	"$VIGIL" exchange add x --db "$kr" "$@" >/dev/null
	"$VIGIL" exchange add x --db "$ki" "$@" >/dev/null
	fetch "$kr" x
	ctl hang '{"after":2}'
	n0=$(nlog)
	"$VIGIL" exchange fetch --db "$ki" x >/dev/null 2>&1 & pid=$!
	i=0; while [ "$(nlog)" -lt $((n0+3)) ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
	kill -9 $pid; wait $pid 2>/dev/null
	ctl unhang '{}'
	mid=$(store_sql "$ki" "SELECT COUNT(*) FROM exchange_items")
	fetch "$ki" x
	entries "$kr" x >"$T/ref"
	entries "$ki" x >"$T/int"
	dup=$(store_sql "$ki" "SELECT COUNT(*) FROM (SELECT key,entry_id FROM exchange_items GROUP BY 1,2 HAVING COUNT(*)>1) d")
	[ $rc -eq 0 ] && [ "$mid" -gt 0 ] && [ -s "$T/ref" ] && cmp -s "$T/ref" "$T/int" && [ "$dup" -eq 0 ] &&
		ok "$api: kill -9 after $mid committed records, resume: same entries as an uninterrupted fetch" ||
		bad "$api: kill -9 resume (mid=$mid rc=$rc): $(diff "$T/ref" "$T/int" | tr '\n' ';')"
}
ctl add '{"api":"ncmec","records":[
 {"member":50,"id":"k1","fingerprints":{"pdq":"'$(h k1 64)'"}}, {"member":50,"id":"k2","fingerprints":{"pdq":"'$(h k2 64)'"}},
 {"member":50,"id":"k3","fingerprints":{"pdq":"'$(h k3 64)'"}}, {"member":50,"id":"k4","fingerprints":{"pdq":"'$(h k4 64)'"}},
 {"member":50,"id":"k5","fingerprints":{"pdq":"'$(h k5 64)'"}}, {"member":50,"id":"k6","fingerprints":{"pdq":"'$(h k6 64)'"}}]}'
killtest ncmec --api ncmec --url "$B/hashsharing" --credentials env:NCMEC_CRED
killtest stopncii --api stopncii --url "$B/v1" --page-size 1 --credentials env:SNCII_CRED
killtest te --api threatexchange --url "$B/v21.0" --privacy-group 777 --page-size 1 --credentials env:TE_CRED
ctl add '{"api":"tcap","records":[
 {"hash_digest":"'$(h t1 64)'","algorithm":"PDQ","ideology":"x","file_type":"jpg","deleted":false},
 {"hash_digest":"'$(h t2 64)'","algorithm":"PDQ","ideology":"x","file_type":"jpg","deleted":false},
 {"hash_digest":"'$(h t3 64)'","algorithm":"PDQ","ideology":"x","file_type":"jpg","deleted":false}]}'
killtest tcap --api tcap --url "$B" --page-size 1 --credentials "file:$T/tcap.cred"

# ---------------------------------------------------------- feedback
fb() { # DB NAME ARGS...: status in $rc
	db=$1 name=$2; shift 2
	"$VIGIL" exchange feedback --db "$db" "$name" "$@" >"$T/out" 2>"$T/err"; rc=$?
	cat "$T/out" "$T/err" >>"$T/all_output"
}
lastlog() { curl -sf "$B/_ctl/log" | tail -n "$1"; }
E=$(store_sql "$NDB" "SELECT id FROM entries WHERE source_ref='44-img9'")
fb "$NDB" nc --entry "$E" --verdict confirm
[ $rc -eq 0 ] && lastlog 1 | grep -q '"method": "PUT", "path": "/hashsharing/v2/entries/44/img9/PDQ/feedback".*"body": "<feedbackSubmission xmlns=\\"https://hashsharing.ncmec.org/hashsharing/v2\\"><affirmative /></feedbackSubmission>"' &&
	ok "ncmec: upvote PUT to the uploader's entry, documented body" || bad "ncmec: upvote: $(cat "$T/err"; lastlog 1)"
fb "$NDB" nc --entry "$E" --verdict dismiss
[ $rc -eq 0 ] && lastlog 2 | head -1 | grep -q '"GET", "path": "/hashsharing/v2/feedback/PDQ/reasons"' &&
	lastlog 1 | grep -q '<negative><reasonIds><guid>01234567-abcd-0000-0000-000000000000</guid></reasonIds></negative>' &&
	ok "ncmec: downvote with the only listed reason" || bad "ncmec: downvote: $(cat "$T/err")"
ctl fault '{"status":500,"count":1}'
n0=$(nlog)
fb "$NDB" nc --entry "$E" --verdict confirm
[ $rc -eq 1 ] && [ "$(nlog)" -eq $((n0+1)) ] && grep -q "not sent yet.*HTTP 500" "$T/err" &&
	ok "ncmec: a failed PUT stays queued (sent once now)" ||
	bad "ncmec: PUT failure (rc=$rc, $(($(nlog)-n0)) requests): $(cat "$T/err")"
"$VIGIL" exchange feedback --db "$NDB" nc --list >"$T/list"
[ "$(grep -c '	sent	' "$T/list")" -eq 2 ] && grep -q '	pending	1 attempts	.*HTTP 500' "$T/list" &&
	ok "ncmec: feedback --list: two sent, one pending with its error" || bad "ncmec: list: $(cat "$T/list")"
sleep 2 # the retry's backoff (2 s, jitter -50%..0)
n0=$(nlog)
fb "$NDB" nc --entry "$E" --verdict confirm
"$VIGIL" exchange feedback --db "$NDB" nc --list >"$T/list"
[ $rc -eq 0 ] && [ "$(nlog)" -eq $((n0+2)) ] && [ "$(grep -c '	sent	' "$T/list")" -eq 4 ] &&
	grep -q '	sent	2 attempts' "$T/list" && ok "ncmec: the queued PUT is retried with the next one" ||
	bad "ncmec: retry (rc=$rc, $(($(nlog)-n0)) requests): $(cat "$T/list")"
export SNCII_CRED3='fetchkey123,subkey456,feedbackkey789'
"$VIGIL" exchange add sn3 --db "$SDB" --api stopncii --url "$B/v1" --credentials env:SNCII_CRED3 --bank sn >/dev/null
E=$(store_sql "$SDB" "SELECT id FROM entries WHERE source_ref='ImagePDQ:$P3'")
fb "$SDB" sn --entry "$E" --verdict confirm
[ $rc -eq 1 ] && grep -q "needs the SubmitFeedback key" "$T/err" &&
	"$VIGIL" exchange feedback --db "$SDB" sn --list | grep -q '	failed	1 attempts' &&
	ok "stopncii: feedback without its key fails at once (listed failed)" ||
	bad "stopncii: no key: $(cat "$T/err")"
fb "$SDB" sn3 --entry "$E" --verdict confirm
[ $rc -eq 0 ] && lastlog 1 | grep -q '"path": "/v1/SubmitFeedback".*"fkey": "feedbackkey789".*"body": "{\\"count\\": *1, *\\"hashFeedbacks\\": *\[{\\"hashValue\\": *\\"'$P3'\\", *\\"feedbackValue\\": *\\"Blocked\\", *\\"tags\\": *\[\]}\]}"' &&
	ok "stopncii: SubmitFeedback Blocked with its own key" || bad "stopncii: feedback: $(cat "$T/err"; lastlog 1)"
E=$(store_sql "$TDB" "SELECT id FROM entries WHERE source_ref='HASH_PDQ:$P1'")
fb "$TDB" te --entry "$E" --verdict dismiss
[ $rc -eq 0 ] && lastlog 1 | grep -q '"method": "POST", "path": "/v21.0/9001/?access_token=123456789%7Cabcdefghijklmnopqrstuvwxyz&reactions=NOT_HELPFUL".*"body": "reactions=NOT_HELPFUL"' &&
	ok "threatexchange: NOT_HELPFUL reaction on the descriptor" || bad "te: reaction: $(cat "$T/err"; lastlog 1)"
E=$(store_sql "$CDB" "SELECT id FROM entries LIMIT 1")
fb "$CDB" tc --entry "$E" --verdict confirm
[ $rc -eq 2 ] && grep -q "has no feedback API" "$T/err" && ok "tcap: no feedback API" || bad "tcap: feedback rc=$rc"

# ----------------------------------------------------- secrets stay out
"$VIGIL" exchange list --db "$NDB" --json >>"$T/all_output"
for db in "$NDB" "$SDB" "$TDB" "$CDB"; do "$VIGIL" exchange show --db "$db" "$(store_sql "$db" 'SELECT name FROM exchanges LIMIT 1')" >>"$T/all_output"; done
# On PostgreSQL, what each database holds, dumped where the files' check
# looks.
if on_pg; then
	for db in n s t c; do pg_dump "$VIGIL_TEST_PG_BASE/$db" > "$T/$db.pgdump.db" || bad "pg_dump $db"; done
fi
leak=0
for s in $SECRETS; do
	grep -q "$s" "$T/all_output" && leak=1
	for db in "$T"/*.db; do grep -q "$s" "$db" "$db-wal" 2>/dev/null && leak=1; done
done
[ $leak -eq 0 ] && ok "no secret in any output or store" || bad "a secret leaked"
grep -q '"credentials":"env:NCMEC_CRED"' "$T/all_output" && ok "list shows the credentials reference" ||
	bad "list --json"
exit $fail
