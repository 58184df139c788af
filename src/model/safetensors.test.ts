import { describe, expect, it } from 'vitest';
import { bf16BitsToF32, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits } from './half.ts';
import { parseShardIndex, SafetensorsFile } from './safetensors.ts';
import { encodeSafetensors, rawSafetensors as rawFile } from '../testing/safetensors-writer.ts';

describe('half-precision conversions', () => {
  it('decodes known f16 and bf16 bit patterns', () => {
    expect(f16BitsToF32(0x3c00)).toBe(1);
    expect(f16BitsToF32(0xc000)).toBe(-2);
    expect(f16BitsToF32(0x7bff)).toBe(65504);
    expect(f16BitsToF32(0x0001)).toBe(2 ** -24);
    expect(f16BitsToF32(0x7c00)).toBe(Infinity);
    expect(f16BitsToF32(0x7e00)).toBeNaN();
    expect(bf16BitsToF32(0x3f80)).toBe(1);
    expect(bf16BitsToF32(0xc040)).toBe(-3);
  });

  it('round-trips every f16 bit pattern exactly', () => {
    const mismatches: number[] = [];
    for (let h = 0; h < 0x10000; h++) {
      const v = f16BitsToF32(h);
      if (!Number.isNaN(v) && f32ToF16Bits(v) !== h) mismatches.push(h);
    }
    expect(mismatches).toEqual([]);
  });

  it('rounds to nearest even, including subnormals and overflow', () => {
    expect(f32ToF16Bits(1 + 2 ** -11)).toBe(0x3c00); // halfway, even stays
    expect(f32ToF16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // halfway, odd rounds up
    expect(f32ToF16Bits(3 * 2 ** -26)).toBe(0x0001); // 0.75 ulp of the smallest subnormal
    expect(f32ToF16Bits(1e6)).toBe(0x7c00);
    expect(f32ToF16Bits(1e-10)).toBe(0);
    expect(f32ToBf16Bits(1)).toBe(0x3f80);
    expect(bf16BitsToF32(f32ToBf16Bits(Math.PI))).toBeCloseTo(Math.PI, 2);
  });
});

describe('safetensors', () => {
  const values = Float32Array.from({ length: 6 }, (_, i) => i * 0.25 - 0.5);

  it.each(['F32', 'F16', 'BF16'] as const)('round-trips %s through the writer and parser', (dtype) => {
    const bytes = encodeSafetensors([
      { name: 'a', shape: [2, 3], values },
      { name: 'b', shape: [3], values: new Float32Array([1, 2, 3]) },
    ], dtype, { format: 'pt' });
    const file = SafetensorsFile.parse(bytes);
    expect(file.names()).toEqual(['a', 'b']);
    expect(file.metadata).toEqual({ format: 'pt' });
    const a = file.tensor('a');
    expect(a.dtype).toBe(dtype);
    expect(a.shape).toEqual([2, 3]);
    expect([...a.toF32()]).toEqual([...values]); // these values are exact in all three dtypes
    expect([...file.tensor('b').toF32()]).toEqual([1, 2, 3]);
    expect(f16BitsToF32(a.toF16Bits()[5]!)).toBe(0.75);
  });

  it('keeps the stored f16 bits untouched and handles unaligned tensor offsets', () => {
    const bits = new Uint16Array([0x3c00, 0x0001, 0xfbff]);
    const data = new Uint8Array(1 + 6);
    data.set(new Uint8Array(bits.buffer), 1);
    const file = SafetensorsFile.parse(rawFile({ pad: { dtype: 'U8', shape: [1], data_offsets: [0, 1] }, h: { dtype: 'F16', shape: [3], data_offsets: [1, 7] } }, data));
    expect([...file.tensor('h').toF16Bits()]).toEqual([0x3c00, 0x0001, 0xfbff]);
    expect([...file.tensor('h').toF32()]).toEqual([1, 2 ** -24, -65504]);
    expect(() => file.tensor('pad')).toThrow(/dtype U8; only F32, F16 and BF16/);
  });

  it('gives clear errors for broken files', () => {
    const good = encodeSafetensors([{ name: 'w', shape: [2, 3], values }], 'F32');
    expect(() => SafetensorsFile.parse(good.subarray(0, 5))).toThrow(/truncated.*too short/);
    expect(() => SafetensorsFile.parse(good.subarray(0, 20))).toThrow(/truncated: header needs/);
    expect(() => SafetensorsFile.parse(good.subarray(0, good.length - 4))).toThrow(/truncated: tensor w ends at byte 24/);
    expect(() => SafetensorsFile.parse(rawFile({ w: { dtype: 'F99', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)))).toThrow(/tensor w: unknown dtype "F99"/);
    expect(() => SafetensorsFile.parse(rawFile({ w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 12] } }, new Uint8Array(12)))).toThrow(/F32\[2, 2\] needs 16 bytes but data_offsets span 12/);
    expect(() => SafetensorsFile.parse(rawFile({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4)))).toThrow(/shape/);
    const notJson = rawFile({}, new Uint8Array(0));
    notJson[8] = 0x7b + 1;
    expect(() => SafetensorsFile.parse(notJson)).toThrow(/not valid JSON/);
    expect(() => SafetensorsFile.parse(good).tensor('missing')).toThrow(/missing tensor missing/);
  });

  it('parses a sharded index and rejects paths outside the directory', () => {
    const index = parseShardIndex({ metadata: {}, weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors', c: 'model-00001-of-00002.safetensors' } });
    expect(index.files).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    expect(index.weightMap.get('b')).toBe('model-00002-of-00002.safetensors');
    expect(() => parseShardIndex({})).toThrow(/weight_map/);
    expect(() => parseShardIndex({ weight_map: { a: '../etc/passwd' } })).toThrow(/not a file name/);
  });
});
