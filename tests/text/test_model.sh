#!/bin/sh
# vigil text train|eval on the invented toy data of groom_data.py: training
# is deterministic (same data + seed = the same bytes; another seed
# differs), the model file is checked (a flipped byte or a cut file is
# refused), eval's message and pair metrics agree with ones recomputed here
# from `vigil text score --model` per message, and the model ranks the
# held-out positives above chance. The numbers are printed; they describe
# a toy data set and nothing more.
set -u
VIGIL=$1 GEN=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/../server/lib.sh" # ok, bad, check

python3 "$GEN" train 1 > "$T/train.jsonl"
python3 "$GEN" eval 2 > "$T/eval.jsonl"
"$VIGIL" text train --data "$T/train.jsonl" --out "$T/m1" > "$T/train.out"
"$VIGIL" text train --data "$T/train.jsonl" --out "$T/m2" > /dev/null
"$VIGIL" text train --data "$T/train.jsonl" --out "$T/m3" --seed 2 > /dev/null
echo "# train: $(cat "$T/train.out")"
check "training is deterministic (same bytes twice)" cmp -s "$T/m1" "$T/m2"
check "another seed gives another model" sh -c "! cmp -s '$T/m1' '$T/m3'"
"$VIGIL" text eval --data "$T/eval.jsonl" --model "$T/m1" > "$T/eval.out"
echo "# eval (held-out invented data): $(cat "$T/eval.out")"

# Per message, through score: CONVERSATION<TAB>AUTHOR<TAB>TEXT in order.
python3 - "$T/eval.jsonl" > "$T/eval.tsv" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    d = json.loads(l)
    print("%s\t%s\t%s" % (d["conversation"], d["author"], d["text"]))
PY
"$VIGIL" text score --tsv --model "$T/m1" "$T/eval.tsv" > "$T/score.out"
check "eval's metrics equal those recomputed from score's per-message output" \
	python3 - "$T/eval.jsonl" "$T/score.out" "$T/eval.out" <<'PY'
import json, sys
lab = [json.loads(l)["label"] for l in open(sys.argv[1])]
sc = [json.loads(l) for l in open(sys.argv[2])]
ev = json.load(open(sys.argv[3]))
assert len(lab) == len(sc)
p = [s["message"] for s in sc]
tp = sum(1 for x, y in zip(p, lab) if x > 0.5 and y)
fp = sum(1 for x, y in zip(p, lab) if x > 0.5 and not y)
fn = sum(1 for x, y in zip(p, lab) if x <= 0.5 and y)
prec, rec = tp / (tp + fp), tp / (tp + fn)
order = sorted(range(len(p)), key=lambda i: -p[i])
k = ap = 0
for r, i in enumerate(order, 1):
    if lab[i]:
        k += 1
        ap += k / r
ap /= sum(lab)
pairs = {}
for s, y in zip(sc, lab):
    key = (s["conversation"], s["author"])
    pos, al = pairs.get(key, (0, 0))
    pairs[key] = (pos or y, al or s["alert"])
ptp = sum(1 for pos, al in pairs.values() if pos and al)
pfn = sum(1 for pos, al in pairs.values() if pos and not al)
got = (ev["message_precision"], ev["message_recall"], ev["message_pr_auc"], ev["pair_recall"])
want = (prec, rec, ap, ptp / (ptp + pfn))
print("# recomputed", [round(x, 4) for x in want], "eval", got)
# score prints 4 decimals, so a tie near 0.5 may differ in the last digit
sys.exit(0 if all(abs(a - b) < 2e-3 for a, b in zip(got, want)) else 1)
PY
check "held-out positives rank above chance (PR-AUC over the positive rate)" \
	python3 -c "import json,sys; e=json.load(open('$T/eval.out')); sys.exit(0 if e['message_pr_auc'] > e['positive']/e['messages'] else 1)"

# A damaged file is refused, not half-read.
cp "$T/m1" "$T/flip"
printf '\377' | dd of="$T/flip" bs=1 seek=40 conv=notrunc 2>/dev/null
"$VIGIL" text eval --data "$T/eval.jsonl" --model "$T/flip" > /dev/null 2> "$T/flip.err"
check "a flipped byte: refused (checksum)" grep -q "checksum mismatch" "$T/flip.err"
head -c 100 "$T/m1" > "$T/cut"
"$VIGIL" text eval --data "$T/eval.jsonl" --model "$T/cut" > /dev/null 2> "$T/cut.err"
check "a cut file: refused" grep -q "checksum mismatch\|not a vigil grooming model\|does not match" "$T/cut.err"
printf 'VIGILGRM\003\000\000\000' > "$T/v3"
head -c 200 "$T/m1" | tail -c +13 >> "$T/v3"
"$VIGIL" text eval --data "$T/eval.jsonl" --model "$T/v3" > /dev/null 2> "$T/v3.err"
check "another version: refused by name" grep -q "model version 3" "$T/v3.err"

# The conversation model (version 2) and version 1 files: a version 1 file
# is the message part alone (written here from m1, as session 3's vigil
# wrote them); it still loads and scores its messages exactly as m1 does,
# with the EMA standing in for the conversation model.
python3 - "$T/m1" "$T/v1" <<'PY'
import hashlib, struct, sys
d = open(sys.argv[1], "rb").read()
assert d[:8] == b"VIGILGRM" and struct.unpack("<I", d[8:12])[0] == 2
nnz = struct.unpack("<I", d[16:20])[0]
body = b"VIGILGRM" + struct.pack("<I", 1) + d[12:24 + 8 * nnz]
open(sys.argv[2], "wb").write(body + hashlib.sha256(body).digest())
PY
"$VIGIL" text eval --data "$T/eval.jsonl" --model "$T/v1" > "$T/v1.out" 2> "$T/v1.err"
check "a version 1 file still loads (no conversation model)" \
	grep -q '"conversation_model":false' "$T/v1.out"
check "version 2 written by train has the conversation model" \
	grep -q '"conversation_model":true' "$T/eval.out"
check "version 1 and 2 give the same message scores" python3 -c "
import json,sys
a=json.load(open('$T/v1.out')); b=json.load(open('$T/eval.out'))
sys.exit(0 if all(a[k]==b[k] for k in ('message_precision','message_recall','message_pr_auc')) else 1)"
check "eval reports latency-weighted F1, precision at capacity, recall at 1/10,000" python3 -c "
import json,sys
e=json.load(open('$T/eval.out'))
ks=('latency_weighted_f1','pair_precision_at_capacity','recall_at_1_per_10000_benign')
sys.exit(0 if all(0<=e[k]<=1 for k in ks) and e['latency_weighted_f1']<=e['pair_precision']+e['pair_recall'] else 1)"
printf '{"text":"x"}\n' > "$T/nolabel.jsonl"
check "data without labels: refused" sh -c "! '$VIGIL' text train --data '$T/nolabel.jsonl' --out '$T/m4' 2>/dev/null"
exit $fail
