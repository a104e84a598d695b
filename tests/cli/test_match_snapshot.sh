#!/bin/sh
# `vigil match --snapshot FILE`: the first run rebuilds and writes FILE, the
# next starts from it, a bank change made since is replayed, and a
# truncated, bit-flipped or foreign FILE is rebuilt, never trusted; the
# matches are the same as without --snapshot every time.
set -u
VIGIL=$1 DEMO=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export VIGIL_DB="$T/v.db"
fail=0
ok() { echo "ok - $1"; }
bad() { echo "FAIL - $1"; fail=1; }
S="$T/index.snap"

"$VIGIL" bank create known >/dev/null
"$VIGIL" hash "$DEMO/known/storm.jpg" "$DEMO/known/aqua.jpg" | "$VIGIL" bank import known - 2>/dev/null
m() { "$VIGIL" match -f csv "$@" "$DEMO/known" "$DEMO/uploads" 2>"$T/err" | sort; }
same() { m > "$T/plain"; m --snapshot "$S" > "$T/snap"; cmp -s "$T/plain" "$T/snap"; }

same && [ "$(wc -l < "$T/plain")" -ge 2 ] && grep -q "not used (.*): rebuilt" "$T/err" && [ -s "$S" ] &&
	ok "first run: no snapshot, rebuilt and written; $(wc -l < "$T/plain") matches as without" ||
	bad "first run: $(cat "$T/err") $(diff "$T/plain" "$T/snap")"
same && grep -q "used (change [0-9]*, 0 replayed)" "$T/err" &&
	ok "second run: started from the snapshot, same matches" || bad "second run: $(cat "$T/err")"

# A bank change since: replayed, and ladybird matches.
"$VIGIL" hash "$DEMO/known/ladybird.jpg" | "$VIGIL" bank import known - 2>/dev/null
same && grep -q "used (change [0-9]*, [1-9][0-9]* replayed)" "$T/err" &&
	grep -q ladybird "$T/snap" && ok "a change since is replayed: $(cat "$T/err")" ||
	bad "replay: $(cat "$T/err") $(diff "$T/plain" "$T/snap")"
same && grep -q "0 replayed" "$T/err" && ok "the snapshot was written again after the replay" ||
	bad "rewrite: $(cat "$T/err")"

# Damaged or foreign files are rebuilt.
cp "$S" "$T/good"
size=$(wc -c < "$S")
head -c $((size / 2)) "$T/good" > "$S"
same && grep -q "not used" "$T/err" && ok "truncated: rebuilt ($(cat "$T/err"))" || bad "truncated: $(cat "$T/err")"
cp "$T/good" "$S"
# one bit of the first section's data (the page after the header)
python3 -c "import sys; f = open(sys.argv[1], 'r+b'); f.seek(4100); b = f.read(1); f.seek(4100); f.write(bytes([b[0] ^ 1]))" "$S"
same && grep -q "not used.*checksum" "$T/err" && ok "a flipped bit: rebuilt ($(cat "$T/err"))" ||
	bad "flipped: $(cat "$T/err")"
cp "$T/good" "$T/other.snap"
VIGIL_DB="$T/other.db" "$VIGIL" bank create known >/dev/null
VIGIL_DB="$T/other.db" "$VIGIL" hash "$DEMO/known/storm.jpg" | VIGIL_DB="$T/other.db" "$VIGIL" bank import known - 2>/dev/null
VIGIL_DB="$T/other.db" "$VIGIL" match --snapshot "$T/other.snap" "$DEMO/known/storm.jpg" >/dev/null 2>"$T/err"
grep -q "not used" "$T/err" && ok "another store's snapshot: rebuilt ($(cat "$T/err"))" ||
	bad "foreign: $(cat "$T/err")"

"$VIGIL" match --snapshot "$T/no/such/dir/x.snap" "$DEMO/known/storm.jpg" >/dev/null 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && grep -q "not written" "$T/err" && ok "an unwritable snapshot path: matched anyway (rc 1), said" ||
	bad "unwritable: rc=$rc $(cat "$T/err")"
exit $fail
