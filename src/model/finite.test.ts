import { describe, expect, it } from 'vitest';
import { firstNonFinite } from './finite.ts';
import { f32ToBf16Bits, f32ToF16Bits } from './half.ts';
import { WeightTensor } from './tensor.ts';
import { BLOCK } from './quant.ts';
import { randomBlocks } from '../testing/random-blocks.ts';

const tensor16 = (dtype: 'F16' | 'BF16', bits: number[], offset = 0) => {
  const bytes = new Uint8Array(offset + bits.length * 2);
  const view = new DataView(bytes.buffer);
  bits.forEach((b, i) => view.setUint16(offset + 2 * i, b, true));
  return new WeightTensor('t', dtype, [bits.length], bytes.subarray(offset));
};

describe('firstNonFinite', () => {
  it('finds the first NaN or infinity at every position, in f16 and bf16, aligned or not', () => {
    for (const dtype of ['F16', 'BF16'] as const) {
      const enc = dtype === 'F16' ? f32ToF16Bits : f32ToBf16Bits;
      for (const length of [1, 2, 5, 8]) {
        for (let at = 0; at < length; at++) {
          for (const [bad, kind] of [[NaN, 'NaN'], [Infinity, 'an infinity'], [-Infinity, 'an infinity']] as const) {
            const bits = Array.from({ length }, (_, i) => enc(i === at ? bad : (i % 3) - 1.5));
            for (const offset of [0, 2]) expect(firstNonFinite(tensor16(dtype, bits, offset)), `${dtype} ${length} ${at} ${offset}`).toEqual({ index: at, kind });
          }
        }
        const fine = Array.from({ length }, (_, i) => enc(i === 0 ? 65504 : -i * 1e-3));
        expect(firstNonFinite(tensor16(dtype, fine))).toBeUndefined();
      }
    }
  });

  it('checks every f32 and accepts the largest finite values', () => {
    const values = new Float32Array([1, -3.4028234663852886e38, 3.4028234663852886e38, 0, -0]);
    const t = (v: Float32Array) => new WeightTensor('t', 'F32', [v.length], new Uint8Array(v.buffer.slice(0)));
    expect(firstNonFinite(t(values))).toBeUndefined();
    values[3] = NaN;
    expect(firstNonFinite(t(values))).toEqual({ index: 3, kind: 'NaN' });
    values[1] = -Infinity;
    expect(firstNonFinite(t(values))).toEqual({ index: 1, kind: 'an infinity' });
  });

  it.each(['Q8_0', 'Q4_0', 'Q5_0', 'Q4_K', 'Q6_K'] as const)('finds a NaN or infinite scale in %s blocks, naming the block\'s first weight', (type) => {
    const { elements, bytes, f16At } = BLOCK[type];
    const blocks = randomBlocks(type, 4, 7);
    const t = () => new WeightTensor('t', type, [4 * elements], blocks);
    expect(firstNonFinite(t())).toBeUndefined();
    const view = new DataView(blocks.buffer);
    view.setUint16(2 * bytes + f16At.at(-1)!, 0x7e00, true); // NaN in block 2's last scale
    expect(firstNonFinite(t())).toEqual({ index: 2 * elements, kind: 'NaN' });
    view.setUint16(bytes + f16At[0]!, 0xfc00, true); // -inf in block 1
    expect(firstNonFinite(t())).toEqual({ index: elements, kind: 'an infinity' });
  });
});
