#!/bin/sh
# The server uses only the public header (vigil.h), its own headers and the
# CLI's option helpers (src/cli/cli.h, for `vigil serve` and `vigil key`):
# never a library subsystem's internals.
set -u
SRC=$1
bad=$(grep -Hn '^#include "' "$SRC"/src/server/*.c "$SRC"/src/server/*.h |
	grep -v -e '#include "vigil.h"' -e '#include "\.\./cli/cli.h"' \
		-e '#include "[a-z_]*\.h"$' -e '#include "vigil/' ||
	true)
# A server header named like a library one would sneak in: only these.
for f in $(grep -ho '#include "[a-z_]*\.h"' "$SRC"/src/server/*.[ch] | sort -u | sed 's/#include "//; s/"//'); do
	[ "$f" = vigil.h ] && continue
	[ -f "$SRC/src/server/$f" ] || bad="$bad
$f (not a src/server header)"
done
if [ -n "$bad" ]; then
	echo "FAIL - src/server reaches outside the public API:$bad"
	exit 1
fi
echo "ok - src/server includes only vigil.h, its own headers and cli.h"
