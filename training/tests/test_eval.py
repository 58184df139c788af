import numpy as np

import os
import shutil

import pytest

from evaluate import ROOT, copies_line_after_first, copy_generate, edit_sim, editor_context, editor_rules, first_nonempty_line
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


def test_fim_stops_once_a_later_line_copies_the_next_line():
    nxt = first_nonempty_line("\n\n    return x\n}\n")
    assert nxt == "return x"
    assert copies_line_after_first("    y = 1\n    return x\n", nxt)
    # the first line is the cursor's own line, an unfinished last line is no copy yet
    assert not copies_line_after_first("    return x\n", nxt)
    assert not copies_line_after_first("    y = 1\n    return x", nxt)
    assert not copies_line_after_first("    y = 1\n", None)


@pytest.mark.skipif(shutil.which("node") is None or not os.path.isdir(os.path.join(ROOT, "node_modules", "typescript")),
                    reason="node or typescript (npm install) missing")
def test_fim_is_shown_through_the_editors_rules():
    block = {"prefix": "def f(x):\n", "middle": "    y = x\n    return y\n", "suffix": "\nz = 1\n"}
    flat = {"prefix": "a = 1\n", "middle": "b = 2\n", "suffix": "c = 3\n"}
    ctxs = [editor_context(s) for s in (block, flat)]
    assert ctxs[1] == {"prefix": "a = 1\n", "suffix": "\nc = 3\n"}
    # after a block opener the editor asks for a body, elsewhere for one line
    assert editor_rules("mode", ctxs) == ["multi-line", "single-line"]
    shown = editor_rules("trim", [
        dict(ctxs[0], raw="    y = x\n    return y\n\nz = 1\n", mode="multi-line"),  # cut before the copy
        dict(ctxs[1], raw="b = 2\nc = 3\n", mode="single-line"),  # first line only
        dict(ctxs[1], raw="   \n", mode="single-line"),  # whitespace: nothing shown
    ])
    assert shown == ["    y = x\n    return y", "b = 2", None]
    with pytest.raises(SystemExit, match="editor_rules.mjs failed"):
        editor_rules("bogus", [])
