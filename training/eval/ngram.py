"""Interpolated Kneser-Ney n-gram model over token ids (the baseline spark-nano must beat).

Counts are kept as sorted int64 keys (token ids packed base V) with numpy searchsorted
lookups, so a 4-gram over ~18M tokens builds in well under a minute and memory stays small.

P_KN(w | h) = max(c(h w) - D, 0) / c(h) + D * N1+(h .) / c(h) * P_KN(w | h')      (top order)
lower orders use continuation counts N1+(. h w) instead of c(h w); the unigram level is
the continuation unigram, interpolated with a uniform floor so no token gets zero mass.
Documents are separated by <|endoftext|> (id 0), which acts as the start context.
"""
import numpy as np


class KneserNey:
    def __init__(self, tokens, vocab, order=4, discount=0.75):
        self.V = int(vocab)
        self.n = order
        self.D = discount
        t = np.asarray(tokens, dtype=np.int64)
        self.levels = {}  # k -> dict(keys, cnt, ctx_keys, ctx_tot, ctx_types)
        # highest-order raw counts
        grams = {}
        for k in range(1, order + 1):
            if len(t) < k:
                break
            key = np.zeros(len(t) - k + 1, dtype=np.int64)
            for j in range(k):
                key = key * self.V + t[j:len(t) - k + 1 + j]
            grams[k] = np.unique(key, return_counts=True)
        for k in range(1, order + 1):
            if k not in grams:
                break
            if k == order:
                keys, cnt = grams[k]
            else:
                # continuation counts: number of distinct left extensions of each k-gram
                up_keys, _ = grams[k + 1]
                suffix = up_keys % (self.V ** k)
                keys, cnt = np.unique(suffix, return_counts=True)
            ctx = keys // self.V
            ctx_keys, idx = np.unique(ctx, return_index=True)
            ctx_tot = np.add.reduceat(cnt, idx)
            ctx_types = np.diff(np.append(idx, len(keys)))
            self.levels[k] = dict(keys=keys, cnt=cnt, ctx_keys=ctx_keys, ctx_tot=ctx_tot, ctx_types=ctx_types)

    @staticmethod
    def _lookup(sorted_keys, values, q):
        i = np.searchsorted(sorted_keys, q)
        i = np.minimum(i, len(sorted_keys) - 1)
        hit = sorted_keys[i] == q
        return np.where(hit, values[i], 0)

    def prob_all(self, history):
        """Distribution over the whole vocabulary given a history (list of ids)."""
        V = self.V
        w = np.arange(V, dtype=np.int64)
        p = np.full(V, 1.0 / V)
        # unigram continuation level, interpolated with uniform
        for k in range(1, self.n + 1):
            if k not in self.levels:
                break
            L = self.levels[k]
            h = history[len(history) - (k - 1):] if k > 1 else []
            if k > 1 and len(h) < k - 1:
                break
            hkey = 0
            for x in h:
                hkey = hkey * V + int(x)
            tot = self._lookup(L["ctx_keys"], L["ctx_tot"], np.array([hkey]))[0]
            if tot == 0:
                break  # unseen context: keep the lower-order estimate
            types = self._lookup(L["ctx_keys"], L["ctx_types"], np.array([hkey]))[0]
            c = self._lookup(L["keys"], L["cnt"], hkey * V + w)
            p = np.maximum(c - self.D, 0) / tot + self.D * types / tot * p
        return p

    def logprobs(self, seq, start=1):
        """Natural-log probabilities of seq[i] given seq[:i] for i >= start (vectorised per order)."""
        V = self.V
        seq = np.asarray(seq, dtype=np.int64)
        pos = np.arange(start, len(seq))
        w = seq[pos]
        p = np.full(len(pos), 1.0 / V)
        active = np.ones(len(pos), dtype=bool)
        for k in range(1, self.n + 1):
            if k not in self.levels:
                break
            L = self.levels[k]
            ok = active & (pos - (k - 1) >= 0)
            hkey = np.zeros(len(pos), dtype=np.int64)
            for j in range(k - 1, 0, -1):
                hkey = hkey * V + np.where(ok, seq[np.maximum(pos - j, 0)], 0)
            tot = self._lookup(L["ctx_keys"], L["ctx_tot"], hkey)
            ok &= tot > 0
            types = self._lookup(L["ctx_keys"], L["ctx_types"], hkey)
            c = self._lookup(L["keys"], L["cnt"], hkey * V + w)
            totd = np.maximum(tot, 1)
            newp = np.maximum(c - self.D, 0) / totd + self.D * types / totd * p
            p = np.where(ok, newp, p)
            active = ok
        return np.log(p)

    def generate(self, ids, max_new_tokens, stop_fn=None, stop_ids=()):
        ctx = list(ids)
        out = []
        for _ in range(max_new_tokens):
            nxt = int(np.argmax(self.prob_all(ctx[-(self.n - 1):])))
            if nxt in stop_ids:
                break
            out.append(nxt)
            ctx.append(nxt)
            if stop_fn is not None and stop_fn(out):
                break
        return out
