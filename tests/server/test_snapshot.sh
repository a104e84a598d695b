#!/bin/sh
# vigil serve --snapshot: the index snapshot is written after the load and
# at shutdown; a restart starts from it and replays the changes made since
# (through the API and by the CLI while the server was down); a corrupt
# (bit-flipped, truncated) snapshot is rebuilt, and every answer is the same.
set -u
VIGIL=$1 HERE=$(dirname "$0")
T=$(mktemp -d)
SPID=
trap '[ -n "$SPID" ] && kill -9 $SPID 2>/dev/null; rm -rf "$T"' EXIT
. "$HERE/lib.sh"
export VIGIL_DB="$T/v.db"
ADMIN=$("$VIGIL" key create admin1 --role admin,submit 2>/dev/null)
A="Authorization: Bearer $ADMIN"
SNAP="$T/index.snap"
hexes() { od -An -v -N$((32 * $1)) -tx1 /dev/urandom | tr -d ' \n' | fold -w64; echo; }

"$VIGIL" bank create b >/dev/null
hexes 3000 | grep . > "$T/list1"
"$VIGIL" bank import --no-progress b "$T/list1" >/dev/null 2>&1 || bad "import"

# matched H ID: whether the server matches hash H as entry ID at distance 0
# (ID "-": by any entry).
matched() {
	code POST /v1/match -H "$A" -H 'Content-Type: application/json' \
		-d "{\"hashes\":[{\"type\":\"pdq\",\"value\":\"$1\"}]}" >/dev/null
	if [ "$2" = - ]; then
		[ "$(jq '[.matches[] | select(.distance == 0)] | length' < "$T/body")" -ge 1 ]
	else
		[ "$(jq "[.matches[] | select(.entry == $2 and .distance == 0)] | length" < "$T/body")" = 1 ]
	fi
}
# every line of FILE matched (or, with "not", none)
all_matched() {
	miss=0
	while read -r h; do
		matched "$h" - || miss=$((miss + 1))
	done < "$1"
	[ $miss -eq 0 ]
}
none_matched() {
	hit=0
	while read -r h; do
		matched "$h" - && hit=$((hit + 1))
	done < "$1"
	[ $hit -eq 0 ]
}
sample() { awk 'NR % 200 == 50' "$1"; }
waitfor() { # waitfor PATTERN: in the server log
	i=0
	until grep -q "$1" "$T/server.log"; do
		i=$((i + 1))
		[ $i -gt 400 ] && return 1
		sleep 0.05
	done
}

start --snapshot "$SNAP" --log-level info
check "no snapshot at first: rebuilt" waitfor "snapshot not used (.*no snapshot): rebuilt"
check "the snapshot is written after the load" waitfor "snapshot .* written"
check "it exists" [ -s "$SNAP" ]
sample "$T/list1" > "$T/s1"
check "imported entries match" all_matched "$T/s1"
# changes through the API
hexes 5 | grep . > "$T/api"
for h in $(cat "$T/api"); do
	[ "$(code POST /v1/banks/b/entries -H "$A" -d "[{\"type\":\"pdq\",\"value\":\"$h\"}]")" = 201 ] ||
		bad "add $h"
done
gone=$(head -1 "$T/list1")
code POST /v1/match -H "$A" -H 'Content-Type: application/json' \
	-d "{\"hashes\":[{\"type\":\"pdq\",\"value\":\"$gone\"}]}" >/dev/null
gid=$(jq '.matches[0].entry' < "$T/body")
check "delete one" [ "$(code DELETE /v1/banks/b/entries/$gid -H "$A")" = 200 ]
echo "$gone" > "$T/gone"
check "stopped cleanly" stop
check "a snapshot was written at shutdown" [ "$(grep -c 'snapshot .* written' "$T/server.log")" -ge 2 ]

# changes by the CLI while the server is down
hexes 40 | grep . > "$T/list2"
"$VIGIL" bank import --no-progress b "$T/list2" >/dev/null 2>&1 || bad "import 2"
: > "$T/server.log"
start --snapshot "$SNAP" --log-level info
check "restart: from the snapshot, the CLI's import replayed" waitfor "snapshot $SNAP: change [0-9]*, 40 replayed"
check "API adds match after the restart" all_matched "$T/api"
check "the CLI's adds match" all_matched "$T/list2"
check "imported entries still match" all_matched "$T/s1"
check "the deleted entry does not" none_matched "$T/gone"
check "stopped cleanly" stop

# a corrupt snapshot is rebuilt, with the same answers
size=$(wc -c < "$SNAP")
printf '\377' | dd of="$SNAP" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
: > "$T/server.log"
start --snapshot "$SNAP" --log-level info
check "bit-flipped: refused and rebuilt" waitfor "snapshot not used (.*checksum mismatch): rebuilt"
check "after the rebuild: the API adds match" all_matched "$T/api"
check "the CLI's adds match" all_matched "$T/list2"
check "the deleted entry does not" none_matched "$T/gone"
check "a good snapshot is written again" waitfor "snapshot .* written"
check "stopped cleanly" stop
head -c $((size / 3)) "$SNAP" > "$T/cut" && mv "$T/cut" "$SNAP"
: > "$T/server.log"
start --snapshot "$SNAP" --log-level info
check "truncated: refused and rebuilt" waitfor "snapshot not used (.*truncated.*): rebuilt"
check "after the rebuild: imported entries match" all_matched "$T/s1"
check "stopped cleanly" stop
exit $fail
