#!/bin/sh
# Two `vigil serve` instances on one PostgreSQL database (run by
# tests/pg/pg_env.sh): a bank change made through one is matched by the
# other without a restart (LISTEN/NOTIFY + the change log), and so are
# deletes, a bank disabled from the CLI and an import. Prints how long each
# change took to show up on the other instance (measured, not asserted).
set -u
VIGIL=$1 DEMO=$2 HERE=$(dirname "$0")/../server
T=$(mktemp -d)
SPID=
APID= BPID=
trap 'for p in $APID $BPID; do kill -9 $p 2>/dev/null; done; rm -rf "$T"' EXIT
. "$HERE/lib.sh"
[ -n "${VIGIL_TEST_PG_URI:-}" ] || { echo "run me through tests/pg/pg_env.sh"; exit 77; }
export VIGIL_DB="$VIGIL_TEST_PG_URI"

ADMIN=$("$VIGIL" key create admin1 --role admin 2>/dev/null)
SUBMIT=$("$VIGIL" key create submit1 --role submit 2>/dev/null)
A="Authorization: Bearer $ADMIN" S="Authorization: Bearer $SUBMIT"
start; APID=$SPID UA=$U
start; BPID=$SPID UB=$U
SPID=

now_ms() { date +%s%3N; }
# matches_on URL HASH: how many matches the instance at URL gives for HASH.
matches_on() {
	curl -s -H "$S" -H 'Content-Type: application/json' \
		-d "{\"hashes\":[{\"type\":\"pdq\",\"value\":\"$2\"}]}" "$1/v1/match" |
		jq '.matches | length'
}
# await URL HASH N: polls until the instance gives N matches (up to 20 s);
# prints the milliseconds it took, or "never".
await() {
	t0=$(now_ms)
	for _ in $(seq 400); do
		[ "$(matches_on "$1" "$2")" = "$3" ] && { echo $(( $(now_ms) - t0 )); return 0; }
		sleep 0.05
	done
	echo never
	return 1
}

AQUA=$("$VIGIL" hash "$DEMO/known/aqua.jpg" | cut -d, -f1)
STORM=$("$VIGIL" hash "$DEMO/known/storm.jpg" | cut -d, -f1)
U=$UA
check "bank created through A" [ "$(code POST /v1/banks -H "$A" -d '{"name":"known"}')" = 201 ]
check "B matches nothing yet" [ "$(matches_on "$UB" "$AQUA")" = 0 ]
st=$(code POST /v1/banks/known/entries -H "$A" -d "[{\"type\":\"pdq\",\"value\":\"$AQUA\"}]")
ENTRY=$(jq '.entries[0].id' < "$T/body")
check "entry added through A" [ "$st" = 201 ]
ms=$(await "$UB" "$AQUA" 1); check "B matches the entry added through A (${ms} ms)" [ "$ms" != never ]
check "delete through A" [ "$(code DELETE /v1/banks/known/entries/$ENTRY -H "$A")" = 200 ]
ms=$(await "$UB" "$AQUA" 0); check "B stops matching the deleted entry (${ms} ms)" [ "$ms" != never ]
# From the CLI (a third writer): an import, then the bank disabled.
"$VIGIL" hash "$DEMO/known/storm.jpg" > "$T/list.csv"
"$VIGIL" bank import known "$T/list.csv" 2>/dev/null
ms=$(await "$UA" "$STORM" 1); check "A matches a CLI import (${ms} ms)" [ "$ms" != never ]
ms=$(await "$UB" "$STORM" 1); check "B matches a CLI import (${ms} ms)" [ "$ms" != never ]
"$VIGIL" bank disable known
ms=$(await "$UB" "$STORM" 0); check "B stops matching a disabled bank (${ms} ms)" [ "$ms" != never ]
"$VIGIL" bank enable known
ms=$(await "$UB" "$STORM" 1); check "B matches it again when enabled (${ms} ms)" [ "$ms" != never ]
# A lost connection: the server ends every session; the change made
# meanwhile is still seen (caught up by sequence number).
psql -qAt "$VIGIL_DB" -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE pid<>pg_backend_pid() AND datname=current_database()" >/dev/null
U=$UA
code POST /v1/banks/known/entries -H "$A" -d "[{\"type\":\"pdq\",\"value\":\"$AQUA\"}]" >/dev/null
ms=$(await "$UB" "$AQUA" 1); check "B catches up after its connections were cut (${ms} ms)" [ "$ms" != never ]
for p in $APID $BPID; do kill -TERM $p; wait $p || bad "server $p exit"; done
APID= BPID=
exit $fail
