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
