// CPU reference for every kernel, in plain TypeScript, f32 maths on Float32Array.
// Each GPU op's test compares against the function of the same name here; the reference
// forward pass (forward.ts) is composed only of these. Layouts are row-major:
//   a matrix W of shape [rows, cols] is W[r * cols + c]; y = W x means y[r] = Σ_c W[r,c] x[c]
// (the Hugging Face nn.Linear convention: weight [out_features, in_features]).
import { ropeInverseFrequencies, type RopeParams } from '../../../../model/rope.ts';

/** y[T, D] = x[T, D] / rms(x) * weight[D]. rms = sqrt(mean(x²) + eps). */
export function rmsNorm(x: Float32Array, weight: Float32Array, eps: number): Float32Array {
  const d = weight.length;
  if (x.length % d !== 0) throw new Error(`rmsNorm: x.length ${x.length} is not a multiple of D=${d}`);
  const out = new Float32Array(x.length);
  for (let t = 0; t < x.length / d; t++) {
    let ss = 0;
    for (let i = 0; i < d; i++) ss += x[t * d + i]! * x[t * d + i]!;
    const scale = 1 / Math.sqrt(ss / d + eps);
    for (let i = 0; i < d; i++) out[t * d + i] = x[t * d + i]! * scale * weight[i]!;
  }
  return out;
}

/** A forward pass's matrix products: linear() here, or the CPU path's SIMD one (cpu/simd/). */
export interface MatmulOp {
  linear(x: Float32Array, w: Float32Array, n: number, k: number, bias?: Float32Array): Float32Array;
}

/** The reference's MatmulOp. */
export const REFERENCE_MATMUL: MatmulOp = Object.freeze({ linear });

/** y[T, N] = x[T, K] · Wᵀ + bias, with W [N, K] (nn.Linear layout). */
export function linear(x: Float32Array, w: Float32Array, n: number, k: number, bias?: Float32Array): Float32Array {
  if (w.length !== n * k) throw new Error(`linear: W has ${w.length} values, expected ${n}x${k}`);
  if (x.length % k !== 0) throw new Error(`linear: x.length ${x.length} is not a multiple of K=${k}`);
  const t = x.length / k;
  const out = new Float32Array(t * n);
  // Four tokens share each pass over a weight row (a prefill reads W a quarter as often). Each
  // output still sums its products in the same order, so the result does not depend on T.
  let row = 0;
  for (; row + 4 <= t; row += 4) {
    const x0 = row * k, x1 = x0 + k, x2 = x1 + k, x3 = x2 + k;
    let j = 0;
    for (; j + 2 <= n; j += 2) {
      const wo = j * k, wp = wo + k;
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
      for (let i = 0; i < k; i++) {
        const wv = w[wo + i]!, wu = w[wp + i]!;
        const v0 = x[x0 + i]!, v1 = x[x1 + i]!, v2 = x[x2 + i]!, v3 = x[x3 + i]!;
        a0 += v0 * wv; a1 += v1 * wv; a2 += v2 * wv; a3 += v3 * wv;
        b0 += v0 * wu; b1 += v1 * wu; b2 += v2 * wu; b3 += v3 * wu;
      }
      const ba = bias ? bias[j]! : 0, bb = bias ? bias[j + 1]! : 0;
      out[row * n + j] = a0 + ba; out[(row + 1) * n + j] = a1 + ba; out[(row + 2) * n + j] = a2 + ba; out[(row + 3) * n + j] = a3 + ba;
      out[row * n + j + 1] = b0 + bb; out[(row + 1) * n + j + 1] = b1 + bb; out[(row + 2) * n + j + 1] = b2 + bb; out[(row + 3) * n + j + 1] = b3 + bb;
    }
    for (; j < n; j++) {
      const wo = j * k;
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      for (let i = 0; i < k; i++) {
        const wv = w[wo + i]!;
        a0 += x[x0 + i]! * wv;
        a1 += x[x1 + i]! * wv;
        a2 += x[x2 + i]! * wv;
        a3 += x[x3 + i]! * wv;
      }
      const b = bias ? bias[j]! : 0;
      out[row * n + j] = a0 + b;
      out[(row + 1) * n + j] = a1 + b;
      out[(row + 2) * n + j] = a2 + b;
      out[(row + 3) * n + j] = a3 + b;
    }
  }
  for (; row < t; row++) {
    const xo = row * k;
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const w0 = j * k, w1 = w0 + k, w2 = w1 + k, w3 = w2 + k;
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      for (let i = 0; i < k; i++) {
        const v = x[xo + i]!;
        a0 += v * w[w0 + i]!; a1 += v * w[w1 + i]!; a2 += v * w[w2 + i]!; a3 += v * w[w3 + i]!;
      }
      const o = row * n + j;
      out[o] = a0 + (bias ? bias[j]! : 0); out[o + 1] = a1 + (bias ? bias[j + 1]! : 0);
      out[o + 2] = a2 + (bias ? bias[j + 2]! : 0); out[o + 3] = a3 + (bias ? bias[j + 3]! : 0);
    }
    for (; j < n; j++) {
      let acc = 0;
      for (let i = 0; i < k; i++) acc += x[row * k + i]! * w[j * k + i]!;
      out[row * n + j] = acc + (bias ? bias[j]! : 0);
    }
  }
  return out;
}

/**
 * Rotary position embedding, Hugging Face "rotate_half" (NeoX) layout, in place.
 * x: [T, H, headDim]; token t has absolute position positions[t].
 * For i < headDim/2: (x[i], x[i+half]) is rotated by angle pos × the pair's inverse frequency
 * (model/rope.ts: theta^(-2i/headDim), and the model's scaling).
 */
export function rope(x: Float32Array, numHeads: number, positions: ArrayLike<number>, params: RopeParams): Float32Array {
  const { headDim } = params;
  const half = headDim / 2;
  const invFreq = ropeInverseFrequencies(params);
  for (let t = 0; t < positions.length; t++) {
    const pos = positions[t]!;
    for (let h = 0; h < numHeads; h++) {
      const base = (t * numHeads + h) * headDim;
      for (let i = 0; i < half; i++) {
        const angle = pos * invFreq[i]!;
        const c = Math.cos(angle), s = Math.sin(angle);
        const a = x[base + i]!, b = x[base + i + half]!;
        x[base + i] = a * c - b * s;
        x[base + i + half] = b * c + a * s;
      }
    }
  }
  return x;
}

/**
 * Causal grouped-query attention for T new tokens against a cache of L = past + T positions.
 * q: [T, H, Dh]; kCache, vCache: [L, Hkv, Dh] (the new tokens' k/v already appended at the end).
 * Query t (absolute position past + t) attends to cache positions 0..past+t. Output [T, H, Dh].
 */
export function attention(
  q: Float32Array, kCache: Float32Array, vCache: Float32Array,
  numHeads: number, numKvHeads: number, headDim: number, past: number,
): Float32Array {
  const t = q.length / (numHeads * headDim);
  const group = numHeads / numKvHeads;
  const scale = 1 / Math.sqrt(headDim);
  const out = new Float32Array(q.length);
  for (let i = 0; i < t; i++) {
    const visible = past + i + 1;
    for (let h = 0; h < numHeads; h++) {
      const kvh = Math.floor(h / group);
      const qo = (i * numHeads + h) * headDim;
      const scores = new Float32Array(visible);
      let max = -Infinity;
      for (let p = 0; p < visible; p++) {
        const ko = (p * numKvHeads + kvh) * headDim;
        let dot = 0;
        for (let d = 0; d < headDim; d++) dot += q[qo + d]! * kCache[ko + d]!;
        scores[p] = dot * scale;
        if (scores[p]! > max) max = scores[p]!;
      }
      let sum = 0;
      for (let p = 0; p < visible; p++) sum += (scores[p] = Math.exp(scores[p]! - max));
      for (let p = 0; p < visible; p++) {
        const w = scores[p]! / sum;
        const vo = (p * numKvHeads + kvh) * headDim;
        for (let d = 0; d < headDim; d++) out[qo + d] = out[qo + d]! + w * vCache[vo + d]!;
      }
    }
  }
  return out;
}

/** SwiGLU: out[i] = silu(gate[i]) * up[i], silu(x) = x / (1 + e^-x). */
export function swiglu(gate: Float32Array, up: Float32Array): Float32Array {
  if (gate.length !== up.length) throw new Error('swiglu: gate and up differ in length');
  const out = new Float32Array(gate.length);
  for (let i = 0; i < gate.length; i++) out[i] = (gate[i]! / (1 + Math.exp(-gate[i]!))) * up[i]!;
  return out;
}

/** a += b, in place. */
export function addInPlace(a: Float32Array, b: Float32Array): Float32Array {
  if (a.length !== b.length) throw new Error('add: lengths differ');
  for (let i = 0; i < a.length; i++) a[i] = a[i]! + b[i]!;
  return a;
}

/** Rows of the embedding table for each token id: [T, D]. */
export function embed(table: Float32Array, dim: number, ids: ArrayLike<number>): Float32Array {
  const vocab = table.length / dim;
  const out = new Float32Array(ids.length * dim);
  for (let t = 0; t < ids.length; t++) {
    const id = ids[t]!;
    if (id < 0 || id >= vocab) throw new Error(`embed: token id ${id} outside vocabulary of ${vocab}`);
    out.set(table.subarray(id * dim, (id + 1) * dim), t * dim);
  }
  return out;
}
