#!/bin/sh
# Private matching E1 through vigil serve (docs/private-matching.md): a device
# (tests/pm/pm_client, the public client API) makes vouchers against the
# table the server publishes; the platform's backend posts them. Below the
# threshold nothing opens; a kill -9 and restart keep every acknowledged
# voucher; at the threshold exactly the matched images' evidence opens and
# becomes a review case whose media are those evidence items only (sealed,
# shown with the review protections); non-members and synthetic vouchers
# never do. Off by default.
set -u
VIGIL=$1 CLIENT=$2 HERE=$(dirname "$0")
T=$(mktemp -d)
SPID=
trap '[ -n "$SPID" ] && kill -9 $SPID 2>/dev/null; rm -rf "$T"' EXIT
. "$HERE/lib.sh"
export VIGIL_DB="$(store_uri v)"
ADMIN=$("$VIGIL" key create admin1 --role admin 2>/dev/null)
SUB=$("$VIGIL" key create platform --role submit 2>/dev/null)
REV=$("$VIGIL" key create reviewer --role review 2>/dev/null)
A="Authorization: Bearer $ADMIN" S="Authorization: Bearer $SUB" R="Authorization: Bearer $REV"
sha() { printf '%s' "$1" | sha256sum | cut -c1-64; }
python3 -c "import secrets; print(secrets.token_hex(32))" > "$T/master.key"
chmod 600 "$T/master.key"
PM="--pm-enable 1 --master-key-file $T/master.key"
pmcases() { # the source=pm cases, as [[user_id, priority, media items], ...]
	code GET '/v1/cases?state=all' -H "$R" >/dev/null
	out="["
	for id in $(jq -r '.cases[] | select(.source == "pm") | .id' < "$T/body"); do
		code GET "/v1/cases/$id" -H "$R" >/dev/null
		[ "$out" = "[" ] || out="$out,"
		out="$out$(jq -c '[.user_id, .priority, .media]' < "$T/body")"
	done
	echo "$out]"
}

# Off unless pm_enable is set.
start
check "off by default: 404 pm_disabled" \
	[ "$(code GET /v1/pm/e1/root -H "$S")" = 404 -a "$(errcode)" = pm_disabled ]
stop || bad "clean stop"

start $PM
check "no table yet: 409 no_table" [ "$(code GET /v1/pm/e1/root -H "$S")" = 409 -a "$(errcode)" = no_table ]
# An invented list of 20 SHA-256 digests of made-up words, threshold 3.
{
	printf '{"threshold":3,"hashes":['
	i=0
	while [ $i -lt 20 ]; do
		[ $i -gt 0 ] && printf ','
		printf '{"type":"sha256","value":"%s"}' "$(sha "listed-$i")"
		i=$((i + 1))
	done
	printf ']}'
} > "$T/list.json"
check "the submit role cannot build a table (403)" \
	[ "$(code POST /v1/pm/e1/table -H "$S" --data-binary @"$T/list.json")" = 403 ]
check "admin builds the table (201)" \
	[ "$(code POST /v1/pm/e1/table -H "$A" --data-binary @"$T/list.json")" = 201 ]
ROOT=$(jq -r .root < "$T/body")
check "the reply names threshold 3 and 20 keys" \
	[ "$(jq -c '[.threshold,.keys]' < "$T/body")" = "[3,20]" ]
check "bad threshold: 400 JSON error" \
	[ "$(code POST /v1/pm/e1/table -H "$A" -d '{"threshold":0,"hashes":[]}')" = 400 -a "$(errcode)" = invalid ]
curl -s -D "$T/hdr" -o "$T/table" -H "$S" "$U/v1/pm/e1/table"
check "the table's root header is the published root" \
	grep -qi "^vigil-pm-root: $ROOT" "$T/hdr"
# The table holds no list digest in the clear.
od -An -v -tx1 "$T/table" | tr -d ' \n' > "$T/table.hex"
leak=0
i=0
while [ $i -lt 20 ]; do
	grep -q "$(sha "listed-$i" | cut -c1-16)" "$T/table.hex" && leak=$((leak + 1))
	i=$((i + 1))
done
check "no list digest (not even an 8-byte prefix) in the table ($leak)" [ $leak -eq 0 ]
check "a wrong root is refused by the device" \
	sh -c "echo 'x real sha256 $(sha listed-0) e' | '$CLIENT' vouchers '$T/table' $(sha other) '$T/st' '$T'; [ \$? -ne 0 ]"

# Alice: 2 real matches, 1 synthetic, 3 non-members, a re-send of match 1.
mkdir "$T/v"
cat > "$T/alice1" <<EOF
m1 real sha256 $(sha listed-1) ev-alice-m1
m2 real sha256 $(sha listed-2) ev-alice-m2
s1 syn sha256 $(sha unlisted-s1) ev-alice-s1
n1 real sha256 $(sha unlisted-1) ev-alice-n1
n2 real sha256 $(sha unlisted-2) ev-alice-n2
n3 real sha256 $(sha unlisted-3) ev-alice-n3
EOF
"$CLIENT" vouchers "$T/table" "$ROOT" "$T/alice.state" "$T/v" < "$T/alice1" || bad "vouchers"
post() { # post ACCOUNT NAME
	code POST "/v1/pm/e1/voucher?account=$1" -H "$S" -H 'Content-Type: application/octet-stream' \
		--data-binary @"$T/v/$2.v"
}
acks=0
for n in m1 m2 s1 n1 n2 n3 m1; do
	[ "$(post alice $n)" = 202 ] && [ "$(jq -r .status < "$T/body")" = received ] && acks=$((acks + 1))
done
check "every voucher gets the same acknowledgement ($acks/7)" [ $acks -eq 7 ]
code GET /v1/pm/e1/accounts/alice -H "$R" >/dev/null
check "below the threshold: 7 received, 3 opened (2 real + 1 synthetic, re-send once), 0 matched" \
	[ "$(jq -c '[.received,.opened,.matched,.recovered]' < "$T/body")" = "[7,3,0,false]" ]
check "below the threshold the evidence does not open (409 below_threshold)" \
	[ "$(code GET /v1/pm/e1/accounts/alice/evidence -H "$R")" = 409 -a "$(errcode)" = below_threshold ]
check "below the threshold no review case" [ "$(pmcases)" = "[]" ]
if on_pg; then
	store_sql "$VIGIL_DB" "SELECT encode(voucher,'escape') FROM pm_vouchers" > "$T/vouchers"
	check "the store holds no opened evidence in the clear" sh -c "[ -s '$T/vouchers' ] && ! grep -aq ev-alice '$T/vouchers'"
else
	check "the store holds no opened evidence in the clear" \
		sh -c "! grep -aq ev-alice '$T/v.db' '$T/v.db-wal' 2>/dev/null"
fi

# kill -9, restart: everything acknowledged is still there.
kill -9 $SPID
wait $SPID 2>/dev/null
SPID=
start $PM
code GET /v1/pm/e1/root -H "$S" >/dev/null
check "after kill -9 the same table and root" [ "$(jq -r .root < "$T/body")" = "$ROOT" ]
code GET /v1/pm/e1/accounts/alice -H "$R" >/dev/null
check "after kill -9 the account's counters are kept" \
	[ "$(jq -c '[.received,.opened,.matched]' < "$T/body")" = "[7,3,0]" ]

# The third distinct match crosses the threshold.
echo "m3 real sha256 $(sha listed-3) ev-alice-m3" |
	"$CLIENT" vouchers "$T/table" "$ROOT" "$T/alice.state" "$T/v" || bad "voucher m3"
check "third match acknowledged" [ "$(post alice m3)" = 202 ]
code GET /v1/pm/e1/accounts/alice -H "$R" >/dev/null
check "at the threshold: 3 matched, recovered" \
	[ "$(jq -c '[.opened,.matched,.recovered]' < "$T/body")" = "[4,3,true]" ]
check "the evidence route needs the review role (403 for submit)" \
	[ "$(code GET /v1/pm/e1/accounts/alice/evidence -H "$S")" = 403 ]
code GET /v1/pm/e1/accounts/alice/evidence -H "$R" >/dev/null
jq -r '.evidence[]' < "$T/body" | while read -r b; do printf '%s' "$b" | base64 -d; echo; done |
	sort > "$T/opened"
printf 'ev-alice-m1\nev-alice-m2\nev-alice-m3\n' > "$T/want"
check "exactly the matched images' evidence opens (no synthetic, no non-member)" cmp -s "$T/opened" "$T/want"
check "at the threshold one review case for alice, priority 90, with her 3 matched items" \
	[ "$(pmcases)" = '[["alice",90,3]]' ]
CASE=$(jq -r .id < "$T/body")
code GET "/v1/cases/$CASE" -H "$R" >/dev/null
check "the case's context names the account, its matches the count" \
	[ "$(jq -c '[.contexts[0].user_id, .matches[-1].type, .matches[-1].matched]' < "$T/body")" = '["alice","pm_e1",3]' ]
check "the protected view of a non-image item: 415 no_derivative, no bytes" \
	sh -c "[ \"\$(curl -s -o '$T/pv' -w '%{http_code}' -H '$R' '$U/v1/cases/$CASE/media/1')\" = 415 ] && ! grep -aq ev-alice '$T/pv'"
check "an original needs the claim (409 not_claimed)" \
	[ "$(code GET "/v1/cases/$CASE/media/1?view=original" -H "$R")" = 409 -a "$(errcode)" = not_claimed ]
check "the reviewer claims the case" [ "$(code POST "/v1/cases/$CASE/claim" -H "$R")" = 200 ]
: > "$T/orig"
for n in 1 2 3; do
	curl -s -H "$R" "$U/v1/cases/$CASE/media/$n?view=original" >> "$T/orig"
	echo >> "$T/orig"
done
sort "$T/orig" > "$T/orig.sorted"
check "the case's 3 originals are exactly the matched evidence" cmp -s "$T/orig.sorted" "$T/want"
# Bob: 2 matches on his own account stay closed.
printf 'b1 real sha256 %s ev-bob-1\nb2 real sha256 %s ev-bob-2\n' "$(sha listed-5)" "$(sha listed-6)" |
	"$CLIENT" vouchers "$T/table" "$ROOT" "$T/bob.state" "$T/v" || bad "bob vouchers"
post bob b1 >/dev/null
post bob b2 >/dev/null
check "another account's 2 matches stay closed" \
	[ "$(code GET /v1/pm/e1/accounts/bob/evidence -H "$R")" = 409 ]
check "bob has no review case" [ "$(pmcases)" = '[["alice",90,3]]' ]
# A fourth match after the threshold, its evidence a small image: it joins
# alice's case, and reviewers see it through the protections.
python3 - "$T/ev.png" <<'PY'
import struct, sys, zlib
w = h = 16
raw = b"".join(b"\0" + bytes((x * 16 + y * 8) % 256 for x in range(w)) for y in range(h))
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) + \
    chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
open(sys.argv[1], "wb").write(png)
PY
echo "m4 real sha256 $(sha listed-4) @$T/ev.png" |
	"$CLIENT" vouchers "$T/table" "$ROOT" "$T/alice.state" "$T/v" || bad "voucher m4"
check "fourth match acknowledged" [ "$(post alice m4)" = 202 ]
check "it joins alice's case: 4 items" [ "$(pmcases)" = '[["alice",90,4]]' ]
curl -s -D "$T/ph" -o "$T/p4" -H "$R" "$U/v1/cases/$CASE/media/4"
check "the image item's protected view is a PNG derivative, not the original" \
	sh -c "grep -qi '^content-type: image/png' '$T/ph' && ! cmp -s '$T/p4' '$T/ev.png'"
curl -s -o "$T/o4" -H "$R" "$U/v1/cases/$CASE/media/4?view=original"
check "its original (claimed) is the device's evidence" cmp -s "$T/o4" "$T/ev.png"
if on_pg; then
	store_sql "$VIGIL_DB" "SELECT encode(sealed,'escape') FROM case_media" > "$T/media"
	check "the case media are sealed in the store" sh -c "[ -s '$T/media' ] && ! grep -aq ev-alice '$T/media'"
else
	check "the case media are sealed in the store" \
		sh -c "! grep -aq ev-alice '$T/v.db' '$T/v.db-wal' 2>/dev/null"
fi

# Limits and errors.
head -c 100 /dev/urandom > "$T/short"
check "a body that is not a voucher: 400 bad_voucher" \
	[ "$(code POST /v1/pm/e1/voucher?account=bob -H "$S" --data-binary @"$T/short")" = 400 -a "$(errcode)" = bad_voucher ]
head -c 70000 /dev/zero > "$T/big"
check "a body over the route's ceiling: 413" \
	[ "$(code POST /v1/pm/e1/voucher?account=bob -H "$S" --data-binary @"$T/big")" = 413 ]
check "a bad account name: 400" \
	[ "$(code POST '/v1/pm/e1/voucher?account=a%20b' -H "$S" --data-binary @"$T/v/b1.v")" = 400 ]
check "unknown account: 404" [ "$(code GET /v1/pm/e1/accounts/carol -H "$R")" = 404 ]
check "no voucher content in the server log" sh -c "! grep -aq 'ev-' '$T/server.log'"
stop || bad "clean stop"
exit $fail
