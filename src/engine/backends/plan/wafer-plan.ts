// The wafer plan: how every weight matrix W [N out, K in] is laid out over a P×Q grid of
// processing elements (PE = one workgroup, DESIGN.md §2). Plain data, so that the HUD can draw it
// and the autotune can cache it.
//
//   PE (r, c) owns tile W[r·tileRows .. , c·tileCols .. ] — stored contiguously ("tile-major"),
//   so the workgroup that owns it streams one dense block.
//   x[c-block] is broadcast down column c (P-1 wavelet hops deep);
//   the Q partial sums of a row block are reduced along the row: a chain (Q-1 serial hops, one
//   pass) or a tree (ceil(log2 Q) levels, one pass per level); Q = 1 needs no reduce.
//
// Modelled quantities (bytes per PE vs the 48 KB SRAM of a WSE-3 PE, hops, bytes per token) are
// what the wafer *would* do; what the GPU measured lives in the autotune results, never here.

import type { GridChoice, MatmulKernel, MatrixPlan, PlanSummary, WeightFormat } from '../../api/plan-types.ts';
import { PE_SRAM_BYTES } from '../../api/plan-types.ts';
import type { QuantType } from '../../../model/quant.ts';

export type { GridChoice, MatmulKernel, MatrixPlan, ReduceStrategy, WeightFormat } from '../../api/plan-types.ts';
export { PE_SRAM_BYTES };

/** Invocations per workgroup every WebGPU device allows (maxComputeInvocationsPerWorkgroup's default). */
export const MAX_WORKGROUP_THREADS = 256;
/** The subgroup kernel's lanes per row: powers of two in this range. */
export const SUBGROUP_LANES = { min: 2, max: 64 } as const;

/**
 * Per format: bytes per stored weight, the multiple of elements tile columns are padded to, and
 * for the block formats the GGML type kept. f32/f16 load four weights at a time (a vec4<f32>, or
 * two u32 of two f16 each), so a tile row starts on a group of four. A block format's tile row
 * holds whole units of its GPU layout (kernels/shared/weights-<format>.wgsl): Q8_0, Q4_0 and Q5_0 go
 * in pairs of 32-weight blocks (64 columns), Q4_K and Q6_K in single 256-weight super-blocks.
 */
export const FORMAT_LAYOUT: Readonly<Record<WeightFormat, { bytesPerElement: number; colAlign: number; blockType?: QuantType }>> = {
  f32: { bytesPerElement: 4, colAlign: 4 },
  f16: { bytesPerElement: 2, colAlign: 4 },
  q8_0: { bytesPerElement: 34 / 32, colAlign: 64, blockType: 'Q8_0' },
  q4_0: { bytesPerElement: 18 / 32, colAlign: 64, blockType: 'Q4_0' },
  q5_0: { bytesPerElement: 22 / 32, colAlign: 64, blockType: 'Q5_0' },
  q4_k: { bytesPerElement: 144 / 256, colAlign: 256, blockType: 'Q4_K' },
  q6_k: { bytesPerElement: 212 / 256, colAlign: 256, blockType: 'Q6_K' },
};

/** The GPU format that keeps a GGML block type as it is. */
export const formatForBlocks = (type: QuantType): WeightFormat =>
  (Object.keys(FORMAT_LAYOUT) as WeightFormat[]).find((f) => FORMAT_LAYOUT[f].blockType === type)!;

const ceilDiv = (a: number, b: number) => Math.ceil(a / b);
const roundUp = (a: number, b: number) => ceilDiv(a, b) * b;
const isPowerOfTwo = (n: number) => n > 0 && (n & (n - 1)) === 0;

/** Lays one matrix out on a grid. Throws with the reason when the choice cannot work. */
export function planMatrix(
  name: string, rows: number, cols: number, format: WeightFormat, choice: GridChoice, rowsPerThread = 1,
): MatrixPlan {
  for (const [what, v] of [['rows', rows], ['cols', cols], ['tileRows', choice.tileRows], ['colTiles', choice.colTiles]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`plan ${name}: ${what} must be a positive integer, got ${v}`);
  }
  if (choice.tileRows % rowsPerThread !== 0) {
    throw new Error(`plan ${name}: tileRows ${choice.tileRows} must be a multiple of rowsPerThread ${rowsPerThread}`);
  }
  if (rows % rowsPerThread !== 0) throw new Error(`plan ${name}: rows ${rows} must be a multiple of rowsPerThread ${rowsPerThread}`);
  const kernel: MatmulKernel = choice.kernel ?? 'rows';
  const lanes = kernel === 'subgroup' ? choice.lanes ?? 0 : 1;
  if (kernel === 'subgroup' && !(isPowerOfTwo(lanes) && lanes >= SUBGROUP_LANES.min && lanes <= SUBGROUP_LANES.max)) {
    throw new Error(`plan ${name}: the subgroup kernel needs lanes a power of two in ${SUBGROUP_LANES.min}..${SUBGROUP_LANES.max}, got ${choice.lanes}`);
  }
  if (kernel !== 'subgroup' && choice.lanes !== undefined && choice.lanes !== 1) throw new Error(`plan ${name}: lanes is for the subgroup kernel only`);
  if (choice.rowStats && rowsPerThread !== 1) throw new Error(`plan ${name}: row statistics need one row per thread`);
  const threads = (choice.tileRows / rowsPerThread) * lanes;
  if (threads > MAX_WORKGROUP_THREADS) throw new Error(`plan ${name}: ${threads} threads per workgroup is over ${MAX_WORKGROUP_THREADS}`);
  const q = choice.colTiles;
  const { bytesPerElement: bpe, colAlign } = FORMAT_LAYOUT[format];
  if (q > ceilDiv(cols, colAlign)) throw new Error(`plan ${name}: Q=${q} tile columns is more than K=${cols} allows`);
  if (q > 1 && choice.reduce === 'tree' && !isPowerOfTwo(q)) throw new Error(`plan ${name}: a tree reduce needs Q a power of two, got ${q}`);
  const tileCols = roundUp(ceilDiv(cols, q), colAlign);
  const tileRows = choice.tileRows;
  const p = ceilDiv(rows, tileRows);
  const storedElements = p * q * tileRows * tileCols;
  const bytesOwned = tileRows * tileCols * bpe;
  const reduce = q === 1 ? 'none' : choice.reduce;
  const reduceHops = reduce === 'none' ? 0 : reduce === 'chain' ? q - 1 : Math.ceil(Math.log2(q));
  const partialBytes = q > 1 ? 2 * q * rows * 4 : 0; // written by the tiles, read by the reduce
  return {
    name, rows, cols, format, rowsPerThread, kernel, lanes, normPrologue: choice.normPrologue ?? false, f16Math: choice.f16Math ?? false, rowStats: choice.rowStats ?? false,
    grid: { p, q },
    tile: { rows: tileRows, cols: tileCols },
    reduce,
    storedElements,
    storedBytes: storedElements * bpe,
    pe: { bytesOwned, fitsSram: bytesOwned <= PE_SRAM_BYTES, broadcastHops: p - 1, reduceHops },
    bytesPerToken: storedElements * bpe + p * q * tileCols * 4 + partialBytes + rows * 4,
    reducePasses: reduce === 'none' ? 0 : reduce === 'chain' ? 1 : Math.ceil(Math.log2(q)),
  };
}

/**
 * The grids the autotune times for one matrix shape. First the other tile passes on one tile
 * column (interleaved at a few heights, and subgroup at each of `subgroupLanes`, the lane counts
 * this device can run), so a tight budget still times them; then tile heights that are workgroup
 * sizes worth trying, × a few column splits, × both reduces when Q > 1. Small on purpose — each
 * candidate costs a pipeline compile and a few timed dispatches at load.
 */
export function candidateGrids(
  rows: number, cols: number, rowsPerThread = 1, format: WeightFormat = 'f32', subgroupLanes: readonly number[] = [],
): GridChoice[] {
  const out: GridChoice[] = [];
  const heights = [32, 64, 128].filter((threads) => !(threads * rowsPerThread > 2 * roundUp(rows, 32) && threads > 32));
  for (const threads of [64, 32, 128].filter((t) => heights.includes(t))) {
    out.push({ tileRows: threads * rowsPerThread, colTiles: 1, reduce: 'chain', kernel: 'interleaved' });
  }
  // A subgroup workgroup holds 256 or 128 threads: 256 / lanes or 128 / lanes rows (one warp per
  // row at 32 lanes: 8 or 4 rows).
  for (const lanes of subgroupLanes) {
    for (const threads of [MAX_WORKGROUP_THREADS, MAX_WORKGROUP_THREADS / 2]) {
      if (threads >= lanes) out.push({ tileRows: (threads / lanes) * rowsPerThread, colTiles: 1, reduce: 'chain', kernel: 'subgroup', lanes });
    }
  }
  for (const threads of heights) {
    const tileRows = threads * rowsPerThread;
    for (const q of [1, 2, 4]) {
      if (q > ceilDiv(cols, FORMAT_LAYOUT[format].colAlign)) continue;
      if (q === 1) out.push({ tileRows, colTiles: 1, reduce: 'chain' });
      else for (const reduce of ['chain', 'tree'] as const) out.push({ tileRows, colTiles: q, reduce });
    }
  }
  return out;
}

/** The same grid: shape, reduce and tile pass. */
export function sameGrid(a: GridChoice, b: GridChoice): boolean {
  return a.tileRows === b.tileRows && a.colTiles === b.colTiles && a.reduce === b.reduce
    && (a.kernel ?? 'rows') === (b.kernel ?? 'rows') && (a.lanes ?? 1) === (b.lanes ?? 1) && !!a.normPrologue === !!b.normPrologue && !!a.f16Math === !!b.f16Math && !!a.rowStats === !!b.rowStats;
}

/** The choice a plan was made from. */
export function gridOf(plan: MatrixPlan): GridChoice {
  return {
    tileRows: plan.tile.rows, colTiles: plan.grid.q, reduce: plan.reduce === 'none' ? 'chain' : plan.reduce,
    ...(plan.kernel === 'rows' ? {} : { kernel: plan.kernel }), ...(plan.kernel === 'subgroup' ? { lanes: plan.lanes } : {}),
    ...(plan.normPrologue ? { normPrologue: true } : {}), ...(plan.f16Math ? { f16Math: true } : {}), ...(plan.rowStats ? { rowStats: true } : {}),
  };
}

/** "64x1", "32x2 tree", "64x1 interleaved", "32x1 subgroup/8": a grid in a few characters (tests, bench). */
export function describeGrid(g: GridChoice): string {
  const kernel = g.kernel === 'subgroup' ? ` subgroup/${g.lanes}` : g.kernel === 'interleaved' ? ' interleaved' : '';
  return `${g.tileRows}x${g.colTiles}${g.colTiles > 1 ? ` ${g.reduce}` : ''}${kernel}${g.normPrologue ? ' +norm' : ''}${g.f16Math ? ' f16-math' : ''}${g.rowStats ? ' +argmax' : ''}`;
}

/**
 * f32 words of partial sums a matmul over `tokens` tokens needs: [Q, T, N], and with the norm
 * prologue each tile column's Σ x² per token [Q, T] after them (matmul.wgsl); 0 when Q = 1.
 */
export function partialFloats(plan: Pick<MatrixPlan, 'grid' | 'rows' | 'normPrologue'>, tokens: number): number {
  const q = plan.grid.q;
  return q > 1 ? q * tokens * (plan.rows + (plan.normPrologue ? 1 : 0)) : 0;
}

/**
 * The grid used without an autotune: one thread per row, 64 rows per tile, no K split — the
 * fastest shape measured on SwiftShader (no barriers, no reduce pass) and a sane start elsewhere.
 */
export function defaultGrid(rowsPerThread = 1): GridChoice {
  return { tileRows: 64 * rowsPerThread, colTiles: 1, reduce: 'chain' };
}

/** Index of W[n, k] in the tile-major buffer of `plan` (in elements), in the plan's tile layout. */
export function tileMajorIndex(plan: MatrixPlan, n: number, k: number): number {
  const { rows: tr, cols: tc } = plan.tile;
  const r = Math.floor(n / tr), c = Math.floor(k / tc);
  const tileBase = (r * plan.grid.q + c) * tr * tc;
  if (plan.kernel !== 'interleaved') return tileBase + (n % tr) * tc + (k % tc);
  const unit = FORMAT_LAYOUT[plan.format].colAlign;
  return tileBase + (Math.floor((k % tc) / unit) * tr + (n % tr)) * unit + (k % unit);
}

/**
 * The 'interleaved' tile layout from the row-by-row one, in place: inside every tile, unit u of
 * row j moves to slot u·tileRows + j (a unit is the format's column alignment: four floats, or
 * one packed block group). Works on the packed words, so it serves every format.
 */
export function interleaveTiles(plan: MatrixPlan, data: Uint8Array): Uint8Array {
  const { rows: tr, cols: tc } = plan.tile;
  const { colAlign, bytesPerElement } = FORMAT_LAYOUT[plan.format];
  const unitWords = (colAlign * bytesPerElement) / 4; // every format's unit is whole u32 words
  const units = tc / colAlign;
  const tileWords = tr * units * unitWords;
  if (data.byteLength !== plan.grid.p * plan.grid.q * tileWords * 4 || data.byteOffset % 4 !== 0) {
    throw new Error(`plan ${plan.name}: ${data.byteLength} bytes is not the plan's ${plan.grid.p * plan.grid.q} tiles of ${tileWords * 4}`);
  }
  const words = new Uint32Array(data.buffer, data.byteOffset, data.byteLength / 4);
  const tile = new Uint32Array(tileWords);
  for (let at = 0; at < words.length; at += tileWords) {
    tile.set(words.subarray(at, at + tileWords));
    for (let j = 0; j < tr; j++) {
      for (let u = 0; u < units; u++) {
        const from = (j * units + u) * unitWords, to = at + (u * tr + j) * unitWords;
        for (let w = 0; w < unitWords; w++) words[to + w] = tile[from + w]!;
      }
    }
  }
  return data;
}

/**
 * Rearranges a row-major W [N, K] into the plan's tile-major order, row by row (interleaveTiles
 * then makes the 'interleaved' layout), zero padded. Works on any
 * element array (f32 values or raw f16 bits), so f16 weights never round-trip through f32.
 */
export function toTileMajor<A extends Float32Array | Uint16Array>(plan: MatrixPlan, w: A, make: (n: number) => A): A {
  if (w.length !== plan.rows * plan.cols) {
    throw new Error(`plan ${plan.name}: weight has ${w.length} values, expected ${plan.rows}x${plan.cols}`);
  }
  const out = make(plan.storedElements);
  const { rows: tr, cols: tc } = plan.tile;
  const q = plan.grid.q;
  for (let n = 0; n < plan.rows; n++) {
    const r = Math.floor(n / tr), inRow = n % tr;
    for (let c = 0; c < q; c++) {
      const k0 = c * tc, k1 = Math.min(plan.cols, k0 + tc);
      if (k0 >= k1) continue;
      const dst = ((r * q + c) * tr + inRow) * tc;
      out.set(w.subarray(n * plan.cols + k0, n * plan.cols + k1), dst);
    }
  }
  return out;
}

/** Totals over a model's matrices: what the HUD's wafer view summarises. */
export function summarisePlans(plans: readonly MatrixPlan[]): PlanSummary {
  let pes = 0, bytesPerToken = 0, storedBytes = 0, overBudget = 0;
  for (const m of plans) {
    pes += m.grid.p * m.grid.q;
    bytesPerToken += m.bytesPerToken;
    storedBytes += m.storedBytes;
    if (!m.pe.fitsSram) overBudget++;
  }
  return { matrices: plans.length, pes, bytesPerToken, storedBytes, matricesOverSramBudget: overBudget };
}
