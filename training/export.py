#!/usr/bin/python3
"""Export a spark-nano checkpoint to public/models/spark-nano/ (HF layout + GGUF).

  /usr/bin/python3 training/export.py                       # best.pt of run "nano", only if better
  /usr/bin/python3 training/export.py --ckpt PATH --out DIR --force

Writes (each file atomically: tmp + rename):
  config.json, generation_config.json, tokenizer.json, tokenizer_config.json,
  model.safetensors  (f16, HF names; tied lm_head is not stored, as HF does),
  spark-nano.gguf    (GGUF v3, llama arch, f16 matrices / f32 norms, 32-byte alignment,
                      Q/K rows permuted like llama.cpp's convert_hf_to_gguf.py),
  metrics.json       (held-out bits/byte at context 1024 used to decide whether to export,
                      plus provenance: step, tokens, source checkpoint).
The weights are exported only if the held-out bits/byte beats metrics.json (unless --force).
"""
import argparse
import json
import os
import shutil
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from checkpoints import ROOT, SHIPPED, load_model, round_f16_, run_tokens_before  # noqa: E402
from data import heldout_bpb  # noqa: E402
from formats import ALIGN, GGUF_T, hf_permute, write_gguf, write_safetensors  # noqa: E402
from tokenizer import EOT, FIM_MIDDLE, FIM_PREFIX, FIM_SUFFIX, NSPEC, SPECIALS, Tokenizer  # noqa: E402

# The FIM prompt order the editor sends this model, written to config.json as "fim_order" (the
# engine reads it; configs without it mean PSM, as StarCoder and Qwen2.5-Coder expect). SPM, because
# the 2.4M-parameter model cannot reach back across the suffix to the prefix in PSM: on 40 held-out
# samples per language (training/eval/fim_diag.py, on weights trained mostly on PSM) the middle's first token
# cost 2.9-3.3 nats in PSM and 2.1 in SPM (2.1-2.2 left to right), and its greedy first line was right
# 0-3 % of the time in PSM and 3-15 % in SPM. SPM also keeps the KV cache warm while typing: the cursor
# is at the prompt's end. (The stop is SPM's weak side: see the training README "State".)
FIM_ORDER = "spm"


def hf_config(cfg):
    return {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "vocab_size": cfg.vocab_size,
        "hidden_size": cfg.hidden_size,
        "intermediate_size": cfg.intermediate_size,
        "num_hidden_layers": cfg.num_hidden_layers,
        "num_attention_heads": cfg.num_attention_heads,
        "num_key_value_heads": cfg.num_key_value_heads,
        "head_dim": cfg.head_dim,
        "hidden_act": "silu",
        "max_position_embeddings": cfg.max_position_embeddings,
        "rms_norm_eps": cfg.rms_norm_eps,
        "rope_theta": cfg.rope_theta,
        "rope_scaling": None,
        "attention_bias": False,
        "attention_dropout": 0.0,
        "mlp_bias": False,
        "tie_word_embeddings": cfg.tie_word_embeddings,
        "torch_dtype": "float16",
        "bos_token_id": EOT,
        "eos_token_id": EOT,
        "pad_token_id": EOT,
        "initializer_range": 0.02,
        "use_cache": True,
        "transformers_version": "4.46.0",
        "fim_order": FIM_ORDER,
    }


def tokenizer_config(cfg):
    return {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": "<|endoftext|>",
        "eos_token": "<|endoftext|>",
        "pad_token": "<|endoftext|>",
        "unk_token": None,
        "add_bos_token": False,
        "add_eos_token": False,
        "clean_up_tokenization_spaces": False,
        "model_max_length": cfg.max_position_embeddings,
        "additional_special_tokens": SPECIALS[1:],
        "added_tokens_decoder": {str(i): {"content": s, "lstrip": False, "normalized": False, "rstrip": False,
                                          "single_word": False, "special": True} for i, s in enumerate(SPECIALS)},
    }


def generation_config():
    return {"bos_token_id": EOT, "eos_token_id": EOT, "pad_token_id": EOT, "do_sample": False,
            "max_new_tokens": 64, "transformers_version": "4.46.0"}


def f16_state(model):
    """HF-named f16 numpy tensors; lm_head omitted when tied."""
    sd = {}
    for k, v in model.state_dict().items():
        if k == "lm_head.weight" and model.cfg.tie_word_embeddings:
            continue
        sd[k] = v.detach().float().numpy().astype(np.float16)
    return sd


def gguf_from(model, tok, name="spark-nano"):
    cfg = model.cfg
    sd = {k: v.detach().float().numpy() for k, v in model.state_dict().items()}
    tensors = [("token_embd.weight", sd["model.embed_tokens.weight"].astype(np.float16))]
    for i in range(cfg.num_hidden_layers):
        p = f"model.layers.{i}."
        q = hf_permute(sd[p + "self_attn.q_proj.weight"], cfg.num_attention_heads, cfg.num_attention_heads)
        k = hf_permute(sd[p + "self_attn.k_proj.weight"], cfg.num_attention_heads, cfg.num_key_value_heads)
        tensors += [
            (f"blk.{i}.attn_norm.weight", sd[p + "input_layernorm.weight"].astype(np.float32)),
            (f"blk.{i}.attn_q.weight", q.astype(np.float16)),
            (f"blk.{i}.attn_k.weight", k.astype(np.float16)),
            (f"blk.{i}.attn_v.weight", sd[p + "self_attn.v_proj.weight"].astype(np.float16)),
            (f"blk.{i}.attn_output.weight", sd[p + "self_attn.o_proj.weight"].astype(np.float16)),
            (f"blk.{i}.ffn_norm.weight", sd[p + "post_attention_layernorm.weight"].astype(np.float32)),
            (f"blk.{i}.ffn_gate.weight", sd[p + "mlp.gate_proj.weight"].astype(np.float16)),
            (f"blk.{i}.ffn_up.weight", sd[p + "mlp.up_proj.weight"].astype(np.float16)),
            (f"blk.{i}.ffn_down.weight", sd[p + "mlp.down_proj.weight"].astype(np.float16)),
        ]
    tensors.append(("output_norm.weight", sd["model.norm.weight"].astype(np.float32)))
    if not cfg.tie_word_embeddings:
        tensors.append(("output.weight", sd["lm_head.weight"].astype(np.float16)))
    T = GGUF_T
    toks = [tok.token_str(i) for i in range(tok.vocab_size)]
    ttype = [3 if i < NSPEC else 1 for i in range(tok.vocab_size)]  # 3 = CONTROL, 1 = NORMAL
    merges = [tok.token_str(a) + " " + tok.token_str(b) for a, b in tok.merges]
    kv = [
        ("general.architecture", T["str"], "llama"),
        ("general.name", T["str"], name),
        ("general.alignment", T["u32"], ALIGN),
        ("general.file_type", T["u32"], 1),  # MOSTLY_F16
        ("llama.vocab_size", T["u32"], cfg.vocab_size),
        ("llama.context_length", T["u32"], cfg.max_position_embeddings),
        ("llama.embedding_length", T["u32"], cfg.hidden_size),
        ("llama.block_count", T["u32"], cfg.num_hidden_layers),
        ("llama.feed_forward_length", T["u32"], cfg.intermediate_size),
        ("llama.attention.head_count", T["u32"], cfg.num_attention_heads),
        ("llama.attention.head_count_kv", T["u32"], cfg.num_key_value_heads),
        ("llama.attention.layer_norm_rms_epsilon", T["f32"], cfg.rms_norm_eps),
        ("llama.rope.freq_base", T["f32"], cfg.rope_theta),
        ("llama.rope.dimension_count", T["u32"], cfg.head_dim),
        ("tokenizer.ggml.model", T["str"], "gpt2"),
        # llama.cpp has no name for our exact pattern; llama-bpe (Llama 3) is the same pattern
        # plus English contractions ('s 't 're ...). tokenizer.json is the reference.
        ("tokenizer.ggml.pre", T["str"], "llama-bpe"),
        ("tokenizer.ggml.tokens", T["arr"], (T["str"], toks)),
        ("tokenizer.ggml.token_type", T["arr"], (T["i32"], ttype)),
        ("tokenizer.ggml.merges", T["arr"], (T["str"], merges)),
        ("tokenizer.ggml.bos_token_id", T["u32"], EOT),
        ("tokenizer.ggml.eos_token_id", T["u32"], EOT),
        ("tokenizer.ggml.padding_token_id", T["u32"], EOT),
        ("tokenizer.ggml.fim_pre_token_id", T["u32"], FIM_PREFIX),
        ("tokenizer.ggml.fim_suf_token_id", T["u32"], FIM_SUFFIX),
        ("tokenizer.ggml.fim_mid_token_id", T["u32"], FIM_MIDDLE),
        ("tokenizer.ggml.add_bos_token", T["bool"], False),
        ("tokenizer.ggml.add_eos_token", T["bool"], False),
        # GGUF has no key for the FIM order; PSM is what readers assume, so ours is said here.
        ("spark.fim_order", T["str"], FIM_ORDER),
    ]
    return kv, tensors


def _write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)


def export_model(model, tok_path, out, metrics=None, gguf=True):
    os.makedirs(out, exist_ok=True)
    cfg = model.cfg
    tok = Tokenizer.load(tok_path)
    assert tok.vocab_size == cfg.vocab_size
    write_safetensors(os.path.join(out, "model.safetensors"), f16_state(model), {"format": "pt"})
    _write_json(os.path.join(out, "config.json"), hf_config(cfg))
    _write_json(os.path.join(out, "generation_config.json"), generation_config())
    _write_json(os.path.join(out, "tokenizer_config.json"), tokenizer_config(cfg))
    if os.path.abspath(tok_path) != os.path.abspath(os.path.join(out, "tokenizer.json")):
        shutil.copyfile(tok_path, os.path.join(out, "tokenizer.json.tmp"))
        os.replace(os.path.join(out, "tokenizer.json.tmp"), os.path.join(out, "tokenizer.json"))
    if gguf:
        kv, tensors = gguf_from(model, tok)
        write_gguf(os.path.join(out, "spark-nano.gguf"), kv, tensors)
    if metrics is not None:
        _write_json(os.path.join(out, "metrics.json"), metrics)


def fim_order_of(path):
    """The FIM order a model expects: config.json's "fim_order" (PSM when absent) for an exported
    directory, FIM_ORDER for a training checkpoint (it will be exported with it)."""
    if not os.path.isdir(path):
        return FIM_ORDER
    with open(os.path.join(path, "config.json")) as f:
        return json.load(f).get("fim_order", "psm")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default=os.path.join(HERE, "runs", "nano", "best.pt"))
    ap.add_argument("--corpus", default=os.path.join(HERE, "data", "corpus"))
    ap.add_argument("--tokenizer", default=None)
    ap.add_argument("--out", default=SHIPPED)
    ap.add_argument("--force", action="store_true")
    ap.add_argument("--no-gguf", action="store_true")
    ap.add_argument("--eval-windows", type=int, default=16)
    a = ap.parse_args()
    torch.set_num_threads(2)
    model, info = load_model(a.ckpt)
    round_f16_(model)  # measure what ships
    t0 = time.time()
    bpb = heldout_bpb(model, a.corpus, T=min(1024, model.cfg.max_position_embeddings), nwin=a.eval_windows)
    mpath = os.path.join(a.out, "metrics.json")
    old = None
    if os.path.exists(mpath):
        with open(mpath) as f:
            om = json.load(f)
        if om.get("eval_windows") == a.eval_windows:  # otherwise not comparable: export
            old = om.get("heldout_bpb_ctx1024")
    print(f"held-out bits/byte (ctx 1024, f16 weights): {bpb:.4f} (shipped: {old}) [{time.time() - t0:.0f}s]")
    if old is not None and bpb >= old and not a.force:
        print("not better than the shipped model: nothing exported")
        return 1
    metrics = {"heldout_bpb_ctx1024": round(bpb, 5), "eval_windows": a.eval_windows, "source": os.path.relpath(a.ckpt, ROOT),
               "params": model.num_params(), "exported_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               **{k: (float(v) if isinstance(v, (float, int)) else v) for k, v in info.items()}}
    before = run_tokens_before(os.path.dirname(a.ckpt))
    if before and "tokens" in metrics:  # a run that continued earlier weights: report the total
        metrics["run_tokens"], metrics["tokens"] = metrics["tokens"], metrics["tokens"] + before
    export_model(model, a.tokenizer or os.path.join(a.corpus, "tokenizer.json"), a.out, metrics, gguf=not a.no_gguf)
    print("exported to", a.out, json.dumps(metrics))
    return 0


if __name__ == "__main__":
    sys.exit(main())
