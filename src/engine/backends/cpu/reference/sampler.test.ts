import { describe, expect, it } from 'vitest';
import { argmax, logProbability, pcgHash, sample, uniform } from './sampler.ts';

describe('reference sampler', () => {
  it('pcg hash and uniform are 32-bit exact and in [0, 1) with 24 bits', () => {
    expect(pcgHash(0)).toBe(pcgHash(0));
    expect(pcgHash(1)).not.toBe(pcgHash(2));
    for (let p = 0; p < 1000; p++) {
      const u = uniform(42, p);
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
      expect(Number.isInteger(u * 16777216)).toBe(true);
      expect(Math.fround(u)).toBe(u);
    }
    // roughly uniform
    const mean = Array.from({ length: 4000 }, (_, p) => uniform(7, p)).reduce((a, b) => a + b) / 4000;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.02);
  });

  it('greedy: argmax, lowest id on ties', () => {
    const logits = new Float32Array([1, 3, 3, -2]);
    expect(argmax(logits)).toBe(1);
    expect(sample(logits, { temperature: 0, topK: 5, topP: 0.1, seed: 9 }, 3)).toBe(1);
  });

  it('top-k 1 and tiny top-p are greedy; sampling follows u through the sorted cumulative mass', () => {
    const logits = new Float32Array([0.5, 2, 1, 2]);
    for (let pos = 0; pos < 50; pos++) {
      expect(sample(logits, { temperature: 1, topK: 1, topP: 1, seed: 3 }, pos)).toBe(1);
      expect(sample(logits, { temperature: 1, topK: 0, topP: 1e-6, seed: 3 }, pos)).toBe(1);
    }
    // Two equal logits with top-k 2: ids 1 and 3 only, each about half the time.
    const picks = Array.from({ length: 2000 }, (_, pos) => sample(logits, { temperature: 1, topK: 2, topP: 1, seed: 11 }, pos));
    expect(new Set(picks)).toEqual(new Set([1, 3]));
    expect(Math.abs(picks.filter((p) => p === 1).length / 2000 - 0.5)).toBeLessThan(0.05);
    // Same seed and position → same id.
    expect(sample(logits, { temperature: 0.7, topK: 0, topP: 0.9, seed: 5 }, 17)).toBe(sample(logits, { temperature: 0.7, topK: 0, topP: 0.9, seed: 5 }, 17));
  });
});

describe('logProbability', () => {
  it('is log softmax at temperature 1: exp of it sums to 1, shifts cancel, huge logits do not overflow', () => {
    const logits = new Float32Array([2, -1, 0.5, 3, 3]);
    const total = [0, 1, 2, 3, 4].reduce((s, id) => s + Math.exp(logProbability(logits, id)), 0);
    expect(total).toBeCloseTo(1, 12);
    expect(logProbability(logits, 3)).toBeCloseTo(logProbability(logits.map((v) => v + 1000), 3), 9);
    expect(logProbability(new Float32Array([0, 0]), 1)).toBeCloseTo(Math.log(0.5), 12);
    expect(Number.isFinite(logProbability(new Float32Array([1e30, 0]), 1))).toBe(true);
  });
});
