#!/bin/sh
# Issue 16: the layering read from the includes. Programs built on the
# library (src/cli, and src/server when it comes) use only the public
# headers ("vigil.h", "vigil/...") and headers of their own folder; no
# library file includes anything from a program's folder. Every quoted
# #include under src/ is checked; system <...> includes are not.
set -u
ROOT=$1
PROGRAMS="cli server"
fail=0
cd "$ROOT/src" || exit 1
is_program() { for p in $PROGRAMS; do [ "$1" = "$p" ] && return 0; done; return 1; }
# file, included name: one line per quoted include.
for f in $(find . -name '*.[ch]' | sed 's|^\./||' | sort); do
	dir=${f%%/*}
	sed -n 's/^[ \t]*#[ \t]*include[ \t]*"\([^"]*\)".*/\1/p' "$f" | while read -r inc; do
		if is_program "$dir"; then
			case $inc in
			vigil.h | vigil/*.h) continue ;;
			*/*) ;;
			*) [ -f "$dir/$inc" ] && continue ;;
			esac
			echo "FAIL - src/$f includes \"$inc\": a program uses only the public headers and its own"
		else
			for p in $PROGRAMS; do
				case $inc in
				*"$p"/* | "$p".h)
					echo "FAIL - src/$f includes \"$inc\": the library must not reach into src/$p" ;;
				esac
			done
		fi
	done
done >"${TMPDIR:-/tmp}/layering.$$"
if [ -s "${TMPDIR:-/tmp}/layering.$$" ]; then
	cat "${TMPDIR:-/tmp}/layering.$$"
	fail=1
else
	echo "ok - src/: programs use only the public headers, the library no program"
fi
rm -f "${TMPDIR:-/tmp}/layering.$$"
exit $fail
