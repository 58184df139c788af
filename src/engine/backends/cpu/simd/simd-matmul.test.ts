// gemm.wat against the reference's linear() (reference/ops.ts): the check before any timing. The
// sums differ in order (4 lanes), so values agree to f32 rounding; but one output's bits must not
// depend on how many rows a call has, nor on the chunks the scratch splits it into, or drafts
// verified in a batch would not be exact.
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assembleWat, watModuleSource } from '../../../../../scripts/wasm-assemble.mjs';
import { FUZZ, FUZZ_TIMEOUT_MS } from '../../../../testing/arbitraries.ts';
import { linear } from '../reference/ops.ts';
import { SimdMatmul, simdUnavailable } from './simd-matmul.ts';

const random = (n: number, seed: number) => {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => { s = (s * 1_103_515_245 + 12_345) >>> 0; return (s / 2 ** 32) * 2 - 1; });
};

/** |simd − ref| within f32 rounding of a k-term sum, relative to the sum of the terms' sizes. */
function expectClose(got: Float32Array, x: Float32Array, w: Float32Array, n: number, k: number, bias?: Float32Array) {
  const want = linear(x, w, n, k, bias);
  expect(got).toHaveLength(want.length);
  const outside: string[] = [];
  for (let i = 0; i < want.length && outside.length < 3; i++) {
    const row = Math.floor(i / n), col = i % n;
    let size = Math.abs(bias?.[col] ?? 0);
    for (let j = 0; j < k; j++) size += Math.abs(x[row * k + j]! * w[col * k + j]!);
    if (!(Math.abs(got[i]! - want[i]!) <= (k + 2) * 2 ** -23 * size + 1e-30)) outside.push(`output ${i}: ${got[i]} vs ${want[i]}`);
  }
  expect(outside).toEqual([]);
}

describe('SimdMatmul (gemm.wat)', () => {
  it('runs here (Node has WebAssembly SIMD)', () => {
    expect(simdUnavailable()).toBeUndefined();
  });

  it('matches linear() for any shape, with and without a bias (tails of n and k mod 4 included)', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 13 }), fc.integer({ min: 1, max: 37 }), fc.boolean(), fc.integer(),
      (t, n, k, withBias, seed) => {
        const w = random(n * k, seed), x = random(t * k, seed + 1), bias = withBias ? random(n, seed + 2) : undefined;
        const { op, views } = SimdMatmul.place(bias ? [w, bias] : [w]);
        expect(views[0]).toEqual(w);
        expectClose(op.linear(x, views[0]!, n, k, views[1]), x, w, n, k, bias);
      },
    ), FUZZ);
  }, FUZZ_TIMEOUT_MS);

  it('an output has the same bits whether its row runs alone, in a batch, or in a batch split into chunks', () => {
    // 4096×192: the 4 MiB scratch holds 244 rows, so 300 rows run as two chunks.
    const n = 4096, k = 192, t = 300;
    const w = random(n * k, 7), x = random(t * k, 8), bias = random(n, 9);
    const { op, views: [wv, bv] } = SimdMatmul.place([w, bias]);
    const batch = op.linear(x, wv!, n, k, bv);
    expectClose(batch, x, w, n, k, bias);
    for (const row of [0, 1, 3, 4, 243, 244, 299]) {
      const alone = op.linear(x.subarray(row * k, (row + 1) * k), wv!, n, k, bv);
      expect(alone, `row ${row}`).toEqual(batch.subarray(row * n, (row + 1) * n));
    }
  });

  it('places a shared array once (a tied table), and refuses an array it did not place', () => {
    const w = random(8 * 4, 3);
    const { op, views } = SimdMatmul.place([w, w]);
    expect(views[0]).toBe(views[1]);
    expect(() => op.linear(random(4, 1), w, 8, 4)).toThrow(/not placed at load/);
    expect(() => op.linear(random(5, 1), views[0]!, 8, 4)).toThrow(/not a multiple of K=4/);
  });

  it('gemm.wat.ts is what `npm run wasm` assembles from gemm.wat', async () => {
    const name = 'src/engine/backends/cpu/simd/gemm.wat';
    const bytes = await assembleWat(name, readFileSync(name, 'utf8'));
    expect(readFileSync(`${name}.ts`, 'utf8'), 'run `npm run wasm` after editing gemm.wat').toBe(watModuleSource(name, bytes));
  });
});
