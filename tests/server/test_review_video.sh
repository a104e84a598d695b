#!/bin/sh
# End-to-end: a video case is shown as a strip of protected keyframes. A
# video whose frames show a known image opens a case; the video is kept
# sealed (never played by the page: no <video>, no audio) and
# video_keyframes frames sampled over its length are kept with it; each is
# served as the protected derivative (grey, reduced); the case page shows
# them as a strip. Per-reviewer settings are kept with the account; an idle
# session ends. Needs ffmpeg (to make the synthetic video).
set -u
VIGIL=$1 DEMO=$2
PNGSTAT=$(dirname "$0")/pngstat.py
T=$(mktemp -d)
SRV=
cleanup() {
	[ -n "$SRV" ] && kill -9 "$SRV" 2>/dev/null
	wait 2>/dev/null
	[ -n "${KEEP:-}" ] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT
. "$(dirname "$0")/lib.sh"
# SQLite, or PostgreSQL when tests/pg/pg_env.sh runs this again.
export VIGIL_DB="$(store_uri v)"
fail=0
ok() { echo "ok - $1"; }
bad() { echo "FAIL - $1"; fail=1; }
wait_for() { i=0; while ! eval "$1"; do i=$((i + 1)); [ $i -gt 400 ] && return 1; sleep 0.05; done; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
command -v ffmpeg >/dev/null || { echo "no ffmpeg"; exit 77; }

start_server() {
	rm -f "$T/port"
	"$VIGIL" serve --listen 127.0.0.1:0 --port-file "$T/port" --log-level warn "$@" \
		2>>"$T/server.log" & SRV=$!
	wait_for '[ -s "$T/port" ]' || { echo "server did not start"; cat "$T/server.log"; exit 1; }
	URL="http://127.0.0.1:$(cat "$T/port")"
}
stop_server() { kill -TERM "$SRV"; wait "$SRV"; rc=$?; SRV=; [ $rc = 0 ] || bad "server exit $rc"; }
api() { code=$(curl -s -o "$T/r" -w '%{http_code}' -H "Authorization: Bearer $ALICE" "$URL$1"); }

"$VIGIL" hash "$DEMO/known/aqua.jpg" > "$T/aqua.csv"
"$VIGIL" bank create watch --action review >/dev/null &&
	"$VIGIL" bank import watch "$T/aqua.csv" 2>/dev/null && ok "bank" || bad "bank"
SUB=$("$VIGIL" key create uploader --role submit 2>/dev/null | tail -1)
ALICE=$("$VIGIL" key create alice --role review 2>/dev/null | tail -1)
python3 -c "import secrets; print(secrets.token_hex(32))" > "$T/master.key"
chmod 600 "$T/master.key"
# 1 s black, then 2 s of the known image with a little noise (so no two
# frames are the same file), with a sound track (never served).
ffmpeg -loglevel error -f lavfi -i color=c=black:s=320x240:d=1 -loop 1 -t 2 -i "$DEMO/known/aqua.jpg" \
	-f lavfi -i sine=frequency=440:duration=3 \
	-filter_complex '[1:v]scale=320:240,setsar=1[k];[0:v][k]concat=n=2:v=1,noise=alls=12:allf=t[v]' -map '[v]' -map 2:a \
	-r 5 -pix_fmt yuv420p -shortest "$T/known.mp4" || bad "ffmpeg"

start_server --master-key-file "$T/master.key" --video-keyframes 4
code=$(curl -s -o "$T/r" -w '%{http_code}' -H "Authorization: Bearer $SUB" -F "file=@$T/known.mp4" \
	-F 'context={"content_id":"v1","user_id":"u1"};type=application/json' "$URL/v1/content")
[ "$code" = 202 ] && ok "video queued" || bad "video: $code $(cat "$T/r")"
case_id() { api "/v1/cases?state=all"; json 'd["cases"][0]["id"] if d["cases"] else ""' < "$T/r"; }
wait_for '[ -n "$(case_id)" ]' && CASE=$(case_id) && ok "video case $CASE" || bad "no video case"
wait_for 'api "/v1/cases/$CASE"; [ "$(json "d.get(\"media\")" < "$T/r")" = 5 ]' &&
	ok "kept: the video and 4 keyframes" || bad "media: $(cat "$T/r")"
api "/v1/cases/$CASE/media/1"
[ "$code" = 415 ] && ok "the video itself has no protected view (never shown)" || bad "video item: $code"
n=2 okf=0
while [ $n -le 5 ]; do
	api "/v1/cases/$CASE/media/$n?view=protected"
	cp "$T/r" "$T/k$n.png"
	set -- $(python3 "$PNGSTAT" "$T/k$n.png" 2>/dev/null)
	[ "$code" = 200 ] && [ "${3:-}" = 1 ] && [ "${1:-999}" -le 256 ] && okf=$((okf + 1))
	n=$((n + 1))
done
[ $okf = 4 ] && ok "4 keyframes, each a protected derivative (grey, reduced)" || bad "keyframes: $okf"
cmp -s "$T/k2.png" "$T/k5.png" && bad "keyframes all alike" || ok "keyframes sampled at different times"

# The page: log in, claim, open the case: a strip of protected images.
echo "a long invented password" | "$VIGIL" user add rita --role reviewer 2>/dev/null
J="$T/cj"
LC=$(curl -s -c "$J" -b "$J" "$URL/review/login" | grep -o 'name="csrf" value="[0-9a-f]*"' | grep -o '[0-9a-f]\{64\}')
curl -s -o /dev/null -c "$J" -b "$J" -d "csrf=$LC&name=rita&password=a+long+invented+password" "$URL/review/login"
code=$(curl -s -o "$T/page" -w '%{http_code}' -c "$J" -b "$J" "$URL/review/case/$CASE")
python3 - "$T/page" "$CASE" <<'PY' && ok "case page: a strip of 4 protected keyframes, no video or audio element" || bad "page: $code $(head -c 600 "$T/page")"
import re, sys
page, case = open(sys.argv[1]).read(), sys.argv[2]
strip = re.search(r'<div class="strip" id="keyframes"[^>]*>(.*?)</div>', page, re.S)
assert strip, "no strip"
imgs = re.findall(r'<img id="item-(\d+)" src="/review/media/%s/(\d+)' % case, strip.group(1))
assert [i for i, _ in imgs] == ["2", "3", "4", "5"], imgs
assert "<video" not in page and "<audio" not in page and "autoplay" not in page
PY
code=$(curl -s -o "$T/p.png" -w '%{http_code}' -b "$J" "$URL/review/media/$CASE/3")
set -- $(python3 "$PNGSTAT" "$T/p.png" 2>/dev/null)
[ "$code" = 200 ] && [ "${3:-}" = 1 ] && ok "the page's keyframe is the protected one" || bad "page media: $code $*"

# Per-reviewer settings live with the account: saved from one browser,
# they apply in another (a fresh cookie jar), and to the media served.
login() { # JAR -> logged in
	LC=$(curl -s -c "$1" -b "$1" "$URL/review/login" | grep -o 'name="csrf" value="[0-9a-f]*"' | grep -o '[0-9a-f]\{64\}')
	curl -s -o /dev/null -c "$1" -b "$1" -d "csrf=$LC&name=rita&password=a+long+invented+password" "$URL/review/login"
}
SC=$(curl -s -b "$J" "$URL/review" | grep -o 'name="csrf" value="[0-9a-f]*"' | head -1 | grep -o '[0-9a-f]\{64\}')
code=$(curl -s -o /dev/null -w '%{http_code}' -b "$J" -d "csrf=$SC&blur=9&size=100&sepia=1" "$URL/review/settings")
# The schema version: SQLite's user_version, PostgreSQL's schema_version.
if on_pg; then schema=$(store_sql "$VIGIL_DB" "SELECT max(version) FROM schema_version"); min=4
else schema=$(store_sql "$VIGIL_DB" "PRAGMA user_version"); min=4; fi
[ "$code" = 303 ] && [ "$(store_sql "$VIGIL_DB" "SELECT blur||' '||size||' '||sepia FROM view_prefs WHERE name='rita'")" = "9 100 1" ] &&
	[ "$schema" -ge $min ] &&
	ok "settings saved with the account (view_prefs, schema $schema)" ||
	bad "settings: $code, schema $schema"
login "$T/cj2"
curl -s -b "$T/cj2" "$URL/review" > "$T/q2"
curl -s -b "$T/cj2" "$URL/review/case/$CASE" > "$T/page2"
grep -q "id=\"item-3\" src=\"/review/media/$CASE/3?blur=9&amp;size=100&amp;sepia=1\"\|id=\"item-3\" src=\"/review/media/$CASE/3?blur=9&size=100&sepia=1\"" "$T/page2" &&
	grep -q 'id="blur" name="blur" type="number" min="0" max="32" value="9"' "$T/q2" &&
	ok "another browser gets the same settings" || bad "settings elsewhere: $(grep -o 'item-3[^>]*' "$T/page2")"
code=$(curl -s -o "$T/p2.png" -w '%{http_code}' -b "$T/cj2" "$URL/review/media/$CASE/3?blur=9&size=100&sepia=1")
set -- $(python3 "$PNGSTAT" "$T/p2.png" 2>/dev/null)
[ "$code" = 200 ] && [ "${3:-}" = 3 ] && [ "${1:-0}" -le 100 ] && [ "${2:-0}" -le 100 ] &&
	ok "the media follows them (sepia, 100 px)" || bad "sepia media: $code $*"
stop_server

# The idle timeout: a session unused for longer than session_idle ends.
start_server --master-key-file "$T/master.key" --session-idle 2
login "$T/cj3"
code=$(curl -s -o /dev/null -w '%{http_code}' -b "$T/cj3" "$URL/review")
sleep 3
code2=$(curl -s -o /dev/null -w '%{http_code}' -b "$T/cj3" "$URL/review")
loc=$(curl -s -o /dev/null -w '%{redirect_url}' -b "$T/cj3" "$URL/review")
[ "$code" = 200 ] && [ "$code2" = 303 ] && echo "$loc" | grep -q /review/login &&
	ok "a session idle past session_idle is refused (sent to login)" || bad "idle: $code $code2 $loc"
stop_server
if grep -qE "runtime error|Sanitizer" "$T/server.log"; then bad "sanitizer report:"; grep -E -A5 "runtime error|Sanitizer" "$T/server.log" | head -20; fi
exit $fail
