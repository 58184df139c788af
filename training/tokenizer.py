#!/usr/bin/python3
"""Byte-level BPE for spark-nano, trained on the corpus, saved as a HF tokenizer.json.

Layout of the vocabulary (ids):
  0 <|endoftext|>   1 <fim_prefix>   2 <fim_middle>   3 <fim_suffix>   4 <file_sep>
  5..260            the 256 bytes (GPT-2 byte->unicode alphabet, in byte order)
  261..V-1          merges, in training order (= merge rank)

Pre-tokenization (identical in Python and in @huggingface/tokenizers): Split on PATTERN
(behavior Isolated), then ByteLevel(add_prefix_space=false, use_regex=false). PATTERN is
the GPT-4/Qwen2 pattern without the English contractions (which would split 'self' as
"'s" + "elf" in code) and with \\s spelled \\p{White_Space}, which JS and Python agree on.

Commands
  /usr/bin/python3 training/tokenizer.py train  [--vocab 8192] [--corpus DIR] [--out FILE]
  /usr/bin/python3 training/tokenizer.py encode [--corpus DIR] [--tokenizer FILE]
      -> DIR/{train,val}.bin (uint16 tokens, docs separated by <|endoftext|>),
         DIR/{train,val}.idx.json (doc offsets, lang, pkg), round-trip check on every file,
         and token counts added to DIR/stats.json
"""
import argparse
import heapq
import json
import os
import sys
import time
from collections import Counter

import numpy as np
import regex

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_CORPUS = os.path.join(HERE, "data", "corpus")

SPECIALS = ["<|endoftext|>", "<fim_prefix>", "<fim_middle>", "<fim_suffix>", "<file_sep>"]
EOT, FIM_PREFIX, FIM_MIDDLE, FIM_SUFFIX, FILE_SEP = range(5)
NSPEC = len(SPECIALS)
FIM_ORDERS = ("psm", "spm")


def fim_prompt(pre, suf, order):
    """Token ids of a FIM prompt, up to where the middle starts.
      psm: <fim_prefix> pre <fim_suffix> suf <fim_middle>
      spm: <fim_prefix> <fim_suffix> suf <fim_middle> pre   (the FIM paper's SPM variant)
    In SPM the prefix runs straight into the middle, so the middle's first tokens read like a
    left-to-right continuation."""
    pre, suf = [int(t) for t in pre], [int(t) for t in suf]
    if order == "psm":
        return [FIM_PREFIX] + pre + [FIM_SUFFIX] + suf + [FIM_MIDDLE]
    if order == "spm":
        return [FIM_PREFIX, FIM_SUFFIX] + suf + [FIM_MIDDLE] + pre
    raise ValueError(f"FIM order must be one of {FIM_ORDERS}, got {order!r}")
BYTE0 = NSPEC  # id of byte 0

PATTERN = (r"[^\r\n\p{L}\p{N}]?\p{L}+"
           r"|\p{N}{1,3}"
           r"| ?[^\p{White_Space}\p{L}\p{N}]+[\r\n]*"
           r"|\p{White_Space}*[\r\n]+"
           r"|\p{White_Space}+(?!\P{White_Space})"
           r"|\p{White_Space}+")
_PAT = regex.compile(PATTERN)


def bytes_to_unicode():
    """GPT-2's reversible byte -> printable unicode char map (used by HF ByteLevel)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


B2U = bytes_to_unicode()
U2B = {v: k for k, v in B2U.items()}


def pretokenize(text):
    return _PAT.findall(text)


# ------------------------------------------------------------------ training
def train_bpe(chunk_counts, vocab_size, log_every=500, verbose=True):
    """chunk_counts: Counter{bytes: freq}. Returns (merges [(a,b)], curve [(vocab, tokens)]).
    Ids here are *byte-space* ids: bytes are 0..255, merge i creates id 256+i; the
    file ids add NSPEC."""
    n_merges = vocab_size - NSPEC - 256
    words = [list(w) for w in chunk_counts]
    freqs = [chunk_counts[w] for w in chunk_counts]
    pair_count = Counter()
    where = {}
    for wi, (w, f) in enumerate(zip(words, freqs)):
        for p in zip(w, w[1:]):
            pair_count[p] += f
            where.setdefault(p, set()).add(wi)
    heap = [(-c, p) for p, c in pair_count.items()]
    heapq.heapify(heap)
    total_tokens = sum(len(w) * f for w, f in zip(words, freqs))
    curve = [(NSPEC + 256, total_tokens)]
    merges = []
    t0 = time.time()
    while len(merges) < n_merges and heap:
        negc, p = heapq.heappop(heap)
        c = pair_count.get(p, 0)
        if c != -negc:
            if c > 0:
                heapq.heappush(heap, (-c, p))
            continue
        if c < 2:
            break
        new = 256 + len(merges)
        merges.append(p)
        a, b = p
        changed = Counter()
        for wi in where.pop(p, ()):
            w = words[wi]
            f = freqs[wi]
            i = 0
            out = []
            n = len(w)
            while i < n:
                if i < n - 1 and w[i] == a and w[i + 1] == b:
                    out.append(new)
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            if len(out) == n:
                continue
            for q in zip(w, w[1:]):
                changed[q] -= f
            for q in zip(out, out[1:]):
                changed[q] += f
                where.setdefault(q, set()).add(wi)
            total_tokens -= (n - len(out)) * f
            words[wi] = out
        for q, d in changed.items():
            if d == 0:
                continue
            nc = pair_count.get(q, 0) + d
            if nc <= 0:
                pair_count.pop(q, None)
            else:
                pair_count[q] = nc
                if d > 0:
                    heapq.heappush(heap, (-nc, q))
        pair_count.pop(p, None)
        curve.append((NSPEC + 256 + len(merges), total_tokens))
        if verbose and len(merges) % log_every == 0:
            print(f"merge {len(merges)}/{n_merges} count={c} tokens={total_tokens} "
                  f"{time.time() - t0:.0f}s", file=sys.stderr)
    return merges, curve


# ------------------------------------------------------------------ tokenizer
class Tokenizer:
    def __init__(self, merges):
        """merges: list of (a, b) in *file* ids (bytes at BYTE0..BYTE0+255)."""
        self.merges = [tuple(m) for m in merges]
        self.ranks = {m: i for i, m in enumerate(self.merges)}
        self.vocab_bytes = [s.encode() for s in SPECIALS] + [bytes([b]) for b in range(256)]
        for a, b in self.merges:
            self.vocab_bytes.append(self.vocab_bytes[a] + self.vocab_bytes[b])
        self.vocab_size = len(self.vocab_bytes)
        self._cache = {}
        self._special_re = regex.compile("(" + "|".join(regex.escape(s) for s in SPECIALS) + ")")

    def encode_chunk(self, chunk):
        ids = self._cache.get(chunk)
        if ids is not None:
            return ids
        w = [BYTE0 + b for b in chunk.encode("utf-8")]
        ranks = self.ranks
        while len(w) >= 2:
            best, bi = None, -1
            for i in range(len(w) - 1):
                r = ranks.get((w[i], w[i + 1]))
                if r is not None and (best is None or r < best):
                    best, bi = r, i
            if best is None:
                break
            new = NSPEC + 256 + best
            a, b = self.merges[best]
            out, i = [], 0
            while i < len(w):
                if i < len(w) - 1 and w[i] == a and w[i + 1] == b:
                    out.append(new)
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            w = out
        if len(self._cache) < 2_000_000:
            self._cache[chunk] = w
        return w

    def encode_ordinary(self, text):
        out = []
        for ch in _PAT.findall(text):
            out.extend(self.encode_chunk(ch))
        return out

    def encode(self, text):
        """Like HF: special-token strings in the text become special tokens."""
        if "<" not in text:
            return self.encode_ordinary(text)
        out = []
        for i, part in enumerate(self._special_re.split(text)):
            if i % 2 == 1:
                out.append(SPECIALS.index(part))
            elif part:
                out.extend(self.encode_ordinary(part))
        return out

    def decode_bytes(self, ids):
        return b"".join(self.vocab_bytes[i] for i in ids)

    def decode(self, ids):
        return self.decode_bytes(ids).decode("utf-8", errors="replace")

    # -------------------------------------------------------------- HF json
    def token_str(self, i):
        if i < NSPEC:
            return SPECIALS[i]
        return "".join(B2U[b] for b in self.vocab_bytes[i])

    def to_hf_json(self):
        vocab = {self.token_str(i): i for i in range(NSPEC, self.vocab_size)}
        assert len(vocab) == self.vocab_size - NSPEC, "duplicate token strings"
        merges = [self.token_str(a) + " " + self.token_str(b) for a, b in self.merges]
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": [
                {"id": i, "content": s, "single_word": False, "lstrip": False, "rstrip": False,
                 "normalized": False, "special": True} for i, s in enumerate(SPECIALS)],
            "normalizer": None,
            "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": PATTERN}, "behavior": "Isolated", "invert": False},
                {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}]},
            "post_processor": None,
            "decoder": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False,
                        "use_regex": False},
            "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                      "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
                      "ignore_merges": False, "vocab": vocab, "merges": merges},
        }

    def save(self, path):
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(self.to_hf_json(), f, ensure_ascii=False)
        os.replace(tmp, path)

    @classmethod
    def load(cls, path):
        with open(path, encoding="utf-8") as f:
            j = json.load(f)
        vocab = j["model"]["vocab"]
        merges = []
        for m in j["model"]["merges"]:
            a, b = m.split(" ") if isinstance(m, str) else m
            merges.append((vocab[a], vocab[b]))
        tok = cls(merges)
        for s, i in vocab.items():
            assert tok.token_str(i) == s, (s, i)
        return tok


def chunk_counts_from_docs(texts):
    cc = Counter()
    for t in texts:
        cc.update(_PAT.findall(t))
    return Counter({k.encode("utf-8"): v for k, v in cc.items()})


def train_from_corpus(corpus_dir, vocab_size, out, max_bytes=None):
    t0 = time.time()
    texts, n = [], 0
    with open(os.path.join(corpus_dir, "train.jsonl")) as f:
        for line in f:
            d = json.loads(line)
            texts.append(d["text"])
            n += len(d["text"])
            if max_bytes and n > max_bytes:
                break
    cc = chunk_counts_from_docs(texts)
    print(f"{len(cc)} unique chunks from {n} chars in {time.time() - t0:.0f}s", file=sys.stderr)
    merges, curve = train_bpe(cc, vocab_size)
    tok = Tokenizer([(a + BYTE0 if a < 256 else a + NSPEC, b + BYTE0 if b < 256 else b + NSPEC)
                     for a, b in merges])
    tok.save(out)
    # bytes/token (on the training chunks) as a function of vocabulary size
    total_bytes = sum(len(k) * v for k, v in cc.items())
    keep = {}
    for v, t in curve:
        if v in (261, 512, 1024, 2048, 3072, 4096, 6144, 8192, 12288, 16384) or v == curve[-1][0]:
            keep[v] = round(total_bytes / t, 3)
    with open(os.path.splitext(out)[0] + ".curve.json", "w") as f:
        json.dump({"bytes_per_token_by_vocab": keep, "train_chars": n}, f, indent=1)
    print(f"tokenizer: vocab {tok.vocab_size}, bytes/token by vocab {keep}, {time.time() - t0:.0f}s",
          file=sys.stderr)
    return tok


def encode_corpus(corpus_dir, tok):
    stats_path = os.path.join(corpus_dir, "stats.json")
    with open(stats_path) as f:
        stats = json.load(f)
    for split in ("train", "val"):
        path = os.path.join(corpus_dir, split + ".jsonl")
        if not os.path.exists(path):
            continue
        ids_all = []
        docs = []
        off = 0
        bad = 0
        per_lang = {}
        with open(path) as f:
            for line in f:
                d = json.loads(line)
                ids = tok.encode(d["text"])
                if tok.decode_bytes(ids) != d["text"].encode("utf-8"):
                    bad += 1
                ids_all.append(np.asarray(ids + [EOT], dtype=np.uint16))
                docs.append({"off": off, "n": len(ids), "lang": d["lang"], "pkg": d["pkg"], "path": d["path"],
                             "bytes": len(d["text"].encode("utf-8"))})
                off += len(ids) + 1
                pl = per_lang.setdefault(d["lang"], [0, 0])
                pl[0] += len(ids)
                pl[1] += len(d["text"].encode("utf-8"))
        assert bad == 0, f"{bad} files failed the byte round trip"
        arr = np.concatenate(ids_all) if ids_all else np.zeros(0, np.uint16)
        arr.tofile(os.path.join(corpus_dir, split + ".bin.tmp"))
        os.replace(os.path.join(corpus_dir, split + ".bin.tmp"), os.path.join(corpus_dir, split + ".bin"))
        with open(os.path.join(corpus_dir, split + ".idx.json"), "w") as f:
            json.dump(docs, f)
        for lang, (nt, nb) in per_lang.items():
            s = stats["splits"].setdefault(split, {}).setdefault(lang, {})
            s["tokens"] = nt
            s["bytes_per_token"] = round(nb / max(1, nt), 3)
        print(f"{split}: {len(arr)} tokens, {len(docs)} docs, round trip ok", file=sys.stderr)
    stats["tokenizer_vocab"] = tok.vocab_size
    with open(stats_path, "w") as f:
        json.dump(stats, f, indent=1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["train", "encode", "all"])
    ap.add_argument("--corpus", default=DEFAULT_CORPUS)
    ap.add_argument("--vocab", type=int, default=8192)
    ap.add_argument("--tokenizer", default=None)
    ap.add_argument("--max-bytes", type=int, default=None, help="train the BPE on the first N chars only")
    a = ap.parse_args()
    tpath = a.tokenizer or os.path.join(a.corpus, "tokenizer.json")
    if a.cmd in ("train", "all"):
        tok = train_from_corpus(a.corpus, a.vocab, tpath, a.max_bytes)
    else:
        tok = Tokenizer.load(tpath)
    if a.cmd in ("encode", "all"):
        encode_corpus(a.corpus, tok)


if __name__ == "__main__":
    main()
