// linear() blocks tokens and rows for speed; every output must still be the plain dot product in
// the plain order, bit for bit, or the CPU path's prefill and decode would disagree with each other.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { linear } from './ops.ts';

function plainLinear(x: Float32Array, w: Float32Array, n: number, k: number, bias?: Float32Array): Float32Array {
  const t = x.length / k;
  const out = new Float32Array(t * n);
  for (let row = 0; row < t; row++) {
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let i = 0; i < k; i++) acc += x[row * k + i]! * w[j * k + i]!;
      out[row * n + j] = acc + (bias ? bias[j]! : 0);
    }
  }
  return out;
}

const floats = (length: number) => fc.float32Array({ minLength: length, maxLength: length, noNaN: true, min: -4, max: 4 });

describe('linear', () => {
  it('gives the plain dot products bit for bit, whatever T, N and K (so a token does not depend on its batch)', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 13 }), fc.boolean(),
      (t, n, k, withBias) => fc.assert(fc.property(floats(t * k), floats(n * k), floats(n), (x, w, b) => {
        const bias = withBias ? b : undefined;
        expect(linear(x, w, n, k, bias)).toEqual(plainLinear(x, w, n, k, bias));
        // Each token alone gives its row of the batched result.
        for (let row = 0; row < t; row++) {
          expect(linear(x.subarray(row * k, (row + 1) * k), w, n, k, bias)).toEqual(plainLinear(x, w, n, k, bias).subarray(row * n, (row + 1) * n));
        }
      }), { numRuns: 5 }),
    ), { numRuns: 60 });
  });
});
