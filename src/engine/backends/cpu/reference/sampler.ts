// The sampling definition of api/types.ts, in plain TypeScript. The WGSL sampler
// (backends/gpu/kernels/sampler/sampler.wgsl) implements the same steps; its test checks both pick the same ids.
//
// Order of the kept tokens is by logit descending, lower id first on ties: the same order as
// "probability descending" (exp is monotone) but defined on the logits themselves, so CPU and GPU
// cannot disagree through a different rounding of exp. The random number is 24 bits so that it is
// exact in f32 as well as f64.

import type { SamplingParams } from '../../../api/types.ts';

/** PCG-style 32-bit integer hash (the "pcg_hash" of Jarzynski & Olano 2020). */
export function pcgHash(x: number): number {
  const state = (Math.imul(x >>> 0, 747796405) + 2891336453) >>> 0;
  const shift = ((state >>> 28) + 4) >>> 0;
  const word = Math.imul(((state >>> shift) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

/** uniform(seed, position) in [0, 1): 24 random bits, exact in f32 (the WGSL port is bit-equal). */
export function uniform(seed: number, position: number): number {
  const h = pcgHash((pcgHash(seed >>> 0) ^ (position >>> 0)) >>> 0);
  return (h >>> 8) / 16777216;
}

/**
 * The model's log-probability of `id`: log softmax of the raw logits (temperature 1, whatever the
 * sampling settings), in f64. What a suggestion's confidence is estimated from.
 */
export function logProbability(logits: Float32Array, id: number): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i]! - max);
  return logits[id]! - max - Math.log(sum);
}

/** Argmax, lowest id on ties. */
export function argmax(logits: Float32Array): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
  return best;
}

/**
 * Samples one token id from logits as backend.ts defines it. `position` is the absolute position
 * of the token being sampled (it selects the random number).
 */
export function sample(logits: Float32Array, params: SamplingParams, position: number): number {
  if (logits.length === 0) throw new Error('sample: empty logits');
  if (!(params.temperature > 0)) return argmax(logits);
  if (!(params.topP > 0)) throw new Error(`sample: topP must be > 0, got ${params.topP}`);
  const vocab = logits.length;
  const z = new Float64Array(vocab);
  for (let i = 0; i < vocab; i++) z[i] = logits[i]! / params.temperature;
  // Sorted order: z descending, lower id first on ties.
  const order = Array.from({ length: vocab }, (_, i) => i).sort((a, b) => (z[b]! - z[a]!) || a - b);
  const k = params.topK > 0 && params.topK < vocab ? Math.floor(params.topK) : vocab;
  const kept = order.slice(0, k);
  const max = z[kept[0]!]!;
  const p = kept.map((id) => Math.exp(z[id]! - max));
  const total = p.reduce((a, b) => a + b, 0);
  // top-p: the shortest prefix whose cumulative probability >= topP.
  let keep = kept.length;
  if (params.topP < 1) {
    let cum = 0;
    for (let i = 0; i < kept.length; i++) {
      cum += p[i]!;
      if (cum >= params.topP * total) { keep = i + 1; break; }
    }
  }
  let keptMass = 0;
  for (let i = 0; i < keep; i++) keptMass += p[i]!;
  const target = uniform(params.seed, position) * keptMass;
  let cum = 0;
  for (let i = 0; i < keep; i++) {
    cum += p[i]!;
    if (cum > target) return kept[i]!;
  }
  return kept[keep - 1]!; // rounding: u * mass can equal the mass
}
