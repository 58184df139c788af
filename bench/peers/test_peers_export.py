"""Checks for the peers' export helpers (run: /usr/bin/python3 -m pytest bench/peers -q).

The scripts are modules of the bench.peers package, run from the repo root with `python3 -m`.
"""
import json
import os
import struct
import subprocess
import sys

import numpy as np
import torch

from bench.peers import export_gguf, llama_torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def test_safetensors_round_trip(tmp_path):
    t = {"a.weight": torch.randn(3, 5), "b": torch.arange(4, dtype=torch.float32)}
    p = tmp_path / "m.safetensors"
    llama_torch.write_safetensors(str(p), t)
    back = llama_torch.read_safetensors(str(p))
    assert set(back) == set(t)
    for k in t:
        assert torch.equal(back[k], t[k])
    # data must start 8-byte aligned after the header
    with open(p, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
    assert (8 + n) % 8 == 0


def _rope_half(x, pos, theta=10000.0):
    hd = x.shape[-1]
    inv = 1.0 / theta ** (np.arange(0, hd, 2) / hd)
    ang = pos * inv
    c, s = np.cos(np.concatenate([ang, ang])), np.sin(np.concatenate([ang, ang]))
    rot = np.concatenate([-x[hd // 2:], x[:hd // 2]])
    return x * c + rot * s


def _rope_interleaved(x, pos, theta=10000.0):
    hd = x.shape[-1]
    inv = 1.0 / theta ** (np.arange(0, hd, 2) / hd)
    ang = pos * inv
    out = x.copy()
    out[0::2] = x[0::2] * np.cos(ang) - x[1::2] * np.sin(ang)
    out[1::2] = x[0::2] * np.sin(ang) + x[1::2] * np.cos(ang)
    return out


def test_rope_row_permutation_preserves_attention_scores():
    """HF rotate_half on W·h must equal llama.cpp's interleaved RoPE on permuted(W)·h, per head."""
    rng = np.random.default_rng(0)
    heads, hd, d = 2, 8, 6
    w = rng.standard_normal((heads * hd, d)).astype(np.float32)
    h = rng.standard_normal(d).astype(np.float32)
    wp = export_gguf.formats.hf_permute(w, heads)
    for head in range(heads):
        rows = slice(head * hd, (head + 1) * hd)
        a = _rope_half(w[rows] @ h, 5.0)
        b = _rope_interleaved(wp[rows] @ h, 5.0)
        # b is a per-head permutation of a: the same multiset, and q·k dot products agree
        assert np.allclose(np.sort(a), np.sort(b), atol=1e-5)
        a2 = _rope_half(w[rows] @ (h + 1), 3.0)
        b2 = _rope_interleaved(wp[rows] @ (h + 1), 3.0)
        assert np.isclose(a @ a2, b @ b2, atol=1e-4)


def test_kv_cache_matches_full_forward(tmp_path):
    out = tmp_path / "fx"
    subprocess.run([sys.executable, "-m", "bench.peers.make_fixture", "--out", str(out),
                    "--layers", "1", "--hidden", "32", "--heads", "4", "--kv-heads", "2", "--ffn", "48"],
                   check=True, capture_output=True, cwd=ROOT)
    m = llama_torch.load(str(out))
    ids = torch.tensor([[10, 20, 30, 40, 50]])
    with torch.no_grad():
        full = m(ids, torch.ones_like(ids), torch.arange(5)[None])[0]
        past = [torch.zeros(1, 2, 0, 8) for _ in range(2)]
        first, *past = m(ids[:, :3], torch.ones(1, 3, dtype=torch.long), torch.arange(3)[None], *past)
        rest = []
        for j in (3, 4):
            lg, *past = m(ids[:, j:j + 1], torch.ones(1, j + 1, dtype=torch.long), torch.tensor([[j]]), *past)
            rest.append(lg)
    assert torch.allclose(full, torch.cat([first] + rest, 1), atol=1e-4)


def test_gguf_header_and_tensor_table(tmp_path):
    out = tmp_path / "fx"
    subprocess.run([sys.executable, "-m", "bench.peers.make_fixture", "--out", str(out),
                    "--layers", "1", "--hidden", "32", "--heads", "4", "--kv-heads", "2", "--ffn", "48"],
                   check=True, capture_output=True, cwd=ROOT)
    info = export_gguf.export(str(out), str(tmp_path / "m.gguf"))
    with open(tmp_path / "m.gguf", "rb") as f:
        magic, version, n_tensors, n_kv = struct.unpack("<4sIQQ", f.read(24))
    assert magic == b"GGUF" and version == 3
    assert n_tensors == info["tensors"] == 2 + 9  # embd, norm, one block; no output.weight (tied)
    with open(out / "config.json") as f:
        assert json.load(f)["tie_word_embeddings"] is True
