#!/usr/bin/python3
"""A Llama forward pass with an explicit KV cache, read straight from a Hugging Face layout dir.

Why this exists instead of importing training/model.py: the peers must be exportable from any
HF-layout checkpoint (the shipped default, a fixture, SmolLM2) without depending on code that
another engineer is still changing, and the ONNX export needs the cache as explicit tensors
(past in, present out), which the training model does not have.

Computes what HF LlamaForCausalLM computes: RMSNorm (f32 variance), RoPE with rotate_half and
rope_theta, GQA, SwiGLU, optional tied lm_head. No biases (Qwen2-style qkv bias is accepted if
the checkpoint has it).

Safetensors I/O is training/formats.py's (the Debian box has no `safetensors` module).

  /usr/bin/python3 -m bench.peers.llama_torch greedy --model DIR --prompt 5,6,7 --n 50
      -> prints {"tokens": [...]} : greedy ids, special tokens suppressed (see suppress_ids)
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from training import formats  # the one safetensors / GGUF reader and writer


def read_safetensors(path):
    """name -> float32 torch tensor (training/formats.py reads; BF16 is widened there)."""
    return {k: torch.from_numpy(np.array(v, dtype=np.float32)) for k, v in formats.read_safetensors(path).items()}


def write_safetensors(path, tensors):
    """tensors: name -> torch tensor; stored as F32 (the fixtures are tiny)."""
    formats.write_safetensors(path, {k: v.detach().to(torch.float32).contiguous().numpy() for k, v in tensors.items()})


class Cfg:
    def __init__(self, d):
        self.vocab_size = d["vocab_size"]
        self.hidden_size = d["hidden_size"]
        self.intermediate_size = d["intermediate_size"]
        self.num_hidden_layers = d["num_hidden_layers"]
        self.num_attention_heads = d["num_attention_heads"]
        self.num_key_value_heads = d.get("num_key_value_heads", self.num_attention_heads)
        self.head_dim = d.get("head_dim") or self.hidden_size // self.num_attention_heads
        self.rms_norm_eps = d.get("rms_norm_eps", 1e-5)
        self.rope_theta = d.get("rope_theta", 10000.0)
        self.max_position_embeddings = d.get("max_position_embeddings", 2048)
        self.tie_word_embeddings = d.get("tie_word_embeddings", False)


def rms_norm(x, w, eps):
    var = x.float().pow(2).mean(-1, keepdim=True)
    return w * (x * torch.rsqrt(var + eps))


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


class Llama(nn.Module):
    """forward(input_ids, attention_mask, position_ids, *past) -> (logits, *present).

    past/present are flat: key0, value0, key1, value1, ... each (B, n_kv_heads, S, head_dim),
    keys stored after RoPE — the layout transformers.js and HF use.
    """

    def __init__(self, cfg, weights):
        super().__init__()
        self.cfg = cfg
        self.w = {k: nn.Parameter(v, requires_grad=False) for k, v in weights.items()}
        for i, (k, v) in enumerate(sorted(self.w.items())):
            self.register_parameter(f"p{i}", v)  # so .to()/export see them as initializers
        hd = cfg.head_dim
        inv = 1.0 / (cfg.rope_theta ** (torch.arange(0, hd, 2, dtype=torch.int64).float() / hd))
        self.register_buffer("inv_freq", inv, persistent=False)

    def _lin(self, x, name):
        y = F.linear(x, self.w[name + ".weight"])
        b = self.w.get(name + ".bias")
        return y if b is None else y + b

    def forward(self, input_ids, attention_mask, position_ids, *past):
        c, w = self.cfg, self.w
        H, KV, hd = c.num_attention_heads, c.num_key_value_heads, c.head_dim
        rep = H // KV
        B, T = input_ids.shape[0], input_ids.shape[1]
        x = F.embedding(input_ids, w["model.embed_tokens.weight"])

        freqs = position_ids.unsqueeze(-1).float() * self.inv_freq  # (B, T, hd/2)
        emb = torch.cat((freqs, freqs), dim=-1).unsqueeze(1)  # (B, 1, T, hd)
        cos, sin = emb.cos(), emb.sin()

        # Causal mask over [past | current]: query i (absolute past_len + i) sees key j <= it,
        # and only keys the attention_mask keeps. Large negative, not -inf: a fully masked
        # row must not turn into NaN on any backend.
        total = attention_mask.shape[1]
        past_len = total - T
        kv_idx = torch.arange(total, device=x.device)
        q_idx = torch.arange(T, device=x.device) + past_len
        allowed = (kv_idx.unsqueeze(0) <= q_idx.unsqueeze(1)).unsqueeze(0).unsqueeze(0)
        allowed = allowed & (attention_mask[:, None, None, :] > 0)
        bias = torch.zeros(allowed.shape, dtype=x.dtype).masked_fill(~allowed, -1e9)

        present = []
        for i in range(c.num_hidden_layers):
            p = f"model.layers.{i}."
            h = rms_norm(x, w[p + "input_layernorm.weight"], c.rms_norm_eps)
            q = self._lin(h, p + "self_attn.q_proj").view(B, T, H, hd).transpose(1, 2)
            k = self._lin(h, p + "self_attn.k_proj").view(B, T, KV, hd).transpose(1, 2)
            v = self._lin(h, p + "self_attn.v_proj").view(B, T, KV, hd).transpose(1, 2)
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
            if past:
                k = torch.cat((past[2 * i], k), dim=2)
                v = torch.cat((past[2 * i + 1], v), dim=2)
            present += [k, v]
            if rep > 1:
                S = k.shape[2]
                k = k.unsqueeze(2).expand(B, KV, rep, S, hd).reshape(B, H, S, hd)
                v = v.unsqueeze(2).expand(B, KV, rep, S, hd).reshape(B, H, S, hd)
            att = torch.matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(hd)) + bias
            att = torch.softmax(att, dim=-1)
            y = torch.matmul(att, v).transpose(1, 2).reshape(B, T, H * hd)
            x = x + self._lin(y, p + "self_attn.o_proj")
            h = rms_norm(x, w[p + "post_attention_layernorm.weight"], c.rms_norm_eps)
            x = x + self._lin(F.silu(self._lin(h, p + "mlp.gate_proj")) * self._lin(h, p + "mlp.up_proj"),
                              p + "mlp.down_proj")
        x = rms_norm(x, w["model.norm.weight"], c.rms_norm_eps)
        head = w.get("lm_head.weight")
        logits = F.linear(x, head if head is not None else w["model.embed_tokens.weight"])
        return (logits, *present)


def load(model_dir):
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = Cfg(json.load(f))
    weights = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    if cfg.tie_word_embeddings:
        weights.pop("lm_head.weight", None)
    return Llama(cfg, weights).eval()


def suppress_ids(model_dir):
    """The tokenizer's special added tokens (the default suppress set when none is given; the
    benchmark driver passes its own, see bench/peers/common.ts suppressedIds)."""
    path = os.path.join(model_dir, "tokenizer.json")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        tok = json.load(f)
    return sorted(t["id"] for t in tok.get("added_tokens", []) if t.get("special", True))


@torch.no_grad()
def greedy(model, prompt, n, suppress=()):
    """Greedy decode with the KV cache (prefill once, then one token per step)."""
    ids = torch.tensor([prompt], dtype=torch.int64)
    mask = torch.ones_like(ids)
    pos = torch.arange(len(prompt)).unsqueeze(0)
    c = model.cfg
    past = [torch.zeros(1, c.num_key_value_heads, 0, c.head_dim) for _ in range(2 * c.num_hidden_layers)]
    out = []
    for _ in range(n):
        logits, *past = model(ids, mask, pos, *past)
        last = logits[0, -1].clone()
        if suppress:
            last[list(suppress)] = -float("inf")
        nxt = int(last.argmax())
        out.append(nxt)
        total = mask.shape[1]
        ids = torch.tensor([[nxt]])
        mask = torch.ones(1, total + 1, dtype=torch.int64)
        pos = torch.tensor([[total]])
    return out


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("greedy")
    g.add_argument("--model", required=True)
    g.add_argument("--prompt", required=True, help="comma-separated token ids")
    g.add_argument("--n", type=int, default=50)
    g.add_argument("--suppress", default=None,
                   help="comma-separated ids never to emit (default: the special added tokens)")
    a = ap.parse_args()
    model = load(a.model)
    prompt = [int(t) for t in a.prompt.split(",") if t]
    sup = suppress_ids(a.model) if a.suppress is None else [int(t) for t in a.suppress.split(",") if t]
    json.dump({"tokens": greedy(model, prompt, a.n, sup), "suppress": sup}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
