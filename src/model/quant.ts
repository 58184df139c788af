// GGML block quantization formats, as GGUF files store them: the layouts, a dequantizer for each
// (the CPU reference every quantized GPU kernel is checked against), and quantizers for the simple
// block types (for "quantize on load" and for tests). Bit-exact with ggml's reference code
// (ggml-quants.c: dequantize_row_*, quantize_row_*_ref, in f32 arithmetic as there). The decoders
// compute in f64 and round once when storing to f32, which gives ggml's f32 results: every product
// of an f16 scale and the small integers is exact in f32, so only Q4_K's `d*q - m` rounds, once in
// both. quant.test.ts holds all of this to llama.cpp's gguf-py bit for bit (fixtures/quant-blocks.json,
// written by training/make_quant_fixture.py).
//
// A quantized tensor of shape [rows, cols] stores each row as cols / elements blocks, back to back;
// cols must be a multiple of the block's element count.
import { f16BitsToF32, f32ToF16Bits } from './half.ts';

export type QuantType = 'Q8_0' | 'Q4_0' | 'Q5_0' | 'Q4_K' | 'Q6_K';

export interface BlockFormat {
  /** Weights per block. */
  elements: number;
  /** Bytes per block. */
  bytes: number;
  /** Byte offsets of the block's f16 scales: the only fields that can hold NaN or infinity. */
  f16At: readonly number[];
}

export const BLOCK: Readonly<Record<QuantType, BlockFormat>> = {
  Q8_0: { elements: 32, bytes: 34, f16At: [0] }, // f16 d, i8 qs[32]
  Q4_0: { elements: 32, bytes: 18, f16At: [0] }, // f16 d, u8 qs[16] (low nibbles: 0..15, high: 16..31)
  Q5_0: { elements: 32, bytes: 22, f16At: [0] }, // f16 d, u32 qh (bit j = weight j's 5th bit), u8 qs[16] as Q4_0
  Q4_K: { elements: 256, bytes: 144, f16At: [0, 2] }, // f16 d, f16 dmin, u8 scales[12], u8 qs[128]
  Q6_K: { elements: 256, bytes: 210, f16At: [208] }, // u8 ql[128], u8 qh[64], i8 scales[16], f16 d
};

export const isQuantType = (t: string): t is QuantType => Object.hasOwn(BLOCK, t);

/** Bytes of a [.., cols] tensor of `count` elements in `type`; throws when cols breaks a block. */
export function quantByteLength(type: QuantType, count: number, cols: number): number {
  const { elements, bytes } = BLOCK[type];
  if (cols % elements !== 0) throw new Error(`${type} needs rows of a multiple of ${elements} values, got ${cols}`);
  return (count / elements) * bytes;
}

/** Dequantizes `data` (whole blocks of `type`) to f32. */
export function dequantize(type: QuantType, data: Uint8Array): Float32Array {
  const { elements, bytes } = BLOCK[type];
  if (data.byteLength % bytes !== 0) throw new Error(`${type}: ${data.byteLength} bytes is not a whole number of ${bytes}-byte blocks`);
  const blocks = data.byteLength / bytes;
  const out = new Float32Array(blocks * elements);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const decode = DECODERS[type];
  for (let b = 0; b < blocks; b++) decode(view, b * bytes, out, b * elements);
  return out;
}

type BlockDecoder = (v: DataView, at: number, out: Float32Array, o: number) => void;

const half = (v: DataView, at: number): number => f16BitsToF32(v.getUint16(at, true));

const DECODERS: Record<QuantType, BlockDecoder> = {
  Q8_0(v, at, out, o) {
    const d = half(v, at);
    for (let j = 0; j < 32; j++) out[o + j] = d * v.getInt8(at + 2 + j);
  },
  Q4_0(v, at, out, o) {
    const d = half(v, at);
    for (let j = 0; j < 16; j++) {
      const q = v.getUint8(at + 2 + j);
      out[o + j] = d * ((q & 0xf) - 8);
      out[o + j + 16] = d * ((q >> 4) - 8);
    }
  },
  Q5_0(v, at, out, o) {
    const d = half(v, at);
    const qh = v.getUint32(at + 2, true);
    for (let j = 0; j < 16; j++) {
      const q = v.getUint8(at + 6 + j);
      out[o + j] = d * (((q & 0xf) | (((qh >>> j) & 1) << 4)) - 16);
      out[o + j + 16] = d * (((q >> 4) | (((qh >>> (j + 16)) & 1) << 4)) - 16);
    }
  },
  Q4_K(v, at, out, o) {
    const d = half(v, at);
    const dmin = half(v, at + 2);
    const scales = at + 4;
    let q = at + 16;
    // 8 sub-blocks of 32, processed in pairs sharing 32 bytes of nibbles (low, then high).
    for (let j = 0, is = 0; j < 256; j += 64, is += 2) {
      const [sc1, m1] = scaleMinK4(v, scales, is);
      const [sc2, m2] = scaleMinK4(v, scales, is + 1);
      const d1 = d * sc1, mm1 = dmin * m1, d2 = d * sc2, mm2 = dmin * m2;
      for (let l = 0; l < 32; l++) out[o + j + l] = d1 * (v.getUint8(q + l) & 0xf) - mm1;
      for (let l = 0; l < 32; l++) out[o + j + 32 + l] = d2 * (v.getUint8(q + l) >> 4) - mm2;
      q += 32;
    }
  },
  Q6_K(v, at, out, o) {
    const d = half(v, at + 208);
    // Two halves of 128 values, each from 64 bytes of ql, 32 of qh and 8 scales.
    for (let n = 0; n < 2; n++) {
      const ql = at + n * 64, qh = at + 128 + n * 32, sc = at + 192 + n * 8, y = o + n * 128;
      for (let l = 0; l < 32; l++) {
        const is = l >> 4;
        const h = v.getUint8(qh + l);
        const q1 = ((v.getUint8(ql + l) & 0xf) | ((h & 3) << 4)) - 32;
        const q2 = ((v.getUint8(ql + l + 32) & 0xf) | (((h >> 2) & 3) << 4)) - 32;
        const q3 = ((v.getUint8(ql + l) >> 4) | (((h >> 4) & 3) << 4)) - 32;
        const q4 = ((v.getUint8(ql + l + 32) >> 4) | (((h >> 6) & 3) << 4)) - 32;
        out[y + l] = d * v.getInt8(sc + is) * q1;
        out[y + l + 32] = d * v.getInt8(sc + is + 2) * q2;
        out[y + l + 64] = d * v.getInt8(sc + is + 4) * q3;
        out[y + l + 96] = d * v.getInt8(sc + is + 6) * q4;
      }
    }
  },
};

/** Q4_K's 6-bit (scale, min) of sub-block j, packed in 12 bytes (ggml's get_scale_min_k4). */
function scaleMinK4(v: DataView, at: number, j: number): [number, number] {
  if (j < 4) return [v.getUint8(at + j) & 63, v.getUint8(at + j + 4) & 63];
  const hi = v.getUint8(at + j + 4);
  return [(hi & 0xf) | ((v.getUint8(at + j - 4) >> 6) << 4), (hi >> 4) | ((v.getUint8(at + j) >> 6) << 4)];
}

/** Quantizes f32 values (a whole number of blocks) to Q8_0, Q4_0 or Q5_0, as ggml's reference quantizers do. */
export function quantize(type: 'Q8_0' | 'Q4_0' | 'Q5_0', values: Float32Array): Uint8Array {
  const { elements, bytes } = BLOCK[type];
  if (values.length % elements !== 0) throw new Error(`${type}: ${values.length} values is not a whole number of ${elements}-value blocks`);
  const out = new Uint8Array((values.length / elements) * bytes);
  const view = new DataView(out.buffer);
  for (let b = 0; b < values.length / elements; b++) {
    const x = values.subarray(b * elements, (b + 1) * elements);
    const at = b * bytes;
    if (type === 'Q8_0') {
      let amax = 0;
      for (const e of x) amax = Math.max(amax, Math.abs(e));
      const d = Math.fround(amax / 127);
      const id = d ? Math.fround(1 / d) : 0;
      view.setUint16(at, f32ToF16Bits(d), true);
      for (let j = 0; j < 32; j++) view.setInt8(at + 2 + j, roundHalfAway(Math.fround(x[j]! * id)));
    } else if (type === 'Q5_0') {
      let amax = 0, max = 0;
      for (const e of x) if (Math.abs(e) > amax) { amax = Math.abs(e); max = e; }
      const d = Math.fround(max / -16);
      const id = d ? Math.fround(1 / d) : 0;
      view.setUint16(at, f32ToF16Bits(d), true);
      let qh = 0;
      for (let j = 0; j < 16; j++) {
        const lo = Math.min(31, Math.trunc(Math.fround(Math.fround(x[j]! * id) + 16.5)));
        const hi = Math.min(31, Math.trunc(Math.fround(Math.fround(x[j + 16]! * id) + 16.5)));
        view.setUint8(at + 6 + j, (lo & 0xf) | ((hi & 0xf) << 4));
        qh |= ((lo >> 4) << j) | ((hi >> 4) << (j + 16));
      }
      view.setUint32(at + 2, qh >>> 0, true);
    } else {
      let amax = 0, max = 0;
      for (const e of x) if (Math.abs(e) > amax) { amax = Math.abs(e); max = e; }
      const d = Math.fround(max / -8);
      const id = d ? Math.fround(1 / d) : 0;
      view.setUint16(at, f32ToF16Bits(d), true);
      for (let j = 0; j < 16; j++) {
        const lo = Math.min(15, Math.trunc(Math.fround(Math.fround(x[j]! * id) + 8.5)));
        const hi = Math.min(15, Math.trunc(Math.fround(Math.fround(x[j + 16]! * id) + 8.5)));
        view.setUint8(at + 2 + j, lo | (hi << 4));
      }
    }
  }
  return out;
}

/** C's roundf: halves away from zero. */
const roundHalfAway = (x: number): number => Math.sign(x) * Math.round(Math.abs(x));
