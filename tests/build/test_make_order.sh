#!/bin/sh
# The Makefile runs scripts/deps.sh (which installs meson on a fresh
# machine) before `meson setup`, also under make -j: a copy of the Makefile
# is run with a deps script that takes a while and stand-ins for meson and
# ninja that fail if deps has not finished.
set -u
SRC=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/scripts" "$T/bin"
cp "$SRC/Makefile" "$T/"
cat > "$T/scripts/deps.sh" <<'X'
sleep 1
touch deps-done
X
for tool in meson ninja; do
	cat > "$T/bin/$tool" <<'X'
#!/bin/sh
[ -f deps-done ] || { echo "$0 ran before deps finished" >&2; exit 1; }
[ "$1" = setup ] && mkdir -p "$2" && touch "$2/build.ninja"
exit 0
X
	chmod +x "$T/bin/$tool"
done
fail=0
cd "$T" && PATH="$T/bin:$PATH" make -j2 all BUILD=b >out 2>&1; rc=$?
if [ $rc -eq 0 ]; then
	echo "ok - make -j2: deps before meson setup"
else
	echo "FAIL - make -j2: rc=$rc"; cat out; fail=1
fi

# make install installs (meson install: the binary and the man page).
cat > "$T/bin/meson" <<'X'
#!/bin/sh
echo "meson $*" >> calls
[ "$1" = setup ] && mkdir -p "$2" && touch "$2/build.ninja"
exit 0
X
PATH="$T/bin:$PATH" make install BUILD=b >out 2>&1 && grep -q "^meson install -C b" calls &&
	echo "ok - make install runs meson install" || { echo "FAIL - make install: $(cat out)"; fail=1; }

# make check: says what it is doing while it builds the ASan tree, and its
# total names the two runs of the suite it adds up (the last line stays
# 'N passed, N failed'). tests/run.sh is a stand-in printing a count.
mkdir -p tests && cp "$SRC/tests/check.sh" tests/
cat > tests/run.sh <<'X'
echo "$1: 3 passed, 0 failed"
X
mkdir -p rel asan && touch asan/build.ninja
PATH="$T/bin:$PATH" sh tests/check.sh rel asan >out 2>&1; rc=$?
tail -n 1 out | grep -q '^6 passed, 0 failed$' && grep -q "release: 3 passed, 0 failed" out &&
	grep -q "asan: 3 passed, 0 failed" out && grep -qi "building the ASan" out && [ $rc -eq 0 ] &&
	echo "ok - make check: progress and a labelled total" || { echo "FAIL - check.sh: rc=$rc"; cat out; fail=1; }
exit $fail
