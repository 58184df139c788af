#!/usr/bin/python3
"""Loss curve of a run -> PNG (matplotlib, Debian python3-matplotlib).

  /usr/bin/python3 training/plot.py [--run training/runs/<name>] [--out public/models/spark-nano/loss.png]

--run defaults to the run that produced the shipped weights ("source" in public/models/spark-nano/metrics.json).

Plots the training loss (nats/token, mean of each 10-step log record; FIM examples included)
and the held-out bits/byte against tokens seen (a run that continued earlier weights is placed after
the tokens those had seen; the earlier runs' own logs are not kept in git). Restarts that re-log a few steps are de-duplicated
(the last record for a step wins).
"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from checkpoints import ROOT, run_tokens_before, shipped_run_dir  # noqa: E402


def load(run):
    tr, ev = {}, {}
    with open(os.path.join(run, "log.jsonl")) as f:
        for line in f:
            r = json.loads(line)
            if "loss" in r:
                tr[r["step"]] = r
            elif "val_bpb" in r:
                ev[r["step"]] = r
    return [tr[k] for k in sorted(tr)], [ev[k] for k in sorted(ev)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", default=None, help="run directory (default: the shipped weights' run)")
    ap.add_argument("--out", default=os.path.join(ROOT, "public", "models", "spark-nano", "loss.png"))
    a = ap.parse_args()
    if a.run is None:
        with open(os.path.join(ROOT, "public", "models", "spark-nano", "metrics.json")) as f:
            a.run = shipped_run_dir(json.load(f))
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    tr, ev = load(a.run)
    before = run_tokens_before(a.run)  # the run continued weights that had seen this many tokens
    for r in tr + ev:
        r["tokens"] += before
    fig, ax1 = plt.subplots(figsize=(7, 4), dpi=100)
    ax1.plot([r["tokens"] / 1e6 for r in tr], [r["loss"] for r in tr], lw=0.8, color="tab:blue",
             label="train loss (nats/token)")
    ax1.set_xlabel("training tokens (millions)")
    ax1.set_ylabel("train loss (nats/token)", color="tab:blue")
    ax2 = ax1.twinx()
    ax2.plot([r["tokens"] / 1e6 for r in ev], [r["val_bpb"] for r in ev], "o-", color="tab:red", ms=3,
             label="held-out bits/byte")
    ax2.set_ylabel("held-out bits/byte", color="tab:red")
    for r0, r1 in zip(tr, tr[1:]):
        if r0["T"] != r1["T"]:
            ax1.axvline(r1["tokens"] / 1e6, color="gray", ls=":", lw=1)
            ax1.text(r1["tokens"] / 1e6, ax1.get_ylim()[1], f" ctx {r1['T']}", va="top", fontsize=8, color="gray")
    title = "spark-nano training"
    if before:
        ax1.set_xlim(left=0)
        ax1.axvspan(0, before / 1e6, color="0.93")
        ax1.text(before / 2e6, ax1.get_ylim()[1], "earlier runs\n(log not kept)", ha="center", va="top",
                 fontsize=8, color="gray")
        title += f" (continued from {before / 1e6:.2f}M tokens)"
    ax1.set_title(title)
    fig.tight_layout()
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    fig.savefig(a.out)
    print("wrote", a.out)


if __name__ == "__main__":
    main()
