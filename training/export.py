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
import math
import os
import shutil
import struct
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from model import Config, LlamaForCausalLM  # noqa: E402
from tokenizer import EOT, FILE_SEP, FIM_MIDDLE, FIM_PREFIX, FIM_SUFFIX, NSPEC, SPECIALS, Tokenizer  # noqa: E402

ROOT = os.path.dirname(HERE)
DEFAULT_OUT = os.path.join(ROOT, "public", "models", "spark-nano")
# The FIM prompt order the editor sends this model, written to config.json as "fim_order" (the
# engine reads it; configs without it mean PSM, as StarCoder and Qwen2.5-Coder expect). SPM, because
# the 2.4M-parameter model cannot reach back across the suffix to the prefix in PSM: on 40 held-out
# samples per language (training/eval/fim_diag.py, session 5's shipped weights) the middle's first token
# cost 2.9-3.3 nats in PSM and 2.1 in SPM (2.1-2.2 left to right), and its greedy first line was right
# 0-3 % of the time in PSM and 3-15 % in SPM. SPM also keeps the KV cache warm while typing: the cursor
# is at the prompt's end. (The stop is SPM's weak side: see the training README "State".)
FIM_ORDER = "spm"


# ------------------------------------------------------------------ safetensors
def write_safetensors(path, tensors, metadata=None):
    """tensors: dict name -> np.ndarray (float16/float32/bfloat16-as-uint16 not supported)."""
    dt = {np.dtype(np.float16): "F16", np.dtype(np.float32): "F32"}
    header, off, blobs = {}, 0, []
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name])
        b = a.tobytes()
        header[name] = {"dtype": dt[a.dtype], "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        off += len(b)
        blobs.append(b)
    header["__metadata__"] = metadata or {"format": "pt"}
    hj = json.dumps(header, separators=(",", ":")).encode()
    hj += b" " * ((8 - len(hj) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(hj)))
        f.write(hj)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def read_safetensors(path):
    """name -> np.ndarray in the stored dtype; BF16 (which numpy lacks) is widened to float32.
    Also used by bench/peers/ for any HF checkpoint."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    np_dt = {"F16": np.float16, "F32": np.float32, "I64": np.int64, "I32": np.int32}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        s, e = info["data_offsets"]
        if info["dtype"] == "BF16":
            a = (np.frombuffer(data[s:e], dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        elif info["dtype"] in np_dt:
            a = np.frombuffer(data[s:e], dtype=np_dt[info["dtype"]])
        else:
            raise ValueError(f"{path}: tensor {name} has dtype {info['dtype']}, not one of F16, F32, BF16, I64, I32")
        out[name] = a.reshape(info["shape"])
    return out


# ------------------------------------------------------------------ GGUF
GGUF_T = {"u8": 0, "i8": 1, "u16": 2, "i16": 3, "u32": 4, "i32": 5, "f32": 6, "bool": 7, "str": 8,
          "arr": 9, "u64": 10, "i64": 11, "f64": 12}
_SCALAR_FMT = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
GGML_F32, GGML_F16 = 0, 1
ALIGN = 32


def _gstr(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def _gval(t, v):
    if t == GGUF_T["str"]:
        return _gstr(v)
    if t == GGUF_T["arr"]:
        et, items = v
        out = struct.pack("<IQ", et, len(items))
        if et == GGUF_T["str"]:
            return out + b"".join(_gstr(x) for x in items)
        return out + np.asarray(items, dtype=np.dtype(_SCALAR_FMT[et])).tobytes()
    return struct.pack(_SCALAR_FMT[t], v)


def hf_permute(w, n_head, n_head_kv=None):
    """llama.cpp convert_hf_to_gguf.py LlamaModel.permute: HF rotate_half layout -> GGML's
    interleaved-pair rope layout, per head, along the output rows."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return (w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:])
            .swapaxes(1, 2).reshape(w.shape))


def write_gguf(path, kv, tensors):
    """kv: list of (key, type, value); tensors: list of (name, np.ndarray f16/f32), numpy shape
    (rows, cols) -> GGUF dims (cols, rows)."""
    out = bytearray()
    out += b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kv))
    for k, t, v in kv:
        out += _gstr(k) + struct.pack("<I", t) + _gval(t, v)
    off = 0
    datas = []
    for name, a in tensors:
        a = np.ascontiguousarray(a)
        gt = GGML_F16 if a.dtype == np.float16 else GGML_F32
        out += _gstr(name) + struct.pack("<I", a.ndim) + b"".join(struct.pack("<Q", d) for d in a.shape[::-1])
        out += struct.pack("<IQ", gt, off)
        b = a.tobytes()
        datas.append(b)
        off += len(b)
        off += (ALIGN - off % ALIGN) % ALIGN
    out += b"\0" * ((ALIGN - len(out) % ALIGN) % ALIGN)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(out)
        for b in datas:
            f.write(b)
            f.write(b"\0" * ((ALIGN - len(b) % ALIGN) % ALIGN))
    os.replace(tmp, path)


def read_gguf(path):
    """Minimal GGUF v3 reader: returns (kv dict, tensors dict name->np.ndarray)."""
    with open(path, "rb") as f:
        buf = f.read()
    p = 0

    def rd(fmt):
        nonlocal p
        v = struct.unpack_from(fmt, buf, p)
        p += struct.calcsize(fmt)
        return v[0] if len(v) == 1 else v

    def rstr():
        nonlocal p
        n = rd("<Q")
        s = buf[p:p + n].decode("utf-8")
        p += n
        return s

    def rval(t):
        if t == 8:
            return rstr()
        if t == 9:
            et, n = rd("<I"), rd("<Q")
            return [rval(et) for _ in range(n)]
        return rd(_SCALAR_FMT[t])

    assert buf[:4] == b"GGUF"
    p = 4
    ver, nt, nkv = rd("<I"), rd("<Q"), rd("<Q")
    kv = {"__version__": ver}
    for _ in range(nkv):
        k = rstr()
        kv[k] = rval(rd("<I"))
    infos = []
    for _ in range(nt):
        name = rstr()
        nd = rd("<I")
        dims = [rd("<Q") for _ in range(nd)]
        t, off = rd("<I"), rd("<Q")
        infos.append((name, dims, t, off))
    align = kv.get("general.alignment", ALIGN)
    start = p + (align - p % align) % align
    tensors = {}
    for name, dims, t, off in infos:
        dt = np.float16 if t == GGML_F16 else np.float32
        n = int(np.prod(dims))
        tensors[name] = np.frombuffer(buf, dtype=dt, count=n, offset=start + off).reshape(dims[::-1])
    return kv, tensors


# ------------------------------------------------------------------ HF dir
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


def fim_order_of(path):
    """The FIM order a model expects: config.json's "fim_order" (PSM when absent) for an exported
    directory, FIM_ORDER for a training checkpoint (it will be exported with it)."""
    if not os.path.isdir(path):
        return FIM_ORDER
    with open(os.path.join(path, "config.json")) as f:
        return json.load(f).get("fim_order", "psm")


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
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.half().float())
    return model


def heldout_bpb(model, corpus, T=1024, nwin=32, seed=4321):
    from train import Data, evaluate, token_byte_lengths
    tok = Tokenizer.load(os.path.join(corpus, "tokenizer.json"))
    _, bpb = evaluate(model, Data(corpus, "val"), T, nwin, token_byte_lengths(tok), seed=seed)
    return bpb


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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default=os.path.join(HERE, "runs", "nano", "best.pt"))
    ap.add_argument("--corpus", default=os.path.join(HERE, "data", "corpus"))
    ap.add_argument("--tokenizer", default=None)
    ap.add_argument("--out", default=DEFAULT_OUT)
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
