// 16-bit float conversions between IEEE half (f16), bfloat16 (bf16) and f32, bit-exact.
// Weights may be stored f16/bf16 on disk; the CPU reference computes in f32 and the GPU may keep
// f16 bits packed two per u32 (decoded in WGSL with unpack2x16float).

/** IEEE 754 binary16 bits → f32 value (exact: every half is representable as an f32). */
export function f16BitsToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // zero or subnormal
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** f32 value → IEEE binary16 bits, round to nearest even; overflow → ±Infinity; NaN stays NaN. */
export function f32ToF16Bits(value: number): number {
  return f32BitsToF16Bits(new Uint32Array(new Float32Array([value]).buffer)[0]!);
}

/** f32 bits → binary16 bits (f32ToF16Bits; the array forms read the bits through one view, not a view per value). */
function f32BitsToF16Bits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // underflows to ±0
    // Subnormal half: shift the full 24-bit significand, round to nearest even.
    const m = mant | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = m & ((1 << shift) - 1);
    let out = m >>> shift;
    if (rest > half || (rest === half && (out & 1))) out++;
    return sign | out;
  }
  let out = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (out & 1))) out++; // may carry into the exponent: still correct
  return sign | out;
}

/** bfloat16 bits → f32 value (bf16 is the top half of an f32). */
export function bf16BitsToF32(b: number): number {
  const u32 = new Uint32Array([b << 16]);
  return new Float32Array(u32.buffer)[0]!;
}

/** f32 value → bfloat16 bits, round to nearest even (NaN kept quiet). */
export function f32ToBf16Bits(value: number): number {
  return f32BitsToBf16Bits(new Uint32Array(new Float32Array([value]).buffer)[0]!);
}

function f32BitsToBf16Bits(x: number): number {
  if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff)) return ((x >>> 16) | 0x40) & 0xffff;
  const rounded = x + 0x7fff + ((x >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}

/**
 * Whether bf16 values convert to f16 "exactly enough": none overflows f16's range (|x| ≤ 65280,
 * exponent ≤ 2^15). Where both are normal, f16's 10-bit mantissa holds bf16's 7 bits exactly;
 * values under f16's normal range (< 2^-14) round to its subnormal steps of 2^-24, an absolute
 * error below 3e-8, far under the weights' own bf16 rounding.
 */
export function bf16FitsF16(bits: Uint16Array): boolean {
  for (let i = 0; i < bits.length; i++) if (((bits[i]! >> 7) & 0xff) > 142) return false;
  return true;
}

/** Decodes a whole array of f16 bits into f32 (a lookup table keeps it fast for big tensors). */
export function f16ArrayToF32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  const table = new Float32Array(65536);
  for (let i = 0; i < 65536; i++) table[i] = f16BitsToF32(i);
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]!]!;
  return out;
}

/** Decodes bf16 bits into f32 by widening each to the top 16 bits of a u32. */
export function bf16ArrayToF32(bits: Uint16Array): Float32Array {
  const u32 = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) u32[i] = bits[i]! << 16;
  return new Float32Array(u32.buffer);
}

/** Encodes f32 values as f16 bits (round to nearest even). */
export function f32ArrayToF16(values: Float32Array): Uint16Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < bits.length; i++) out[i] = f32BitsToF16Bits(bits[i]!);
  return out;
}

/** Encodes f32 values as bf16 bits (round to nearest even). */
export function f32ArrayToBf16(values: Float32Array): Uint16Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < bits.length; i++) out[i] = f32BitsToBf16Bits(bits[i]!);
  return out;
}
