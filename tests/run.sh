#!/bin/sh
# Runs one build directory's test suite; prints "<dir>: N passed, N failed".
# Exit status: 0 only if every test passed (and at least one ran).
set -u
dir=$1
meson test -C "$dir" --print-errorlogs --num-processes 2 >"$dir/test-output.txt" 2>&1
rc=$?
grep -E '^ *[0-9]+/[0-9]+ ' "$dir/test-output.txt"
if [ $rc -ne 0 ]; then
	grep -v -E '^ *[0-9]+/[0-9]+ ' "$dir/test-output.txt" | grep -v '^\[' | tail -150
fi
log="$dir/meson-logs/testlog.json"
passed=$(grep -c '"result": "OK"' "$log" 2>/dev/null || true)
failed=$(grep -c -E '"result": "(FAIL|TIMEOUT|ERROR|UNEXPECTEDPASS)"' "$log" 2>/dev/null || true)
echo "$dir: ${passed:-0} passed, ${failed:-0} failed"
[ $rc -eq 0 ] && [ "${passed:-0}" -gt 0 ]
