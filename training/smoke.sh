#!/usr/bin/env bash
# End-to-end smoke run of the spark-nano pipeline on a tiny corpus (CI; ~1-2 minutes):
# corpus(tiny) -> tokenizer(tiny) -> train(few steps) -> export(temp dir) -> eval(tiny).
# Needs /usr/bin/python3 with torch, numpy, regex (Debian: python3-torch python3-regex) and
# npm (fetches two small npm packages); node + @huggingface/tokenizers for the JS check.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
D=$(mktemp -d /tmp/spark-smoke.XXXXXX)
trap 'rm -rf "$D"' EXIT
echo "== corpus (tiny) -> $D"
$PY training/corpus.py all --tiny --out "$D" >/dev/null
echo "== tokenizer (vocab 512)"
$PY training/tokenizer.py all --corpus "$D" --vocab 512 2>&1 | tail -3
echo "== train (few steps)"
$PY training/train.py --name smoke --runs "$D/runs" --corpus "$D" --d-model 64 --d-ff 128 --n-layer 2 \
  --n-head 4 --n-kv-head 2 --ctx 128 --seq-len 64 --long-seq-len 128 --tokens-per-step 1024 \
  --total-tokens 30720 --warmup-steps 5 --eval-every 10 --eval-windows 4 --threads 2 | grep -E "eval|done"
echo "== export"
$PY training/export.py --ckpt "$D/runs/smoke/best.pt" --corpus "$D" --out "$D/model" --force --eval-windows 2
ls "$D/model"
echo "== eval (tiny)"
$PY training/eval/evaluate.py --model "$D/model" --corpus "$D" --n-bpb-windows 2 --n-line 3 --n-fim 3 \
  --order 3 --out "$D/eval" | tail -12
if command -v node >/dev/null && [ -d node_modules/@huggingface/tokenizers ]; then
  echo "== JS tokenizer parity"
  $PY training/tokenizer_sample.py --tokenizer "$D/model/tokenizer.json" --corpus "$D" --n 10 > "$D/sample.json"
  node training/check_tokenizer.mjs "$D/model/tokenizer.json" "$D/sample.json"
fi
if command -v node >/dev/null && [ -d node_modules/@huggingface/gguf ]; then
  echo "== GGUF parses with @huggingface/gguf"
  node training/check_gguf.mjs "$D/model/spark-nano.gguf"
fi
echo "smoke OK"
