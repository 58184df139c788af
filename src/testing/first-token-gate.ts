// A gate calibration for tests that looks only at the first token's probability.
import { GATE_FEATURES, type GateCalibration } from '../editor/inline/confidence-gate.ts';

/** p = σ(weight · p(first token) + bias); every other feature weighs 0. */
export const firstTokenGate = (weight: number, bias: number, threshold: number): GateCalibration =>
  ({ weights: GATE_FEATURES.map((_, i) => (i === 0 ? weight : 0)), bias, threshold, features: GATE_FEATURES });
