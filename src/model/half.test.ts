import { describe, expect, it } from 'vitest';
import { bf16FitsF16, f32ToBf16Bits } from './half.ts';

describe('bf16FitsF16', () => {
  it('accepts values up to f16 range (tiny ones too) and refuses one that overflows f16', () => {
    const bits = (xs: number[]) => Uint16Array.from(xs, f32ToBf16Bits);
    expect(bf16FitsF16(bits([0, -0, 1e-30, -3.5, 65280, -65280]))).toBe(true);
    expect(bf16FitsF16(bits([1, 65536]))).toBe(false);
    expect(bf16FitsF16(bits([Infinity]))).toBe(false);
  });
});
