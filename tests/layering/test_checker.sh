#!/bin/sh
# test_checker.sh CHECKER — check_includes.sh itself, on a made-up tree:
# every kind of offence is reported with its FILE:LINE and nothing else is,
# and the same tree without the offending lines passes.
set -eu
checker=${1:?usage: test_checker.sh CHECKER}
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
mkdir -p "$t/include/vigil" "$t/src/cli" "$t/src/server" "$t/src/core" "$t/src/stream"
: > "$t/include/vigil.h"
: > "$t/include/vigil/index.h"
: > "$t/src/cli/cli.h"
: > "$t/src/server/server.h"
: > "$t/src/core/core.h"
: > "$t/src/stream/stream_int.h"

# Lines marked BAD must be reported, at their line number; the others not.
cat > "$t/src/cli/a.c" <<'C'
#include "cli.h"
#include "vigil.h"
#include "vigil/index.h"
#include <vigil.h>
#include <stdio.h>
#include <curl/curl.h>
#include "../core/core.h"          /* BAD: another subsystem */
#include <core/core.h>             /* BAD: a path into src/ */
#  include "../stream/stream_int.h" /* BAD: private header, spaced */
#include "../../include/vigil.h"   /* BAD: ../ even to the public header */
#include "nowhere.h"               /* BAD: not its own, not public */
#include "../server/server.h"      /* BAD: another program */
#include "../cli/cli.h"
C
cat > "$t/src/server/s.c" <<'C'
#include "server.h"
#include "vigil.h"
#include "../cli/cli.h"            /* BAD: the other program */
#include "../core/core.h"          /* BAD: a library subsystem */
C
cat > "$t/src/core/x.c" <<'C'
#include "core.h"
#include "../stream/stream_int.h"
#include "../cli/cli.h"            /* BAD: library into the CLI */
#include "cli/gone.h"              /* BAD: even a file that isn't there */
#include "../server/server.h"      /* BAD: library into the server */
C
cat > "$t/src/stream/m.h" <<'C'
#include "stream_int.h"
#	include	"../cli/cli.h"         /* BAD: tabs */
C

expected=$(grep -n 'BAD' "$t"/src/*/* | cut -d: -f1,2 | sed "s|^$t/||" | sort)
rc=0
out=$(sh "$checker" "$t") || rc=$?
got=$(printf '%s\n' "$out" | grep '^src/' | cut -d: -f1,2 | sort)
if [ "$rc" != 1 ] || [ "$got" != "$expected" ]; then
	echo "FAIL: exit $rc (want 1)"
	echo "--- want"; echo "$expected"; echo "--- got"; echo "$out"
	exit 1
fi
echo "offences found: $(echo "$got" | wc -l), as marked"

# Without the offending lines the tree passes.
for f in $(grep -l BAD "$t"/src/*/*); do
	grep -v BAD "$f" > "$f.tmp"
	mv "$f.tmp" "$f"
done
if ! out=$(sh "$checker" "$t"); then
	echo "FAIL: a clean tree was refused:"; echo "$out"
	exit 1
fi
echo "clean tree: $out"
