#!/usr/bin/python3
"""Write a tiny random Llama in Hugging Face layout, for exercising the peers before (or without)
the trained default model.

  /usr/bin/python3 -m bench.peers.make_fixture --out bench/peers/out/fixture \
      [--tokenizer training/data/corpus/tokenizer.json] [--layers 2 --hidden 64 ...]

Writes config.json, generation_config.json, tokenizer.json, model.safetensors.

Weights are deliberately larger than a training init (embeddings ~N(0,1), linears ~1/sqrt(fan_in)):
a 0.02-std init gives almost flat logits, and then greedy argmax is decided by float rounding,
which differs between engines. Well-separated logits make "same tokens" a real check.

Without --tokenizer (or if the file is missing) a byte-level BPE with no merges is written:
5 specials + 256 byte tokens, enough for GGUF/llama.cpp and transformers.js to load.
"""
import argparse
import json
import os
import shutil

import torch

from bench.peers.llama_torch import write_safetensors

SPECIALS = ["<|endoftext|>", "<fim_prefix>", "<fim_middle>", "<fim_suffix>", "<file_sep>"]


def byte_alphabet():
    """GPT-2's byte -> printable char map (what HF ByteLevel and llama.cpp's gpt2 vocab use)."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    chars, extra = {}, 0
    for b in range(256):
        if b in keep:
            chars[b] = chr(b)
        else:
            chars[b] = chr(256 + extra)
            extra += 1
    return [chars[b] for b in range(256)]


def byte_tokenizer():
    vocab = {s: i for i, s in enumerate(SPECIALS)}
    for b, ch in enumerate(byte_alphabet()):
        vocab[ch] = len(SPECIALS) + b
    added = [{"id": i, "content": s, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True} for i, s in enumerate(SPECIALS)]
    bl = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": True}
    return {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
            "normalizer": None, "pre_tokenizer": bl, "post_processor": None, "decoder": bl,
            "model": {"type": "BPE", "dropout": None, "unk_token": None,
                      "continuing_subword_prefix": None, "end_of_word_suffix": None,
                      "fuse_unk": False, "byte_fallback": False, "vocab": vocab, "merges": []}}


def vocab_size_of(tok):
    ids = list(tok["model"]["vocab"].values()) + [t["id"] for t in tok.get("added_tokens", [])]
    return max(ids) + 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--tokenizer", default="")
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--ffn", type=int, default=192)
    ap.add_argument("--ctx", type=int, default=512)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--resid-scale", type=float, default=32.0)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)

    if a.tokenizer and os.path.exists(a.tokenizer):
        shutil.copyfile(a.tokenizer, os.path.join(a.out, "tokenizer.json"))
        with open(a.tokenizer) as f:
            tok = json.load(f)
    else:
        tok = byte_tokenizer()
        with open(os.path.join(a.out, "tokenizer.json"), "w") as f:
            json.dump(tok, f, ensure_ascii=False)
    V = vocab_size_of(tok)

    hd = a.hidden // a.heads
    cfg = {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama",
        "vocab_size": V, "hidden_size": a.hidden, "intermediate_size": a.ffn,
        "num_hidden_layers": a.layers, "num_attention_heads": a.heads,
        "num_key_value_heads": a.kv_heads, "head_dim": hd, "max_position_embeddings": a.ctx,
        "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "tie_word_embeddings": True,
        "hidden_act": "silu", "attention_bias": False, "mlp_bias": False,
        "bos_token_id": 0, "eos_token_id": 0, "torch_dtype": "float32",
    }
    with open(os.path.join(a.out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    with open(os.path.join(a.out, "generation_config.json"), "w") as f:
        json.dump({"bos_token_id": 0, "eos_token_id": 0, "do_sample": False}, f, indent=2)

    g = torch.Generator().manual_seed(a.seed)

    def lin(o, i):
        return torch.randn(o, i, generator=g) / i ** 0.5

    w = {"model.embed_tokens.weight": torch.randn(V, a.hidden, generator=g),
         "model.norm.weight": 1 + 0.1 * torch.randn(a.hidden, generator=g)}
    for l in range(a.layers):
        p = f"model.layers.{l}."
        w[p + "input_layernorm.weight"] = 1 + 0.1 * torch.randn(a.hidden, generator=g)
        w[p + "post_attention_layernorm.weight"] = 1 + 0.1 * torch.randn(a.hidden, generator=g)
        w[p + "self_attn.q_proj.weight"] = lin(a.heads * hd, a.hidden)
        w[p + "self_attn.k_proj.weight"] = lin(a.kv_heads * hd, a.hidden)
        w[p + "self_attn.v_proj.weight"] = lin(a.kv_heads * hd, a.hidden)
        # residual writers scaled up so the layers, not the tied embedding of the current
        # token, decide the next token (otherwise greedy just repeats the last prompt token)
        w[p + "self_attn.o_proj.weight"] = a.resid_scale * lin(a.hidden, a.heads * hd)
        w[p + "mlp.gate_proj.weight"] = lin(a.ffn, a.hidden)
        w[p + "mlp.up_proj.weight"] = lin(a.ffn, a.hidden)
        w[p + "mlp.down_proj.weight"] = a.resid_scale * lin(a.hidden, a.ffn)
    write_safetensors(os.path.join(a.out, "model.safetensors"), w)
    print(json.dumps({"out": a.out, "vocab_size": V, "params": sum(t.numel() for t in w.values())}))


if __name__ == "__main__":
    main()
