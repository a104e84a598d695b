#!/bin/sh
# F2 with its two servers as two `vigil pm-server` processes on ephemeral
# loopback ports (docs/private-matching.md), and a device (tests/pm/pm_f2_client) against
# them with an invented list of random PDQ hashes: below the threshold
# nothing opens, at it exactly the matched images' evidence opens at the
# platform (never at the custodian, never a non-member's). Also: refused
# without the research-grade flag, a peer with another list is refused, an
# oversized frame is refused unread, SIGTERM stops both with status 0; with
# --state, a kill -9 of both loses no account share (the threshold is
# reached across the restart) and two states out of step refuse each other.
set -u
VIGIL=$1 CLIENT=$2 HERE=$(dirname "$0")
T=$(mktemp -d)
P0= P1= SPID=
trap '[ -n "$P0" ] && kill -9 $P0 2>/dev/null; [ -n "$P1" ] && kill -9 $P1 2>/dev/null; [ -n "$SPID" ] && kill -9 $SPID 2>/dev/null; rm -rf "$T"' EXIT
. "$HERE/../server/lib.sh"

"$CLIENT" gen "$T/list.hex" "$T/seed.hex" 500 || { echo "FAIL - gen"; exit 1; }
"$CLIENT" gen "$T/other.hex" "$T/seed2.hex" 500 || exit 1
COMMON="--hashes $T/list.hex --seed-file $T/seed.hex --threshold 3"

"$VIGIL" pm-server --role platform $COMMON --listen 127.0.0.1:0 > "$T/off.out" 2> "$T/off.err"
check "refused without --i-understand-research-grade (exit 2)" [ $? = 2 ]
check "  and says why" grep -q "i-understand-research-grade" "$T/off.err"

# addr LOG: the address from the "listening on" line, waiting for it.
addr() {
	i=0
	while [ $i -lt 600 ]; do
		a=$(sed -n 's/.* listening on \([^ ]*\) .*/\1/p' "$1")
		[ -n "$a" ] && { echo "$a"; return 0; }
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

python3 -c "import secrets; print(secrets.token_hex(32))" > "$T/mk"
chmod 600 "$T/mk"
PDB=$(store_uri p) # the platform's review store: SQLite, or PostgreSQL under pg/pm-server
"$VIGIL" pm-server --role platform $COMMON --listen 127.0.0.1:0 --db "$PDB" \
	--i-understand-research-grade > "$T/bad.out" 2> "$T/bad.err"
check "the platform's --db without --master-key is refused (exit 2)" [ $? = 2 ]
# The platform with a review store: opened evidence becomes a case there.
"$VIGIL" pm-server --role platform $COMMON --listen 127.0.0.1:0 --db "$PDB" \
	--master-key "$T/mk" --i-understand-research-grade > "$T/p1.out" 2> "$T/p1.err" &
P1=$!
A1=$(addr "$T/p1.out") || { bad "platform did not start"; cat "$T/p1.err"; exit 1; }

# A custodian built from another list is refused by the platform.
"$VIGIL" pm-server --role custodian --hashes "$T/other.hex" --seed-file "$T/seed.hex" \
	--threshold 3 --listen 127.0.0.1:0 --peer "$A1" --i-understand-research-grade \
	> "$T/bad.out" 2> "$T/bad.err"
check "a custodian with another list is refused (exit 1)" [ $? = 1 ]
check "  and says so" grep -q "refused us" "$T/bad.err"

"$VIGIL" pm-server --role custodian $COMMON --listen 127.0.0.1:0 --peer "$A1" \
	--i-understand-research-grade > "$T/p0.out" 2> "$T/p0.err" &
P0=$!
A0=$(addr "$T/p0.out") || { bad "custodian did not start"; cat "$T/p0.err"; exit 1; }
i=0
while ! grep -q "peer connected" "$T/p0.err" && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
check "the custodian connected to the platform" grep -q "peer connected" "$T/p0.err"

"$CLIENT" run "$A0" "$A1" "$T/list.hex" "$PDB" "$T/mk" > "$T/run.out" 2>&1
check "below k nothing opens (no case in the store); at k exactly the matches open at the platform, as one review case" [ $? = 0 ]
cat "$T/run.out"
"$CLIENT" oversize "$A1" > "$T/big.out" 2>&1
check "an oversized frame is refused unread and the platform keeps serving" [ $? = 0 ]
cat "$T/big.out"

kill -TERM $P0 $P1
wait $P0; r0=$?
wait $P1; r1=$?
P0= P1=
check "SIGTERM: the custodian stops with status 0" [ $r0 = 0 ]
check "SIGTERM: the platform stops with status 0" [ $r1 = 0 ]

if on_pg; then
	check "the review case's items are sealed in the store (no evidence in the clear)" \
		[ "$(store_sql "$PDB" "SELECT count(*), count(*) FILTER (WHERE position('ev-a-'::bytea in sealed) > 0) FROM case_media")" = "4|0" ]
else
	check "the review case's items are sealed in the store (no evidence in the clear)" \
		sh -c "[ -s '$PDB' ] && ! grep -aq ev-a- '$PDB'"
fi
check "the platform logged the case opening and its join" \
	sh -c "grep -q 'case [0-9]* opened' '$T/p1.err' && grep -q 'case [0-9]* joined' '$T/p1.err'"

# The platform's reviewers: vigil serve on the platform's store, with the
# same master key, shows the F2 case through the case routes with the
# review protections (alice: her 3 matches and the later one).
REV=$(VIGIL_DB="$PDB" "$VIGIL" key create reviewer --role review 2>/dev/null)
R="Authorization: Bearer $REV"
VIGIL_DB="$PDB" start --master-key-file "$T/mk"
code GET '/v1/cases?state=all' -H "$R" > /dev/null
CASE=$(jq -r '[.cases[] | select(.source == "pm")] | if length == 1 then .[0].id else "none" end' < "$T/body")
code GET "/v1/cases/$CASE" -H "$R" > /dev/null
check "vigil serve lists one pm case: alice's, priority 90, 4 items, match type pm_f2" \
	[ "$(jq -c '[.user_id, .priority, .media, .contexts[0].surface, .matches[-1].type]' < "$T/body")" = '["alice",90,4,"pm-f2","pm_f2"]' ]
check "the protected view of a non-image item: 415, no bytes" \
	sh -c "[ \"\$(curl -s -o '$T/pv' -w '%{http_code}' -H '$R' '$U/v1/cases/$CASE/media/1')\" = 415 ] && ! grep -aq ev-a '$T/pv'"
check "an original needs the claim (409)" [ "$(code GET "/v1/cases/$CASE/media/1?view=original" -H "$R")" = 409 ]
check "the reviewer claims the case" [ "$(code POST "/v1/cases/$CASE/claim" -H "$R")" = 200 ]
: > "$T/orig"
for n in 1 2 3 4; do
	curl -s -H "$R" "$U/v1/cases/$CASE/media/$n?view=original" >> "$T/orig"
	echo >> "$T/orig"
done
printf 'ev-a-late\nev-a-m0\nev-a-m1\nev-a-m2\n' > "$T/want"
sort "$T/orig" > "$T/orig.sorted"
check "the case's originals are exactly alice's matched evidence" cmp -s "$T/orig.sorted" "$T/want"
stop || bad "vigil serve did not stop cleanly"

# --state: kill -9 of both servers between the (k-1)-th and the k-th match.
"$VIGIL" pm-server --role platform $COMMON --listen 127.0.0.1:0 --state "$T/s1" \
	--i-understand-research-grade > "$T/bad.out" 2> "$T/bad.err"
check "--state without --master-key is refused (exit 2)" [ $? = 2 ]
pair() { # pair CUSTODIAN-STATE PLATFORM-STATE TAG: starts both, sets P0 P1 A0 A1
	"$VIGIL" pm-server --role platform $COMMON --listen 127.0.0.1:0 --state "$2" \
		--master-key "$T/mk" --i-understand-research-grade > "$T/p1$3.out" 2> "$T/p1$3.err" &
	P1=$!
	A1=$(addr "$T/p1$3.out") || { bad "platform did not start"; cat "$T/p1$3.err"; exit 1; }
	"$VIGIL" pm-server --role custodian $COMMON --listen 127.0.0.1:0 --peer "$A1" --state "$1" \
		--master-key "$T/mk" --i-understand-research-grade > "$T/p0$3.out" 2> "$T/p0$3.err" &
	P0=$!
	A0=$(addr "$T/p0$3.out") || { bad "custodian did not start"; cat "$T/p0$3.err"; exit 1; }
	i=0
	while ! grep -q "peer connected" "$T/p0$3.err" && [ $i -lt 300 ]; do
		kill -0 $P0 2>/dev/null || break
		sleep 0.1; i=$((i + 1))
	done
}
killboth() { kill -9 $P0 $P1 2>/dev/null; wait $P0 $P1 2>/dev/null; P0= P1=; }
pair "$T/s0" "$T/s1" a
"$CLIENT" persist "$A0" "$A1" "$T/list.hex" 1 > "$T/ps1.out" 2>&1
check "with --state: k-1 matches, nothing opens" [ $? = 0 ]
cat "$T/ps1.out"
killboth
cp "$T/s0" "$T/s0.old"
pair "$T/s0" "$T/s1" b
check "after kill -9 both restore their state" \
	sh -c "grep -q 'state restored' '$T/p0b.err' && grep -q 'state restored' '$T/p1b.err'"
"$CLIENT" persist "$A0" "$A1" "$T/list.hex" 2 > "$T/ps2.out" 2>&1
check "after the restart the k-th match opens exactly carol's k (a re-sent one not counted)" [ $? = 0 ]
cat "$T/ps2.out"
killboth
check "the state files are sealed (the opened evidence not in the clear)" \
	sh -c "[ -s '$T/s0' ] && [ -s '$T/s1' ] && ! grep -aq ev-c '$T/s0' '$T/s1'"
# The custodian back at the old state, the platform at the new: refused.
"$VIGIL" pm-server --role platform $COMMON --listen 127.0.0.1:0 --state "$T/s1" \
	--master-key "$T/mk" --i-understand-research-grade > "$T/p1c.out" 2> "$T/p1c.err" &
P1=$!
A1=$(addr "$T/p1c.out") || { bad "platform did not start"; cat "$T/p1c.err"; exit 1; }
timeout 30 "$VIGIL" pm-server --role custodian $COMMON --listen 127.0.0.1:0 --peer "$A1" \
	--state "$T/s0.old" --master-key "$T/mk" --i-understand-research-grade \
	> "$T/p0c.out" 2> "$T/p0c.err"
check "states out of step: the custodian is refused (exit 1)" [ $? = 1 ]
check "  and says so" grep -q "out of step" "$T/p0c.err"
kill -TERM $P1; wait $P1; P1=

# --bank: both servers read the list from a bank (each from its own copy of
# the store), agree at the hello and serve queries.
VIGIL_DB="$T/b.db" "$VIGIL" bank create f2list > /dev/null &&
	VIGIL_DB="$T/b.db" "$VIGIL" bank import f2list "$T/list.hex" > /dev/null || bad "bank import"
cp "$T/b.db" "$T/b2.db"
BANK="--seed-file $T/seed.hex --threshold 3 --bank f2list"
"$VIGIL" pm-server --role platform $BANK --db "$T/b.db" --master-key "$T/mk" --listen 127.0.0.1:0 \
	--i-understand-research-grade > "$T/p1d.out" 2> "$T/p1d.err" &
P1=$!
A1=$(addr "$T/p1d.out") || { bad "platform (--bank) did not start"; cat "$T/p1d.err"; exit 1; }
"$VIGIL" pm-server --role custodian $BANK --db "$T/b2.db" --listen 127.0.0.1:0 --peer "$A1" \
	--i-understand-research-grade > "$T/p0d.out" 2> "$T/p0d.err" &
P0=$!
A0=$(addr "$T/p0d.out") || { bad "custodian (--bank) did not start"; cat "$T/p0d.err"; exit 1; }
check "--bank: the tables are built from the bank's 500 PDQ entries" grep -q "(500 hashes" "$T/p1d.out"
"$CLIENT" persist "$A0" "$A1" "$T/list.hex" 1 > "$T/pd.out" 2>&1
check "--bank: both agree at the hello and serve queries" [ $? = 0 ]
kill -TERM $P0 $P1; wait $P0 $P1; P0= P1=
"$VIGIL" pm-server --role platform $BANK --hashes "$T/list.hex" --listen 127.0.0.1:0 \
	--i-understand-research-grade > /dev/null 2> "$T/both.err"
check "--bank and --hashes together are refused (exit 2)" [ $? = 2 ]
check "no sanitizer report from any server" sh -c "! grep -q Sanitizer $T/*.err"
[ $fail = 0 ] || { echo "--- custodian"; cat "$T/p0.err"; echo "--- platform"; cat "$T/p1.err"; }
exit $fail
