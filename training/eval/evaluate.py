#!/usr/bin/python3
"""Evaluate spark-nano against baselines on the held-out packages, per language.

  /usr/bin/python3 training/eval/evaluate.py [--model public/models/spark-nano | --ckpt runs/nano/best.pt]
        [--n-bpb-windows 12] [--n-line 40] [--n-fim 40] [--out training/eval/results]

Metrics (held-out packages only: split=val in corpus_manifest.json):
  bpb        cross-entropy in bits per UTF-8 byte: documents cut into windows of 1024 tokens,
             each window preceded by <|endoftext|> (so every token of the window is scored)
  line_em    next-line exact match: prompt = file up to a line break (last --prompt-ctx tokens),
             greedy generation until a newline; the line must match exactly (sans trailing \\r)
  line_es    next-line edit similarity: 1 - Levenshtein / max(len), averaged
  fim_em     FIM exact match: a random span of 1-3 whole lines removed, regenerated from the
             FIM prompt in the order the editor sends the model (config.json "fim_order", see
             tokenizer.fim_prompt; spark-nano: SPM) and shown as the editor shows it: the cursor
             sits on the empty line the span leaves, and src/editor/inline/postprocess.ts itself
             (run by editor_rules.mjs) picks single- or multi-line mode and trims the output
             (single-line: its first line; multi-line: cut before a line that copies the
             document's next non-empty line). The prompt is line-aligned (prefix up to the
             span, suffix from the line after it, as the model was trained);
             suffix: up to 1/4 of --prompt-ctx tokens, prefix: the rest;
             compared after stripping trailing whitespace of the span
Baselines, on the same tokens:
  ngram4     interpolated Kneser-Ney 4-gram trained on the training split tokens. For FIM it
             only sees the prefix and is given the true number of lines to produce (an oracle
             advantage for the baseline).
  copy       prompt lookup: continue with what followed the longest (<=4 tokens) match of the
             current suffix elsewhere in the context (prefix, and the suffix for FIM; line
             count oracle for FIM as above). No probabilities, so no bpb.
Samples are drawn with fixed seeds; the same samples are used for every system.
"""
import argparse
import json
import math
import os
import random
import subprocess
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
TRAINING = os.path.dirname(HERE)
sys.path.insert(0, TRAINING)
sys.path.insert(0, HERE)
from checkpoints import load_model, round_f16_  # noqa: E402
from export import fim_order_of  # noqa: E402
from tokenizer import EOT, Tokenizer, fim_prompt  # noqa: E402
from ngram import KneserNey  # noqa: E402

ROOT = os.path.dirname(TRAINING)
LANGS = ["python", "typescript", "javascript"]


def levenshtein(a, b):
    if a == b:
        return 0
    if not a or not b:
        return max(len(a), len(b))
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def edit_sim(a, b):
    if not a and not b:
        return 1.0
    return 1.0 - levenshtein(a, b) / max(len(a), len(b))


def first_nonempty_line(text):
    return next((l.strip() for l in text.split("\n") if l.strip()), None)


def copies_line_after_first(text, line):
    """True once a complete generated line after the first one copies `line` (the document's next
    non-empty line): the editor's multi-line cut is then certain, so generating more is wasted."""
    if line is None:
        return False
    return any(l.strip() == line for l in text.split("\n")[1:-1])


def editor_rules(op, items):
    """Applies the editor's suggestion rules (src/editor/inline/postprocess.ts) through node:
    op "mode" -> completionMode per {prefix, suffix}; "trim" -> trimCompletion per
    {prefix, suffix, raw, mode}, None where the editor shows nothing."""
    try:
        r = subprocess.run(["node", os.path.join(HERE, "editor_rules.mjs")], input=json.dumps({"op": op, "items": items}),
                           capture_output=True, text=True, cwd=ROOT)
    except FileNotFoundError:
        raise SystemExit("evaluate.py: FIM scoring runs the editor's rules with node; install Node.js and run npm install")
    if r.returncode != 0:
        raise SystemExit(f"evaluate.py: editor_rules.mjs failed (did npm install run?):\n{r.stderr.strip()}")
    return json.loads(r.stdout)


def editor_context(s):
    """The editor's view of a FIM sample: the cursor on the empty line left where the span was."""
    return {"prefix": s["prefix"], "suffix": "\n" + s["suffix"]}


# ------------------------------------------------------------------ copy baseline
def copy_generate(ctx_ids, max_new, stop_fn, extra=(), max_ngram=4):
    """Prompt lookup: find the most recent earlier occurrence of the longest suffix (<= max_ngram
    tokens) of the running sequence in ctx (+ extra), emit the token that followed it."""
    seq = list(ctx_ids)
    hay = list(extra) + [-1] + seq  # -1 separates the suffix (FIM) from the prefix
    out = []
    for _ in range(max_new):
        nxt = None
        for n in range(min(max_ngram, len(seq)), 0, -1):
            pat = seq[-n:]
            # search backwards, excluding the trailing occurrence itself
            for s in range(len(hay) - n - 1, -1, -1):
                if hay[s:s + n] == pat and s + n < len(hay) and hay[s + n] != -1:
                    nxt = hay[s + n]
                    break
            if nxt is not None:
                break
        if nxt is None:
            break
        out.append(nxt)
        seq.append(nxt)
        hay.append(nxt)
        if stop_fn(out):
            break
    return out


# ------------------------------------------------------------------ sampling
def load_val(corpus, lang):
    docs = []
    with open(os.path.join(corpus, "val.jsonl")) as f:
        for line in f:
            d = json.loads(line)
            if d["lang"] == lang:
                docs.append(d)
    return docs


def sample_bpb_windows(docs, tok, n, T, seed):
    rng = random.Random(seed)
    wins = []
    order = list(range(len(docs)))
    rng.shuffle(order)
    for i in order:
        ids = tok.encode(docs[i]["text"])
        # one window per document (diversity), at a random offset
        if len(ids) > T:
            s = rng.randrange(0, len(ids) - T + 1)
            ids = ids[s:s + T]
        wins.append(ids)
        if len(wins) >= n:
            break
    return wins


def sample_lines(docs, n, seed):
    rng = random.Random(seed)
    out = []
    tries = 0
    while len(out) < n and tries < n * 50:
        tries += 1
        d = docs[rng.randrange(len(docs))]
        lines = d["text"].split("\n")
        if len(lines) < 6:
            continue
        i = rng.randrange(3, len(lines) - 1)
        target = lines[i].rstrip("\r")
        if not target.strip():
            continue
        prefix = "\n".join(lines[:i]) + "\n"
        out.append({"doc": d["path"], "pkg": d["pkg"], "prefix": prefix, "target": target})
    return out


def sample_fim(docs, n, seed):
    rng = random.Random(seed)
    out = []
    tries = 0
    while len(out) < n and tries < n * 50:
        tries += 1
        d = docs[rng.randrange(len(docs))]
        lines = d["text"].split("\n")
        if len(lines) < 8:
            continue
        k = rng.randint(1, 3)
        i = rng.randrange(2, len(lines) - k - 1)
        mid_lines = lines[i:i + k]
        if not any(l.strip() for l in mid_lines):
            continue
        prefix = "\n".join(lines[:i]) + "\n"
        middle = "\n".join(mid_lines) + "\n"
        suffix = "\n".join(lines[i + k:])
        out.append({"doc": d["path"], "pkg": d["pkg"], "prefix": prefix, "middle": middle, "suffix": suffix,
                    "n_lines": k})
    return out


def fit_fim_context(pre, suf, budget):
    """Token ids of prefix and suffix cut to a prompt budget: at most a quarter for the suffix's
    start, the rest for the prefix's end."""
    suf = suf[: budget // 4]
    return pre[-(budget - len(suf)):], suf


# ------------------------------------------------------------------ systems
class ModelSystem:
    name = "spark-nano"

    def __init__(self, model, fim_order):
        self.m = model
        self.fim_order = fim_order  # the prompt order the editor sends this model

    @torch.no_grad()
    def window_nats(self, ids):
        x = torch.tensor([[EOT] + ids[:-1]])
        y = torch.tensor([ids])
        logits, _ = self.m(x)
        return float(torch.nn.functional.cross_entropy(logits[0], y[0], reduction="sum"))

    def gen(self, ids, max_new, stop_fn, stop_ids=(), fim_suffix_ids=None):
        return self.m.generate(ids, max_new, stop_ids=stop_ids, stop_fn=stop_fn)


class NgramSystem:
    def __init__(self, kn):
        self.kn = kn
        self.name = f"ngram{kn.n}-kn"

    def window_nats(self, ids):
        lp = self.kn.logprobs([EOT] + ids, start=1)
        return float(-lp.sum())

    def gen(self, ids, max_new, stop_fn, stop_ids=(), fim_suffix_ids=None):
        return self.kn.generate(ids, max_new, stop_fn=stop_fn, stop_ids=stop_ids)


class CopySystem:
    name = "copy"

    def window_nats(self, ids):
        return None

    def gen(self, ids, max_new, stop_fn, stop_ids=(), fim_suffix_ids=None):
        return copy_generate(ids, max_new, stop_fn, extra=fim_suffix_ids or ())


def run(systems, tok, corpus, a):
    V = tok.vocab_size
    results = {}
    samples_out = {}
    CTX = 1024
    for lang in LANGS:
        docs = load_val(corpus, lang)
        if not docs:
            continue
        wins = sample_bpb_windows(docs, tok, a.n_bpb_windows, CTX, seed=1)
        nbytes = sum(len(tok.decode_bytes(w)) for w in wins)
        lines = sample_lines(docs, a.n_line, seed=2)
        fims = sample_fim(docs, a.n_fim, seed=3)
        modes = editor_rules("mode", [editor_context(s) for s in fims])
        for sysm in systems:
            t0 = time.time()
            r = {}
            nats = [sysm.window_nats(w) for w in wins]
            r["bpb"] = None if nats[0] is None else sum(nats) / math.log(2) / nbytes
            em, es = 0, 0.0
            ex_lines = []
            for s in lines:
                ids = tok.encode(s["prefix"])[-a.prompt_ctx:]

                def stop_line(out):
                    return b"\n" in tok.decode_bytes(out[-1:])
                out = sysm.gen(ids, 48, stop_line, stop_ids=(EOT,))
                pred = tok.decode(out).split("\n")[0].rstrip("\r")
                em += pred == s["target"]
                es += edit_sim(pred, s["target"])
                ex_lines.append({"pkg": s["pkg"], "doc": s["doc"], "target": s["target"], "pred": pred})
            r["line_em"] = em / max(1, len(lines))
            r["line_es"] = es / max(1, len(lines))
            fem = 0
            ex_fim = []
            raws = []
            for s, mode in zip(fims, modes):
                pre = tok.encode(s["prefix"])
                suf = tok.encode(s["suffix"])
                pre, suf = fit_fim_context(pre, suf, a.prompt_ctx)
                n_lines = s["n_lines"]
                if isinstance(sysm, ModelSystem):
                    prompt = fim_prompt(pre, suf, sysm.fim_order)
                    next_line = first_nonempty_line(s["suffix"])

                    def stop_shown(out, single=mode == "single-line", nl=next_line):
                        # stop once the editor's cut is certain; editor_rules applies it below
                        text = tok.decode(out)
                        return "\n" in text if single else copies_line_after_first(text, nl)
                    out = sysm.gen(prompt, 80, stop_shown, stop_ids=(EOT,))
                else:
                    def stop_n(out, n=n_lines):
                        return tok.decode_bytes(out).count(b"\n") >= n
                    out = sysm.gen(pre, 80, stop_n, stop_ids=(EOT,), fim_suffix_ids=suf)
                raws.append(tok.decode(out))
            if isinstance(sysm, ModelSystem):
                preds = editor_rules("trim", [dict(editor_context(s), raw=raw, mode=mode)
                                              for s, raw, mode in zip(fims, raws, modes)])
                preds = [p or "" for p in preds]
            else:
                preds = raws  # the baselines' oracle line count already cut them
            for s, raw, pred in zip(fims, raws, preds):
                ok = pred.rstrip() == s["middle"].rstrip()
                fem += ok
                ex_fim.append({"pkg": s["pkg"], "doc": s["doc"], "middle": s["middle"], "raw": raw, "pred": pred,
                               "ok": ok})
            r["fim_em"] = fem / max(1, len(fims))
            r["n"] = {"bpb_windows": len(wins), "bpb_bytes": nbytes, "lines": len(lines), "fim": len(fims),
                      "fim_single_line": modes.count("single-line")}
            r["seconds"] = round(time.time() - t0, 1)
            results.setdefault(lang, {})[sysm.name] = r
            samples_out.setdefault(lang, {})[sysm.name] = {"lines": ex_lines[:10], "fim": ex_fim[:10]}
            print(lang, sysm.name, json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()}),
                  flush=True)
    return results, samples_out


def markdown(results):
    rows = ["| language | system | bits/byte ↓ | next-line EM ↑ | next-line edit sim ↑ | FIM EM ↑ |",
            "|---|---|---|---|---|---|"]
    for lang, sy in results.items():
        for name, r in sy.items():
            bpb = "—" if r["bpb"] is None else f"{r['bpb']:.3f}"
            rows.append(f"| {lang} | {name} | {bpb} | {r['line_em']:.3f} | {r['line_es']:.3f} | {r['fim_em']:.3f} |")
    n = next(iter(next(iter(results.values())).values()))["n"]
    rows.append("")
    rows.append(f"Per language: {n['bpb_windows']} windows of ≤1024 tokens for bits/byte, {n['lines']} next-line "
                f"samples, {n['fim']} FIM samples (fixed seeds).")
    single = {lang: next(iter(sy.values()))["n"].get("fim_single_line") for lang, sy in results.items()}
    if None not in single.values():
        rows.append("FIM samples the editor completes in single-line mode (its first line only): "
                    + ", ".join(f"{lang} {k}/{n['fim']}" for lang, k in single.items()) + ".")
    return "\n".join(rows) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(ROOT, "public", "models", "spark-nano"),
                    help="exported HF directory (f16 weights) or a .pt checkpoint")
    ap.add_argument("--corpus", default=os.path.join(TRAINING, "data", "corpus"))
    ap.add_argument("--n-bpb-windows", type=int, default=8)
    ap.add_argument("--n-line", type=int, default=30)
    ap.add_argument("--n-fim", type=int, default=24)
    ap.add_argument("--order", type=int, default=4)
    ap.add_argument("--prompt-ctx", type=int, default=512, help="prompt tokens for next-line and FIM")
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    tok = Tokenizer.load(os.path.join(a.corpus, "tokenizer.json"))
    model, info = load_model(a.model)
    if not os.path.isdir(a.model):
        round_f16_(model)
    t0 = time.time()
    train_tokens = np.fromfile(os.path.join(a.corpus, "train.bin"), dtype=np.uint16)
    kn = KneserNey(train_tokens, tok.vocab_size, order=a.order)
    print(f"n-gram built in {time.time() - t0:.0f}s", flush=True)
    systems = [ModelSystem(model, fim_order_of(a.model)), NgramSystem(kn), CopySystem()]
    results, samples = run(systems, tok, a.corpus, a)
    os.makedirs(a.out, exist_ok=True)
    meta = {"model": os.path.relpath(a.model, ROOT) if os.path.isabs(a.model) else a.model, "model_info": info,
            "fim_order": systems[0].fim_order,
            "params": model.num_params(), "args": vars(a), "utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    with open(os.path.join(a.out, "eval.json"), "w") as f:
        json.dump({"meta": meta, "results": results}, f, indent=1)
    with open(os.path.join(a.out, "eval_samples.json"), "w") as f:
        json.dump(samples, f, indent=1, ensure_ascii=False)
    md = markdown(results)
    with open(os.path.join(a.out, "eval.md"), "w") as f:
        f.write(md)
    print(md)


if __name__ == "__main__":
    main()
