// Writes GGUF v3 files (little-endian) for tests of the GGUF loader: metadata of any GGUF value
// type, tensors of any ggml type given their raw bytes, data aligned to general.alignment (32 by
// default). It writes what it is told, so tests can also write files no converter would.
//
//   magic "GGUF" | u32 version | u64 tensor_count | u64 kv_count
//   kv_count × (string key | u32 value type | value)
//   tensor_count × (string name | u32 n_dims | n_dims × u64 dim (innermost first) | u32 ggml type | u64 offset)
//   padding to the alignment | data section (each tensor at its offset, offsets aligned)
// A string is a u64 byte length and UTF-8 bytes; an array is a u32 item type, a u64 count and items.
import { GGMLQuantizationType, GGUFValueType } from '@huggingface/gguf';
import type { TensorType } from '../model/tensor.ts';

type Scalar = number | bigint | boolean | string;
export type GgufValue =
  | { type: Exclude<GGUFValueType, GGUFValueType.ARRAY>; value: Scalar }
  | { type: GGUFValueType.ARRAY; itemType: GGUFValueType; value: readonly (Scalar | GgufValue)[] };

/** Shorthands for metadata values. */
export const gv = {
  u8: (value: number): GgufValue => ({ type: GGUFValueType.UINT8, value }),
  i8: (value: number): GgufValue => ({ type: GGUFValueType.INT8, value }),
  u16: (value: number): GgufValue => ({ type: GGUFValueType.UINT16, value }),
  i16: (value: number): GgufValue => ({ type: GGUFValueType.INT16, value }),
  u32: (value: number): GgufValue => ({ type: GGUFValueType.UINT32, value }),
  i32: (value: number): GgufValue => ({ type: GGUFValueType.INT32, value }),
  u64: (value: bigint): GgufValue => ({ type: GGUFValueType.UINT64, value }),
  i64: (value: bigint): GgufValue => ({ type: GGUFValueType.INT64, value }),
  f32: (value: number): GgufValue => ({ type: GGUFValueType.FLOAT32, value }),
  f64: (value: number): GgufValue => ({ type: GGUFValueType.FLOAT64, value }),
  bool: (value: boolean): GgufValue => ({ type: GGUFValueType.BOOL, value }),
  str: (value: string): GgufValue => ({ type: GGUFValueType.STRING, value }),
  array: (itemType: GGUFValueType, value: readonly Scalar[]): GgufValue => ({ type: GGUFValueType.ARRAY, itemType, value }),
};

export interface GgufTensorToWrite {
  name: string;
  /** A TensorType, or any ggml type id (e.g. GGMLQuantizationType.Q5_K). */
  type: TensorType | number;
  /** GGUF order: innermost (the row length) first, i.e. an HF [out, in] is written [in, out]. */
  dims: readonly number[];
  bytes: Uint8Array;
  /**
   * Offset in the data section; default: after the previous tensor, aligned. The data section is
   * as long as the tensors placed by default need: an explicit offset past it (a test pointing a
   * tensor past the end of the file) is written to the header, and its bytes are dropped.
   */
  offset?: bigint;
}

export interface GgufWriteOptions {
  alignment?: number;
  version?: number;
}

/** Encodes metadata and tensors, in the order given. */
export function encodeGguf(metadata: Readonly<Record<string, GgufValue>>, tensors: readonly GgufTensorToWrite[], options: GgufWriteOptions = {}): Uint8Array {
  const alignment = options.alignment ?? 32;
  const w = new ByteWriter();
  w.bytes(new TextEncoder().encode('GGUF'));
  w.u32(options.version ?? 3);
  w.u64(BigInt(tensors.length));
  w.u64(BigInt(Object.keys(metadata).length));
  for (const [key, value] of Object.entries(metadata)) {
    w.string(key);
    w.u32(value.type);
    writeValue(w, value);
  }
  const offsets: bigint[] = [];
  let next = 0n;
  for (const t of tensors) {
    const offset = t.offset ?? next;
    offsets.push(offset);
    if (t.offset === undefined) next = pad(offset + BigInt(t.bytes.byteLength), alignment);
    w.string(t.name);
    w.u32(t.dims.length);
    for (const d of t.dims) w.u64(BigInt(d));
    w.u32(typeof t.type === 'number' ? t.type : GGMLQuantizationType[t.type]);
    w.u64(offset);
  }
  const dataStart = Number(pad(BigInt(w.length), alignment));
  const dataEnd = tensors.reduce((end, t, i) => (t.offset === undefined ? Math.max(end, Number(offsets[i]!) + t.bytes.byteLength) : end), 0);
  const out = new Uint8Array(dataStart + dataEnd);
  out.set(w.finish(), 0);
  tensors.forEach((t, i) => {
    if (offsets[i]! + BigInt(t.bytes.byteLength) <= BigInt(dataEnd)) out.set(t.bytes, dataStart + Number(offsets[i]!));
  });
  return out;
}

const pad = (x: bigint, n: number): bigint => ((x + BigInt(n) - 1n) / BigInt(n)) * BigInt(n);

function writeValue(w: ByteWriter, v: GgufValue): void {
  if (v.type === GGUFValueType.ARRAY) {
    w.u32(v.itemType);
    w.u64(BigInt(v.value.length));
    for (const item of v.value) {
      if (typeof item === 'object') {
        if (item.type !== v.itemType) throw new Error(`encodeGguf: array of type ${v.itemType} holds a value of type ${item.type}`);
        writeValue(w, item);
      } else {
        writeValue(w, { type: v.itemType, value: item } as GgufValue);
      }
    }
    return;
  }
  const x = v.value;
  switch (v.type) {
    case GGUFValueType.UINT8: return w.fixed(1, (d) => d.setUint8(0, Number(x)));
    case GGUFValueType.INT8: return w.fixed(1, (d) => d.setInt8(0, Number(x)));
    case GGUFValueType.UINT16: return w.fixed(2, (d) => d.setUint16(0, Number(x), true));
    case GGUFValueType.INT16: return w.fixed(2, (d) => d.setInt16(0, Number(x), true));
    case GGUFValueType.UINT32: return w.u32(Number(x));
    case GGUFValueType.INT32: return w.fixed(4, (d) => d.setInt32(0, Number(x), true));
    case GGUFValueType.FLOAT32: return w.fixed(4, (d) => d.setFloat32(0, Number(x), true));
    case GGUFValueType.BOOL: return w.fixed(1, (d) => d.setUint8(0, x ? 1 : 0));
    case GGUFValueType.STRING: return w.string(String(x));
    case GGUFValueType.UINT64: return w.u64(BigInt(x));
    case GGUFValueType.INT64: return w.fixed(8, (d) => d.setBigInt64(0, BigInt(x), true));
    case GGUFValueType.FLOAT64: return w.fixed(8, (d) => d.setFloat64(0, Number(x), true));
  }
}

/** An append-only little-endian byte buffer. */
class ByteWriter {
  private readonly parts: Uint8Array[] = [];
  length = 0;

  bytes(b: Uint8Array): void {
    this.parts.push(b);
    this.length += b.byteLength;
  }

  fixed(size: number, set: (view: DataView) => void): void {
    const b = new Uint8Array(size);
    set(new DataView(b.buffer));
    this.bytes(b);
  }

  u32(x: number): void { this.fixed(4, (d) => d.setUint32(0, x, true)); }
  u64(x: bigint): void { this.fixed(8, (d) => d.setBigUint64(0, x, true)); }

  string(s: string): void {
    const b = new TextEncoder().encode(s);
    this.u64(BigInt(b.byteLength));
    this.bytes(b);
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const p of this.parts) { out.set(p, at); at += p.byteLength; }
    return out;
  }
}
