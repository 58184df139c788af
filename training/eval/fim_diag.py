#!/usr/bin/python3
"""Does the model use FIM? Per-token costs (nats) on held-out FIM samples, PSM prompt as in evaluate.py.

  /usr/bin/python3 training/eval/fim_diag.py [--model public/models/spark-nano] [--n 40]

  psm_mid    middle tokens given <fim_prefix> prefix <fim_suffix> suffix <fim_middle>
  wrong_mid  the same with another sample's suffix: psm_mid below it means the suffix is used
  l2r_mid    middle tokens left to right after the prefix alone
  psm_first / l2r_first   the middle's first token (PSM must reach back across the suffix)
  psm_eot / wrong_eot     <|endoftext|> right after the middle: low means the model knows when to stop,
             and psm_eot below wrong_eot means the stop depends on where the suffix starts
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
from evaluate import fit_fim_context, load_val, sample_fim  # noqa: E402
from tokenizer import EOT, FIM_MIDDLE, FIM_PREFIX, FIM_SUFFIX, Tokenizer  # noqa: E402


@torch.no_grad()
def token_nats(model, seq, start):
    """nats of seq[start:] given what precedes each token."""
    logits, _ = model(torch.tensor([seq[:-1]]))
    nll = torch.nn.functional.cross_entropy(logits[0], torch.tensor(seq[1:]), reduction="none")
    return nll[start - 1:].tolist()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(os.path.dirname(TRAINING), "public", "models", "spark-nano"))
    ap.add_argument("--corpus", default=os.path.join(TRAINING, "data", "corpus"))
    ap.add_argument("--n", type=int, default=40, help="FIM samples per language")
    ap.add_argument("--prompt-ctx", type=int, default=512)
    a = ap.parse_args()
    torch.set_num_threads(2)
    from export import load_model
    tok = Tokenizer.load(os.path.join(a.corpus, "tokenizer.json"))
    model, _ = load_model(a.model)
    model.eval()
    for lang in ("python", "typescript", "javascript"):
        fims = sample_fim(load_val(a.corpus, lang), a.n, seed=11)
        acc = {k: [] for k in ("psm_mid", "wrong_mid", "l2r_mid", "psm_first", "l2r_first", "psm_eot", "wrong_eot")}
        for k, s in enumerate(fims):
            pre, suf = fit_fim_context(tok.encode(s["prefix"]), tok.encode(s["suffix"]), a.prompt_ctx)
            mid = tok.encode(s["middle"])
            _, wrong = fit_fim_context([], tok.encode(fims[(k + 1) % len(fims)]["suffix"]), a.prompt_ctx)
            for name, sx in (("psm", suf), ("wrong", wrong)):
                p = [FIM_PREFIX] + pre + [FIM_SUFFIX] + sx + [FIM_MIDDLE]
                nats = token_nats(model, p + mid + [EOT], len(p))
                acc[name + "_mid"] += nats[:-1]
                acc[name + "_eot"].append(nats[-1])
                if name == "psm":
                    acc["psm_first"].append(nats[0])
            nats = token_nats(model, [EOT] + pre + mid, 1 + len(pre))
            acc["l2r_mid"] += nats
            acc["l2r_first"].append(nats[0])
        print(lang, " ".join(f"{k} {np.mean(v):.2f}" for k, v in acc.items()), flush=True)


if __name__ == "__main__":
    main()
