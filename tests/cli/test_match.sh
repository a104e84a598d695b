#!/bin/sh
# End-to-end: `vigil match` on a temporary store: exit codes (0 no match,
# 1 matched, 2 usage, 3 error), nothing to match against is an error, and
# bad inputs (truncated videos, FIFOs, unbounded or hostile stdin).
set -u
VIGIL=$1 VEC=$2 DEMO=$3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export VIGIL_DB="$T/v.db"
fail=0
ok() { echo "ok - $1"; }
bad() { echo "FAIL - $1"; fail=1; }
known="$DEMO/known/storm.jpg"

# Nothing to match against: a missing store is an error and is not created.
"$VIGIL" match --db "$T/typo.db" "$known" >"$T/m" 2>"$T/err"; rc=$?
[ $rc -eq 3 ] && [ ! -e "$T/typo.db" ] && grep -q "no store" "$T/err" &&
	ok "missing store: error, not created" || bad "missing store: rc=$rc $(ls "$T") $(cat "$T/err")"
"$VIGIL" match --hash md5:d41d8cd98f00b204e9800998ecf8427e 2>"$T/err"; rc=$?
[ $rc -eq 3 ] && [ ! -e "$T/v.db" ] && ok "missing default store: error" || bad "missing default store: rc=$rc"
"$VIGIL" bank create empty >/dev/null
"$VIGIL" match "$known" 2>"$T/err"; rc=$?
[ $rc -eq 3 ] && grep -q "no hashes" "$T/err" && ok "empty bank: error" || bad "empty bank: rc=$rc $(cat "$T/err")"
"$VIGIL" hash -a md5 "$known" | cut -d, -f2 | "$VIGIL" bank import empty - 2>/dev/null
"$VIGIL" bank disable empty
"$VIGIL" match "$known" 2>"$T/err"; rc=$?
[ $rc -eq 3 ] && grep -q "no enabled bank" "$T/err" && ok "no enabled bank: error" || bad "no enabled bank: rc=$rc $(cat "$T/err")"
"$VIGIL" bank enable empty

# Exit codes: 1 matched, 0 no match, 3 error (wins over matched), 2 usage.
"$VIGIL" match "$known" >"$T/m"; rc=$?
[ $rc -eq 1 ] && grep -q MATCH "$T/m" && ok "matched: 1" || bad "matched: rc=$rc"
"$VIGIL" match "$DEMO/uploads/dune.jpg" >"$T/m"; rc=$?
[ $rc -eq 0 ] && [ ! -s "$T/m" ] && ok "no match: 0" || bad "no match: rc=$rc"
"$VIGIL" match "$known" "$T/missing.jpg" >"$T/m" 2>/dev/null; rc=$?
[ $rc -eq 3 ] && grep -q MATCH "$T/m" && ok "matched + error: 3, match printed" || bad "matched + error: rc=$rc"
"$VIGIL" match --hash md5:d41d8cd98f00b204e9800998ecf8427e; rc=$?
[ $rc -eq 0 ] && ok "--hash no match: 0" || bad "--hash no match: rc=$rc"
# A hash given as hex has no dihedral variants (they need the pixels): it
# is matched as it is, never as seven extra all-zero "variants" that would
# hit every flat-image hash in a bank (and cost seven extra searches).
zero=0000000000000000000000000000000000000000000000000000000000000000
"$VIGIL" bank create flat >/dev/null
echo "$zero" | "$VIGIL" bank import flat - 2>/dev/null
"$VIGIL" match --hash "$zero" >"$T/m"; rc=$?
[ $rc -eq 1 ] && grep -q "variant=orig" "$T/m" && ok "--hash pdq: matched as is" || bad "--hash pdq as is: rc=$rc $(cat "$T/m")"
ones=ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
"$VIGIL" match --hash "$ones" >"$T/m"; rc=$?
[ $rc -eq 0 ] && [ ! -s "$T/m" ] && ok "--hash pdq: no phantom dihedral variants" || bad "--hash phantom variants: rc=$rc $(cat "$T/m")"
echo "$ones" | "$VIGIL" match --hash - >"$T/m"; rc=$?
[ $rc -eq 0 ] && [ ! -s "$T/m" ] && ok "--hash -: no phantom dihedral variants" || bad "--hash - phantom variants: rc=$rc $(cat "$T/m")"
"$VIGIL" match --bogus 2>/dev/null; rc=$?
[ $rc -eq 2 ] && ok "usage: 2" || bad "usage: rc=$rc"
"$VIGIL" match --help | grep -q "Exit status: 0" && ok "--help documents exit codes" || bad "--help exit codes"
"$VIGIL" help --man | grep -q "^.B 3$" && ok "man page documents exit codes" || bad "man exit codes"

# A truncated copy of a known video: the frames read are matched and
# printed, then the truncation is reported (exit 3).
"$VIGIL" bank create vids >/dev/null
"$VIGIL" bank import vids "$VEC/vpdq/hashes-debian12/chair-20-sd-bar-1s.txt" 2>/dev/null
head -c 1175152 "$VEC/vpdq/videos/chair-20-sd-bar.mp4" > "$T/trunc.mp4"
"$VIGIL" match --video -f jsonl "$T/trunc.mp4" >"$T/m" 2>"$T/err"; rc=$?
[ $rc -eq 3 ] && grep -q '"bank":"vids",.*"type":"vpdq"' "$T/m" && grep -q "trunc.mp4" "$T/err" &&
	ok "truncated video: matches, then the error" || bad "truncated video: rc=$rc $(cat "$T/m" "$T/err")"

mkfifo "$T/fifo.jpg"
timeout 20 "$VIGIL" match "$T/fifo.jpg" 2>"$T/err"; rc=$?
[ $rc -eq 3 ] && grep -q "not a regular file" "$T/err" && ok "match: FIFO refused" || bad "match FIFO: rc=$rc $(cat "$T/err")"
timeout 20 "$VIGIL" match --video "$T/fifo.jpg" 2>"$T/err"; rc=$?
[ $rc -eq 3 ] && grep -q "not a regular file" "$T/err" && ok "match --video: FIFO refused" || bad "match --video FIFO: rc=$rc $(cat "$T/err")"

# match -f csv quotes a name with a comma (RFC 4180).
cp "$known" "$T/x,y.jpg"
"$VIGIL" match -f csv "$T/x,y.jpg" > "$T/m"
python3 -c 'import csv,sys; r=list(csv.reader(open(sys.argv[1], newline=""))); sys.exit(not (r and all(len(x) == 7 and x[0].endswith("x,y.jpg") for x in r)))' "$T/m" &&
	ok "match csv quoting" || bad "match csv quoting: $(cat "$T/m")"

# Unbounded standard input ends: NUL bytes at once, bad lines after
# --max-bad, everything after --max-bytes.
timeout 60 "$VIGIL" match --hash - < /dev/zero 2>"$T/err"; rc=$?
[ $rc -eq 3 ] && grep -q "NUL byte" "$T/err" && ok "match --hash - < /dev/zero stops" || bad "match /dev/zero: rc=$rc $(head -c 300 "$T/err")"
yes xyz | timeout 60 "$VIGIL" match --hash - >/dev/null 2>"$T/err"; rc=$?
[ $rc -eq 3 ] && grep -q "giving up after 1000 bad lines" "$T/err" && ok "endless bad lines stop" || bad "bad lines: rc=$rc $(tail -c 300 "$T/err")"
yes d41d8cd98f00b204e9800998ecf8427e | timeout 60 "$VIGIL" match --max-bytes 100000 --hash - >/dev/null 2>"$T/err"; rc=$?
[ $rc -eq 3 ] && grep -q "more than 100000 bytes" "$T/err" && ok "match --hash - --max-bytes" || bad "match --max-bytes: rc=$rc $(tail -c 300 "$T/err")"

# A bad line is echoed with its control bytes escaped (\xNN), never raw:
# a terminal would run the escape sequences in it.
printf 'ab\033[31mcd\001\n' | "$VIGIL" match --hash - 2>"$T/err"
grep -q 'ab\\x1b\[31mcd\\x01' "$T/err" && ! grep -q "$(printf '\033')" "$T/err" &&
	ok "bad lines escaped" || bad "bad lines escaped: $(od -c "$T/err" | head -5)"
mkfifo "$T/$(printf 'esc\033]0;x\007.jpg')"
"$VIGIL" hash "$T" >/dev/null 2>"$T/err"
grep -q 'esc\\x1b' "$T/err" && ! grep -q "$(printf '\033')" "$T/err" &&
	ok "file names escaped in messages" || bad "file names escaped: $(od -c "$T/err" | head -5)"
exit $fail
