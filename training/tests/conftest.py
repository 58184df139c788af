import json
import os
import sys

import numpy as np
import pytest

TRAINING = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, TRAINING)
sys.path.insert(0, os.path.join(TRAINING, "eval"))

TOY_PY = '''def add(a, b):
    """Return the sum."""
    return a + b


class Counter:
    def __init__(self):
        self.n = 0

    def inc(self, k=1):
        self.n += k
        return self.n
'''
TOY_TS = '''export function add(a: number, b: number): number {
  return a + b;
}

export class Counter {
  private n = 0;
  inc(k = 1): number {
    this.n += k;
    return this.n;
  }
}
'''
TOY_EDGE = "x\t=\t'héllo — 日本'\r\n" + " " * 12 + "y = 0x1F\n\n"


def toy_docs():
    docs = []
    for i in range(40):
        docs.append({"pkg": "toy-py", "lang": "python", "path": f"m{i}.py", "text": TOY_PY.replace("add", f"add{i % 7}")})
        docs.append({"pkg": "toy-ts", "lang": "typescript", "path": f"m{i}.ts", "text": TOY_TS.replace("Counter", f"C{i % 5}")})
    docs.append({"pkg": "toy-py", "lang": "python", "path": "edge.py", "text": TOY_EDGE})
    return docs


@pytest.fixture(scope="session")
def toy_corpus(tmp_path_factory):
    """A tiny corpus dir with train/val jsonl, a 320-token BPE, and encoded .bin files."""
    from tokenizer import encode_corpus, train_from_corpus
    d = tmp_path_factory.mktemp("corpus")
    docs = toy_docs()
    with open(d / "train.jsonl", "w") as f:
        for x in docs:
            f.write(json.dumps(x) + "\n")
    with open(d / "val.jsonl", "w") as f:
        for x in docs[:12]:
            f.write(json.dumps(x) + "\n")
    with open(d / "stats.json", "w") as f:
        json.dump({"splits": {}}, f)
    train_from_corpus(str(d), 320, str(d / "tokenizer.json"))
    from tokenizer import Tokenizer
    encode_corpus(str(d), Tokenizer.load(str(d / "tokenizer.json")))
    return str(d)
