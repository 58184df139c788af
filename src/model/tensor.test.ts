import { describe, expect, it } from 'vitest';
import { f32ArrayToF16 } from './half.ts';
import { WeightTensor } from './tensor.ts';

const bf16 = (values: number[]) => {
  const bits = new Uint16Array(new Float32Array(values).buffer.slice(0)).filter((_, i) => i % 2 === 1); // the top halves
  return new WeightTensor('w', 'BF16', [values.length], new Uint8Array(bits.buffer));
};

describe('WeightTensor.bf16FitsF16', () => {
  it('is true when f16 holds every value of a BF16 tensor, false past its range or for another dtype', () => {
    expect(bf16([0.5, -2, 1000]).bf16FitsF16()).toBe(true);
    expect(bf16([0.5, 1e6]).bf16FitsF16()).toBe(false);
    expect(new WeightTensor('w', 'F16', [2], new Uint8Array(f32ArrayToF16(new Float32Array([1, 2])).buffer)).bf16FitsF16()).toBe(false);
  });

  it('scans the weights once however often it is asked (a load asks twice: the path cache key and the backend)', () => {
    const t = bf16([1, 2, 3]);
    expect(t.bf16FitsF16()).toBe(true);
    t.bytes.set([0xff, 0x7f], 0); // not something a loader does: here it shows the answer is remembered
    expect(t.bf16FitsF16()).toBe(true);
  });
});
