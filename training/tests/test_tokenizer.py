import json
import os
import shutil
import subprocess

import pytest

from tokenizer import (EOT, FIM_MIDDLE, FIM_PREFIX, FIM_SUFFIX, SPECIALS, Tokenizer, chunk_counts_from_docs, fim_prompt,
                       train_bpe)

CASES = ["", "a", "def f(x):\n\treturn x  \r\n", "héllo wörld 日本語 🚀👍🏽", " " * 33 + "\n\n\n\t\t x",
         "a\u00a0b\u3000c\x85d\u2028e\x0bf", "n = 1234567 + 0xFF", "it's 'self' won't"]


def test_round_trip_and_reload(toy_corpus, tmp_path):
    tok = Tokenizer.load(os.path.join(toy_corpus, "tokenizer.json"))
    assert tok.vocab_size == 320
    for s in CASES:
        ids = tok.encode(s)
        assert tok.decode_bytes(ids) == s.encode("utf-8")
    # every corpus file
    with open(os.path.join(toy_corpus, "train.jsonl")) as f:
        for line in f:
            t = json.loads(line)["text"]
            assert tok.decode(tok.encode(t)) == t
    tok.save(str(tmp_path / "t.json"))
    tok2 = Tokenizer.load(str(tmp_path / "t.json"))
    assert tok2.merges == tok.merges
    assert tok2.encode(CASES[2]) == tok.encode(CASES[2])


def test_special_tokens(toy_corpus):
    tok = Tokenizer.load(os.path.join(toy_corpus, "tokenizer.json"))
    assert SPECIALS[:4] == ["<|endoftext|>", "<fim_prefix>", "<fim_middle>", "<fim_suffix>"]
    ids = tok.encode("a<fim_prefix>b<|endoftext|>")
    assert FIM_PREFIX in ids and EOT in ids
    j = json.load(open(os.path.join(toy_corpus, "tokenizer.json")))
    assert [t["id"] for t in j["added_tokens"]] == [0, 1, 2, 3, 4]
    assert j["pre_tokenizer"]["pretokenizers"][1]["type"] == "ByteLevel"


def test_fim_prompt_orders():
    pre, suf = [10, 11], [20]
    assert fim_prompt(pre, suf, "psm") == [FIM_PREFIX, 10, 11, FIM_SUFFIX, 20, FIM_MIDDLE]
    assert fim_prompt(pre, suf, "spm") == [FIM_PREFIX, FIM_SUFFIX, 20, FIM_MIDDLE, 10, 11]
    with pytest.raises(ValueError, match="FIM order"):
        fim_prompt(pre, suf, "pms")


def test_bpe_merges_frequent_pairs():
    from collections import Counter
    cc = chunk_counts_from_docs(["aaab aaab aaab xyz"])
    merges, curve = train_bpe(cc, 5 + 256 + 3, verbose=False)
    assert len(merges) == 3
    assert curve[-1][1] < curve[0][1]


@pytest.mark.skipif(shutil.which("node") is None, reason="node not installed")
def test_js_tokenizer_matches(toy_corpus, tmp_path):
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if not os.path.isdir(os.path.join(root, "node_modules", "@huggingface", "tokenizers")):
        pytest.skip("@huggingface/tokenizers not installed")
    tok = Tokenizer.load(os.path.join(toy_corpus, "tokenizer.json"))
    sample = [{"name": f"c{i}", "text": s, "ids": tok.encode(s)} for i, s in enumerate(CASES)]
    p = tmp_path / "sample.json"
    p.write_text(json.dumps(sample, ensure_ascii=False))
    r = subprocess.run(["node", os.path.join(root, "training", "check_tokenizer.mjs"),
                        os.path.join(toy_corpus, "tokenizer.json"), str(p)], capture_output=True, text=True, cwd=root)
    assert r.returncode == 0, r.stdout + r.stderr
