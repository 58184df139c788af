// Q4_K and Q6_K encoders for test models, the same covering-scale scheme as training/formats.py's
// _quant_q4_k / _quant_q6_k: every scale is rounded up so its sub-block's grid covers the
// sub-block's values, and each value goes to the nearest grid point, so nothing clips. ggml's own
// encoders search for least-squares scales; these are simpler and a little less accurate, which
// does not matter here: the tests compare two runtimes on the same stored blocks, and the decoder
// (src/model/quant.ts) is what both must agree with. Arithmetic in f64 (JS numbers), as the numpy
// version does; the f16 scales are the only rounding that decides the blocks.
import { f16BitsToF32, f32ToF16Bits } from '../model/half.ts';
import { BLOCK } from '../model/quant.ts';

/** The smallest f16 >= v (v >= 0), so a scale derived from it never clips the values it covers. */
function f16AtLeast(v: number): number {
  if (!Number.isFinite(v) || v < 0) throw new Error(`k-quants: scale ${v} is not a finite value >= 0`);
  let h = f32ToF16Bits(v);
  if (f16BitsToF32(h) < v) h += 1; // positive f16 bit patterns are ordered like their values
  if (!Number.isFinite(f16BitsToF32(h))) throw new Error(`k-quants: scale ${v} is too large for an f16`);
  return h;
}

const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));
const ratio = (a: number, b: number): number => (b > 0 ? a / b : 0);

/** Quantizes f32 values (a whole number of 256-value blocks) to Q4_K or Q6_K. */
export function quantizeK(type: 'Q4_K' | 'Q6_K', values: Float32Array): Uint8Array {
  const { elements, bytes } = BLOCK[type];
  if (values.length % elements !== 0) throw new Error(`${type}: ${values.length} values is not a whole number of ${elements}-value blocks`);
  const out = new Uint8Array((values.length / elements) * bytes);
  const view = new DataView(out.buffer);
  const encode = type === 'Q4_K' ? encodeQ4K : encodeQ6K;
  for (let b = 0; b < values.length / elements; b++) encode(values.subarray(b * elements, (b + 1) * elements), view, b * bytes);
  return out;
}

// f16 d, f16 dmin, u8 scales[12], u8 qs[128]; value = d*sc[j]*q - dmin*m[j] over 8 sub-blocks of 32.
function encodeQ4K(x: Float32Array, v: DataView, at: number): void {
  const lo = new Array<number>(8), hi = new Array<number>(8);
  for (let j = 0; j < 8; j++) {
    const sub = x.subarray(j * 32, (j + 1) * 32);
    lo[j] = Math.min(0, ...sub);
    hi[j] = Math.max(...sub);
  }
  const dminBits = f16AtLeast(Math.max(...lo.map((l) => -l)) / 63);
  const dmin = f16BitsToF32(dminBits);
  const m = lo.map((l) => clamp(Math.ceil(ratio(-l, dmin)), 0, 63));
  const start = m.map((mj) => -dmin * mj); // each grid starts at or below its sub-block's least value
  const need = hi.map((h, j) => (h - start[j]!) / 15);
  const dBits = f16AtLeast(Math.max(...need) / 63);
  const d = f16BitsToF32(dBits);
  const sc = need.map((n) => clamp(Math.ceil(ratio(n, d)), 0, 63));
  v.setUint16(at, dBits, true);
  v.setUint16(at + 2, dminBits, true);
  // 6-bit sc and m of sub-blocks 0-3 in bytes 0-3 / 4-7; those of 4-7 as nibbles in bytes 8-11,
  // with their top 2 bits in the top bits of bytes 0-3 (sc) / 4-7 (m).
  for (let j = 0; j < 4; j++) {
    v.setUint8(at + 4 + j, sc[j]! | ((sc[j + 4]! >> 4) << 6));
    v.setUint8(at + 8 + j, m[j]! | ((m[j + 4]! >> 4) << 6));
    v.setUint8(at + 12 + j, (sc[j + 4]! & 15) | ((m[j + 4]! & 15) << 4));
  }
  const q = new Uint8Array(256);
  for (let j = 0; j < 8; j++) {
    const step = d * sc[j]!;
    for (let l = 0; l < 32; l++) q[j * 32 + l] = clamp(Math.round(ratio(x[j * 32 + l]! - start[j]!, step)), 0, 15);
  }
  // Sub-blocks 2p and 2p+1 share 32 bytes: low nibbles, then high nibbles.
  for (let p = 0; p < 4; p++) {
    for (let l = 0; l < 32; l++) v.setUint8(at + 16 + p * 32 + l, q[p * 64 + l]! | (q[p * 64 + 32 + l]! << 4));
  }
}

// u8 ql[128], u8 qh[64], i8 scales[16], f16 d; value = d*sc[j]*(q - 32) over 16 sub-blocks of 16.
function encodeQ6K(x: Float32Array, v: DataView, at: number): void {
  const need = Array.from({ length: 16 }, (_, j) => {
    let amax = 0;
    for (let l = 0; l < 16; l++) amax = Math.max(amax, Math.abs(x[j * 16 + l]!));
    return amax / 31;
  });
  const dBits = f16AtLeast(Math.max(...need) / 127);
  const d = f16BitsToF32(dBits);
  const sc = need.map((n) => clamp(Math.ceil(ratio(n, d)), 0, 127));
  const q = new Uint8Array(256);
  for (let i = 0; i < 256; i++) q[i] = clamp(Math.round(ratio(x[i]!, d * sc[i >> 4]!)), -32, 31) + 32;
  // Each half of 128 values is 4 quarters of 32: ql's low nibbles hold quarters 0 and 1, its high
  // nibbles 2 and 3; qh byte l holds the top 2 bits of value l of quarters 0..3 at bits 0, 2, 4, 6.
  for (let n = 0; n < 2; n++) {
    const h = n * 128;
    for (let l = 0; l < 32; l++) {
      const q0 = q[h + l]!, q1 = q[h + 32 + l]!, q2 = q[h + 64 + l]!, q3 = q[h + 96 + l]!;
      v.setUint8(at + n * 64 + l, (q0 & 15) | ((q2 & 15) << 4));
      v.setUint8(at + n * 64 + 32 + l, (q1 & 15) | ((q3 & 15) << 4));
      v.setUint8(at + 128 + n * 32 + l, (q0 >> 4) | ((q1 >> 4) << 2) | ((q2 >> 4) << 4) | ((q3 >> 4) << 6));
    }
  }
  for (let j = 0; j < 16; j++) v.setInt8(at + 192 + j, sc[j]!);
  v.setUint16(at + 208, dBits, true);
}
