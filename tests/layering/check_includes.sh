#!/bin/sh
# check_includes.sh ROOT — the layering rule of issue 16, read from the
# #include lines of ROOT/src:
#
#   1. a program's folder (src/cli, src/server) is included by nothing
#      outside it: the library never depends on a program built on it, and
#      one program does not borrow another's code;
#   2. a file in a program's folder includes only its own folder's headers,
#      the public headers ("vigil.h", "vigil/...") and system headers — no
#      library subsystem's folder, private or not (as curl's tool uses only
#      libcurl's public API).
#
# Prints FILE:LINE: reason for every offending line and exits 1 if there is
# any, 0 otherwise. An include is resolved the way the compiler would look
# for it (the including file's folder for "quoted" ones, then include/ and
# src/); a path naming a program folder counts even when it does not exist.
# Includes spelled with a macro (#include FOO) are not read.
set -eu
root=${1:?usage: check_includes.sh ROOT}
cd "$root"
[ -d src ] || { echo "check_includes: no src/ under $root" >&2; exit 2; }
programs="cli server"

# The program folder (cli, server) a repository-relative path is in, or "".
program_of() {
	for p in $programs; do
		case $1 in src/$p/*) echo "$p"; return ;; esac
	done
}

bad=0
report() {
	echo "$1: $2"
	bad=1
}

list=${TMPDIR:-/tmp}/vigil-includes.$$
trap 'rm -f "$list"' EXIT
# FILE LINE KIND NAME for every include of every C source and header,
# KIND being q ("quoted") or a (<angled>).
find src -type f \( -name '*.c' -o -name '*.h' \) | LC_ALL=C sort |
while IFS= read -r f; do
	awk -v f="$f" '
	/^[ \t]*#[ \t]*include[ \t]*["<]/ {
		s = $0
		sub(/^[ \t]*#[ \t]*include[ \t]*/, "", s)
		k = substr(s, 1, 1) == "\"" ? "q" : "a"
		s = substr(s, 2)
		sub(/[">].*$/, "", s)
		print f, FNR, k, s
	}' "$f"
done > "$list"

while read -r f line kind name; do
	dir=${f%/*}
	own=$(program_of "$f")
	# Where the compiler may find it, as repository-relative paths.
	cands="include/$name src/$name"
	[ "$kind" = q ] && cands="$dir/$name $cands"
	hit=""
	for c in $cands; do
		[ -e "$c" ] || continue
		# normalise a/b/../c without needing the path to exist elsewhere
		r=$(realpath -m --relative-to=. "$c")
		hit="$hit $r"
	done
	# A name that spells a program folder counts even if nothing is there
	# (yet); the first existing candidate is what the compiler would take.
	target=""
	for r in $hit; do target=$r; break; done
	for p in $programs; do
		case /$name in */$p/*) [ -n "$target" ] || target="src/$p/$name" ;; esac
	done
	tprog=$(program_of "$target")

	# Rule 1: nothing outside a program's folder includes from it.
	if [ -n "$tprog" ] && [ "$tprog" != "$own" ]; then
		report "$f:$line" "includes \"$name\" from src/$tprog/ (only src/$tprog/ may)"
		continue
	fi
	[ -n "$own" ] || continue
	# Rule 2: a program includes its own folder, the public headers and
	# system headers only.
	rule="src/$own/ may use only its own headers and the public vigil.h / vigil/*.h"
	case $target in src/"$own"/*) continue ;; esac
	case $name in
	../* | */../*)
		report "$f:$line" "includes \"$name\", a path out of src/$own/ ($rule)"
		continue ;;
	esac
	case $target in
	include/vigil.h | include/vigil/*) continue ;;
	src/*)
		report "$f:$line" "includes \"$name\" from ${target%/*}/ ($rule)"
		continue ;;
	esac
	# Not in the tree: a system header is fine if angled; a quoted name
	# that matches nothing is a header we cannot vouch for.
	if [ -z "$target" ] && [ "$kind" = q ]; then
		report "$f:$line" "includes \"$name\", which is not in src/$own/ nor a public header"
	fi
done < "$list"
# The loop above ran in this shell (input redirected, not piped), so bad is
# still set; an empty list of offences is a pass.
[ "$bad" = 0 ] || { echo "check_includes: layering broken; the rule is at the top of tests/layering/check_includes.sh"; exit 1; }
echo "check_includes: layering holds ($(wc -l < "$list") includes read)"
