#!/bin/sh
# The review page in a real browser (Debian's chromium, headless, through
# chromedriver): see tests/server/browser.py. Skips (77) only if chromium
# or chromedriver is missing or cannot start, saying why.
# With SHOTS=DIR it also saves the queue and case screenshots there.
set -u
VIGIL=$1 DEMO=$2
HERE=$(dirname "$0")
for b in /usr/bin/chromium /usr/bin/chromedriver; do
	[ -x "$b" ] || { echo "SKIP - $b is not installed (scripts/deps.sh installs chromium chromium-driver)"; exit 77; }
done
T=$(mktemp -d)
SRV=
trap '[ -n "$SRV" ] && kill -9 "$SRV" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
export VIGIL_DB="$T/v.db"
"$VIGIL" hash "$DEMO/uploads/meadow.jpg" > "$T/m.csv"
"$VIGIL" bank create watch --action review --labels "category=test-benign" >/dev/null 2>&1 ||
	"$VIGIL" bank create watch --action review >/dev/null
"$VIGIL" bank import watch "$T/m.csv" 2>/dev/null
SUB=$("$VIGIL" key create up --role submit 2>/dev/null | tail -1)
echo "a long invented password" | "$VIGIL" user add rita --role reviewer 2>/dev/null
python3 -c "import secrets; print(secrets.token_hex(32))" > "$T/key"; chmod 600 "$T/key"
"$VIGIL" serve --listen 127.0.0.1:0 --port-file "$T/port" --log-level warn --master-key-file "$T/key" \
	--reveal-seconds 2 --webhook-url http://127.0.0.1:9/hook --webhook-allow 127.0.0.1 2>"$T/log" & SRV=$!
i=0; while [ ! -s "$T/port" ]; do i=$((i+1)); [ $i -gt 400 ] && { cat "$T/log"; exit 1; }; sleep 0.05; done
URL="http://127.0.0.1:$(cat "$T/port")"
curl -s -o /dev/null -H "Authorization: Bearer $SUB" -F "file=@$DEMO/uploads/meadow.jpg" \
	-F 'context={"content_id":"m1","user_id":"u1"};type=application/json' "$URL/v1/content"
python3 "$HERE/browser.py" "$URL" "$T/v.db" rita "a long invented password" ${SHOTS:-}
rc=$?
if kill -TERM $SRV 2>/dev/null; then wait $SRV || rc=1; else echo "FAIL - the server died:"; rc=1; fi
SRV=
[ $rc = 0 ] || cat "$T/log"
exit $rc
