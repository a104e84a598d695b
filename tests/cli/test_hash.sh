#!/bin/sh
# End-to-end: the real `vigil hash` binary over the reference images and the
# format samples: output formats, ordering with -j, errors and exit codes.
set -u
VIGIL=$1 VEC=$2 DATA=$3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
ok() { echo "ok - $1"; }
bad() { echo "FAIL - $1"; fail=1; }

# Reference CSV, exactly, in both flavours (paths relative to the vectors).
(cd "$VEC" && "$VIGIL" hash $(cut -d, -f3 expected-reference-cpp-fullsize.csv)) > "$T/full.csv"
cmp -s "$T/full.csv" "$VEC/expected-reference-cpp-fullsize.csv" && ok "full-size csv" || bad "full-size csv"
(cd "$VEC" && "$VIGIL" hash -j 1 --downsample 512 $(cut -d, -f3 expected-reference-cpp.csv)) > "$T/512.csv"
cmp -s "$T/512.csv" "$VEC/expected-reference-cpp.csv" && ok "512 csv" || bad "512 csv"

# Directories are walked recursively, in name order, same for any -j.
"$VIGIL" hash -j 1 "$VEC" > "$T/j1.csv"
"$VIGIL" hash -j 4 "$VEC" > "$T/j4.csv"
[ "$(wc -l < "$T/j1.csv")" -eq 49 ] && ok "dir walk finds 49 images" || bad "dir walk count $(wc -l < "$T/j1.csv")"
cmp -s "$T/j1.csv" "$T/j4.csv" && ok "-j keeps order" || bad "-j order"

# All algorithms, JSON lines.
"$VIGIL" hash -a all -f jsonl "$DATA/base.png" > "$T/all.jsonl"
want_md5=$(md5sum "$DATA/base.png" | cut -d' ' -f1)
want_sha=$(sha256sum "$DATA/base.png" | cut -d' ' -f1)
grep -q "\"md5\":\"$want_md5\"" "$T/all.jsonl" && grep -q "\"sha256\":\"$want_sha\"" "$T/all.jsonl" &&
	grep -q '"pdq":"[0-9a-f]\{64\}","quality":100' "$T/all.jsonl" && ok "jsonl all algos" || bad "jsonl all algos: $(cat "$T/all.jsonl")"
"$VIGIL" hash -d "$VEC/dih/bridge-1-original.jpg" > "$T/dih.csv"
[ "$(wc -l < "$T/dih.csv")" -eq 8 ] && grep -q ',rot90$' "$T/dih.csv" && ok "dihedral csv" || bad "dihedral csv"

# A bad file among good ones: reported, the rest still hashed, exit 1.
printf 'not an image' > "$T/bad.jpg"
"$VIGIL" hash "$DATA/base.png" "$T/bad.jpg" "$DATA/base.gif" > "$T/out" 2> "$T/err"
rc=$?
[ $rc -eq 1 ] && [ "$(wc -l < "$T/out")" -eq 2 ] && grep -q "bad.jpg: not a recognised image format" "$T/err" &&
	ok "bad file reported, exit 1" || bad "bad file: rc=$rc $(cat "$T/err")"
"$VIGIL" hash "$T/missing.png" 2> "$T/err"; rc=$?
[ $rc -eq 1 ] && grep -q "No such file" "$T/err" && ok "missing file" || bad "missing file rc=$rc"
"$VIGIL" hash --max-pixels 100 "$DATA/base.png" 2> "$T/err"; rc=$?
[ $rc -eq 1 ] && grep -q "exceeds" "$T/err" && ok "--max-pixels" || bad "--max-pixels rc=$rc"

# CSV output quotes (RFC 4180) names with a comma, a quote or a newline;
# plain names stay unquoted (the reference format).
cp "$DATA/base.png" "$T/a,b.png" && cp "$DATA/base.png" "$T/q\"
n.png"
"$VIGIL" hash "$T/a,b.png" "$T/q\"
n.png" "$DATA/base.png" > "$T/q.csv"
python3 -c 'import csv,sys; r=list(csv.reader(open(sys.argv[1], newline=""))); sys.exit(not (len(r) == 3 and all(len(x) == 3 for x in r) and r[0][2].endswith("a,b.png") and r[1][2].endswith("q\"\nn.png") and not r[2][2].startswith("\"")))' "$T/q.csv" &&
	tail -n 1 "$T/q.csv" | grep -q ",$DATA/base.png\$" && ok "csv quoting" || bad "csv quoting: $(cat "$T/q.csv")"
"$VIGIL" hash -a md5,pdq "$T/a,b.png" > "$T/q.csv"
python3 -c 'import csv,sys; r=list(csv.reader(open(sys.argv[1], newline=""))); sys.exit(not all(len(x) == 5 for x in r))' "$T/q.csv" &&
	ok "csv quoting, several algorithms" || bad "csv quoting -a: $(cat "$T/q.csv")"

# Non-regular files are refused, not opened: a FIFO would block forever.
# (timeout turns a hang into exit 124, a failure.)
mkfifo "$T/fifo.jpg"
timeout 20 "$VIGIL" hash "$T/fifo.jpg" > "$T/out" 2> "$T/err"; rc=$?
[ $rc -eq 1 ] && grep -q "fifo.jpg: not a regular file" "$T/err" && ok "FIFO refused" || bad "FIFO: rc=$rc $(cat "$T/err")"
timeout 20 "$VIGIL" hash --algo vpdq "$T/fifo.jpg" > "$T/out" 2> "$T/err"; rc=$?
[ $rc -eq 1 ] && grep -q "fifo.jpg: not a regular file" "$T/err" && ok "FIFO refused (vpdq)" || bad "FIFO vpdq: rc=$rc $(cat "$T/err")"
mkdir "$T/walk" && cp "$DATA/base.png" "$T/walk/a.png" && mkfifo "$T/walk/b.jpg" && ln -s a.png "$T/walk/c.png"
timeout 20 "$VIGIL" hash "$T/walk" > "$T/out" 2> "$T/err"; rc=$?
[ $rc -eq 0 ] && [ "$(wc -l < "$T/out")" -eq 1 ] && grep -q "walk/b.jpg: skipped: a FIFO" "$T/err" &&
	grep -q "walk/c.png: skipped: a symbolic link" "$T/err" && ok "walk says what it skipped" || bad "walk skip: rc=$rc $(cat "$T/err")"

# Standard input: 'hash -' hashes what it reads, as a file would be.
"$VIGIL" hash -a pdq,md5 - < "$DATA/base.png" > "$T/stdin.csv" 2>"$T/err"; rc=$?
"$VIGIL" hash -a pdq,md5 "$DATA/base.png" > "$T/file.csv"
[ $rc -eq 0 ] && [ "$(cut -d, -f1-3 "$T/stdin.csv")" = "$(cut -d, -f1-3 "$T/file.csv")" ] && grep -q ',-,' "$T/stdin.csv" &&
	ok "hash - reads standard input" || bad "hash -: rc=$rc $(cat "$T/stdin.csv" "$T/err")"
# An error names the file once.
"$VIGIL" hash "$T/nosuch.png" 2>"$T/err"
[ "$(grep -o nosuch.png "$T/err" | wc -l)" -eq 1 ] && ok "path printed once" || bad "path twice: $(cat "$T/err")"
"$VIGIL" hash "$T" "$T/fifo.jpg" >/dev/null 2>"$T/err"
[ "$(grep -c 'fifo.jpg.*fifo.jpg' "$T/err")" -eq 0 ] && ok "path printed once (refused FIFO)" || bad "path twice: $(cat "$T/err")"
# help --help, and where the man page is.
"$VIGIL" help --help > "$T/help" && grep -q "Usage: vigil help" "$T/help" && ok "help --help" || bad "help --help"
"$VIGIL" --help | grep -q "vigil.1" && ok "--help says where the man page is" || bad "--help man page"
"$VIGIL" help --man > "$T/vigil.1" && grep -q '^\.SH ENVIRONMENT' "$T/vigil.1" && grep -q '^\.SH FILES' "$T/vigil.1" &&
	grep -q 'VIGIL_DB' "$T/vigil.1" && grep -q 'XDG_DATA_HOME' "$T/vigil.1" && grep -q 'local/share/vigil/vigil.db' "$T/vigil.1" &&
	ok "man: ENVIRONMENT and FILES" || bad "man: ENVIRONMENT and FILES"

# Usage errors exit 2; help exits 0 and documents every option.
"$VIGIL" hash --bogus 2>/dev/null; [ $? -eq 2 ] && ok "unknown option" || bad "unknown option"
"$VIGIL" hash 2>/dev/null; [ $? -eq 2 ] && ok "no operands" || bad "no operands"
"$VIGIL" hash -a nope x 2>/dev/null; [ $? -eq 2 ] && ok "bad algo" || bad "bad algo"
"$VIGIL" frobnicate 2>/dev/null; [ $? -eq 2 ] && ok "unknown command" || bad "unknown command"
"$VIGIL" hash --help > "$T/help" && grep -q -- "--downsample" "$T/help" && ok "hash --help" || bad "hash --help"
"$VIGIL" help --man > "$T/vigil.1" && grep -q '^\.SH COMMANDS' "$T/vigil.1" && grep -q 'downsample' "$T/vigil.1" &&
	ok "man page" || bad "man page"
# --fast: only with --downsample 512; off unless given (the exact 512 hash
# is the reference's); on a 4032x3024 JPEG it is the approximation.
"$VIGIL" hash --fast "$VEC/exif-rotn/exif-rotn-6.jpg" 2>/dev/null; [ $? -eq 2 ] &&
	ok "--fast needs --downsample 512" || bad "--fast without 512"
"$VIGIL" hash --downsample 512 "$VEC/exif-rotn/exif-rotn-6.jpg" | cut -d, -f1 > "$T/exact6"
grep "exif-rotn-6.jpg" "$VEC/expected-reference-cpp.csv" | cut -d, -f1 | cmp -s - "$T/exact6" &&
	ok "512 without --fast is exact" || bad "512 without --fast"
"$VIGIL" hash --downsample 512 --fast "$VEC/exif-rotn/exif-rotn-6.jpg" > "$T/fast6"
cut -d, -f1 "$T/fast6" > "$T/fast6h"
grep -q '^[0-9a-f]\{64\},100,' "$T/fast6" && ! cmp -s "$T/exact6" "$T/fast6h" &&
	ok "--fast hashes, approximately" || bad "--fast: $(cat "$T/fast6")"
"$VIGIL" hash --help | grep -q -- "--fast" && ok "hash --help has --fast" || bad "hash --help --fast"
if command -v man >/dev/null 2>&1; then
	MANWIDTH=80 man -l "$T/vigil.1" 2>/dev/null | grep -q "vigil hash" && ok "man renders" || bad "man renders"
fi
exit $fail
