// Tiled GEMV (T = 1) / GEMM (T > 1) over tile-major weights, with the chain/tree partial-sum
// reduce when the plan splits K (Q > 1). Kernel: matmul.wgsl.
//
//   x [T, K] (row stride xStride)  ·  W [N, K] (tile-major per plan)  →  out [T, N] (stride outStride)
//   epilogue 'store' | 'residual' (out += …) | 'swiglu' (rows interleaved gate/up → out [T, N/2])
//   tile pass per the plan's kernel: 'rows' and 'interleaved' run tile_main (the layout is an
//   override), 'subgroup' runs matmul-subgroup's tile_subgroup on the same module; with the plan's
//   f16Math its products are matmul-f16's halves.
//   plan.normPrologue: x is the residual stream, normalised in the pass (args.norm: the RMSNorm's
//   weight and eps), rows xRow.. of it — the norm dispatch before the matrix is gone.

import matmulSource from './matmul.wgsl?raw';
import wxF32 from '../shared/wx-f32.wgsl?raw';
import { FORMAT_LAYOUT, partialFloats, type MatrixPlan, type WeightFormat } from '../../../plan/wafer-plan.ts';
import { BufferGroup, checkWorkgroups, readBuffer, runDispatches, type Dispatch, type GpuContext } from '../../context.ts';
import { weightPrelude, type TiledMatrix } from '../shared/weights.ts';
import { kernelShader, uniformStruct } from '../uniforms.ts';
import { LANE_CHECK_ENTRY, SHADER as SUBGROUP_SHADER, SUBGROUP_ENABLE, SUBGROUP_ENTRY, SUBGROUP_STATS_ENTRY, subgroupLanesFit } from '../matmul-subgroup/matmul-subgroup.ts';
import { F16_ENABLE, SHADER as F16_SHADER, f16MathFits } from '../matmul-f16/matmul-f16.ts';

export type Epilogue = 'store' | 'residual' | 'swiglu';
/** The EPILOGUE_* constants of matmul.wgsl. */
const EPILOGUE_CODE: Record<Epilogue, number> = { store: 0, residual: 1, swiglu: 2 };

/** Tokens per thread in the batched (prefill/verify) path: each weight load feeds 4 tokens. */
export const GEMM_TOKENS_PER_THREAD = 4;

const Params = uniformStruct('Params', [
  ['rows', 'u32', 'N: weight rows (2 × intermediate for the SwiGLU pair)'],
  ['cols', 'u32', 'K'],
  ['tokens', 'u32', 'T'],
  ['tile_rows', 'u32'],
  ['tile_cols', 'u32', 'multiple of 4'],
  ['col_tiles', 'u32', 'Q'],
  ['epilogue', 'u32', 'EPILOGUE_*'],
  ['has_bias', 'u32'],
  ['x_stride', 'u32', 'elements between consecutive tokens in x'],
  ['out_stride', 'u32', 'elements between consecutive tokens in out'],
  ['tree_stride', 'u32', 'reduce_tree: this level adds partial c + tree_stride into c'],
  ['row_block_base', 'u32', 'tile_main: the row block the bound weight part starts at'],
  ['x_row', 'u32', 'first row of x read'],
  ['norm_eps', 'f32', 'the RMSNorm eps (NORM)'],
  ['stat_parts', 'u32', 'the *_stats entry points: entries per token in row_stats'],
]);

export const SHADER = kernelShader(matmulSource, [Params]);

export interface MatmulArgs {
  weights: TiledMatrix;
  bias?: GPUBuffer;
  x: GPUBuffer;
  out: GPUBuffer;
  /** [Q, T, N] f32 scratch; required when the plan has Q > 1. */
  partials?: GPUBuffer;
  tokens: number;
  epilogue: Epilogue;
  xStride?: number;
  outStride?: number;
  /** First row of x read (default 0): the final norm's rows before lm_head. */
  xRow?: number;
  /** The RMSNorm folded into the pass: required exactly when the plan has normPrologue. */
  norm?: { weight: GPUBuffer; eps: number };
  /**
   * Required exactly when the plan has rowStats (the lm_head): per token, rowStatParts(plan)
   * entries of (max, argmax, Σ exp(v − max)) over the workgroups' outputs, [T, parts, 3] u32
   * (floats as bits), for the sampler. Store epilogue.
   */
  rowStats?: GPUBuffer;
}

/** Threads per workgroup of the reduce passes. */
const REDUCE_THREADS = 64;

/**
 * The row-statistics entries per token a plan writes: one per workgroup of the pass that applies
 * the epilogue (the tile pass's row blocks with one tile column, else the reduce's workgroups).
 */
export const rowStatParts = (plan: MatrixPlan): number =>
  (plan.grid.q === 1 ? plan.grid.p : Math.ceil(plan.rows / plan.rowsPerThread / REDUCE_THREADS));

/** The plan's tile pass: its module, entry point and constants. */
function tilePipeline(ctx: GpuContext, plan: MatrixPlan, tokensPerThread: number, rowStats: boolean) {
  const constants = {
    THREADS: (plan.tile.rows / plan.rowsPerThread) * plan.lanes,
    ROWS_PER_THREAD: plan.rowsPerThread,
    TOKENS_PER_THREAD: tokensPerThread,
    INTERLEAVED: plan.kernel === 'interleaved' ? 1 : 0,
    UNIT_GROUPS: FORMAT_LAYOUT[plan.format].colAlign / 4,
    NORM: plan.normPrologue ? 1 : 0,
  };
  if (plan.f16Math && !f16MathFits(ctx.device)) {
    throw new Error(`matmul ${plan.name}: f16 maths needs the shader-f16 feature, which this device was not opened with`);
  }
  const f16 = plan.f16Math ? '-f16math' : '';
  if (plan.kernel !== 'subgroup') return ctx.pipeline(`matmul-${plan.format}${f16}`, moduleCode(plan.format, false, plan.f16Math), rowStats ? 'tile_main_stats' : 'tile_main', constants);
  if (!subgroupLanesFit(ctx.device, plan.lanes)) {
    throw new Error(`matmul ${plan.name}: the subgroup kernel with ${plan.lanes} lanes needs the subgroups feature and subgroups of at least ${plan.lanes} (this device: ${ctx.device.features.has('subgroups') ? `min ${ctx.device.adapterInfo?.subgroupMinSize ?? '?'}` : 'no subgroups'})`);
  }
  return ctx.pipeline(`matmul-subgroup-${plan.format}${f16}`, moduleCode(plan.format, true, plan.f16Math), rowStats ? SUBGROUP_STATS_ENTRY : SUBGROUP_ENTRY, { ...constants, LANES: plan.lanes });
}

/** One matmul module: the directives, the weight prelude, matmul.wgsl, the subgroup pass if asked, and the product (`wx`) in f32 or f16. */
const moduleCode = (format: WeightFormat, subgroup: boolean, f16Math: boolean) =>
  (f16Math ? F16_ENABLE : '') + (subgroup ? SUBGROUP_ENABLE : '') + weightPrelude(format) + SHADER.code
  + (subgroup ? SUBGROUP_SHADER.code : '') + (f16Math ? F16_SHADER.code : wxF32);

/**
 * Runs matmul-subgroup's `lane_check` with `threads` invocations: true when every row's `lanes`
 * invocations are shuffle partners in order, which tile_subgroup assumes (subgroups made of
 * consecutive invocations: what drivers do, though nothing in WebGPU promises it).
 */
export async function subgroupLanesHold(ctx: GpuContext, threads: number, lanes: number): Promise<boolean> {
  if (!subgroupLanesFit(ctx.device, lanes)) return false;
  const pipeline = await ctx.pipeline('matmul-subgroup-check', moduleCode('f32', true, false), LANE_CHECK_ENTRY, { THREADS: threads, LANES: lanes });
  using group = new BufferGroup(ctx.device, 'lane-check');
  const out = group.create('out', threads * 4, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC);
  await runDispatches(ctx.device, [{ label: 'lane-check', pipeline, bindGroup: ctx.bindGroup(pipeline, 'lane-check', { 4: out }), workgroups: [1, 1, 1] }]);
  return new Float32Array(await readBuffer(ctx.device, out, threads * 4)).every((v) => v === 1);
}

function reducePipeline(ctx: GpuContext, plan: MatrixPlan, entry: 'reduce_chain' | 'reduce_tree', rowStats: boolean) {
  return ctx.pipeline(`matmul-${plan.format}`, moduleCode(plan.format, false, false), rowStats ? `${entry}_stats` : entry,
    { THREADS: REDUCE_THREADS, ROWS_PER_THREAD: plan.rowsPerThread, NORM: plan.normPrologue ? 1 : 0 });
}

/** The dispatches for one matmul (tile pass + reduce passes). Uniforms are allocated in `group`. */
export async function matmulDispatches(ctx: GpuContext, group: BufferGroup, args: MatmulArgs): Promise<Dispatch[]> {
  const { plan } = args.weights;
  const { tokens, epilogue } = args;
  const name = plan.name;
  const xStride = args.xStride ?? plan.cols;
  const outCols = epilogue === 'swiglu' ? plan.rows / 2 : plan.rows;
  const outStride = args.outStride ?? outCols;
  if (!Number.isInteger(tokens) || tokens < 1) throw new Error(`matmul ${name}: tokens must be >= 1, got ${tokens}`);
  if ((epilogue === 'swiglu') !== (plan.rowsPerThread === 2)) {
    throw new Error(`matmul ${name}: the swiglu epilogue needs a plan with rowsPerThread 2 (and only it)`);
  }
  const xRow = args.xRow ?? 0;
  if (xStride < plan.cols) throw new Error(`matmul ${name}: xStride ${xStride} < K ${plan.cols}`);
  if (outStride < outCols) throw new Error(`matmul ${name}: outStride ${outStride} < ${outCols}`);
  if (!Number.isInteger(xRow) || xRow < 0) throw new Error(`matmul ${name}: xRow must be a whole number >= 0, got ${xRow}`);
  if (args.x.size < ((xRow + tokens - 1) * xStride + plan.cols) * 4) throw new Error(`matmul ${name}: x buffer too small for rows ${xRow}..${xRow + tokens}`);
  if (!!args.norm !== plan.normPrologue) {
    throw new Error(`matmul ${name}: ${plan.normPrologue ? 'the plan folds the RMSNorm in, so the norm weight and eps are needed' : 'a norm was given, but the plan has no norm prologue'}`);
  }
  if (args.norm && args.norm.weight.size < plan.cols * 4) throw new Error(`matmul ${name}: the norm weight holds fewer than K=${plan.cols} values`);
  if (args.norm && !(args.norm.eps >= 0)) throw new Error(`matmul ${name}: the norm eps must be >= 0, got ${args.norm.eps}`);
  if (args.out.size < ((tokens - 1) * outStride + outCols) * 4) throw new Error(`matmul ${name}: out buffer too small for ${tokens} tokens`);
  const q = plan.grid.q;
  if (!!args.rowStats !== plan.rowStats) {
    throw new Error(`matmul ${name}: ${plan.rowStats ? 'the plan writes row statistics, so their buffer is needed' : 'a row statistics buffer was given, but the plan writes none'}`);
  }
  if (args.rowStats && epilogue !== 'store') throw new Error(`matmul ${name}: row statistics need the store epilogue`);
  if (args.rowStats && args.rowStats.size < tokens * rowStatParts(plan) * 3 * 4) {
    throw new Error(`matmul ${name}: the row statistics buffer holds fewer than ${tokens} × ${rowStatParts(plan)} entries`);
  }
  const partialBytes = partialFloats(plan, tokens) * 4;
  if (q > 1 && (!args.partials || args.partials.size < partialBytes)) {
    throw new Error(`matmul ${name}: Q=${q} needs a partials buffer of ${partialBytes} bytes`);
  }
  const tokensPerThread = tokens === 1 ? 1 : GEMM_TOKENS_PER_THREAD;
  // Two placeholders, never one: a buffer bound read-only (bias) and writable (partials) in one
  // dispatch is a usage conflict, and WebGPU then drops the whole command buffer silently.
  const bias = args.bias ?? group.create(`${name}:no-bias`, 16, GPUBufferUsage.STORAGE);
  const partials = args.partials ?? group.create(`${name}:no-partials`, 16, GPUBufferUsage.STORAGE);
  const normWeight = args.norm?.weight ?? group.create(`${name}:no-norm`, 16, GPUBufferUsage.STORAGE);
  const stats: Record<number, GPUBuffer> = args.rowStats ? { 7: args.rowStats } : {}; // bound by the *_stats entries only
  const uniformFor = (treeStride: number, rowBlockBase = 0) => group.uniform(`${name}:params`, Params.pack({
    rows: plan.rows, cols: plan.cols, tokens, tile_rows: plan.tile.rows, tile_cols: plan.tile.cols, col_tiles: q,
    epilogue: EPILOGUE_CODE[epilogue], has_bias: args.bias ? 1 : 0, x_stride: xStride, out_stride: outStride, tree_stride: treeStride,
    row_block_base: rowBlockBase, x_row: xRow, norm_eps: args.norm?.eps ?? 0, stat_parts: args.rowStats ? rowStatParts(plan) : 0,
  }));
  const params = uniformFor(0);
  const out: Dispatch[] = [];
  const tile = await tilePipeline(ctx, plan, tokensPerThread, !!args.rowStats && q === 1);
  // One tile pass per weight part (a matrix over the binding limit is split in row blocks); the
  // parts write disjoint rows of out (or of the partial sums, which the reduce reads whole).
  for (const [i, part] of args.weights.parts.entries()) {
    const label = args.weights.parts.length === 1 ? name : `${name}#${i}`;
    out.push({
      label: `${label}.tiles`,
      pipeline: tile,
      bindGroup: ctx.bindGroup(tile, label, { 0: part.buffer, 1: part.firstRowBlock === 0 ? params : uniformFor(0, part.firstRowBlock), 2: args.x, 3: bias, 4: args.out, 5: partials, 6: normWeight, ...(q === 1 ? stats : {}) }),
      workgroups: checkWorkgroups(ctx.device, name, [part.rowBlocks, q, Math.ceil(tokens / tokensPerThread)]),
    });
  }
  if (q === 1) return out;
  const reduceWg = Math.ceil(plan.rows / plan.rowsPerThread / REDUCE_THREADS);
  if (plan.reduce === 'chain') {
    const p = await reducePipeline(ctx, plan, 'reduce_chain', !!args.rowStats);
    out.push({
      label: `${name}.reduce-chain`, pipeline: p,
      bindGroup: ctx.bindGroup(p, `${name}:chain`, { 1: params, 3: bias, 4: args.out, 5: partials, ...stats }),
      workgroups: checkWorkgroups(ctx.device, name, [reduceWg, tokens, 1]),
    });
  } else {
    const p = await reducePipeline(ctx, plan, 'reduce_tree', false);
    // Only the last level applies the epilogue, so only it writes the statistics.
    const last = args.rowStats ? await reducePipeline(ctx, plan, 'reduce_tree', true) : p;
    for (let stride = q / 2; stride >= 1; stride /= 2) {
      const pipeline = stride === 1 ? last : p;
      out.push({
        label: `${name}.reduce-tree/${stride}`, pipeline,
        bindGroup: ctx.bindGroup(pipeline, `${name}:tree${stride}`, { 1: uniformFor(stride), 3: bias, 4: args.out, 5: partials, ...(stride === 1 ? stats : {}) }),
        workgroups: checkWorkgroups(ctx.device, name, [reduceWg, tokens, stride]),
      });
    }
  }
  return out;
}
