"""Weights on disk and where they came from: training checkpoints (.pt) and exported HF directories
loaded as a LlamaForCausalLM, the f16 rounding every shipped weight goes through, and the run
bookkeeping (which run produced the shipped weights, how many tokens a run's starting weights had seen).
"""
import json
import os

import numpy as np
import torch

from formats import read_safetensors
from model import Config, LlamaForCausalLM

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHIPPED = os.path.join(ROOT, "public", "models", "spark-nano")


def atomic_save(obj, path):
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def load_hf_dir(d):
    with open(os.path.join(d, "config.json")) as f:
        c = json.load(f)
    cfg = Config(vocab_size=c["vocab_size"], hidden_size=c["hidden_size"],
                 intermediate_size=c["intermediate_size"], num_hidden_layers=c["num_hidden_layers"],
                 num_attention_heads=c["num_attention_heads"], num_key_value_heads=c["num_key_value_heads"],
                 max_position_embeddings=c["max_position_embeddings"], rms_norm_eps=c["rms_norm_eps"],
                 rope_theta=c["rope_theta"], tie_word_embeddings=c["tie_word_embeddings"])
    sd = {k: torch.from_numpy(v.astype(np.float32)) for k, v in read_safetensors(os.path.join(d, "model.safetensors")).items()}
    if cfg.tie_word_embeddings:
        sd["lm_head.weight"] = sd["model.embed_tokens.weight"]
    return cfg, sd


def load_model(path):
    """A training checkpoint (.pt) or an exported HF directory -> LlamaForCausalLM (f32)."""
    if os.path.isdir(path):
        cfg, sd = load_hf_dir(path)
        info = {}
    else:
        st = torch.load(path, map_location="cpu")
        cfg, sd = Config(**st["config"]), st["model"]
        info = {k: st[k] for k in ("step", "tokens", "val_bpb", "val_T") if k in st}
    m = LlamaForCausalLM(cfg)
    m.load_state_dict(sd)
    m.eval()
    return m, info


def round_f16_(model):
    """Rounds the weights to f16 in place (kept in f32): what an export stores, so what gets measured."""
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.half().float())
    return model


def shipped_run_dir(metrics):
    """The run directory whose checkpoint was exported, from the shipped metrics.json's "source"."""
    return os.path.join(ROOT, os.path.dirname(metrics.get("source", "training/runs/nano/best.pt")))


def run_tokens_before(run_dir):
    """Training tokens a run's starting weights had seen (train.py --init-from shipped), from its args.json."""
    path = os.path.join(run_dir, "args.json")
    if not os.path.exists(path):
        return 0.0
    with open(path) as f:
        return float(json.load(f).get("tokens_before", 0.0))
