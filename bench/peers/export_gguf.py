#!/usr/bin/python3
"""Write a GGUF v3 (arch llama, all tensors f32) from an HF-layout Llama, for wllama / llama.cpp.

  /usr/bin/python3 -m bench.peers.export_gguf --model DIR [--out FILE] [--type F32|F16|Q8_0|Q4_0]
  (default DIR/model.gguf, F32)

The peers' GGUF: any HF-layout checkpoint, all f32 (so llama.cpp computes like the other peers),
written with training/formats.py's GGUF writer. --type stores the 2-D weights as F16, Q8_0 or Q4_0
instead (norms stay F32), quantized by formats.quantize, ggml's reference quantizers, the same ones
Spark's weightFormat 'q8_0' / 'q4_0' applies on load: the bench's per-format llama.cpp rows run the
same blocks as Spark's.
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

import numpy as np

from bench.peers import llama_torch
from training import formats  # the GGUF writer and the Q/K permutation

T = formats.GGUF_T
ALIGN = formats.ALIGN
TOKEN_NORMAL, TOKEN_CONTROL = 1, 3


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


FILE_TYPES = {"F32": 0, "F16": 1, "Q4_0": 2, "Q8_0": 7}  # llama_ftype (general.file_type)


def export(model_dir, out_path, pre="llama-bpe", wtype="F32"):
    with open(os.path.join(model_dir, "config.json")) as f:
        raw = json.load(f)
    c = llama_torch.Cfg(raw)
    w = {k: v.numpy() for k, v in llama_torch.read_safetensors(os.path.join(model_dir, "model.safetensors")).items()}

    f32 = lambda a: np.asarray(a, dtype="<f4")  # noqa: E731 — all f32, so llama.cpp computes like the others
    tensors = [("token_embd.weight", f32(w["model.embed_tokens.weight"])),
               ("output_norm.weight", f32(w["model.norm.weight"]))]
    if not c.tie_word_embeddings and "lm_head.weight" in w:
        tensors.append(("output.weight", f32(w["lm_head.weight"])))
    hf = {"attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm",
          "attn_v": "self_attn.v_proj", "attn_output": "self_attn.o_proj",
          "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj", "ffn_down": "mlp.down_proj"}
    for i in range(c.num_hidden_layers):
        p = f"model.layers.{i}."
        tensors.append((f"blk.{i}.attn_q.weight",
                        f32(formats.hf_permute(w[p + "self_attn.q_proj.weight"], c.num_attention_heads))))
        tensors.append((f"blk.{i}.attn_k.weight",
                        f32(formats.hf_permute(w[p + "self_attn.k_proj.weight"], c.num_key_value_heads))))
        for g, h in hf.items():
            tensors.append((f"blk.{i}.{g}.weight", f32(w[p + h + ".weight"])))

    tokens, types, merges = tokenizer_arrays(model_dir, c.vocab_size)
    eos = raw.get("eos_token_id", 0)
    bos = raw.get("bos_token_id", eos)
    kv = [
        ("general.architecture", T["str"], "llama"),
        ("general.name", T["str"], os.path.basename(os.path.abspath(model_dir))),
        ("general.alignment", T["u32"], ALIGN),
        ("general.file_type", T["u32"], 0),  # all f32
        ("llama.vocab_size", T["u32"], c.vocab_size),
        ("llama.context_length", T["u32"], c.max_position_embeddings),
        ("llama.embedding_length", T["u32"], c.hidden_size),
        ("llama.block_count", T["u32"], c.num_hidden_layers),
        ("llama.feed_forward_length", T["u32"], c.intermediate_size),
        ("llama.rope.dimension_count", T["u32"], c.head_dim),
        ("llama.attention.head_count", T["u32"], c.num_attention_heads),
        ("llama.attention.head_count_kv", T["u32"], c.num_key_value_heads),
        ("llama.attention.key_length", T["u32"], c.head_dim),
        ("llama.attention.value_length", T["u32"], c.head_dim),
        ("llama.attention.layer_norm_rms_epsilon", T["f32"], c.rms_norm_eps),
        ("llama.rope.freq_base", T["f32"], c.rope_theta),
        ("tokenizer.ggml.model", T["str"], "gpt2"),
        # llama-bpe splits text with training/tokenizer.py's PATTERN plus English contractions
        # ('s, 't, ...), so prompt text without those tokenizes to the same ids (wllama only
        # takes text). qwen2 would also split digits one by one; ours groups up to 3.
        ("tokenizer.ggml.pre", T["str"], pre),
        ("tokenizer.ggml.tokens", T["arr"], (T["str"], tokens)),
        ("tokenizer.ggml.token_type", T["arr"], (T["i32"], types)),
        ("tokenizer.ggml.merges", T["arr"], (T["str"], merges)),
        ("tokenizer.ggml.bos_token_id", T["u32"], bos),
        ("tokenizer.ggml.eos_token_id", T["u32"], eos),
        ("tokenizer.ggml.add_bos_token", T["bool"], False),
        ("tokenizer.ggml.add_eos_token", T["bool"], False),
    ]
    if wtype != "F32":
        tensors = [(n, a, wtype) if np.ndim(a) == 2 else (n, a) for n, a in tensors]
        kv = [(k, t, FILE_TYPES[wtype]) if k == "general.file_type" else (k, t, v) for k, t, v in kv]
    formats.write_gguf(out_path, kv, tensors)
    return {"gguf": out_path, "bytes": os.path.getsize(out_path), "tensors": len(tensors),
            "vocab": c.vocab_size, "merges": len(merges)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--out", default="")
    ap.add_argument("--pre", default="llama-bpe", help="llama.cpp pre-tokenizer name")
    ap.add_argument("--type", default="F32", choices=sorted(FILE_TYPES), help="type of the 2-D weights")
    a = ap.parse_args()
    print(json.dumps(export(a.model, a.out or os.path.join(a.model, "model.gguf"), a.pre, a.type)))


if __name__ == "__main__":
    main()
