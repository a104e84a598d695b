#!/bin/sh
# The shipped grooming model data/groom-default.vgm is what its script
# makes: data/groom_default.py's scripted data trained with the stated
# options gives the committed file byte for byte (and twice the same).
set -u
VIGIL=$1 SRC=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/../server/lib.sh" # ok, bad, check
python3 "$SRC/data/groom_default.py" > "$T/d.jsonl"
"$VIGIL" text train --data "$T/d.jsonl" --out "$T/m" --dim-bits 14 --epochs 10 --seed 1 > "$T/out"
echo "# $(cat "$T/out")"
check "the script reproduces data/groom-default.vgm byte for byte" cmp "$T/m" "$SRC/data/groom-default.vgm"
"$VIGIL" text train --data "$T/d.jsonl" --out "$T/m2" --dim-bits 14 --epochs 10 --seed 1 > /dev/null
check "and again" cmp -s "$T/m" "$T/m2"
check "it has the conversation model" \
	sh -c "\"$VIGIL\" text eval --data '$T/d.jsonl' --model '$SRC/data/groom-default.vgm' | jq -e '.conversation_model' >/dev/null"
exit $fail
