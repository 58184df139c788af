"""The file formats spark-nano ships in, read and written with numpy alone (no `safetensors` or `gguf`
module on the Debian box): safetensors, and GGUF v3 with its Q/K row permutation. Nothing here knows the
model or the tokenizer; export.py decides what goes into the files.

bench/peers imports this module as `training.formats` (any HF-layout checkpoint), so it imports no
other training module.
"""
import json
import os
import struct

import numpy as np


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
    """name -> np.ndarray in the stored dtype; BF16 (which numpy lacks) is widened to float32."""
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


# ------------------------------------------------------------------ GGML block quantization
# ggml type ids (ggml.h enum ggml_type) of the tensor types GGUF files here may hold.
GGML_TYPES = {"F32": 0, "F16": 1, "Q4_0": 2, "Q8_0": 8, "Q4_K": 12, "Q6_K": 14, "BF16": 30}
GGML_TYPE_NAMES = {v: k for k, v in GGML_TYPES.items()}
# name -> (values per block, bytes per block); a row is cols / values blocks back to back.
QUANT_BLOCK = {"Q8_0": (32, 34), "Q4_0": (32, 18), "Q4_K": (256, 144), "Q6_K": (256, 210)}
_F32 = np.float32


def _blocks(x, qtype):
    """f32 values (..., cols) -> (n_blocks, block values) in f32."""
    n = QUANT_BLOCK[qtype][0]
    x = np.ascontiguousarray(x, dtype=_F32)
    if x.ndim == 0 or x.shape[-1] % n:
        raise ValueError(f"{qtype} needs rows of a multiple of {n} values, got shape {x.shape}")
    return x.reshape(-1, n)


def _f16_bytes(v):
    return np.ascontiguousarray(np.asarray(v, dtype=_F32).astype(np.float16)).view(np.uint8).reshape(-1, 2)


def _f16_at_least(v):
    """The smallest f16 >= v (v >= 0, f64), so a scale derived from it never clips the values it covers."""
    h = np.asarray(v, dtype=np.float64).astype(np.float16)
    h = np.where(h.astype(np.float64) < v, np.nextafter(h, np.float16(np.inf)), h)
    if not np.all(np.isfinite(h)):
        raise ValueError("values not finite, or too large for an f16 block scale")
    return h.astype(np.float64)


def _round_half_away(v):
    """C's roundf on f32 values (exact in f64: |v| + 0.5 cannot round there)."""
    v = v.astype(np.float64)
    return np.trunc(v + np.copysign(0.5, v))


def _inverse(d):
    """f32 1/d where d != 0, else 0 (ggml's `id = d ? 1.0f/d : 0.0f`)."""
    out = np.zeros_like(d, dtype=_F32)
    np.divide(_F32(1), d, out=out, where=d != 0)
    return out


def _quant_q8_0(x):
    # ggml quantize_row_q8_0_ref, in f32 like it: d = amax/127, q = roundf(x * (1/d)).
    d = (np.abs(x).max(axis=1) / _F32(127)).astype(_F32)
    q = _round_half_away((x * _inverse(d)[:, None]).astype(_F32)).astype(np.int8)
    return np.concatenate([_f16_bytes(d), q.view(np.uint8)], axis=1)


def _quant_q4_0(x):
    # ggml quantize_row_q4_0_ref: d = (the signed value of largest magnitude, first one on ties) / -8,
    # q = min(15, (int)(x * (1/d) + 8.5)), so that value lands on -8 exactly and the other side clips at +7.
    mx = x[np.arange(len(x)), np.abs(x).argmax(axis=1)]
    d = (mx / _F32(-8)).astype(_F32)
    v = ((x * _inverse(d)[:, None]).astype(_F32) + _F32(8.5)).astype(_F32)
    q = np.minimum(np.trunc(v), 15).astype(np.uint8)
    return np.concatenate([_f16_bytes(d), q[:, :16] | (q[:, 16:] << 4)], axis=1)


# The K-quant encoders below are simpler than ggml's, whose make_qkx2_quants / make_qx_quants search
# for the scales with the least squared error (a lower RMS error than these). Here every scale is rounded
# up, so that its sub-block's grid covers the sub-block's values, and each value is rounded to the nearest
# grid point: no value clips, and each is off by at most half its sub-block's step (plus f32 rounding).
#   Q4_K (sub-blocks of 32): step d*sc <= (max - min(0, min)) / 15 + d + dmin / 15, where the f16
#     super-scales d ~ (largest sub-block step) / 63 and dmin ~ (largest -min(0, min)) / 63; so the error is
#     <= ~1/30 of the sub-block's span, ~amax/15 for a sub-block spanning -amax..amax.
#   Q6_K (sub-blocks of 16): step d*sc <= max|x| / 31 + d, d ~ (largest sub-block step) / 127; so the
#     error is <= ~max|x| / 62 of the sub-block.
# (training/tests/test_quant.py checks these bounds.)
def _quant_q4_k(x):
    nb = len(x)
    x = x.astype(np.float64).reshape(nb, 8, 32)
    lo_x, hi_x = np.minimum(x.min(axis=2), 0), x.max(axis=2)
    dmin = _f16_at_least((-lo_x).max(axis=1) / 63)
    m = np.clip(np.ceil(np.divide(-lo_x, dmin[:, None], out=np.zeros_like(lo_x), where=dmin[:, None] > 0)), 0, 63)
    lo = -dmin[:, None] * m  # the sub-block's grid starts here, at or below its least value
    need = (hi_x - lo) / 15
    d = _f16_at_least(need.max(axis=1) / 63)
    sc = np.clip(np.ceil(np.divide(need, d[:, None], out=np.zeros_like(need), where=d[:, None] > 0)), 0, 63)
    step = (d[:, None] * sc)[:, :, None]
    q = np.clip(np.round(np.divide(x - lo[:, :, None], step, out=np.zeros_like(x), where=step > 0)), 0, 15)
    q, sc, m = q.astype(np.uint8), sc.astype(np.uint8), m.astype(np.uint8)
    # 12 scale bytes: 6-bit sc and m of sub-blocks 0-3 in bytes 0-3 / 4-7; those of 4-7 as low nibbles
    # in bytes 8-11 and their top 2 bits in the top bits of bytes 0-3 (sc) / 4-7 (m).
    scales = np.concatenate([sc[:, :4] | ((sc[:, 4:] >> 4) << 6), m[:, :4] | ((m[:, 4:] >> 4) << 6),
                             (sc[:, 4:] & 15) | ((m[:, 4:] & 15) << 4)], axis=1)
    # sub-blocks 2p and 2p+1 share 32 bytes: low nibbles, high nibbles.
    qs = (q[:, 0::2] | (q[:, 1::2] << 4)).reshape(nb, 128)
    return np.concatenate([_f16_bytes(d), _f16_bytes(dmin), scales, qs], axis=1)


def _quant_q6_k(x):
    nb = len(x)
    x = x.astype(np.float64).reshape(nb, 16, 16)
    need = np.abs(x).max(axis=2) / 31
    d = _f16_at_least(need.max(axis=1) / 127)
    sc = np.clip(np.ceil(np.divide(need, d[:, None], out=np.zeros_like(need), where=d[:, None] > 0)), 0, 127)
    step = (d[:, None] * sc)[:, :, None]
    q = np.clip(np.round(np.divide(x, step, out=np.zeros_like(x), where=step > 0)), -32, 31) + 32
    # each half of 128 values is 4 quarters of 32: ql low nibbles hold quarters 0 and 1, high nibbles
    # 2 and 3; qh byte l holds the top 2 bits of value l of quarters 0..3 at bits 0, 2, 4, 6.
    q = q.astype(np.uint8).reshape(nb, 2, 4, 32)
    ql = np.concatenate([(q[:, :, 0] & 15) | ((q[:, :, 2] & 15) << 4),
                         (q[:, :, 1] & 15) | ((q[:, :, 3] & 15) << 4)], axis=2)
    qh = (q[:, :, 0] >> 4) | ((q[:, :, 1] >> 4) << 2) | ((q[:, :, 2] >> 4) << 4) | ((q[:, :, 3] >> 4) << 6)
    return np.concatenate([ql.reshape(nb, 128), qh.reshape(nb, 64), sc.astype(np.int8).view(np.uint8),
                           _f16_bytes(d)], axis=1)


def quantize(qtype, x):
    """f32 values (..., cols) -> uint8 blocks (..., cols / values per block * bytes per block)."""
    x = np.asarray(x)
    b = _blocks(x, qtype)
    out = {"Q8_0": _quant_q8_0, "Q4_0": _quant_q4_0, "Q4_K": _quant_q4_k, "Q6_K": _quant_q6_k}[qtype](b)
    n, nbytes = QUANT_BLOCK[qtype]
    return out.reshape(*x.shape[:-1], x.shape[-1] // n * nbytes)


def _f16(b, at):
    return np.ascontiguousarray(b[:, at:at + 2]).view(np.float16).astype(_F32)


def _dequant_q4_k(b):
    nb = len(b)
    d, dmin, s = _f16(b, 0), _f16(b, 2), b[:, 4:16]
    sc = np.concatenate([s[:, 0:4] & 63, (s[:, 8:12] & 15) | ((s[:, 0:4] >> 6) << 4)], axis=1)
    m = np.concatenate([s[:, 4:8] & 63, (s[:, 8:12] >> 4) | ((s[:, 4:8] >> 6) << 4)], axis=1)
    qs = b[:, 16:].reshape(nb, 4, 1, 32) >> np.array([0, 4], dtype=np.uint8).reshape(1, 1, 2, 1)
    q = (qs & 15).reshape(nb, 8, 32).astype(_F32)
    d1, m1 = (d * sc.astype(_F32))[:, :, None], (dmin * m.astype(_F32))[:, :, None]
    return (d1 * q - m1).reshape(nb, 256)


def _dequant_q6_k(b):
    nb = len(b)
    ql, qh = b[:, :128].reshape(nb, 2, 2, 32), b[:, 128:192].reshape(nb, 2, 1, 32)
    sc, d = b[:, 192:208].view(np.int8).astype(_F32), _f16(b, 208)
    lo = np.concatenate([ql & 15, ql >> 4], axis=2)  # (nb, half, quarter, 32)
    hi = (qh >> np.array([0, 2, 4, 6], dtype=np.uint8).reshape(1, 1, 4, 1)) & 3
    q = ((lo | (hi << 4)).astype(np.int16) - 32).astype(_F32).reshape(nb, 16, 16)
    return ((d * sc)[:, :, None] * q).reshape(nb, 256)


def _dequant(qtype, b):
    if qtype == "Q8_0":
        return _f16(b, 0) * b[:, 2:].view(np.int8).astype(_F32)
    if qtype == "Q4_0":
        q = np.concatenate([b[:, 2:] & 15, b[:, 2:] >> 4], axis=1).astype(np.int16) - 8
        return _f16(b, 0) * q.astype(_F32)
    return (_dequant_q4_k if qtype == "Q4_K" else _dequant_q6_k)(b)


def dequantize(qtype, data):
    """uint8 blocks (..., bytes per row) -> f32 (..., values per row), bit-exact with ggml's
    dequantize_row_* (f32 arithmetic; every product there is exact, so only Q4_K's `d*q - m` rounds)."""
    n, nbytes = QUANT_BLOCK[qtype]
    data = np.ascontiguousarray(data, dtype=np.uint8)
    if data.ndim == 0 or data.shape[-1] % nbytes:
        raise ValueError(f"{qtype}: rows of {data.shape[-1:]} bytes are not whole {nbytes}-byte blocks")
    b = data.reshape(-1, nbytes)
    out = _dequant(qtype, b).astype(_F32, copy=False)
    return out.reshape(*data.shape[:-1], data.shape[-1] // nbytes * n)


def f32_to_bf16_bits(x):
    """f32 -> bfloat16 bits (uint16), round to nearest even, NaN kept quiet (ggml_compute_fp32_to_bf16)."""
    u = np.ascontiguousarray(x, dtype=_F32).view(np.uint32).astype(np.uint64)
    nan = (u & 0x7FFFFFFF) > 0x7F800000
    r = np.where(nan, (u >> 16) | 64, (u + 0x7FFF + ((u >> 16) & 1)) >> 16)
    return r.astype(np.uint16)


def bf16_bits_to_f32(b):
    return (np.asarray(b, dtype=np.uint16).astype(np.uint32) << 16).view(_F32)


# ------------------------------------------------------------------ GGUF
GGUF_T = {"u8": 0, "i8": 1, "u16": 2, "i16": 3, "u32": 4, "i32": 5, "f32": 6, "bool": 7, "str": 8,
          "arr": 9, "u64": 10, "i64": 11, "f64": 12}
_SCALAR_FMT = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
GGML_F32, GGML_F16 = GGML_TYPES["F32"], GGML_TYPES["F16"]
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


def _tensor_data(a, gtype):
    """(ggml type name, numpy shape of the values, stored bytes) of one tensor to write."""
    if gtype is None:
        gtype = "F16" if a.dtype == np.float16 else "F32"
    gtype = GGML_TYPE_NAMES.get(gtype, gtype)
    if gtype in QUANT_BLOCK:
        n, nbytes = QUANT_BLOCK[gtype]
        if a.dtype == np.uint8:  # already quantized: (..., bytes per row)
            if a.ndim == 0 or a.shape[-1] % nbytes:
                raise ValueError(f"{gtype}: rows of {a.shape[-1:]} bytes are not whole {nbytes}-byte blocks")
            return gtype, (*a.shape[:-1], a.shape[-1] // nbytes * n), np.ascontiguousarray(a).tobytes()
        return gtype, a.shape, quantize(gtype, a).tobytes()
    if gtype == "BF16":
        return gtype, a.shape, f32_to_bf16_bits(a).tobytes()
    if gtype not in ("F16", "F32"):
        raise ValueError(f"GGUF tensor type {gtype} is not one of {sorted(GGML_TYPES)}")
    return gtype, a.shape, np.ascontiguousarray(a, dtype=np.float16 if gtype == "F16" else np.float32).tobytes()


def write_gguf(path, kv, tensors):
    """kv: list of (key, type, value); tensors: list of (name, array) or (name, array, ggml type name or
    id). Without a type, f16 arrays are written F16 and others F32; with a quantized type, f32 values are
    quantized here and uint8 arrays are taken as that type's blocks already, (..., bytes per row). numpy
    shape (rows, cols) -> GGUF dims (cols, rows)."""
    out = bytearray()
    out += b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kv))
    for k, t, v in kv:
        out += _gstr(k) + struct.pack("<I", t) + _gval(t, v)
    off = 0
    datas = []
    for name, a, *gtype in tensors:
        gtype, shape, b = _tensor_data(np.asarray(a), gtype[0] if gtype else None)
        out += _gstr(name) + struct.pack("<I", len(shape)) + b"".join(struct.pack("<Q", d) for d in shape[::-1])
        out += struct.pack("<IQ", GGML_TYPES[gtype], off)
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


def read_gguf(path, raw=False):
    """Minimal GGUF v3 reader: returns (kv dict, tensors dict name -> np.ndarray). F32 and F16 come back
    as stored, BF16 widened to f32 and quantized types dequantized to f32. With raw=True every tensor is
    (ggml type name, stored array): BF16 as uint16 bits, quantized types as uint8 (..., bytes per row)."""
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
        if t not in GGML_TYPE_NAMES:
            raise ValueError(f"{path}: tensor {name} has ggml type {t}, not one of {sorted(GGML_TYPE_NAMES)}")
        gtype, shape = GGML_TYPE_NAMES[t], tuple(dims[::-1])
        if gtype in QUANT_BLOCK:
            n, nbytes = QUANT_BLOCK[gtype]
            shape = (*shape[:-1], shape[-1] // n * nbytes)
            dt = np.uint8
        else:
            dt = {"F32": np.float32, "F16": np.float16, "BF16": np.uint16}[gtype]
        a = np.frombuffer(buf, dtype=dt, count=int(np.prod(shape)), offset=start + off).reshape(shape)
        if raw:
            tensors[name] = (gtype, a)
        elif gtype in QUANT_BLOCK:
            tensors[name] = dequantize(gtype, a)
        else:
            tensors[name] = bf16_bits_to_f32(a) if gtype == "BF16" else a
    return kv, tensors
