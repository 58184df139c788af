"""formats.py's GGML block quantization and quantized GGUF tensors.

The exact checks read src/model/fixtures/quant-blocks.json, written by llama.cpp's gguf-py
(training/make_quant_fixture.py), so formats.py is held to gguf-py without needing it installed.
"""
import base64
import json
import os
import shutil
import struct
import subprocess

import numpy as np
import pytest

from formats import (GGML_TYPES, QUANT_BLOCK, bf16_bits_to_f32, dequantize, f32_to_bf16_bits, quantize,
                     read_gguf, write_gguf)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURE = os.path.join(ROOT, "src", "model", "fixtures", "quant-blocks.json")
TYPES = ["Q8_0", "Q4_0", "Q4_K", "Q6_K"]


@pytest.fixture(scope="module")
def fixture():
    with open(FIXTURE) as f:
        return json.load(f)


def unb64(s, dtype):
    return np.frombuffer(base64.b64decode(s), dtype=dtype)


def test_type_ids_are_ggmls():
    # ggml.h enum ggml_type (and gguf-py's GGMLQuantizationType)
    assert GGML_TYPES == {"F32": 0, "F16": 1, "Q4_0": 2, "Q8_0": 8, "Q4_K": 12, "Q6_K": 14, "BF16": 30}
    assert QUANT_BLOCK == {"Q8_0": (32, 34), "Q4_0": (32, 18), "Q4_K": (256, 144), "Q6_K": (256, 210)}


@pytest.mark.parametrize("qtype", TYPES)
def test_dequantize_equals_gguf_py_bit_for_bit(fixture, qtype):
    case = fixture["dequantize"][qtype]
    blocks, want = unb64(case["blocks"], np.uint8), unb64(case["values"], "<u4")
    assert len(blocks) // QUANT_BLOCK[qtype][1] >= 8
    got = dequantize(qtype, blocks)
    assert got.dtype == np.float32 and got.shape == want.shape
    bad = np.nonzero(got.view(np.uint32) != want)[0]
    assert len(bad) == 0, f"{qtype}: {len(bad)} values differ, first at {bad[:5]}"


@pytest.mark.parametrize("qtype", ["Q8_0", "Q4_0"])
def test_quantize_equals_gguf_py_bit_for_bit(fixture, qtype):
    case = fixture["quantize"][qtype]
    x, want = unb64(case["values"], "<f4"), unb64(case["blocks"], np.uint8)
    with np.errstate(over="ignore"):  # one fixture block's scale overflows f16, as it does in ggml
        got = quantize(qtype, x)
    n = QUANT_BLOCK[qtype][1]
    bad = sorted({int(i) // n for i in np.nonzero(got != want)[0]})
    assert not bad, f"{qtype}: blocks {bad} differ"


def test_rows_keep_their_shape():
    x = np.random.default_rng(0).standard_normal((3, 2, 512)).astype(np.float32)
    for qtype in TYPES:
        n, nbytes = QUANT_BLOCK[qtype]
        q = quantize(qtype, x)
        assert q.shape == (3, 2, 512 // n * nbytes) and q.dtype == np.uint8
        assert dequantize(qtype, q).shape == x.shape
        np.testing.assert_array_equal(dequantize(qtype, q).reshape(-1, n), dequantize(qtype, q.reshape(-1, nbytes)))
    with pytest.raises(ValueError, match="Q4_K needs rows of a multiple of 256"):
        quantize("Q4_K", np.zeros((2, 128), np.float32))
    with pytest.raises(ValueError, match="whole 34-byte blocks"):
        dequantize("Q8_0", np.zeros(35, np.uint8))


def sample_weights():
    """Blocks of kinds a weight matrix may hold: Gaussian at several scales, one-signed, constant, zero,
    an outlier per block, subnormal-small."""
    rng = np.random.default_rng(1)
    rows = [rng.standard_normal(512) * s for s in (1e-3, 0.05, 1.0, 40.0)]
    rows += [np.abs(rng.standard_normal(512)), -np.abs(rng.standard_normal(512)) - 3, np.full(512, 0.7),
             np.zeros(512), np.where(np.arange(512) % 97 == 5, 50.0, rng.standard_normal(512) * 0.01),
             rng.standard_normal(512) * 1e-6]
    return np.stack(rows).astype(np.float32)


def _f16_at(q, at):
    return np.ascontiguousarray(q[:, at:at + 2]).view(np.float16).astype(np.float64)[:, 0]


@pytest.mark.parametrize("qtype", TYPES)
def test_round_trip_error_is_within_half_a_step(qtype):
    x = sample_weights()
    n, nbytes = QUANT_BLOCK[qtype]
    q = quantize(qtype, x).reshape(-1, nbytes)
    err = np.abs(dequantize(qtype, q).astype(np.float64) - x.reshape(-1, n))
    blocks = x.reshape(-1, n).astype(np.float64)
    amax = np.abs(blocks).max(axis=1, keepdims=True)
    # the f16 rounding of a scale s: relative 2^-11, or absolute 2^-25 where s is subnormal in f16
    f16_err = lambda s: np.maximum(s * 2.0 ** -11, 2.0 ** -25)  # noqa: E731
    if qtype == "Q8_0":  # half a step, plus the f16 error of the step times at most 127 steps
        bound = amax / 127 / 2 + 127 * f16_err(amax / 127)
    elif qtype == "Q4_0":  # the clipped side (+8 steps stored as +7) is one step off
        bound = amax / 8 + 8 * f16_err(amax / 8)
    elif qtype == "Q4_K":  # formats.py's encoder: half of (sub-block range / 15 + d + dmin / 15)
        sub = blocks.reshape(-1, 8, 32)
        rng_ = sub.max(axis=2) - np.minimum(sub.min(axis=2), 0)
        d, dmin = _f16_at(q, 0)[:, None], _f16_at(q, 2)[:, None]
        bound = np.repeat((rng_ / 15 + d + dmin / 15) / 2, 32, axis=1)
    else:  # Q6_K: half of (sub-block max|x| / 31 + d)
        sub_amax = np.abs(blocks.reshape(-1, 16, 16)).max(axis=2)
        bound = np.repeat((sub_amax / 31 + _f16_at(q, 208)[:, None]) / 2, 16, axis=1)
    bound = bound + amax * 1e-6  # the decoder's f32 rounding
    assert np.all(err <= bound), f"{qtype}: worst error / bound {np.max(err / np.maximum(bound, 1e-30)):.3f}"
    # and the bound means something: where the scales are normal f16 numbers (block amax >= 1e-3 here),
    # every error is a small part of its block's largest value
    normal = amax[:, 0] >= 1e-3
    limit = {"Q8_0": 0.005, "Q4_0": 0.126, "Q4_K": 0.07, "Q6_K": 0.02}[qtype]
    rel = np.max(err[normal] / amax[normal])
    assert rel <= limit, f"{qtype}: {rel:.4f} of amax"


def test_k_quants_are_not_worse_than_their_simple_siblings():
    # Gaussian weights: Q4_K (4.5 bits/weight) beats Q4_0 (4.5), Q6_K (6.56) lies between Q4_0 and Q8_0 (8.5)
    x = np.random.default_rng(2).standard_normal((16, 512)).astype(np.float32)
    rms = {t: np.sqrt(np.mean((dequantize(t, quantize(t, x)) - x) ** 2)) for t in TYPES}
    assert rms["Q8_0"] < rms["Q6_K"] < rms["Q4_K"] < rms["Q4_0"], rms


def test_bf16_round_to_nearest_even():
    x = np.array([1.0, 1.00390625, 1.01171875, -2.5, 1e-40, np.inf], np.float32)  # 1 + 2^-8 ties to even
    b = f32_to_bf16_bits(x)
    assert list(b[:4]) == [0x3F80, 0x3F80, 0x3F82, 0xC020] and b[5] == 0x7F80
    np.testing.assert_array_equal(bf16_bits_to_f32(b)[:4], [1.0, 1.0, 1.015625, -2.5])
    assert np.isnan(bf16_bits_to_f32(f32_to_bf16_bits(np.array([np.nan], np.float32))))[0]


def _tensors():
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((3, 512)) * 0.1).astype(np.float32)
    pre = quantize("Q4_K", x)
    return x, pre, [
        ("a.f32", x), ("a.f16", x.astype(np.float16)), ("a.bf16", x, "BF16"), ("a.q8_0", x, "Q8_0"),
        ("a.q4_0", x, GGML_TYPES["Q4_0"]), ("a.q4_k", x, "Q4_K"), ("a.q6_k", x, "Q6_K"),
        ("a.pre_q4_k", pre, "Q4_K"), ("norm", np.ones(512, np.float32)),
    ]


def test_gguf_with_quantized_tensors_reads_back(tmp_path):
    x, pre, tensors = _tensors()
    path = str(tmp_path / "q.gguf")
    write_gguf(path, [("general.architecture", 8, "llama")], tensors)
    kv, raw = read_gguf(path, raw=True)
    assert kv["general.architecture"] == "llama"
    want_types = {"a.f32": "F32", "a.f16": "F16", "a.bf16": "BF16", "a.q8_0": "Q8_0", "a.q4_0": "Q4_0",
                  "a.q4_k": "Q4_K", "a.q6_k": "Q6_K", "a.pre_q4_k": "Q4_K", "norm": "F32"}
    assert {k: t for k, (t, _) in raw.items()} == want_types
    for qtype in TYPES:
        np.testing.assert_array_equal(raw[f"a.{qtype.lower()}"][1], quantize(qtype, x))
    np.testing.assert_array_equal(raw["a.pre_q4_k"][1], pre)
    np.testing.assert_array_equal(raw["a.bf16"][1], f32_to_bf16_bits(x))
    _, t = read_gguf(path)
    for name, (gtype, _) in raw.items():
        assert t[name].shape == ((512,) if name == "norm" else (3, 512)), name
        assert t[name].dtype == (np.float16 if gtype == "F16" else np.float32), name
    for qtype in TYPES:
        np.testing.assert_array_equal(t[f"a.{qtype.lower()}"], dequantize(qtype, quantize(qtype, x)))
    np.testing.assert_array_equal(t["a.f32"], x)
    np.testing.assert_array_equal(t["a.bf16"], bf16_bits_to_f32(f32_to_bf16_bits(x)))


def _tensor_infos(path):
    """(name, dims, ggml type id, offset) from the header, parsed here rather than by formats.read_gguf."""
    buf = open(path, "rb").read()
    assert buf[:4] == b"GGUF"
    _, nt, nkv = struct.unpack_from("<IQQ", buf, 4)
    p = 24
    assert nkv == 0
    infos = []
    for _ in range(nt):
        (n,) = struct.unpack_from("<Q", buf, p)
        name = buf[p + 8:p + 8 + n].decode()
        p += 8 + n
        (nd,) = struct.unpack_from("<I", buf, p)
        dims = struct.unpack_from(f"<{nd}Q", buf, p + 4)
        t, off = struct.unpack_from("<IQ", buf, p + 4 + 8 * nd)
        p += 4 + 8 * nd + 12
        infos.append((name, list(dims), t, off))
    data = p + (32 - p % 32) % 32
    return infos, data, len(buf)


def test_gguf_header_by_hand(tmp_path):
    _, _, tensors = _tensors()
    path = str(tmp_path / "q.gguf")
    write_gguf(path, [], tensors)
    infos, data, size = _tensor_infos(path)
    types = {name: t for name, _, t, _ in infos}
    assert types == {"a.f32": 0, "a.f16": 1, "a.bf16": 30, "a.q8_0": 8, "a.q4_0": 2, "a.q4_k": 12, "a.q6_k": 14,
                     "a.pre_q4_k": 12, "norm": 0}
    assert all(dims == [512, 3] for name, dims, _, _ in infos if name != "norm")  # ne0 = values per row
    # each tensor's bytes: 3 rows of 512 values in its type, every offset 32-byte aligned
    row_bytes = {0: 2048, 1: 1024, 30: 1024, 8: 16 * 34, 2: 16 * 18, 12: 2 * 144, 14: 2 * 210}
    off = 0
    for name, dims, t, o in infos:
        assert o == off and o % 32 == 0, name
        off += (dims[1] if len(dims) > 1 else 1) * row_bytes[t]
        off += (32 - off % 32) % 32
    assert data + off == size


def test_gguf_quantized_parses_in_js(tmp_path):
    # an independent GGUF parser (@huggingface/gguf) reads the same types, shapes and offsets
    if shutil.which("node") is None or not os.path.isdir(os.path.join(ROOT, "node_modules", "@huggingface", "gguf")):
        pytest.skip("node or @huggingface/gguf not installed")
    _, _, tensors = _tensors()
    path = str(tmp_path / "q.gguf")
    write_gguf(path, [], tensors)
    js = ("import { gguf } from '@huggingface/gguf';"
          "const r = await gguf(process.argv[1], { allowLocalFile: true, computeParametersCount: false });"
          "console.log(JSON.stringify(r.tensorInfos.map((t) => [t.name, t.dtype, t.shape.map(Number), Number(t.offset)])));")
    r = subprocess.run(["node", "--input-type=module", "-e", js, path], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    infos, _, _ = _tensor_infos(path)
    assert json.loads(r.stdout) == [[n, t, dims, o] for n, dims, t, o in infos]
