import numpy as np

from evaluate import copy_generate, cut_before_line, edit_sim, first_nonempty_line
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


def test_fim_cut_before_copied_next_line():
    nxt = first_nonempty_line("\n\n    return x\n}\n")
    assert nxt == "return x"
    # the model wrote the middle, then ran on into the document's next line: cut before it
    assert cut_before_line("    y = 1\n    return x\n", nxt) == "    y = 1\n"
    assert cut_before_line("    return x\n", nxt) == ""
    # an unfinished last line is not a copy yet; no copy at all gives None
    assert cut_before_line("    y = 1\n    return x", nxt) is None
    assert cut_before_line("    y = 1\n", None) is None
