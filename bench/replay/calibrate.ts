// The confidence gate's calibration: a logistic regression of "was the suggestion taken" on the
// gate's features, fitted on typing replays of the training split with the gate off, and the
// threshold read off its curve. `npm run replay -- --calibrate training/data/corpus/train.jsonl`
// writes src/editor/calibration.json; the held-out replay then reports the result.

import { acceptProbability, featureVector, GATE_FEATURES, type GateCalibration, type GateFeatures } from '../../src/editor/inline/confidence-gate.ts';
import type { ReplayLanguage } from './cases.ts';

export interface Sample {
  features: GateFeatures;
  taken: boolean;
}

/** A fitted model: its weights, for the features they were fitted on. */
export type GateFit = Pick<GateCalibration, 'weights' | 'bias' | 'features'>;

/**
 * Maximum-likelihood logistic regression with a small L2 penalty, by gradient descent on
 * standardized features (then mapped back to raw-feature weights). Few features, thousands of
 * samples: plain and deterministic.
 */
export function fitLogistic(samples: readonly Sample[], iterations = 3000, l2 = 1e-3, rate = 0.5): GateFit {
  if (samples.length === 0) throw new Error('calibration: no samples (did any suggestion carry a log-probability?)');
  const xs = samples.map((s) => featureVector(s.features));
  const y = samples.map((s) => (s.taken ? 1 : 0));
  const d = xs[0]!.length;
  const mean = Array.from({ length: d }, (_, j) => xs.reduce((a, x) => a + x[j]!, 0) / xs.length);
  const std = Array.from({ length: d }, (_, j) => Math.sqrt(xs.reduce((a, x) => a + (x[j]! - mean[j]!) ** 2, 0) / xs.length) || 1);
  const z = xs.map((x) => x.map((v, j) => (v - mean[j]!) / std[j]!));
  const w = new Array<number>(d).fill(0);
  let b = 0;
  for (let it = 0; it < iterations; it++) {
    const gw = new Array<number>(d).fill(0);
    let gb = 0;
    for (let i = 0; i < z.length; i++) {
      let s = b;
      for (let j = 0; j < d; j++) s += w[j]! * z[i]![j]!;
      const err = 1 / (1 + Math.exp(-s)) - y[i]!;
      for (let j = 0; j < d; j++) gw[j]! += err * z[i]![j]!;
      gb += err;
    }
    for (let j = 0; j < d; j++) w[j] = w[j]! - rate * (gw[j]! / z.length + l2 * w[j]!);
    b -= rate * (gb / z.length);
  }
  const weights = w.map((v, j) => v / std[j]!);
  const bias = b - w.reduce((a, v, j) => a + (v * mean[j]!) / std[j]!, 0);
  return { weights, bias, features: GATE_FEATURES };
}

export interface CurvePoint {
  threshold: number;
  /** Share of the suggestions (that had a log-probability) the gate lets through. */
  kept: number;
  /** Of those, the share taken. */
  acceptRate: number;
}

/** Thresholds tried, 0 to 0.6 by 0.01: the curve is steep, and a coarse grid overshoots the target. */
export const THRESHOLDS = Array.from({ length: 61 }, (_, i) => i / 100);

export function gateCurve(samples: readonly Sample[], c: GateFit, thresholds = THRESHOLDS): CurvePoint[] {
  const scored = samples.map((s) => ({ p: acceptProbability(s.features, { ...c, threshold: 0 }), taken: s.taken }));
  return thresholds.map((threshold) => {
    const kept = scored.filter((s) => s.p >= threshold);
    return { threshold, kept: kept.length / Math.max(1, scored.length), acceptRate: kept.filter((s) => s.taken).length / Math.max(1, kept.length) };
  });
}

/**
 * The lowest threshold at which the accept rate of what is shown reaches the target in every
 * language (the gate should hold back no more than it must); if none does, the one whose worst
 * language comes closest.
 */
export function chooseThreshold(curves: Partial<Record<ReplayLanguage, CurvePoint[]>>, target: number): number {
  const all = Object.values(curves);
  const worst = (i: number) => Math.min(...all.map((c) => c![i]!.acceptRate));
  const first = THRESHOLDS.findIndex((_, i) => worst(i) >= target);
  if (first >= 0) return THRESHOLDS[first]!;
  let best = 0;
  for (let i = 1; i < THRESHOLDS.length; i++) if (worst(i) > worst(best)) best = i;
  return THRESHOLDS[best]!;
}

/** One Edit case of the calibration: how much better the model scored the rewrite (mean log-probability per token), and what applying it did. */
export interface EditPoint {
  /** rewrite − original; NaN when the rewrite is never applied (it did not finish, or it is in another language). */
  delta: number;
  /** What the code became had the rewrite been applied. */
  outcome: 'restored' | 'worse' | 'declined' | 'closer';
}

/**
 * The never-worse margin: the least (at least 0: "no worse than the original") at which applying
 * only rewrites that beat the original by the margin makes at most `maxWorse` of all cases worse.
 */
export function chooseEditMargin(points: readonly EditPoint[], maxWorse: number): number {
  const worseAt = (m: number) => points.filter((p) => p.delta >= m && p.outcome === 'worse').length / Math.max(1, points.length);
  if (worseAt(0) <= maxWorse) return 0;
  const candidates = [...new Set(points.filter((p) => p.delta > 0).map((p) => p.delta))].sort((a, b) => a - b);
  for (const d of candidates) {
    const m = Math.ceil((d + 1e-9) * 1e4) / 1e4; // just above this case's delta (4 decimals): it is no longer applied
    if (worseAt(m) <= maxWorse) return m;
  }
  return 0; // unreachable: above the largest delta nothing is applied
}
