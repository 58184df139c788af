import { describe, expect, it } from 'vitest';
import { acceptProbability, type CursorFollows } from '../../src/editor/inline/confidence-gate.ts';
import { chooseEditMargin, chooseThreshold, fitLogistic, gateCurve, THRESHOLDS, type Sample } from './calibrate.ts';
import { SeededRandom } from '../../src/testing/seeded-random.ts';

const FOLLOWS: CursorFollows[] = ['word', 'dot', 'space', 'open', 'assign', 'other'];

/** Samples drawn from a known logistic model of the first token's probability and copy agreement. */
function drawn(n: number, seed: number): Sample[] {
  const random = new SeededRandom(seed);
  const rand = () => random.next();
  return Array.from({ length: n }, () => {
    const firstLogprob = -6 * rand();
    const copyAgrees = rand() < 0.3;
    const p = 1 / (1 + Math.exp(-(-1 + 2.5 * Math.exp(firstLogprob) + 1.5 * (copyAgrees ? 1 : 0))));
    const follows = FOLLOWS[Math.floor(rand() * FOLLOWS.length)]!;
    return { features: { firstLogprob, multiLine: rand() < 0.2, copyAgrees, knownWord: rand() < 0.3, follows }, taken: rand() < p };
  });
}

describe('gate calibration', () => {
  it('the logistic fit recovers the model the samples were drawn from', () => {
    const fit = fitLogistic(drawn(4000, 7));
    expect(fit.weights[0]).toBeCloseTo(2.5, 0);
    expect(fit.weights[2]).toBeCloseTo(1.5, 0);
    for (const unused of fit.weights.slice(3)) expect(Math.abs(unused)).toBeLessThan(0.4);
    expect(Math.abs(fit.weights[1]!)).toBeLessThan(0.4);
    expect(fit.bias).toBeCloseTo(-1, 0);
  });

  it('a higher threshold keeps fewer suggestions, and the kept ones are taken more often', () => {
    const samples = drawn(3000, 11);
    const curve = gateCurve(samples, fitLogistic(samples));
    expect(curve[0]).toMatchObject({ threshold: 0, kept: 1 });
    for (let i = 1; i < curve.length; i++) expect(curve[i]!.kept).toBeLessThanOrEqual(curve[i - 1]!.kept);
    expect(curve.find((p) => p.threshold === 0.3)!.acceptRate).toBeGreaterThan(curve[0]!.acceptRate);
  });

  it('the threshold is the lowest that reaches the target in every language', () => {
    const curve = (rates: number[]) => THRESHOLDS.map((threshold, i) => ({ threshold, kept: 1 - i / 20, acceptRate: rates[Math.min(i, rates.length - 1)]! }));
    expect(chooseThreshold({ python: curve([0.2, 0.3, 0.4]), typescript: curve([0.1, 0.2, 0.35]) }, 0.3)).toBe(THRESHOLDS[2]);
    expect(chooseThreshold({ python: curve([0.1, 0.2, 0.25]) }, 0.9)).toBe(THRESHOLDS[2]); // unreachable: the best it can do
    expect(THRESHOLDS[2]).toBe(0.02);
    expect(() => fitLogistic([])).toThrow(/no samples/);
  });

  it('the fitted model is the gate\'s own probability', () => {
    const samples = drawn(500, 3);
    const fit = fitLogistic(samples);
    const p = acceptProbability(samples[0]!.features, { ...fit, threshold: 0 });
    expect(p).toBeGreaterThan(0);
    expect(p).toBeLessThan(1);
  });

  it('the Edit margin is 0 when that keeps worse cases under the bound, else just above the worse ones it must exclude', () => {
    const ok = [{ delta: -1, outcome: 'worse' as const }, { delta: 0.2, outcome: 'restored' as const }, { delta: Number.NaN, outcome: 'worse' as const }];
    expect(chooseEditMargin(ok, 0.02)).toBe(0); // the worse ones score below the original or never finished
    const some = [{ delta: 0.05, outcome: 'worse' as const }, { delta: 0.3, outcome: 'worse' as const }, { delta: 0.5, outcome: 'restored' as const }, ...Array.from({ length: 47 }, () => ({ delta: -2, outcome: 'declined' as const }))];
    const m = chooseEditMargin(some, 0.02); // 2 of 50 worse at 0: one must go
    expect(m).toBeGreaterThan(0.05);
    expect(m).toBeLessThanOrEqual(0.0501);
  });
});
