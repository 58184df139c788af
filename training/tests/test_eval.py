import numpy as np

from evaluate import copy_generate, edit_sim
from ngram import KneserNey


def test_kn_normalised_and_better_than_uniform():
    rng = np.random.default_rng(0)
    base = [0, 5, 6, 7, 8, 9, 6, 7, 8]
    toks = np.array(base * 200 + list(rng.integers(1, 20, 500)))
    kn = KneserNey(toks, 20, order=3)
    for h in ([], [5], [6, 7], [19, 19]):
        p = kn.prob_all(h)
        assert abs(p.sum() - 1) < 1e-9 and (p > 0).all()
    lp = kn.logprobs(base * 3)
    assert -lp.mean() < np.log(20) / 2
    # vectorised and per-position estimates agree
    seq = base * 2
    for i in range(1, len(seq)):
        assert abs(np.log(kn.prob_all(seq[max(0, i - 2):i])[seq[i]]) - lp[i - 1]) < 1e-9


def test_copy_and_edit_sim():
    out = copy_generate([1, 2, 3, 4, 9, 1, 2], 5, lambda o: False)
    assert out[:2] == [3, 4]
    assert edit_sim("abc", "abc") == 1.0 and edit_sim("abc", "abd") == 1 - 1 / 3
