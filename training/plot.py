#!/usr/bin/python3
"""Loss curve of a run -> PNG (matplotlib, Debian python3-matplotlib).

  /usr/bin/python3 training/plot.py [--run training/runs/nano] [--out public/models/spark-nano/loss.png]

Plots the training loss (nats/token, mean of each 10-step log record; FIM examples included)
and the held-out bits/byte against tokens seen. Restarts that re-log a few steps are de-duplicated
(the last record for a step wins).
"""
import argparse
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


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
    ap.add_argument("--run", default=os.path.join(HERE, "runs", "nano"))
    ap.add_argument("--out", default=os.path.join(ROOT, "public", "models", "spark-nano", "loss.png"))
    a = ap.parse_args()
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    tr, ev = load(a.run)
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
    ax1.set_title("spark-nano training")
    fig.tight_layout()
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    fig.savefig(a.out)
    print("wrote", a.out)


if __name__ == "__main__":
    main()
