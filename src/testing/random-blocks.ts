// Random GGML blocks for tests of the block formats (CPU and GPU).
import { BLOCK, type QuantType } from '../model/quant.ts';
import { f32ToF16Bits } from '../model/half.ts';
import { randomArray } from './gpu-test-util.ts';

/**
 * `count` GGML blocks of `type` with random quants and scales (every bit pattern the format
 * allows), and f16 scale fields set so weights stay within about ±1 — for types with no quantizer
 * here (the K-quants), a block that exercises every decode path.
 */
export function randomBlocks(type: QuantType, count: number, seed: number): Uint8Array {
  const { bytes } = BLOCK[type];
  const noise = randomArray(count * bytes, seed);
  const out = Uint8Array.from(noise, (v) => Math.floor((v + 1) * 128) & 255);
  const view = new DataView(out.buffer);
  // Largest |weight| per unit of d: Q8_0 127, Q4_0 8, Q5_0 16, Q4_K 63·15 (and dmin·63), Q6_K 128·32.
  const range = { Q8_0: 127, Q4_0: 8, Q5_0: 16, Q4_K: 945, Q6_K: 4096 }[type];
  for (let b = 0; b < count; b++) {
    for (const [j, at] of BLOCK[type].f16At.entries()) {
      const d = (0.25 + 0.75 * Math.abs(noise[b * bytes + j]!)) / range;
      view.setUint16(b * bytes + at, f32ToF16Bits(d), true);
    }
  }
  return out;
}
