#!/usr/bin/env bash
# Trains data/text/model.bin, the text engine's optional learned layer, from the corpus's TRAIN
# split only (tests/text/corpus/*.jsonl; the dev split is never read). One example per message,
# labelled with the message's harms. The conversations of the train split whose MD5(id) mod 5 is
# 0 are held out (val) to choose C and each label's threshold; the rest train. Deterministic:
# the same corpus gives a byte-identical model (L-BFGS, one thread, fixed order).
# Usage: tests/text/train_model.sh CHILDGUARD [OUT]   (OUT defaults to data/text/model.bin)
set -euo pipefail
CG=$1
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${2:-$ROOT/data/text/model.bin}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - "$ROOT" "$tmp" <<'PY'
import glob, hashlib, json, sys
root, tmp = sys.argv[1], sys.argv[2]
tr, va = open(tmp + "/train.jsonl", "w"), open(tmp + "/val.jsonl", "w")
for path in sorted(glob.glob(root + "/tests/text/corpus/*.jsonl")):
    for line in open(path, encoding="utf-8"):
        if not line.strip():
            continue
        c = json.loads(line)
        if c["split"] != "train":
            continue
        held = int(hashlib.md5(c["conversation"].encode()).hexdigest(), 16) % 5 == 0
        for m in c["messages"]:
            (va if held else tr).write(json.dumps({"text": m["text"], "labels": m["harms"]},
                                                  ensure_ascii=False) + "\n")
PY
"$CG" text train --data "$tmp/train.jsonl" --dev "$tmp/val.jsonl" --out "$OUT" \
    --tfidf --char-scope words --char-ngrams 2-5 --word-ngrams 2 --bits 16
