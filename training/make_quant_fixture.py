"""Writes src/model/fixtures/quant-blocks.json: GGML blocks decoded (and f32 blocks encoded) by llama.cpp's
own Python package, gguf-py (`gguf.quants`), so that src/model/quant.ts and training/formats.py are checked
against an implementation neither was written from, without either test needing gguf-py.

Regenerate (the output is deterministic; gguf-py is only needed here, never by the project):

    pip install --target /tmp/ggufpy gguf==0.19.0
    PYTHONPATH=/tmp/ggufpy /usr/bin/python3 training/make_quant_fixture.py

The fixture holds, per type, base64 strings of little-endian bytes:
  dequantize.<type>.blocks  raw blocks (Q8_0, Q4_0, Q4_K, Q6_K, Q5_0), values: gguf-py's f32 output
  quantize.<type>.values    f32 inputs (Q8_0, Q4_0, Q5_0), blocks: gguf-py's quantized bytes
Raw blocks are random bytes with finite f16 scales (zero, subnormal, the largest, negative included), so
every bit of the K-quants' packed 6-bit scales and mins and Q6_K's full int8 scale range is exercised.
"""
import argparse
import base64
import json
import os

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "src", "model", "fixtures", "quant-blocks.json")
SEED = 20261127
BLOCK_BYTES = {"Q8_0": 34, "Q4_0": 18, "Q4_K": 144, "Q6_K": 210, "Q5_0": 22}
N_BLOCKS = {"Q8_0": 8, "Q4_0": 8, "Q4_K": 8, "Q6_K": 8, "Q5_0": 8}
# f16 scale bits the random ones may miss: +0, -0, the smallest subnormal, the largest subnormal,
# the smallest normal, 1, -1, the largest finite.
SPECIAL_F16 = [0x0000, 0x8000, 0x0001, 0x03FF, 0x0400, 0x3C00, 0xBC00, 0x7BFF]


def b64(a):
    return base64.b64encode(np.ascontiguousarray(a).tobytes()).decode("ascii")


def finite_f16_bits(rng, n):
    bits = rng.integers(0, 1 << 16, size=n, dtype=np.uint16)
    bad = (bits & 0x7C00) == 0x7C00  # inf / NaN: redraw as a normal exponent
    bits[bad] = (bits[bad] & 0x83FF) | (rng.integers(1, 31, size=int(bad.sum()), dtype=np.uint16) << 10)
    return bits


def random_blocks(rng, qtype):
    """Random bytes, every f16 field replaced by a finite value; the first blocks take the special ones."""
    n = N_BLOCKS[qtype]
    b = rng.integers(0, 256, size=(n, BLOCK_BYTES[qtype]), dtype=np.uint8)
    f16_at = {"Q8_0": [0], "Q4_0": [0], "Q4_K": [0, 2], "Q6_K": [208], "Q5_0": [0]}[qtype]
    for k, at in enumerate(f16_at):
        bits = finite_f16_bits(rng, n)
        for i, s in enumerate(SPECIAL_F16[k::len(f16_at)][:n]):
            bits[i] = s
        b[:, at:at + 2] = bits.view(np.uint8).reshape(n, 2)
    if qtype == "Q4_K":
        b[0, 4:16] = 0xFF  # every scale and min 63
        b[1, 4:16] = 0x00
        for k in range(4):  # every value of the high scale/min bits of sub-blocks 4-7, in every byte
            b[2 + k, 4:12] = (b[2 + k, 4:12] & 63) | (k << 6)
    if qtype == "Q6_K":
        b[0, 192:208] = np.array([-128, 127] * 8, dtype=np.int8).view(np.uint8)
    check_coverage(qtype, b)
    return b


def check_coverage(qtype, b):
    """The blocks must exercise every packed field's every bit, or a mispacked bit could go unseen."""
    if qtype == "Q4_K":
        s = b[:, 4:16]
        for i in range(8):  # the top 2 bits of bytes 0-7 carry sub-blocks 4-7's high scale/min bits
            assert {int(x) for x in s[:, i] >> 6} == {0, 1, 2, 3}, f"Q4_K scales byte {i}"
    if qtype == "Q6_K":
        assert (b[:, 128:192] >> 6).min() == 0 and (b[:, 128:192] >> 6).max() == 3


def quantize_inputs(rng):
    """f32 blocks of 32 for the Q8_0 / Q4_0 reference quantizers, their edge cases first."""
    ramp = np.arange(32, dtype=np.float32)
    designed = [
        np.zeros(32, np.float32),
        ramp - 15.5,
        np.concatenate([[127.0], np.arange(-15.5, 15.5, 1.0)]).astype(np.float32),  # d = 1: exact halves
        np.concatenate([[-8.0], np.arange(-7.75, 0, 0.25)]).astype(np.float32),  # Q4_0: d = 1, id = 1
        np.concatenate([[8.0], -np.arange(0, 7.75, 0.25)]).astype(np.float32),  # Q4_0: positive max, clip
        np.where(ramp == 2, -3.0, np.where(ramp == 5, 3.0, ramp / 20)).astype(np.float32),  # magnitude tie
        (rng.standard_normal(32) * 1e-7).astype(np.float32),  # d underflows f16
        (rng.standard_normal(32) * 1e6).astype(np.float32),  # d large
        (rng.standard_normal(32) * 1e7).astype(np.float32),  # d overflows f16 (inf)
    ]
    random = [(rng.standard_normal(32) * 2.0 ** rng.uniform(-12, 12, 32)).astype(np.float32) for _ in range(4)]
    random += [(rng.standard_normal(32) * s).astype(np.float32) for s in (0.02, 1.0, 30.0)]
    return np.stack(designed + random)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=OUT)
    args = ap.parse_args()
    from importlib.metadata import version
    from gguf.constants import GGMLQuantizationType as T
    from gguf.quants import dequantize, quantize

    rng = np.random.default_rng(SEED)
    out = {"generator": "training/make_quant_fixture.py", "gguf": "0.19.0 (gguf.quants)",
           "numpy": np.__version__, "seed": SEED, "dequantize": {}, "quantize": {}}
    assert version("gguf") == "0.19.0", f"gguf {version('gguf')}: the fixture is pinned to gguf-py 0.19.0"
    for qtype in ("Q8_0", "Q4_0", "Q4_K", "Q6_K"):
        blocks = random_blocks(rng, qtype)
        with np.errstate(all="ignore"):
            values = dequantize(blocks, T[qtype]).astype(np.float32)
        assert values.shape == (len(blocks), 32 if qtype in ("Q8_0", "Q4_0") else 256) and np.isfinite(values).all()
        out["dequantize"][qtype] = {"blocks": b64(blocks), "values": b64(values.astype("<f4"))}
    x = quantize_inputs(rng)
    for qtype in ("Q8_0", "Q4_0"):
        with np.errstate(all="ignore"):
            q = quantize(x, T[qtype])
        assert q.dtype == np.uint8 and q.shape == (len(x), BLOCK_BYTES[qtype])
        out["quantize"][qtype] = {"values": b64(x.astype("<f4")), "blocks": b64(q)}
    # Q5_0 (llama.cpp's fallback for K-quant tensors whose rows are not a multiple of 256, as in
    # Qwen2.5-0.5B's Q4_K_M file) last, so the cases above keep the random stream they had.
    for qtype in ("Q5_0",):
        blocks = random_blocks(rng, qtype)
        with np.errstate(all="ignore"):
            values = dequantize(blocks, T[qtype]).astype(np.float32)
        assert values.shape == (len(blocks), 32) and np.isfinite(values).all()
        out["dequantize"][qtype] = {"blocks": b64(blocks), "values": b64(values.astype("<f4"))}
    # Q5_0's quantizer on the same inputs (it draws nothing from the random stream).
    with np.errstate(all="ignore"):
        q = quantize(x, T.Q5_0)
    assert q.dtype == np.uint8 and q.shape == (len(x), BLOCK_BYTES["Q5_0"])
    out["quantize"]["Q5_0"] = {"values": b64(x.astype("<f4")), "blocks": b64(q)}
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"{args.out}: {os.path.getsize(args.out)} bytes")


if __name__ == "__main__":
    main()
