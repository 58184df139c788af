#!/usr/bin/python3
"""Does the model use FIM, and in which prompt order? Per-token costs (nats) and first-line exact
match on held-out FIM samples, for both orders (tokenizer.fim_prompt), with evaluate.py's context cut.

  /usr/bin/python3 training/eval/fim_diag.py [--model public/models/spark-nano] [--n 40]

Per order (psm, spm):
  mid        middle tokens given the FIM prompt
  wrong_mid  the same with another sample's suffix: mid below it means the suffix is used
  first      the middle's first token (PSM must reach back across the suffix to the prefix)
  eot        <|endoftext|> right after the middle: low means the model knows when to stop
  wrong_eot  the same with another sample's suffix: eot below it means the stop depends on the suffix
  line1      share of samples whose greedy first middle line is exactly right
and, left to right after the prefix alone: l2r_mid, l2r_first.
"""
import argparse
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
TRAINING = os.path.dirname(HERE)
sys.path.insert(0, TRAINING)
sys.path.insert(0, HERE)
from checkpoints import load_model  # noqa: E402
from evaluate import fit_fim_context, load_val, sample_fim  # noqa: E402
from tokenizer import EOT, FIM_ORDERS, Tokenizer, fim_prompt  # noqa: E402


@torch.no_grad()
def token_nats(model, seq, start):
    """nats of seq[start:] given what precedes each token."""
    logits, _ = model(torch.tensor([seq[:-1]]))
    nll = torch.nn.functional.cross_entropy(logits[0], torch.tensor(seq[1:]), reduction="none")
    return nll[start - 1:].tolist()


def first_line(model, tok, prompt):
    """The greedy middle's first line."""
    out = model.generate(prompt, 48, stop_ids=(EOT,), stop_fn=lambda o: b"\n" in tok.decode_bytes(o[-1:]))
    return tok.decode(out).split("\n")[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(os.path.dirname(TRAINING), "public", "models", "spark-nano"),
                    help="exported HF directory or a .pt checkpoint")
    ap.add_argument("--corpus", default=os.path.join(TRAINING, "data", "corpus"))
    ap.add_argument("--n", type=int, default=40, help="FIM samples per language")
    ap.add_argument("--prompt-ctx", type=int, default=512)
    a = ap.parse_args()
    torch.set_num_threads(2)
    tok = Tokenizer.load(os.path.join(a.corpus, "tokenizer.json"))
    model, _ = load_model(a.model)
    model.eval()
    for lang in ("python", "typescript", "javascript"):
        fims = sample_fim(load_val(a.corpus, lang), a.n, seed=11)
        acc = {}
        for k, s in enumerate(fims):
            pre, suf = fit_fim_context(tok.encode(s["prefix"]), tok.encode(s["suffix"]), a.prompt_ctx)
            mid = tok.encode(s["middle"])
            _, wrong = fit_fim_context([], tok.encode(fims[(k + 1) % len(fims)]["suffix"]), a.prompt_ctx)
            for order in FIM_ORDERS:
                for name, sx in (("", suf), ("wrong_", wrong)):
                    p = fim_prompt(pre, sx, order)
                    nats = token_nats(model, p + mid + [EOT], len(p))
                    acc.setdefault(f"{order}_{name}mid", []).extend(nats[:-1])
                    acc.setdefault(f"{order}_{name}eot", []).append(nats[-1])
                    if not name:
                        acc.setdefault(f"{order}_first", []).append(nats[0])
                        line = first_line(model, tok, p)
                        acc.setdefault(f"{order}_line1", []).append(line == s["middle"].split("\n")[0])
            nats = token_nats(model, [EOT] + pre + mid, 1 + len(pre))
            acc.setdefault("l2r_mid", []).extend(nats)
            acc.setdefault("l2r_first", []).append(nats[0])
        print(lang, " ".join(f"{k} {np.mean(v):.2f}" for k, v in acc.items()), flush=True)


if __name__ == "__main__":
    main()
