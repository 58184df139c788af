#!/usr/bin/python3
"""Write a GGUF v3 (arch llama, all tensors f32) from an HF-layout Llama, for wllama / llama.cpp.

  /usr/bin/python3 bench/peers/export_gguf.py --model DIR [--out FILE]   (default DIR/model.gguf)

A minimal writer for the peers benchmark, used when training/ has no GGUF export of its own.
What llama.cpp needs and why:
  - Q and K rows permuted per head from HF's rotate_half layout (pairs (j, j+hd/2)) to the
    interleaved layout llama.cpp's "llama" RoPE rotates (pairs (2j, 2j+1)). The attention scores
    are unchanged because Q and K get the same permutation; V and O are untouched.
  - tied embeddings: no output.weight; llama.cpp then reuses token_embd.weight.
  - tokenizer.ggml.model = gpt2 with the HF byte-level token strings and merges, so llama.cpp's
    vocab is the same id space as tokenizer.json. Specials are CONTROL tokens.
  - tensor dims are written innermost-first (ggml order), i.e. the numpy shape reversed.
"""
import argparse
import json
import os
import struct

import numpy as np

import llama_torch

ALIGN = 32
T_U32, T_I32, T_F32, T_BOOL, T_STR, T_ARR = 4, 5, 6, 7, 8, 9
GGML_F32 = 0
TOKEN_NORMAL, TOKEN_CONTROL = 1, 3


def _str(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def _kv(key, typ, val):
    out = _str(key) + struct.pack("<I", typ)
    if typ == T_U32:
        return out + struct.pack("<I", val)
    if typ == T_F32:
        return out + struct.pack("<f", val)
    if typ == T_BOOL:
        return out + struct.pack("<B", 1 if val else 0)
    if typ == T_STR:
        return out + _str(val)
    raise ValueError(typ)


def _arr(key, elem, vals):
    out = _str(key) + struct.pack("<IIQ", T_ARR, elem, len(vals))
    if elem == T_STR:
        return out + b"".join(_str(v) for v in vals)
    if elem == T_I32:
        return out + np.asarray(vals, dtype="<i4").tobytes()
    raise ValueError(elem)


def permute_rope_rows(w, n_heads):
    """(n_heads*hd, in) -> same shape; within each head, row order [0, hd/2, 1, hd/2+1, ...]."""
    out_dim = w.shape[0]
    hd = out_dim // n_heads
    return w.reshape(n_heads, 2, hd // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def tokenizer_arrays(model_dir, vocab_size):
    with open(os.path.join(model_dir, "tokenizer.json")) as f:
        tok = json.load(f)
    tokens = [None] * vocab_size
    types = [TOKEN_NORMAL] * vocab_size
    for s, i in tok["model"]["vocab"].items():
        if i < vocab_size:
            tokens[i] = s
    for t in tok.get("added_tokens", []):
        if t["id"] < vocab_size:
            tokens[t["id"]] = t["content"]
            types[t["id"]] = TOKEN_CONTROL if t.get("special", True) else TOKEN_NORMAL
    for i, s in enumerate(tokens):
        if s is None:  # the model's vocab is padded beyond the tokenizer's: unused ids
            tokens[i] = f"[PAD{i}]"
            types[i] = TOKEN_CONTROL
    merges = [m if isinstance(m, str) else " ".join(m) for m in tok["model"].get("merges", [])]
    return tokens, types, merges


def export(model_dir, out_path, pre="llama-bpe"):
    with open(os.path.join(model_dir, "config.json")) as f:
        raw = json.load(f)
    c = llama_torch.Cfg(raw)
    w = {k: v.numpy() for k, v in llama_torch.read_safetensors(os.path.join(model_dir, "model.safetensors")).items()}

    tensors = [("token_embd.weight", w["model.embed_tokens.weight"]),
               ("output_norm.weight", w["model.norm.weight"])]
    if not c.tie_word_embeddings and "lm_head.weight" in w:
        tensors.append(("output.weight", w["lm_head.weight"]))
    hf = {"attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm",
          "attn_v": "self_attn.v_proj", "attn_output": "self_attn.o_proj",
          "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj", "ffn_down": "mlp.down_proj"}
    for i in range(c.num_hidden_layers):
        p = f"model.layers.{i}."
        tensors.append((f"blk.{i}.attn_q.weight",
                        permute_rope_rows(w[p + "self_attn.q_proj.weight"], c.num_attention_heads)))
        tensors.append((f"blk.{i}.attn_k.weight",
                        permute_rope_rows(w[p + "self_attn.k_proj.weight"], c.num_key_value_heads)))
        for g, h in hf.items():
            tensors.append((f"blk.{i}.{g}.weight", w[p + h + ".weight"]))

    tokens, types, merges = tokenizer_arrays(model_dir, c.vocab_size)
    eos = raw.get("eos_token_id", 0)
    bos = raw.get("bos_token_id", eos)
    kvs = [
        _kv("general.architecture", T_STR, "llama"),
        _kv("general.name", T_STR, os.path.basename(os.path.abspath(model_dir))),
        _kv("general.alignment", T_U32, ALIGN),
        _kv("general.file_type", T_U32, 0),  # all f32
        _kv("llama.vocab_size", T_U32, c.vocab_size),
        _kv("llama.context_length", T_U32, c.max_position_embeddings),
        _kv("llama.embedding_length", T_U32, c.hidden_size),
        _kv("llama.block_count", T_U32, c.num_hidden_layers),
        _kv("llama.feed_forward_length", T_U32, c.intermediate_size),
        _kv("llama.rope.dimension_count", T_U32, c.head_dim),
        _kv("llama.attention.head_count", T_U32, c.num_attention_heads),
        _kv("llama.attention.head_count_kv", T_U32, c.num_key_value_heads),
        _kv("llama.attention.key_length", T_U32, c.head_dim),
        _kv("llama.attention.value_length", T_U32, c.head_dim),
        _kv("llama.attention.layer_norm_rms_epsilon", T_F32, c.rms_norm_eps),
        _kv("llama.rope.freq_base", T_F32, c.rope_theta),
        _kv("tokenizer.ggml.model", T_STR, "gpt2"),
        # llama-bpe splits text with training/tokenizer.py's PATTERN plus English contractions
        # ('s, 't, ...), so prompt text without those tokenizes to the same ids (wllama only
        # takes text). qwen2 would also split digits one by one; ours groups up to 3.
        _kv("tokenizer.ggml.pre", T_STR, pre),
        _arr("tokenizer.ggml.tokens", T_STR, tokens),
        _arr("tokenizer.ggml.token_type", T_I32, types),
        _arr("tokenizer.ggml.merges", T_STR, merges),
        _kv("tokenizer.ggml.bos_token_id", T_U32, bos),
        _kv("tokenizer.ggml.eos_token_id", T_U32, eos),
        _kv("tokenizer.ggml.add_bos_token", T_BOOL, False),
        _kv("tokenizer.ggml.add_eos_token", T_BOOL, False),
    ]

    infos, datas, off = [], [], 0
    for name, a in tensors:
        a = np.ascontiguousarray(a, dtype="<f4")
        dims = list(reversed(a.shape))
        infos.append(_str(name) + struct.pack("<I", len(dims)) + struct.pack(f"<{len(dims)}Q", *dims)
                     + struct.pack("<IQ", GGML_F32, off))
        b = a.tobytes()
        pad = (-len(b)) % ALIGN
        datas.append(b + b"\0" * pad)
        off += len(b) + pad

    head = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kvs)) + b"".join(kvs) + b"".join(infos)
    head += b"\0" * ((-len(head)) % ALIGN)
    with open(out_path, "wb") as f:
        f.write(head)
        for d in datas:
            f.write(d)
    return {"gguf": out_path, "bytes": os.path.getsize(out_path), "tensors": len(tensors),
            "vocab": c.vocab_size, "merges": len(merges)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--out", default="")
    ap.add_argument("--pre", default="llama-bpe", help="llama.cpp pre-tokenizer name")
    a = ap.parse_args()
    print(json.dumps(export(a.model, a.out or os.path.join(a.model, "model.gguf"), a.pre)))


if __name__ == "__main__":
    main()
