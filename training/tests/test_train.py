import json
import os

import numpy as np

import data
import train


def test_fim_format():
    from tokenizer import EOT, FIM_MIDDLE, FIM_PREFIX, FIM_SUFFIX
    NL = 9  # a token that ends a line
    ends_line = np.zeros(100, dtype=bool)
    ends_line[NL] = True
    doc = [t if t % 5 else NL for t in range(10, 60)]
    stream = np.array(doc + [EOT] + list(range(60, 99)) * 3, dtype=np.int64)
    L = 80
    seen_spm = seen_psm = seen_lines = 0
    for seed in range(40):
        rng = np.random.default_rng(seed)
        out = data.fim_window(stream, 0, L, rng, spm_rate=0.5, ends_line=ends_line, line_rate=0.5, min_len=8)
        if out is None:
            continue
        s = list(out)
        assert len(s) == L and s[0] == FIM_PREFIX
        i_mid, end = s.index(FIM_MIDDLE), s.index(EOT)  # the middle always ends with EOT in the window
        n = end - 3  # fragment tokens, a prefix of the document
        if s[1] == FIM_SUFFIX:  # SPM: <pre><suf> suffix <mid> prefix middle
            seen_spm += 1
            suf, pre_mid = s[2:i_mid], s[i_mid + 1:end]
            frag = pre_mid + suf
        else:  # PSM: <pre> prefix <suf> suffix <mid> middle
            seen_psm += 1
            i_suf = s.index(FIM_SUFFIX)
            pre, suf, mid = s[1:i_suf], s[i_suf + 1:i_mid], s[i_mid + 1:end]
            assert mid, "the middle is never empty"
            frag = pre + mid + suf
            seen_lines += bool(mid[-1] == NL and (not pre or pre[-1] == NL))
        assert frag == doc[:n]
        # after the example, the stream continues at the next document, never mid-fragment's document
        nxt = len(doc) + 1
        assert s[end + 1:] == list(stream[nxt:nxt + L - end - 1])
    assert seen_spm and seen_psm and seen_lines


def test_fim_window_near_the_stream_end_stays_full():
    from tokenizer import EOT
    ends_line = np.zeros(100, dtype=bool)
    doc = list(range(5, 95))  # longer than the window, so the fragment never reaches its end
    stream = np.array(doc + [EOT] + [95, 96, 97], dtype=np.int64)  # too little after the next document start
    wrapped = 0
    for seed in range(20):
        out = data.fim_window(stream, 0, 80, np.random.default_rng(seed), 0.5, ends_line, min_len=8)
        if out is not None:
            s = list(out)
            end = s.index(EOT)
            need, nxt = 80 - end - 1, len(doc) + 1
            start = nxt if nxt + need <= len(stream) else 0  # else filled from the stream's start
            assert len(s) == 80 and s[end + 1:] == list(stream[start:start + need])
            wrapped += start == 0
    assert wrapped


def test_next_doc_start():
    from tokenizer import EOT
    stream = np.array([7, 8, EOT, 9, 10, 11, EOT, 12], dtype=np.int64)
    assert data.next_doc_start(stream, 0) == 0  # the stream's start is a document start
    assert data.next_doc_start(stream, 3) == 3  # just after an EOT
    assert data.next_doc_start(stream, 1) == 3
    assert data.next_doc_start(stream, 2) == 3  # at the EOT itself
    assert data.next_doc_start(stream, 4) == 7
    assert data.next_doc_start(stream, 7) == 7
    assert data.next_doc_start(stream, 1, look=1) == 1  # nothing within reach: stays put


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
    # each start records its flags where it began
    starts = [r for r in recs if "start" in r]
    assert [(r["tokens"], r["start"]["total_tokens"]) for r in starts] == [(0, 12800), (12800, 15360)]


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
