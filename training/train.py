#!/usr/bin/python3
"""Train spark-nano. Resumable: rerunning the same command continues from runs/<name>/ckpt.pt.

  nice -n 19 /usr/bin/python3 training/train.py --name nano            # start or resume
  nice -n 19 /usr/bin/python3 training/train.py --name nano --init-from shipped
        # no checkpoint yet -> start from public/models/spark-nano/model.safetensors

Schedule (a function of tokens seen, so it survives restarts): linear warmup over
--warmup-steps, constant --lr, then linear decay to --lr * --min-lr-frac over the last
--decay-frac of --total-tokens (WSD). The checkpoint taken when decay begins is kept as
ckpt_predecay.pt: a later session that wants to train longer resumes from it with a larger
--total-tokens (--resume-from predecay). Sequence length: --seq-len until --long-frac of the
budget is left, then --long-seq-len (1024), batch size scaled to keep tokens/step constant.
--budget-min M: the run must end within M minutes (a session's time box). Until decay starts,
--total-tokens is pulled in to what the measured throughput can reach by then, so the run still
ends with its full decay instead of being cut off mid-plateau.

Every example is a window of the token stream (documents joined by <|endoftext|>). Each
example is, with probability --fim-rate, a FIM example instead (token level, see data.py):
  PSM: <fim_prefix> prefix <fim_suffix> suffix <fim_middle> middle <|endoftext|>
  SPM: <fim_prefix> <fim_suffix> suffix <fim_middle> prefix middle <|endoftext|>
(SPM with probability --spm-rate). The middle is 1-4 whole lines with probability
--fim-line-rate, else a random span; it always ends with <|endoftext|> inside the window,
so the model learns to stop when the middle is complete.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from checkpoints import SHIPPED, atomic_save, load_hf_dir, run_tokens_before  # noqa: E402
from data import Data, evaluate, token_byte_lengths, token_ends_line  # noqa: E402
from model import Config, LlamaForCausalLM  # noqa: E402
from tokenizer import Tokenizer  # noqa: E402

# Tokens/s at --long-seq-len relative to --seq-len, for --budget-min planning, taken as
# (seq_len / long_seq_len) ** LONG_CTX_SPEED_EXP. Measured for spark-nano on two cores: 610-720 tokens/s
# at 4x1024 vs 2,400-3,300 at 16x256, a ratio of about 0.25 for 4x the length (attention materialises
# T x T scores, so the long phase costs far more than its extra FLOPs suggest), and 480-570 at 4x1024 vs
# ~1,000 at 8x512: exponent 1.
LONG_CTX_SPEED_EXP = 1.0
# The flags a (re)start records in log.jsonl (see "start" records there).
START_FLAGS = ("init_from", "resume_from", "lr", "total_tokens", "decay_frac", "seq_len", "long_seq_len", "long_frac",
               "fim_rate", "spm_rate", "fim_line_rate")


def long_ctx_speed(a):
    return (a.seq_len / a.long_seq_len) ** LONG_CTX_SPEED_EXP


def model_config(a, vocab):
    return Config(vocab_size=vocab, hidden_size=a.d_model, intermediate_size=a.d_ff,
                  num_hidden_layers=a.n_layer, num_attention_heads=a.n_head,
                  num_key_value_heads=a.n_kv_head, max_position_embeddings=a.ctx,
                  rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=True)


def lr_at(tokens, a, step):
    if step < a.warmup_steps:
        return a.lr * (step + 1) / a.warmup_steps
    decay_start = a.total_tokens * (1 - a.decay_frac)
    if tokens < decay_start:
        return a.lr
    frac = min(1.0, (tokens - decay_start) / max(1, a.total_tokens - decay_start))
    return a.lr * (1 - frac * (1 - a.min_lr_frac))


def seq_len_at(tokens, a):
    return a.long_seq_len if tokens >= a.total_tokens * (1 - a.long_frac) else a.seq_len


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", default="nano")
    ap.add_argument("--runs", default=os.path.join(HERE, "runs"))
    ap.add_argument("--corpus", default=os.path.join(HERE, "data", "corpus"))
    ap.add_argument("--tokenizer", default=None)
    ap.add_argument("--d-model", type=int, default=192)
    ap.add_argument("--d-ff", type=int, default=512)
    ap.add_argument("--n-layer", type=int, default=4)
    ap.add_argument("--n-head", type=int, default=4)
    ap.add_argument("--n-kv-head", type=int, default=2)
    ap.add_argument("--ctx", type=int, default=1024)
    ap.add_argument("--seq-len", type=int, default=256)
    ap.add_argument("--long-seq-len", type=int, default=1024)
    ap.add_argument("--long-frac", type=float, default=0.25)
    ap.add_argument("--tokens-per-step", type=int, default=4096)
    ap.add_argument("--total-tokens", type=float, default=8e6)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--min-lr-frac", type=float, default=0.1)
    ap.add_argument("--warmup-steps", type=int, default=100)
    ap.add_argument("--decay-frac", type=float, default=0.25)
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--grad-clip", type=float, default=1.0)
    ap.add_argument("--fim-rate", type=float, default=0.5)
    ap.add_argument("--spm-rate", type=float, default=0.5)
    ap.add_argument("--fim-line-rate", type=float, default=0.5, help="FIM middles that are whole lines")
    ap.add_argument("--eval-every", type=int, default=150, help="steps")
    ap.add_argument("--eval-windows", type=int, default=48)
    ap.add_argument("--ckpt-every-sec", type=float, default=180)
    ap.add_argument("--max-steps", type=int, default=None, help="stop after this many steps (this run)")
    ap.add_argument("--budget-min", type=float, default=None,
                    help="finish (decay included) within this many minutes; shrinks --total-tokens if needed")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--init-from", choices=["scratch", "shipped"], default="scratch")
    ap.add_argument("--resume-from", choices=["latest", "predecay"], default="latest")
    a = ap.parse_args(argv)

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    run = os.path.join(a.runs, a.name)
    os.makedirs(run, exist_ok=True)
    tok = Tokenizer.load(a.tokenizer or os.path.join(a.corpus, "tokenizer.json"))
    tbl = token_byte_lengths(tok)
    train, val = Data(a.corpus, "train", token_ends_line(tok)), Data(a.corpus, "val")

    ckpt_path = os.path.join(run, "ckpt.pt" if a.resume_from == "latest" else "ckpt_predecay.pt")
    state, shipped = None, None
    if os.path.exists(ckpt_path):
        state = torch.load(ckpt_path, map_location="cpu")
        cfg = Config(**state["config"])
        print(f"resuming from {ckpt_path} at step {state['step']}, {state['tokens']:.0f} tokens", flush=True)
    elif a.init_from == "shipped":
        cfg, shipped = load_hf_dir(SHIPPED)
    else:
        cfg = model_config(a, tok.vocab_size)
    model = LlamaForCausalLM(cfg)
    if shipped is not None:
        model.load_state_dict(shipped, strict=False)
    opt = torch.optim.AdamW(
        [{"params": [p for p in model.parameters() if p.dim() >= 2], "weight_decay": a.weight_decay},
         {"params": [p for p in model.parameters() if p.dim() < 2], "weight_decay": 0.0}],
        lr=a.lr, betas=(0.9, 0.95), eps=1e-8)
    step, tokens, best = 0, 0.0, (0, -float("inf"))
    # Training tokens the starting weights had already seen (--init-from shipped continues a
    # model): reports and plots count from there; this run's schedules count from 0.
    a.tokens_before = 0.0
    rng = np.random.default_rng(a.seed)
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        step, tokens, best = state["step"], state["tokens"], tuple(state.get("best", (0, -float("inf"))))
        rng = np.random.default_rng([a.seed, step])
        saved_args = state.get("args", {})
        if "tokens_before" in saved_args:
            a.tokens_before = saved_args["tokens_before"]
        else:  # a checkpoint without it: the run's args.json may have it
            a.tokens_before = run_tokens_before(run)
        saved = saved_args.get("total_tokens")
        if (a.resume_from == "latest" and saved_args.get("budget_min") and saved and saved < a.total_tokens
                and tokens >= saved * (1 - a.decay_frac)):
            # --budget-min shrank the budget and decay already began under it: finish that decay
            # (after a normal finish, a bigger --total-tokens continues the run)
            print(f"decay in progress: keeping total_tokens {saved:.0f}", flush=True)
            a.total_tokens = saved
    elif shipped is not None:
        with open(os.path.join(SHIPPED, "metrics.json")) as f:
            a.tokens_before = float(json.load(f).get("tokens", 0.0))
        print(f"initialised from shipped weights ({a.tokens_before:.0f} tokens seen)", flush=True)
    print(f"model: {model.num_params()} params, config {cfg.to_dict()}", flush=True)
    with open(os.path.join(run, "args.json"), "w") as f:
        json.dump(vars(a), f, indent=1)

    log = open(os.path.join(run, "log.jsonl"), "a")
    # Each (re)start logs its data mix and schedule: a resumed run may change them, and the model card
    # reports the mix per stretch of the run from these records (args.json keeps only the last start).
    log.write(json.dumps({"t": time.time(), "step": step, "tokens": tokens,
                          "start": {k: getattr(a, k) for k in START_FLAGS}}) + "\n")

    def save(path):
        atomic_save({"model": model.state_dict(), "opt": opt.state_dict(), "config": cfg.to_dict(),
                     "step": step, "tokens": tokens, "best": best, "args": vars(a)}, path)

    def do_eval():
        nonlocal best
        T = seq_len_at(tokens, a)
        vl, bpb = evaluate(model, val, T, a.eval_windows, tbl)
        rec = {"t": time.time(), "step": step, "tokens": tokens, "val_loss": vl, "val_bpb": bpb, "T": T}
        # a model evaluated at a longer context supersedes (the editor runs at 1024)
        if (T, -bpb) > best:
            best = (T, -bpb)
            atomic_save({"model": model.state_dict(), "config": cfg.to_dict(), "step": step, "tokens": tokens,
                         "val_bpb": bpb, "val_T": T}, os.path.join(run, "best.pt"))
            rec["best"] = True
        log.write(json.dumps(rec) + "\n")
        log.flush()
        print(f"eval step {step} tokens {tokens:.0f} T {T} val_loss {vl:.4f} val_bpb {bpb:.4f}"
              f"{' *' if rec.get('best') else ''}", flush=True)

    last_ckpt = time.time()
    t_last, tok_last = time.time(), tokens
    deadline = time.time() + 60 * a.budget_min if a.budget_min else None
    tps_avg = None  # tokens/s, smoothed: the machine is shared, single readings swing 3x
    decay_start = a.total_tokens * (1 - a.decay_frac)
    steps_this_run = 0
    model.train()
    while tokens < a.total_tokens:
        if a.max_steps is not None and steps_this_run >= a.max_steps:
            break
        T = seq_len_at(tokens, a)
        B = max(1, a.tokens_per_step // T)
        lr = lr_at(tokens, a, step)
        for g in opt.param_groups:
            g["lr"] = lr
        x, y = train.batch(B, T, rng, a.fim_rate, a.spm_rate, a.fim_line_rate)
        _, loss = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gn = torch.nn.utils.clip_grad_norm_(model.parameters(), a.grad_clip)
        opt.step()
        if tokens < decay_start <= tokens + B * T:
            save(os.path.join(run, "ckpt_predecay.pt"))
        step += 1
        steps_this_run += 1
        tokens += B * T
        if step % 10 == 0:
            now = time.time()
            tps = (tokens - tok_last) / (now - t_last)
            t_last, tok_last = now, tokens
            tps_avg = tps if tps_avg is None else 0.8 * tps_avg + 0.2 * tps
            if deadline is not None and tokens < decay_start:
                left = max(0.0, deadline - now)
                if T == a.seq_len and a.long_frac > 0:
                    # short phase at tps_avg, then long_frac of the total at rho = long_ctx_speed of it:
                    # ((1-lf) X - tokens) / tps + lf X / (rho tps) = left, solved for X
                    lf = a.long_frac
                    reachable = (tps_avg * left + tokens) / ((1 - lf) + lf / long_ctx_speed(a))
                else:  # already at the long context: tps_avg is that phase's rate
                    reachable = tokens + tps_avg * left
                if reachable < a.total_tokens:
                    # never behind us: decay starts at the next step at the earliest
                    a.total_tokens = max((tokens + B * T) / (1 - a.decay_frac), reachable)
                    decay_start = a.total_tokens * (1 - a.decay_frac)
            rec = {"t": now, "step": step, "tokens": tokens, "loss": float(loss), "lr": lr,
                   "grad_norm": float(gn), "T": T, "tok_per_s": tps}
            log.write(json.dumps(rec) + "\n")
            log.flush()
            if step % 50 == 0:
                print(f"step {step} tokens {tokens:.0f} loss {float(loss):.4f} lr {lr:.2e} T {T} "
                      f"{tps:.0f} tok/s", flush=True)
        if step % a.eval_every == 0:
            do_eval()
        if time.time() - last_ckpt > a.ckpt_every_sec:
            save(os.path.join(run, "ckpt.pt"))
            last_ckpt = time.time()
    do_eval()
    save(os.path.join(run, "ckpt.pt"))
    print("done", flush=True)


if __name__ == "__main__":
    main()
