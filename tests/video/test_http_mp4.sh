#!/bin/sh
# An MP4 whose index (moov atom) follows its data, served over HTTP by a
# server without range requests (Python's http.server), cannot be read:
# the error says why, not just "Input/output error". The same file with
# +faststart is read.
set -u
VIGIL=$1 VIDEOS=$2
T=$(mktemp -d)
srv=
trap '[ -n "$srv" ] && kill $srv; rm -rf "$T"' EXIT
fail=0
ok() { echo "ok - $1"; }
bad() { echo "FAIL - $1"; fail=1; }
command -v ffmpeg >/dev/null 2>&1 || { echo "ok - skipped: no ffmpeg"; exit 0; }
ffmpeg -loglevel error -i "$VIDEOS/chair-20-sd-bar.mp4" -c copy "$T/late-moov.mp4"
ffmpeg -loglevel error -i "$VIDEOS/chair-20-sd-bar.mp4" -c copy -movflags +faststart "$T/faststart.mp4"
cd "$T" && python3 -c '
import http.server, socketserver, sys
s = socketserver.TCPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
open("port", "w").write(str(s.server_address[1]))
s.serve_forever()' >/dev/null 2>&1 &
srv=$!
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.1; done
url="http://127.0.0.1:$(cat "$T/port")"
export VIGIL_DB="$T/v.db"
"$VIGIL" bank create b >/dev/null
timeout 60 "$VIGIL" stream --max-runtime 2 "$url/late-moov.mp4" >"$T/ev" 2>/dev/null
grep -q '"event":"error".*moov atom.*faststart' "$T/ev" && ! grep -q "Input/output error" "$T/ev" &&
	ok "late moov over HTTP: the error says why" || bad "late moov: $(head -2 "$T/ev")"
timeout 60 "$VIGIL" stream --max-runtime 2 "$url/faststart.mp4" >"$T/ev" 2>/dev/null
grep -q '"event":"connected"' "$T/ev" && ok "faststart over HTTP is read" || bad "faststart: $(head -2 "$T/ev")"
exit $fail
