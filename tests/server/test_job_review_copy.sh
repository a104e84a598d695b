#!/bin/sh
# A video job's sealed review copy is written in its verdict's transaction:
# an instance that dies right after that commit (test hook
# VIGIL_TEST_DIE_AFTER_VERDICT, _exit at once) leaves a case that already
# holds the video and its keyframes, sealed; an image upload's case holds
# the image the same way. On one SQLite file, or on
# PostgreSQL when run by tests/pg/pg_env.sh.
set -u
VIGIL=$1 DEMO=$2 HERE=$(dirname "$0")
T=$(mktemp -d)
SPID=
trap '[ -n "$SPID" ] && kill -9 $SPID 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
. "$HERE/lib.sh"
for p in jq ffmpeg; do
	command -v $p >/dev/null || { echo "SKIP: $p not installed"; exit 77; }
done
if on_pg; then export VIGIL_DB="$VIGIL_TEST_PG_URI"; else export VIGIL_DB="$T/v.db"; fi
q() { store_sql "$VIGIL_DB" "$1"; }

"$VIGIL" hash "$DEMO/known/aqua.jpg" > "$T/known.csv"
"$VIGIL" bank create known --action review >/dev/null &&
	"$VIGIL" bank import known "$T/known.csv" 2>/dev/null || { bad "bank"; exit 1; }
SUB=$("$VIGIL" key create uploader --role submit 2>/dev/null | tail -1)
python3 -c "import secrets; print(secrets.token_hex(32))" > "$T/master.key"
chmod 600 "$T/master.key"
ffmpeg -nostdin -loglevel error -f lavfi -i color=c=black:s=320x240:d=1 -loop 1 -t 2 \
	-i "$DEMO/known/aqua.jpg" \
	-filter_complex '[1:v]scale=320:240,setsar=1[k];[0:v][k]concat=n=2:v=1[v]' -map '[v]' \
	-r 5 -pix_fmt yuv420p "$T/job.mp4" || { bad "ffmpeg video"; exit 1; }

export VIGIL_TEST_CLOCK=1 VIGIL_TEST_DIE_AFTER_VERDICT=1
start --master-key-file "$T/master.key"
unset VIGIL_TEST_CLOCK VIGIL_TEST_DIE_AFTER_VERDICT
st=$(curl -s -o "$T/b" -w '%{http_code}' -H "Authorization: Bearer $SUB" -F "file=@$T/job.mp4" \
	-F 'context={"content_id":"vid1","user_id":"u1"};type=application/json' "$U/v1/content")
JOB=$(jq -r .job "$T/b")
check "video: 202 with job $JOB" [ "$st" = 202 -a -n "$JOB" ]
i=0
while kill -0 $SPID 2>/dev/null && [ $i -lt 1200 ]; do i=$((i + 1)); sleep 0.05; done
wait $SPID; rc=$?
SPID=
check "the instance died right after the verdict's commit (exit $rc)" [ $rc = 9 ]
check "the job is done in the store" \
	[ "$(q "SELECT state FROM shared_work WHERE id='$JOB'")" = done ]
CASE=$(q "SELECT id FROM cases WHERE content_id='vid1'")
check "its case is open ($CASE)" [ -n "$CASE" ]
check "the case holds the video, sealed" \
	[ "$(q "SELECT count(*) FROM case_media WHERE case_id=${CASE:-0} AND content_type='video/mp4'")" = 1 ]
n=$(q "SELECT count(*) FROM case_media WHERE case_id=${CASE:-0} AND content_type='image/png'")
check "and its keyframes ($n)" [ "${n:-0}" -ge 1 ]

# An image upload the same way: the process dies before it answers, and
# the case already holds the image.
export VIGIL_TEST_CLOCK=1 VIGIL_TEST_DIE_AFTER_VERDICT=1
start --master-key-file "$T/master.key"
unset VIGIL_TEST_CLOCK VIGIL_TEST_DIE_AFTER_VERDICT
curl -s -o /dev/null -H "Authorization: Bearer $SUB" -F "file=@$DEMO/known/aqua.jpg" \
	-F 'context={"content_id":"img1","user_id":"u2"};type=application/json' "$U/v1/content"
i=0
while kill -0 $SPID 2>/dev/null && [ $i -lt 1200 ]; do i=$((i + 1)); sleep 0.05; done
wait $SPID; rc=$?
SPID=
check "image: the instance died right after the verdict's commit (exit $rc)" [ $rc = 9 ]
CASE=$(q "SELECT id FROM cases WHERE content_id='img1'")
check "its case is open ($CASE)" [ -n "$CASE" ]
check "the case holds the image, sealed" \
	[ "$(q "SELECT count(*) FROM case_media WHERE case_id=${CASE:-0} AND content_type='image/jpeg'")" = 1 ]
exit $fail
