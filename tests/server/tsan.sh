#!/bin/sh
# tsan.sh [DIR]: builds vigil with ThreadSanitizer in DIR (default
# build-tsan) and runs the server tests with it; a data race makes the
# server exit non-zero, which the tests report. Not part of make check
# (TSan cannot share a build with ASan). Target clones (ifunc) are turned
# off: their resolvers run before TSan is initialised.
set -eu
cd "$(dirname "$0")/../.."
B=${1:-build-tsan}
[ -f "$B/build.ninja" ] || meson setup "$B" --buildtype=debugoptimized \
	-Db_sanitize=thread -Dc_args=-DVIGIL_NO_CLONES >/dev/null
ninja -C "$B" vigil tests/test_live
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 exitcode=66 suppressions=$PWD/tests/server/tsan.supp"
sh tests/server/test_api.sh "$B/vigil" demo ../shared/vectors
sh tests/server/test_crash.sh "$B/vigil"
ninja -C "$B" tests/test_live && "$B/tests/test_live" "$B"
sh tests/server/test_pipeline.sh "$B/vigil" tests/pipeline/receiver.py demo
sh tests/server/test_hma.sh "$B/vigil" demo
sh tests/server/test_streams.sh "$B/vigil" ../shared/vectors/vpdq/videos demo
