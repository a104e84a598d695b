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
# match exits 1 when something matched (0: nothing, 3: an error).
"$VIGIL" match demo/uploads || [ $? -eq 1 ]

echo
echo "== 3. the same as JSON lines, for a pipeline"
"$VIGIL" match --format jsonl demo/uploads || [ $? -eq 1 ]
