#!/usr/bin/python3
"""Export an HF-layout Llama to ONNX in the layout transformers.js loads as a decoder with a KV cache.

  /usr/bin/python3 -m bench.peers.export_onnx --model DIR [--out DIR] [--opset 14]

Writes <out>/onnx/model.onnx and copies config.json, generation_config.json, tokenizer.json
(and tokenizer_config.json if present) next to it, so <out> is a transformers.js model dir.

Graph signature (what transformers.js feeds, read from its dist: decoder_forward,
addPastKeyValues, getKeyValueNames):
  inputs   input_ids        int64 [batch_size, sequence_length]
           attention_mask   int64 [batch_size, total_sequence_length]   (past + current)
           position_ids     int64 [batch_size, sequence_length]
           past_key_values.{i}.key / .value  float32 [batch_size, n_kv_heads, past_sequence_length, head_dim]
  outputs  logits           float32 [batch_size, sequence_length, vocab]
           present.{i}.key / .value          float32 [batch_size, n_kv_heads, total_sequence_length, head_dim]
The dim names matter: for the first step transformers.js builds empty past tensors from the
session's input metadata, mapping 'batch_size' to the batch and every other symbolic dim to 0.

Exported with torch.onnx (TorchScript tracing, torch 1.13): the trace uses a non-empty past so no
branch is specialised on "no cache"; all sizes come from tensor shapes and stay symbolic.
"""
import argparse
import json
import os
import shutil

import torch

from bench.peers import llama_torch


def export(model_dir, out_dir, opset):
    model = llama_torch.load(model_dir)
    c = model.cfg
    L, KV, hd = c.num_hidden_layers, c.num_key_value_heads, c.head_dim
    B, T, P = 1, 3, 4  # trace shapes; all symbolic in the graph
    ids = torch.randint(0, c.vocab_size, (B, T), dtype=torch.int64)
    mask = torch.ones(B, P + T, dtype=torch.int64)
    pos = torch.arange(P, P + T, dtype=torch.int64).unsqueeze(0)
    past = [torch.randn(B, KV, P, hd) for _ in range(2 * L)]

    past_names, present_names = [], []
    for i in range(L):
        past_names += [f"past_key_values.{i}.key", f"past_key_values.{i}.value"]
        present_names += [f"present.{i}.key", f"present.{i}.value"]
    inputs = ["input_ids", "attention_mask", "position_ids"] + past_names
    outputs = ["logits"] + present_names
    axes = {
        "input_ids": {0: "batch_size", 1: "sequence_length"},
        "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
        "position_ids": {0: "batch_size", 1: "sequence_length"},
        "logits": {0: "batch_size", 1: "sequence_length"},
    }
    for n in past_names:
        axes[n] = {0: "batch_size", 2: "past_sequence_length"}
    for n in present_names:
        axes[n] = {0: "batch_size", 2: "total_sequence_length"}

    os.makedirs(os.path.join(out_dir, "onnx"), exist_ok=True)
    path = os.path.join(out_dir, "onnx", "model.onnx")
    with torch.no_grad():
        torch.onnx.export(model, (ids, mask, pos, *past), path, input_names=inputs,
                          output_names=outputs, dynamic_axes=axes, opset_version=opset,
                          do_constant_folding=True)
    if os.path.abspath(out_dir) != os.path.abspath(model_dir):
        for f in ("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json"):
            src = os.path.join(model_dir, f)
            if os.path.exists(src):
                shutil.copyfile(src, os.path.join(out_dir, f))
    return path, inputs, outputs


def check(path, model_dir):
    """Optional: run the exported graph with onnxruntime if this Python has it (Debian does not),
    else just validate the model with onnx's checker when available."""
    try:
        import onnx
    except ImportError:
        return "onnx module not installed; skipped checker"
    m = onnx.load(path)
    onnx.checker.check_model(m)
    return f"onnx checker ok, {len(m.graph.node)} nodes"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--out", default="")
    ap.add_argument("--opset", type=int, default=14)
    a = ap.parse_args()
    out = a.out or a.model
    path, inputs, outputs = export(a.model, out, a.opset)
    print(json.dumps({"onnx": path, "bytes": os.path.getsize(path), "inputs": inputs,
                      "outputs": outputs, "check": check(path, a.model)}))


if __name__ == "__main__":
    main()
