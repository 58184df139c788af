// The rows of one fused weight matrix, read from the checkpoint's tensors in the encoding its
// plan stores, so the upload skips every decode it can: raw blocks when every part is already in
// the plan's block type, raw f16 bits for an f16 plan, f32 otherwise. Fusions work on whole rows
// (a quantized row is whole blocks), so they are the same for every encoding:
//   'stack'      parts one after another (q, k, v → the qkv matrix)
//   'interleave' two parts of equal shape row by row: row 2i = first's i, 2i+1 = second's i
//                (gate/up → the SwiGLU pair one thread computes)
import type { WeightTensor } from '../../../model/tensor.ts';
import { FORMAT_LAYOUT, type WeightFormat } from '../plan/wafer-plan.ts';
import type { WeightData } from './kernels/shared/weights.ts';

export type MatrixLayout = 'stack' | 'interleave';

type Rows = Float32Array | Uint16Array | Uint8Array;

export function matrixData(format: WeightFormat, parts: readonly WeightTensor[], layout: MatrixLayout): WeightData {
  if (parts.length === 0) throw new Error('matrixData: no tensors');
  const rows = parts.map((t) => t.shape[0] ?? 1);
  const type = FORMAT_LAYOUT[format].blockType;
  if (type && parts.every((t) => t.dtype === type)) {
    return { type, blocks: fuse(parts.map((t) => t.bytes), rows, layout, (n) => new Uint8Array(n)) };
  }
  if (format === 'f16') return { f16Bits: fuse(parts.map((t) => t.toF16Bits()), rows, layout, (n) => new Uint16Array(n)) };
  return fuse(parts.map((t) => t.toF32()), rows, layout, (n) => new Float32Array(n));
}

function fuse<A extends Rows>(arrays: A[], rows: number[], layout: MatrixLayout, make: (n: number) => A): A {
  if (arrays.length === 1) return arrays[0]!;
  if (layout === 'stack') return concat(arrays, make);
  const [a, b] = arrays;
  if (arrays.length !== 2 || !a || !b || a.length !== b.length || rows[0] !== rows[1]) {
    throw new Error('matrixData: interleave needs two parts of one shape');
  }
  const n = rows[0]!;
  const rowLen = a.length / n;
  const out = make(2 * a.length);
  for (let i = 0; i < n; i++) {
    out.set(a.subarray(i * rowLen, (i + 1) * rowLen), 2 * i * rowLen);
    out.set(b.subarray(i * rowLen, (i + 1) * rowLen), (2 * i + 1) * rowLen);
  }
  return out;
}

export function concat<A extends Rows>(arrays: readonly A[], make: (n: number) => A): A {
  const out = make(arrays.reduce((s, a) => s + a.length, 0));
  let o = 0;
  for (const a of arrays) { out.set(a, o); o += a.length; }
  return out;
}
