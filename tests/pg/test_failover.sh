#!/bin/sh
# Three `vigil serve` instances on one PostgreSQL database (run by
# tests/pg/pg_env.sh), a webhook receiver that takes 2 s per delivery, and
# kill -9 of the instance holding a delivery in flight: every event is
# delivered at least once (the receiver dedupes by event id), each outbox
# row is completed once, and the audit checkpoint tick (a lease) moves to
# a surviving instance, with never two checkpoints of one head.
set -u
VIGIL=$1 RECEIVER=$2 DEMO=$3 HERE=$(dirname "$0")/../server
T=$(mktemp -d)
SPID= RCV=
P1= P2= P3=
trap 'for p in $P1 $P2 $P3 $RCV; do kill -9 $p 2>/dev/null; done; rm -rf "$T"' EXIT
. "$HERE/lib.sh"
[ -n "${VIGIL_TEST_PG_URI:-}" ] || { echo "run me through tests/pg/pg_env.sh"; exit 77; }
export VIGIL_DB="$VIGIL_TEST_PG_URI"
q() { store_sql "$VIGIL_DB" "$1"; }
wait_for() { i=0; while ! eval "$1"; do i=$((i + 1)); [ $i -gt 1200 ] && return 1; sleep 0.05; done; }

"$VIGIL" hash "$DEMO/known/aqua.jpg" > "$T/aqua.csv"
"$VIGIL" bank create blocked --action block >/dev/null &&
	"$VIGIL" bank import blocked "$T/aqua.csv" 2>/dev/null || bad "bank"
SUB=$("$VIGIL" key create uploader --role submit 2>/dev/null | tail -1)
ADM=$("$VIGIL" key create ops --role admin 2>/dev/null | tail -1)
"$VIGIL" audit keygen --key "$T/key" >/dev/null || bad "audit key"

python3 "$RECEIVER" "$T/rport" "$T/rlog" s3cret & RCV=$!
wait_for '[ -s "$T/rport" ]' || { echo "receiver did not start"; exit 1; }
RPORT=$(cat "$T/rport")

# Each instance names its sessions (libpq application_name), so the test
# can tell which one holds a delivery.
for n in 1 2 3; do
	start --db "$VIGIL_DB?application_name=vigil$n" \
		--webhook-url "http://127.0.0.1:$RPORT/slow" --webhook-secret s3cret \
		--webhook-allow 127.0.0.1 --webhook-poll 50 --webhook-backoff 100 \
		--webhook-max-backoff 1 --audit-key-file "$T/key" --audit-checkpoint-interval 1
	eval "P$n=\$SPID U$n=\$U"
done
SPID=
for n in 1 2 3; do
	eval "u=\$U$n"
	check "instance $n ready" [ "$(curl -s -o /dev/null -w '%{http_code}' "$u/readyz")" = 200 ]
done

# Six blocked uploads, two through each instance: six verdict events.
for i in 1 2 3 4 5 6; do
	eval "u=\$U$(( (i - 1) % 3 + 1 ))"
	curl -s -o /dev/null -H "Authorization: Bearer $SUB" -F "file=@$DEMO/known/aqua.jpg" \
		-F "context={\"content_id\":\"c$i\",\"user_id\":\"u$i\"};type=application/json" \
		"$u/v1/content"
done
N=$(q "SELECT count(*) FROM outbox")
check "six events in the shared outbox" [ "$N" = 6 ]

# The first delivery in flight: its claimer is killed while the receiver
# holds the request.
wait_for 'grep -q "^arrived " "$T/rlog"' || bad "no delivery started"
EV=$(grep -m1 "^arrived " "$T/rlog" | cut -d' ' -f2)
VICTIM=$(q "SELECT a.application_name FROM outbox o JOIN pg_stat_activity a ON a.pid=o.claimed_by WHERE o.event_id='$EV'")
HELD=$(q "SELECT count(*) FROM outbox o JOIN pg_stat_activity a ON a.pid=o.claimed_by WHERE a.application_name='$VICTIM' AND o.state='pending'")
case $VICTIM in vigil[123]) ;; *) VICTIM= ;; esac
check "the delivery of $EV is claimed by one instance ($VICTIM, $HELD event(s) held)" [ -n "$VICTIM" ]
n=${VICTIM#vigil}
eval "kill -9 \$P$n; wait \$P$n 2>/dev/null; P$n="
echo "# killed instance $n"

# Every event arrives; the outbox completes each once.
wait_for '[ "$(q "SELECT count(*) FROM outbox WHERE state='"'delivered'"'")" = "$N" ]' ||
	bad "outbox: $(q "SELECT event_id,state,attempts,claimed_by FROM outbox")"
q "SELECT event_id FROM outbox ORDER BY 1" > "$T/want"
grep "^new " "$T/rlog" | cut -d' ' -f2 | sort > "$T/got"
check "every event delivered at least once ($(wc -l < "$T/got") distinct of $N)" cmp -s "$T/want" "$T/got"
DUPS=$(grep -c "^dup " "$T/rlog")
check "redelivered only what the killed instance held ($DUPS <= $HELD)" [ "$DUPS" -le "$HELD" ]
check "no event taken as new twice" [ "$(sort "$T/got" | uniq -d | wc -l)" = 0 ]
check "every row completed once, by one instance" \
	[ "$(q "SELECT count(*) FROM outbox WHERE state='delivered' AND claimed_by=0")" = "$N" ]

# The checkpoint tick is leased: after the holder dies (if it was not the
# victim, it is killed now), another instance signs the new head once its
# lease expired (2 s), and no head is ever signed twice.
OWNER=$(q "SELECT owner FROM leases WHERE name='audit.checkpoint'")
check "one instance holds the checkpoint lease ($OWNER)" [ -n "$OWNER" ]
for n in 1 2 3; do
	eval "p=\$P$n"
	if [ -n "$p" ] && echo "$OWNER" | grep -q ":$p:"; then
		kill -9 "$p"; wait "$p" 2>/dev/null; eval "P$n="; echo "# killed the lease holder, instance $n"
	fi
done
for n in 1 2 3; do eval "p=\$P$n u=\$U$n"; [ -n "$p" ] && { SURV=$u; break; }; done
curl -s -o /dev/null -H "Authorization: Bearer $ADM" -H 'Content-Type: application/json' \
	-d '{"name":"after"}' "$SURV/v1/banks"
HEAD=$(q "SELECT max(id) FROM audit")
wait_for '[ "$(q "SELECT coalesce(max(audit_id),0) FROM audit_checkpoints")" -ge "$HEAD" ]'
check "a surviving instance signs the head ($HEAD) after the holder died" \
	[ "$(q "SELECT coalesce(max(audit_id),0) FROM audit_checkpoints")" -ge "$HEAD" ]
check "the lease moved to another owner" [ "$(q "SELECT owner FROM leases WHERE name='audit.checkpoint'")" != "$OWNER" ]
check "no head signed twice" [ "$(q "SELECT count(*) FROM (SELECT audit_id FROM audit_checkpoints GROUP BY 1 HAVING count(*)>1) d")" = 0 ]
out=$("$VIGIL" audit verify --key "$T/key") && ok "the trail of three instances verifies: $out" || bad "verify: $out"

for n in 1 2 3; do
	eval "p=\$P$n"
	[ -n "$p" ] && { kill -TERM "$p"; wait "$p" || bad "instance $n exit"; eval "P$n="; }
done
exit $fail
