"""What the model reads: the tokenized corpus as one stream (documents joined by <|endoftext|>), training
windows cut from it, FIM examples, and the held-out loss on fixed windows.

A FIM example (fim_window) is a document fragment that fits its window:
  PSM: <fim_prefix> prefix <fim_suffix> suffix <fim_middle> middle <|endoftext|>
  SPM: <fim_prefix> <fim_suffix> suffix <fim_middle> prefix middle <|endoftext|>
followed by the stream from the next document start. The middle is 1-4 whole lines or a random span
(fim_split) and always ends with <|endoftext|> inside the window, so the model learns to stop.
"""
import math
import os

import numpy as np
import torch

from tokenizer import EOT, Tokenizer, fim_prompt


def fim_split(n, rng, line_starts, line_rate):
    """Where to cut a fragment of n tokens into prefix | middle | suffix: (i, j), 0 <= i < j <= n.
    With probability line_rate the middle is 1-4 whole lines (what the editor asks for when the
    cursor sits on an empty line, and what the eval removes); otherwise a uniform random span."""
    if rng.random() < line_rate and len(line_starts) >= 2:
        a = int(rng.integers(0, len(line_starts) - 1))
        b = min(len(line_starts) - 1, a + int(rng.integers(1, 5)))
        return int(line_starts[a]), int(line_starts[b])
    i, j = sorted(int(x) for x in rng.integers(0, n + 1, size=2))
    return (i, j) if j > i else (i, min(n, i + 1)) if i < n else (i - 1, i)


def next_doc_start(tokens, k, look=1 << 16):
    """First document start at or after stream offset k. The FIM example's <|endoftext|> ends
    its fragment, so the fill after it must begin a document, not continue the fragment's one.
    Looks at most `look` tokens ahead (documents are shorter); past that, k itself."""
    if k == 0 or tokens[k - 1] == EOT:
        return k
    eots = np.flatnonzero(np.asarray(tokens[k:k + look]) == EOT)
    return k + int(eots[0]) + 1 if len(eots) else k


def fim_window(tokens, s, L, rng, spm_rate, ends_line, line_rate=0.5, min_len=32):
    """A FIM training example of exactly L tokens read from the stream at offset s.

    A document fragment (at most L-4 tokens, random length, cut at its document's end) becomes
      PSM: <fim_prefix> prefix <fim_suffix> suffix <fim_middle> middle <|endoftext|>
      SPM: <fim_prefix> <fim_suffix> suffix <fim_middle> prefix middle <|endoftext|>
    and the stream from the next document start fills the rest of the window. The whole example fits in
    the window, so the model always sees the middle end with <|endoftext|> and learns to stop
    (FIM pieces cut out of a window longer than their document would almost never show that ending).
    Returns None when the fragment is too short to split (the caller uses a plain window)."""
    min_len = min(min_len, L - 4)
    n = int(rng.integers(min_len, L - 4 + 1))
    frag = np.asarray(tokens[s:s + n], dtype=np.int64)
    eots = np.flatnonzero(frag == EOT)
    if len(eots):
        frag = frag[:eots[0]]
    n = len(frag)
    if n < min_len:
        return None
    nxt = next_doc_start(tokens, s + n)
    # token k starts a line when token k-1 ends with a newline
    line_starts = np.concatenate([[0], np.flatnonzero(ends_line[frag[:-1]]) + 1, [n]])
    i, j = fim_split(n, rng, np.unique(line_starts), line_rate)
    pre, mid, suf = frag[:i], frag[i:j], frag[j:]
    order = "spm" if rng.random() < spm_rate else "psm"
    ex = np.concatenate([fim_prompt(pre, suf, order), mid, [EOT]]).astype(np.int64)
    if nxt + L - len(ex) > len(tokens):
        nxt = 0  # too near the stream's end to fill the window: its start is a document start too
    rest = np.asarray(tokens[nxt:nxt + L - len(ex)], dtype=np.int64)
    return np.concatenate([ex, rest]).astype(np.int64)


class Data:
    """One split's token stream (split.bin, uint16) and the batches read from it."""

    def __init__(self, corpus, split, ends_line=None):
        self.tokens = np.memmap(os.path.join(corpus, split + ".bin"), dtype=np.uint16, mode="r")
        self.ends_line = ends_line  # bool per token id: its bytes end with a newline (FIM line spans)

    def batch(self, B, T, rng, fim_rate=0.0, spm_rate=0.5, line_rate=0.5):
        """B windows of T+1 tokens at random offsets, each a FIM example with probability fim_rate:
        (inputs, next-token targets), both (B, T)."""
        n = len(self.tokens)
        xs = []
        for _ in range(B):
            s = int(rng.integers(0, n - 2 * (T + 1)))
            w = None
            if fim_rate > 0 and rng.random() < fim_rate:
                w = fim_window(self.tokens, s, T + 1, rng, spm_rate, self.ends_line, line_rate)
            if w is None:
                w = np.asarray(self.tokens[s:s + T + 1], dtype=np.int64)
            xs.append(w)
        a = torch.from_numpy(np.stack(xs))
        return a[:, :-1].contiguous(), a[:, 1:].contiguous()


def token_ends_line(tok):
    return np.array([i >= 5 and b.endswith(b"\n") for i, b in enumerate(tok.vocab_bytes)], dtype=bool)


def token_byte_lengths(tok):
    return np.array([0 if i < 5 else len(b) for i, b in enumerate(tok.vocab_bytes)], dtype=np.int64)


@torch.no_grad()
def evaluate(model, data, T, nwin, tbl, seed=1234):
    """Held-out loss on fixed windows (no FIM). Returns (mean nats/token, bits/byte)."""
    model.eval()
    rng = np.random.default_rng(seed)
    tot_nats, tot_bytes, tot_tok = 0.0, 0, 0
    B = max(1, 4096 // T)
    done = 0
    while done < nwin:
        b = min(B, nwin - done)
        x, y = data.batch(b, T, rng)
        logits, _ = model(x)
        nll = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1),
                                                reduction="none")
        tot_nats += float(nll.sum())
        tot_tok += y.numel()
        tot_bytes += int(tbl[y.numpy()].sum())
        done += b
    model.train()
    return tot_nats / tot_tok, tot_nats / math.log(2) / max(1, tot_bytes)


def heldout_bpb(model, corpus, T=1024, nwin=32, seed=4321):
    """Bits/byte on nwin fixed held-out windows of T tokens (another seed than training's evaluations)."""
    tok = Tokenizer.load(os.path.join(corpus, "tokenizer.json"))
    _, bpb = evaluate(model, Data(corpus, "val"), T, nwin, token_byte_lengths(tok), seed=seed)
    return bpb
