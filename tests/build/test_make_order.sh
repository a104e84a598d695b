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
cd "$T" && PATH="$T/bin:$PATH" make -j2 all BUILD=b >out 2>&1; rc=$?
if [ $rc -eq 0 ]; then
	echo "ok - make -j2: deps before meson setup"
else
	echo "FAIL - make -j2: rc=$rc"; cat out; exit 1
fi
