#!/usr/bin/python3
"""Write a JSON sample [{name, text, ids}] of Python tokenizer output for check_tokenizer.mjs.

  /usr/bin/python3 training/tokenizer_sample.py [--tokenizer FILE] [--corpus DIR] [--n 60] > sample.json

Includes hand-written edge cases (tabs, CRLF, unicode, emoji, special-token strings,
long whitespace runs, digits) and the first --n files of each corpus split (fixed order).
"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from tokenizer import Tokenizer  # noqa: E402

EDGE = {
    "tabs": "def f(x):\n\tif x:\n\t\treturn 1\n\treturn 0\n",
    "crlf": "function a() {\r\n  return 1;\r\n}\r\n\r\n",
    "unicode": "s = 'héllo wörld — ünïcödé'  # 日本語のコメント\nconst π = 3.14159;\n",
    "emoji": "console.log('🚀✨ done 👍🏽');\n",
    "specials": "x = '<|endoftext|>' + '<fim_prefix>' + '<fim_middle>' + '<fim_suffix>' + '<file_sep>'\n",
    "spaces": "a" + " " * 40 + "b\n" + " " * 17 + "\n\n\n    \t  \n",
    "digits": "n = 1234567890 + 0x1F2e3 + 3.14e-10 + 1_000_000\n",
    "contractions": "it's 'self' don't I'm we'll they'd 'Re' 'S'\n",
    "nbsp": "a\u00a0b\u2003c\u3000d\u200be\ufeff f\x0b g\x0c h\x1c i\x85 j\u2028k\n",
    "empty": "",
    "lone_cr": "a\rb\r\rc\n",
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokenizer", default=os.path.join(HERE, "data", "corpus", "tokenizer.json"))
    ap.add_argument("--corpus", default=os.path.join(HERE, "data", "corpus"))
    ap.add_argument("--n", type=int, default=60)
    a = ap.parse_args()
    tok = Tokenizer.load(a.tokenizer)
    out = [{"name": k, "text": v, "ids": tok.encode(v)} for k, v in EDGE.items()]
    for split in ("train", "val"):
        p = os.path.join(a.corpus, split + ".jsonl")
        if not os.path.exists(p):
            continue
        with open(p) as f:
            for i, line in enumerate(f):
                if i >= a.n:
                    break
                d = json.loads(line)
                out.append({"name": f"{split}:{d['pkg']}:{d['path']}", "text": d["text"], "ids": tok.encode(d["text"])})
    for s in out:
        assert tok.decode_bytes(s["ids"]) == s["text"].encode("utf-8") or "<" in s["text"], s["name"]
    json.dump(out, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
