// RoPE's frequencies, defined once for both backends (the CPU reference rotates with them, the GPU
// backend bakes them into its cos/sin tables). Pair i of a head (dimensions i and i + headDim/2,
// HF's rotate_half layout) turns by position × theta^(-2i/headDim), divided by:
//   - the linear factor (position interpolation: DeepSeek-Coder's ×4), and
//   - the pair's own factor, where the model has them: Llama 3's scaling slows only the pairs whose
//     wavelength is longer than the original context, and blends in between (llama.cpp stores the
//     factors as the tensor rope_freqs.weight; config.json gives the parameters they come from).

export interface RopeParams {
  headDim: number;
  ropeTheta: number;
  /** 1: plain RoPE. */
  ropeLinearFactor: number;
  /** One divisor per pair (headDim / 2 of them), or none. */
  ropeFreqFactors?: readonly number[];
}

/** Each pair's angle per position. */
export function ropeInverseFrequencies(p: RopeParams): Float64Array {
  const half = p.headDim / 2;
  if (!Number.isInteger(half)) throw new Error(`rope: headDim ${p.headDim} must be even`);
  if (p.ropeFreqFactors && p.ropeFreqFactors.length !== half) {
    throw new Error(`rope: ${p.ropeFreqFactors.length} frequency factors for a head of ${half} pairs`);
  }
  const out = new Float64Array(half);
  for (let i = 0; i < half; i++) {
    out[i] = Math.pow(p.ropeTheta, (-2 * i) / p.headDim) / p.ropeLinearFactor / (p.ropeFreqFactors?.[i] ?? 1);
  }
  return out;
}

/** config.json's rope_scaling for rope_type "llama3". */
export interface Llama3RopeScaling {
  factor: number;
  lowFreqFactor: number;
  highFreqFactor: number;
  originalMaxPositions: number;
}

/**
 * Llama 3's per-pair divisors, as transformers (_compute_llama3_parameters) and llama.cpp's
 * converter (rope_freqs.weight) compute them: 1 for wavelengths under originalMax / highFreqFactor,
 * `factor` over originalMax / lowFreqFactor, and a smooth blend of the two frequencies between.
 */
export function llama3RopeFactors(headDim: number, theta: number, s: Llama3RopeScaling): number[] {
  const lowWavelength = s.originalMaxPositions / s.lowFreqFactor;
  const highWavelength = s.originalMaxPositions / s.highFreqFactor;
  const factors: number[] = [];
  for (let i = 0; i < headDim / 2; i++) {
    const wavelength = (2 * Math.PI) / Math.pow(theta, (-2 * i) / headDim);
    if (wavelength < highWavelength) factors.push(1);
    else if (wavelength > lowWavelength) factors.push(s.factor);
    else {
      const smooth = (s.originalMaxPositions / wavelength - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
      factors.push(1 / ((1 - smooth) / s.factor + smooth));
    }
  }
  return factors;
}
