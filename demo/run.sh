#!/bin/sh
# `make run`: vigil's main job on the embedded default (SQLite), end to end.
# 1. a bank is made from demo/known (standing in for a hotline hash list);
# 2. demo/uploads (edited copies and unrelated images) is scanned;
# 3. every match is printed.
set -eu
VIGIL=${1:-build/vigil}
cd "$(dirname "$0")/.."
DB=build/demo.db
rm -f "$DB" "$DB-wal" "$DB-shm"
export VIGIL_DB="$DB"

echo "== 1. a bank of known images (PDQ and exact hashes)"
"$VIGIL" bank create known-demo --labels "kind=image,source=demo" \
	--description "three demo photos standing in for a hash list"
"$VIGIL" hash -a pdq demo/known > build/demo-known-pdq.csv
"$VIGIL" bank import known-demo build/demo-known-pdq.csv
"$VIGIL" hash -a md5 demo/known | cut -d, -f2 > build/demo-known-md5.txt
"$VIGIL" bank import known-demo build/demo-known-md5.txt
"$VIGIL" bank list

echo
echo "== 2. scanning demo/uploads ($(ls demo/uploads | wc -l) files)"
"$VIGIL" match demo/uploads

echo
echo "== 3. the same as JSON lines, for a pipeline"
"$VIGIL" match --format jsonl demo/uploads

echo
echo "== 4. the service: vigil serve, the uploads sent through POST /v1/match"
"$VIGIL" key create demo-admin --role admin,metrics > build/demo-admin.key 2>/dev/null
"$VIGIL" key create demo-uploads --role submit > build/demo-submit.key 2>/dev/null
ADMIN=$(cat build/demo-admin.key) SUBMIT=$(cat build/demo-submit.key)
rm -f build/demo.port
"$VIGIL" serve --listen 127.0.0.1:0 --port-file build/demo.port --log-level warn &
SPID=$!
trap 'kill $SPID 2>/dev/null' EXIT
while [ ! -s build/demo.port ]; do kill -0 $SPID || exit 1; sleep 0.05; done
U="http://127.0.0.1:$(cat build/demo.port)"
for f in demo/uploads/*; do
	curl -s -H "Authorization: Bearer $SUBMIT" -F "file=@$f" "$U/v1/match" |
		jq -r --arg f "$(basename "$f")" \
			'if (.matches | length) == 0 then "\($f): no match"
			 else (.matches[] | "\($f): \(.bank) entry \(.entry) \(.type) distance \(.distance) \(.variant)") end'
done
echo
echo "-- a hash added through the API is matched by the next request:"
H=$(curl -s -H "Authorization: Bearer $SUBMIT" --data-binary @demo/uploads/dune.jpg "$U/v1/hash" | jq -r .pdq)
curl -s -H "Authorization: Bearer $ADMIN" -d "[{\"type\":\"pdq\",\"value\":\"$H\",\"source_ref\":\"added-live\"}]" \
	"$U/v1/banks/known-demo/entries" | jq -c .
curl -s -H "Authorization: Bearer $SUBMIT" -F file=@demo/uploads/dune.jpg "$U/v1/match" | jq -c '.matches'
echo
echo "-- try it (the server runs until you press Enter):"
cat <<EOT
  export VIGIL_DB=$DB
  curl -s -H 'Authorization: Bearer $SUBMIT' -F file=@demo/uploads/IMG_0412.jpg $U/v1/match | jq .
  curl -s -H 'Authorization: Bearer $SUBMIT' --data-binary @demo/known/storm.jpg '$U/v1/hash?dihedral=1' | jq .
  curl -s -H 'Authorization: Bearer $ADMIN' $U/v1/banks | jq .
  curl -s -H 'Authorization: Bearer $ADMIN' $U/metrics | grep vigil_matches_total
  curl -s $U/healthz
EOT
if [ -t 0 ]; then read -r _; fi
kill -TERM $SPID
wait $SPID
trap - EXIT
echo "server stopped (exit $?)"
