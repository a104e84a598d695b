#!/bin/sh
# Finished shared work is pruned after work_retention (default 7 days), by
# one instance at a time: two `vigil serve` instances on one store
# (PostgreSQL when run by tests/pg/pg_env.sh, else one SQLite file) with
# rows of every state, some finished 8 days ago, some now. Old done, failed
# and removed rows go; a recent finished row and an old open one stay; one
# instance pruned (lease work.prune), the other skipped. (The open rows are
# of a kind no instance takes over, so that they stay as stored.)
set -u
VIGIL=$1 HERE=$(dirname "$0")
T=$(mktemp -d)
SPID= P1= P2=
trap 'for p in $P1 $P2; do kill -9 $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"' EXIT
. "$HERE/lib.sh"
command -v jq >/dev/null || { echo "SKIP: jq not installed"; exit 77; }
if on_pg; then export VIGIL_DB="$VIGIL_TEST_PG_URI"; else export VIGIL_DB="$T/v.db"; fi
q() { store_sql "$VIGIL_DB" "$1"; }
wait_for() { i=0; while ! eval "$1"; do i=$((i + 1)); [ $i -gt ${2:-600} ] && return 1; sleep 0.05; done; }

MET=$("$VIGIL" key create scrape --role metrics 2>/dev/null | tail -1)
[ -n "$MET" ] || { bad "key create"; exit 1; }
NOW=$(date +%s%3N)
OLD=$((NOW - 8 * 86400 * 1000))
row() { echo "('$1','$2','$3','',$4,$4)"; }
q "INSERT INTO shared_work(id, kind, state, owner, created, updated) VALUES
	$(row old-done video done $OLD), $(row old-failed video failed $OLD),
	$(row old-removed stream removed $OLD), $(row new-done video done $NOW),
	$(row old-queued test queued $OLD), $(row old-running test running $OLD)" ||
	{ bad "rows"; exit 1; }
check "six rows stored" [ "$(q "SELECT count(*) FROM shared_work")" = 6 ]

start; P1=$SPID U1=$U
start; P2=$SPID U2=$U
SPID=
metric() { # metric NAME: its sum over both instances
	t=0
	for u in "$U1" "$U2"; do
		v=$(curl -s -H "Authorization: Bearer $MET" "$u/metrics" | awk -v n="$1" '$1 == n { print $2 }')
		t=$((t + ${v:-0}))
	done
	echo $t
}
wait_for '[ $(( $(metric vigil_work_prunes_total) + $(metric vigil_work_prunes_skipped_total) )) -ge 2 ]' ||
	bad "the instances did not try to prune"
check "one instance pruned ($(metric vigil_work_prunes_total)), the other skipped ($(metric vigil_work_prunes_skipped_total))" \
	[ "$(metric vigil_work_prunes_total)" = 1 -a "$(metric vigil_work_prunes_skipped_total)" = 1 ]
check "one instance holds the work.prune lease" \
	[ "$(q "SELECT count(*) FROM leases WHERE name='work.prune'")" = 1 ]
check "three rows pruned ($(metric vigil_work_pruned_total))" [ "$(metric vigil_work_pruned_total)" = 3 ]
check "old done, failed and removed rows are gone" \
	[ "$(q "SELECT count(*) FROM shared_work WHERE id IN ('old-done','old-failed','old-removed')")" = 0 ]
check "a recent finished row and old open rows stay ($(q "SELECT id FROM shared_work ORDER BY id" | tr '\n' ' '))" \
	[ "$(q "SELECT string_agg(id, ',' ORDER BY id) FROM shared_work" 2>/dev/null ||
		q "SELECT group_concat(id, ',') FROM (SELECT id FROM shared_work ORDER BY id)")" = \
		"new-done,old-queued,old-running" ]
for p in $P1 $P2; do kill -TERM $p; wait $p || bad "instance exit"; done
P1= P2=
exit $fail
