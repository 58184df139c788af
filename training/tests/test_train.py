import json
import os

import numpy as np

import train


def test_fim_format():
    from tokenizer import EOT, FIM_MIDDLE, FIM_PREFIX, FIM_SUFFIX
    rng = np.random.default_rng(0)
    w = np.array(list(range(10, 40)) + [EOT] + list(range(50, 70)), dtype=np.int64)
    out = train.apply_fim(w, rng, fim_rate=1.0, spm_rate=0.0, min_len=4)
    assert len(out) == len(w)
    assert out[0] == FIM_PREFIX
    s = list(out)
    i_suf, i_mid = s.index(FIM_SUFFIX), s.index(FIM_MIDDLE)
    pre, suf = s[1:i_suf], s[i_suf + 1:i_mid]
    mid = s[i_mid + 1:s.index(EOT)]
    assert pre + mid + suf == list(range(10, 40))  # PSM: prefix, suffix, then middle
    out = train.apply_fim(w, np.random.default_rng(1), fim_rate=1.0, spm_rate=1.0, min_len=4)
    s = list(out)
    assert s[:2] == [FIM_PREFIX, FIM_SUFFIX]  # SPM: <pre><suf> suffix <mid> prefix middle
    i_mid = s.index(FIM_MIDDLE)
    suf, rest = s[2:i_mid], s[i_mid + 1:s.index(EOT)]
    assert rest + suf == list(range(10, 40))


def test_few_steps_reduce_loss(toy_corpus, tmp_path):
    args = ["--name", "t", "--runs", str(tmp_path), "--corpus", toy_corpus, "--d-model", "32", "--d-ff", "64",
            "--n-layer", "1", "--n-head", "2", "--n-kv-head", "1", "--ctx", "64", "--seq-len", "32",
            "--long-seq-len", "64", "--tokens-per-step", "256", "--total-tokens", "12800", "--lr", "1e-2",
            "--warmup-steps", "5", "--eval-every", "1000", "--eval-windows", "4", "--threads", "1"]
    train.main(args)
    recs = [json.loads(l) for l in open(tmp_path / "t" / "log.jsonl")]
    losses = [r["loss"] for r in recs if "loss" in r]
    assert losses[-1] < losses[0] - 1.0, losses
    assert os.path.exists(tmp_path / "t" / "ckpt.pt") and os.path.exists(tmp_path / "t" / "best.pt")
    # resume: a rerun with a bigger budget continues from the checkpoint (step count goes on)
    args[args.index("--total-tokens") + 1] = "15360"
    train.main(args)
    recs = [json.loads(l) for l in open(tmp_path / "t" / "log.jsonl")]
    steps = [r["step"] for r in recs if "loss" in r]
    assert steps[-1] == 60 and steps == sorted(steps)


def test_budget_min_pulls_the_budget_in_and_still_decays(toy_corpus, tmp_path):
    # A 1e9-token budget cannot fit in ~2 seconds: the run must shrink it, decay, and end.
    args = ["--name", "b", "--runs", str(tmp_path), "--corpus", toy_corpus, "--d-model", "32", "--d-ff", "64",
            "--n-layer", "1", "--n-head", "2", "--n-kv-head", "1", "--ctx", "64", "--seq-len", "32",
            "--long-seq-len", "64", "--tokens-per-step", "256", "--total-tokens", "1e9", "--lr", "1e-2",
            "--warmup-steps", "5", "--decay-frac", "0.5", "--eval-every", "1000", "--eval-windows", "2",
            "--threads", "1", "--budget-min", "0.03"]
    train.main(args)
    recs = [r for r in (json.loads(l) for l in open(tmp_path / "b" / "log.jsonl")) if "lr" in r]
    assert recs[-1]["tokens"] < 1e6  # it ended, far short of the nominal budget
    assert recs[-1]["lr"] < 0.5 * 1e-2  # ... after decaying, not cut off at the peak rate
    assert os.path.exists(tmp_path / "b" / "ckpt_predecay.pt")
