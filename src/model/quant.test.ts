import { describe, expect, it } from 'vitest';
import { BLOCK, dequantize, quantize } from './quant.ts';
import { f32ToF16Bits, f16BitsToF32 } from './half.ts';
import { WeightTensor } from './tensor.ts';
import fixture from './fixtures/quant-blocks.json';

const ramp = (n: number, f = (i: number) => Math.sin(i * 0.7) * (1 + (i % 5))) => Float32Array.from({ length: n }, (_, i) => f(i));

describe('GGML block formats', () => {
  it('Q8_0 round-trips within half a step of each block, Q4_0 within one (its positive side clips at 7 steps)', () => {
    const x = ramp(128);
    for (const type of ['Q8_0', 'Q4_0'] as const) {
      const q = quantize(type, x);
      expect(q.byteLength).toBe((128 / 32) * BLOCK[type].bytes);
      const y = dequantize(type, q);
      for (let b = 0; b < 4; b++) {
        const block = x.subarray(b * 32, b * 32 + 32);
        const amax = Math.max(...block.map(Math.abs));
        const step = type === 'Q8_0' ? amax / 127 : amax / 8;
        for (let j = 0; j < 32; j++) expect(Math.abs(y[b * 32 + j]! - block[j]!)).toBeLessThanOrEqual(step * (type === 'Q8_0' ? 0.5 : 1) + 1e-3 * amax);
      }
    }
  });

  it('decodes hand-built blocks exactly as ggml lays them out', () => {
    // Q8_0: d = 0.5, qs = -16..15
    const q8 = new Uint8Array(34);
    new DataView(q8.buffer).setUint16(0, f32ToF16Bits(0.5), true);
    for (let j = 0; j < 32; j++) q8[2 + j] = (j - 16) & 0xff;
    expect([...dequantize('Q8_0', q8)]).toEqual(Array.from({ length: 32 }, (_, j) => (j - 16) * 0.5));
    // Q4_0: d = 2; byte j holds value j (low) and 15 - j (high), minus 8.
    const q4 = new Uint8Array(18);
    new DataView(q4.buffer).setUint16(0, f32ToF16Bits(2), true);
    for (let j = 0; j < 16; j++) q4[2 + j] = j | ((15 - j) << 4);
    const y = dequantize('Q4_0', q4);
    for (let j = 0; j < 16; j++) {
      expect(y[j]).toBe((j - 8) * 2);
      expect(y[j + 16]).toBe((15 - j - 8) * 2);
    }
  });

  it('a zero block quantizes to zeros, and the scale is the f16 of amax/127', () => {
    expect([...dequantize('Q8_0', quantize('Q8_0', new Float32Array(32)))]).toEqual(new Array(32).fill(0));
    const q = quantize('Q8_0', ramp(32, (i) => (i === 3 ? -254 : 1)));
    expect(f16BitsToF32(new DataView(q.buffer).getUint16(0, true))).toBe(2);
    expect(new Int8Array(q.buffer, 2)[3]).toBe(-127);
  });

  it('WeightTensor checks whole blocks per row and dequantizes through toF32', () => {
    const q = quantize('Q8_0', ramp(64));
    const t = new WeightTensor('w', 'Q8_0', [2, 32], q);
    expect(t.quantized).toBe(true);
    expect(t.toF32()).toEqual(dequantize('Q8_0', q));
    expect(() => new WeightTensor('w', 'Q8_0', [4, 16], q)).toThrow(/w: Q8_0 needs rows of a multiple of 32 values, got 16/);
    expect(() => new WeightTensor('w', 'Q8_0', [3, 32], q)).toThrow(/68 bytes for Q8_0\[3, 32\], expected 102/);
  });
});

// Blocks decoded and encoded by llama.cpp's gguf-py (training/make_quant_fixture.py): an implementation
// quant.ts was not written from. Values are compared as f32 bits, so -0 vs 0 and any rounding count.
describe('GGML block formats match gguf-py bit for bit', () => {
  const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));
  const f32Bits = (b64: string) => new Uint32Array(bytes(b64).slice().buffer);
  const bitsOf = (x: Float32Array) => new Uint32Array(x.buffer, x.byteOffset, x.length);

  it.each(['Q8_0', 'Q4_0', 'Q5_0', 'Q4_K', 'Q6_K'] as const)('dequantize %s', (type) => {
    const { blocks, values } = fixture.dequantize[type];
    const raw = bytes(blocks);
    const want = f32Bits(values);
    expect(raw.byteLength / BLOCK[type].bytes).toBeGreaterThanOrEqual(8);
    const got = dequantize(type, raw);
    expect(got.length).toBe(want.length);
    // one block at a time, so a failure names the block and element instead of a 2,000-value diff
    const { elements } = BLOCK[type];
    for (let b = 0; b < want.length / elements; b++) {
      const g = [...bitsOf(got).subarray(b * elements, (b + 1) * elements)].map((x) => x.toString(16));
      expect(g, `${type} block ${b}`).toEqual([...want.subarray(b * elements, (b + 1) * elements)].map((x) => x.toString(16)));
    }
  });

  it.each(['Q8_0', 'Q4_0', 'Q5_0'] as const)('quantize %s as ggml\'s reference quantizer does', (type) => {
    const { values, blocks } = fixture.quantize[type];
    const x = new Float32Array(bytes(values).slice().buffer);
    const want = bytes(blocks);
    const got = quantize(type, x);
    const { bytes: n } = BLOCK[type];
    for (let b = 0; b < x.length / 32; b++) expect([...got.subarray(b * n, (b + 1) * n)], `${type} block ${b}`).toEqual([...want.subarray(b * n, (b + 1) * n)]);
  });
});
