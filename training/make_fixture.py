#!/usr/bin/python3
"""Write a tiny random spark-nano-shaped model plus PyTorch logits, for the TS engine's CPU
reference test (same export code path as the shipped model).

  /usr/bin/python3 training/make_fixture.py OUT_DIR [--tokenizer FILE] [--seed 0] [--f32]

OUT_DIR gets the HF layout (config.json, tokenizer.json, tokenizer_config.json,
generation_config.json, model.safetensors [f16; f32 with --f32], spark-nano.gguf) and
expected.json = {"tokens": [...], "logits": [[...] * vocab] * len(tokens), "text": ...,
"dtype": "float16"|"float32", "greedy": [...next 8 ids...]}. The logits come from the
weights as stored in the file (f16-rounded, computed in float32), so the TS reference should
match them to ~1e-4.
Without --tokenizer it uses public/models/spark-nano/tokenizer.json (or training/data/corpus/).
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from checkpoints import round_f16_  # noqa: E402
from export import FIM_ORDER, export_model  # noqa: E402
from formats import write_safetensors  # noqa: E402
from model import Config, LlamaForCausalLM  # noqa: E402
from tokenizer import Tokenizer, fim_prompt  # noqa: E402

ROOT = os.path.dirname(HERE)
TEXT = "def add(a, b):\n\treturn a + b  # sum\r\nconst π = 3.14;\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--tokenizer", default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--f32", action="store_true", help="store f32 weights instead of f16")
    a = ap.parse_args()
    tp = a.tokenizer
    if tp is None:
        for c in (os.path.join(ROOT, "public", "models", "spark-nano", "tokenizer.json"),
                  os.path.join(HERE, "data", "corpus", "tokenizer.json")):
            if os.path.exists(c):
                tp = c
                break
    tok = Tokenizer.load(tp)
    torch.manual_seed(a.seed)
    cfg = Config(vocab_size=tok.vocab_size, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                 num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
                 rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=True)
    m = LlamaForCausalLM(cfg)
    with torch.no_grad():  # larger-than-init weights so that the logits are not all ~0
        for n, p in m.named_parameters():
            if p.dim() == 2:
                p.normal_(0, 0.15)
            else:
                p.uniform_(0.5, 1.5)
    if not a.f32:
        round_f16_(m)
    m.eval()
    export_model(m, tp, a.out, metrics={"fixture": True, "seed": a.seed})
    if a.f32:
        sd = {k: v.detach().numpy().astype(np.float32) for k, v in m.state_dict().items() if k != "lm_head.weight"}
        write_safetensors(os.path.join(a.out, "model.safetensors"), sd)
        with open(os.path.join(a.out, "config.json")) as f:
            c = json.load(f)
        c["torch_dtype"] = "float32"
        with open(os.path.join(a.out, "config.json"), "w") as f:
            json.dump(c, f, indent=1)
    ids = tok.encode(TEXT)
    fim = fim_prompt(tok.encode("def f(x):\n    "), tok.encode("\n    return y\n"), FIM_ORDER)  # as config.json says
    with torch.no_grad():
        logits, _ = m(torch.tensor([ids]))
        greedy = m.generate(ids, 8)
        fim_logits, _ = m(torch.tensor([fim]))
    exp = {"text": TEXT, "tokens": ids, "dtype": "float32" if a.f32 else "float16",
           "logits": [[round(float(v), 6) for v in row] for row in logits[0]],
           "greedy": greedy, "fim_tokens": fim,
           "fim_last_logits": [round(float(v), 6) for v in fim_logits[0, -1]]}
    with open(os.path.join(a.out, "expected.json"), "w") as f:
        json.dump(exp, f)
    print(f"fixture in {a.out}: {m.num_params()} params, {len(ids)} tokens, greedy {greedy}")


if __name__ == "__main__":
    main()
