import json
import os

import numpy as np
import torch

from checkpoints import load_hf_dir, round_f16_
from export import FIM_ORDER, export_model, fim_order_of
from formats import hf_permute, read_gguf, read_safetensors
from model import Config, LlamaForCausalLM


def tiny(vocab):
    torch.manual_seed(0)
    return LlamaForCausalLM(Config(vocab_size=vocab, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                   num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64))


def test_safetensors_round_trip(toy_corpus, tmp_path):
    m = round_f16_(tiny(320)).eval()
    export_model(m, os.path.join(toy_corpus, "tokenizer.json"), str(tmp_path), {"x": 1})
    names = set(read_safetensors(str(tmp_path / "model.safetensors")))
    assert "model.layers.1.self_attn.q_proj.weight" in names and "lm_head.weight" not in names
    cfg, sd = load_hf_dir(str(tmp_path))
    m2 = LlamaForCausalLM(cfg)
    m2.load_state_dict(sd)
    m2.eval()
    x = torch.tensor([[0, 5, 17, 100, 250, 3]])
    with torch.no_grad():
        assert torch.equal(m(x)[0], m2(x)[0])
    c = json.load(open(tmp_path / "config.json"))
    assert c["architectures"] == ["LlamaForCausalLM"] and c["torch_dtype"] == "float16"
    assert c["tie_word_embeddings"] is True and c["head_dim"] == 8
    assert c["fim_order"] == FIM_ORDER == fim_order_of(str(tmp_path))
    del c["fim_order"]  # a config without it (any HF FIM model) means PSM
    json.dump(c, open(tmp_path / "config.json", "w"))
    assert fim_order_of(str(tmp_path)) == "psm"


def test_gguf_reads_back(toy_corpus, tmp_path):
    m = tiny(320)
    export_model(m, os.path.join(toy_corpus, "tokenizer.json"), str(tmp_path))
    kv, t = read_gguf(str(tmp_path / "spark-nano.gguf"))
    assert kv["__version__"] == 3 and kv["general.architecture"] == "llama"
    assert kv["llama.block_count"] == 2 and kv["llama.attention.head_count_kv"] == 2
    assert kv["llama.rope.dimension_count"] == 8 and kv["tokenizer.ggml.model"] == "gpt2"
    assert len(kv["tokenizer.ggml.tokens"]) == 320 and kv["tokenizer.ggml.tokens"][1] == "<fim_prefix>"
    assert kv["spark.fim_order"] == "spm"  # the order config.json says, which GGUF has no key for
    sd = {k: v.detach().numpy() for k, v in m.state_dict().items()}
    assert t["token_embd.weight"].shape == (320, 32)
    np.testing.assert_array_equal(t["blk.1.ffn_down.weight"], sd["model.layers.1.mlp.down_proj.weight"].astype(np.float16))
    q = sd["model.layers.0.self_attn.q_proj.weight"]
    np.testing.assert_array_equal(t["blk.0.attn_q.weight"], hf_permute(q, 4, 4).astype(np.float16))
    k = sd["model.layers.0.self_attn.k_proj.weight"]
    np.testing.assert_array_equal(t["blk.0.attn_k.weight"], hf_permute(k, 4, 2).astype(np.float16))
    assert t["output_norm.weight"].dtype == np.float32


def test_permute_is_pairing():
    # row r of head h (HF half layout: [x0..x_{d/2-1} | y0..]) goes to interleaved x0,y0,x1,y1
    w = np.arange(8)[:, None].repeat(2, 1)  # one head, head_dim 8
    p = hf_permute(w, 1)
    assert list(p[:, 0]) == [0, 4, 1, 5, 2, 6, 3, 7]


def test_gguf_parses_in_js(toy_corpus, tmp_path):
    import shutil
    import subprocess
    import pytest
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if shutil.which("node") is None or not os.path.isdir(os.path.join(root, "node_modules", "@huggingface", "gguf")):
        pytest.skip("node or @huggingface/gguf not installed")
    export_model(tiny(320), os.path.join(toy_corpus, "tokenizer.json"), str(tmp_path))
    r = subprocess.run(["node", os.path.join(root, "training", "check_gguf.mjs"), str(tmp_path / "spark-nano.gguf")],
                       capture_output=True, text=True, cwd=root)
    assert r.returncode == 0, r.stdout + r.stderr
