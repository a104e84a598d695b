#!/bin/sh
# kill -9 while entries are being added through the API, then restart:
# every entry whose request got a 2xx is stored and matched.
set -u
VIGIL=$1 HERE=$(dirname "$0")
T=$(mktemp -d)
SPID=
trap '[ -n "$SPID" ] && kill -9 $SPID 2>/dev/null; rm -rf "$T"' EXIT
. "$HERE/lib.sh"
export VIGIL_DB="$T/v.db"
ADMIN=$("$VIGIL" key create admin1 --role admin,submit 2>/dev/null)
A="Authorization: Bearer $ADMIN"

start
[ "$(code POST /v1/banks -H "$A" -d '{"name":"b"}')" = 201 ] || bad "create bank"
# Two writers add random hashes one request at a time and log each 201.
writer() {
	i=0
	while [ $i -lt 100000 ]; do
		h=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
		st=$(curl -s -o "$T/w$1.body" -w '%{http_code}' -H "$A" \
			-d "[{\"type\":\"pdq\",\"value\":\"$h\"}]" "$U/v1/banks/b/entries")
		[ "$st" = 201 ] || break
		echo "$h $(jq '.entries[0].id' < "$T/w$1.body")" >> "$T/acked$1"
		i=$((i + 1))
	done
}
writer 1 & W1=$!
writer 2 & W2=$!
# Kill once a few dozen entries are acknowledged (a count, not a time).
while [ "$(cat "$T"/acked* 2>/dev/null | wc -l)" -lt 40 ]; do sleep 0.05; done
kill -9 $SPID
wait $SPID 2>/dev/null
SPID=
wait $W1 $W2
cat "$T"/acked* > "$T/acked"
n=$(wc -l < "$T/acked")
check "entries were acknowledged before the kill ($n)" [ "$n" -ge 40 ]

start
missing=0
while read -r h id; do
	code POST /v1/match -H "$A" -H 'Content-Type: application/json' \
		-d "{\"hashes\":[{\"type\":\"pdq\",\"value\":\"$h\"}]}" >/dev/null
	[ "$(jq "[.matches[] | select(.entry == $id and .distance == 0)] | length" < "$T/body")" = 1 ] ||
		missing=$((missing + 1))
done < "$T/acked"
check "after kill -9 and restart every acknowledged entry is stored and matched ($missing missing)" [ $missing -eq 0 ]
code GET /v1/banks/b -H "$A" >/dev/null
check "the bank holds at least the acknowledged entries" [ "$(jq .entries < "$T/body")" -ge "$n" ]
stop
exit $fail
