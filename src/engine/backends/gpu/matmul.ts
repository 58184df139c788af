// Tiled GEMV (T = 1) / GEMM (T > 1) over tile-major weights, with the chain/tree partial-sum
// reduce when the plan splits K (Q > 1). Kernel: shaders/matmul.wgsl.
//
//   x [T, K] (row stride xStride)  ·  W [N, K] (tile-major per plan)  →  out [T, N] (stride outStride)
//   epilogue 'store' | 'residual' (out += …) | 'swiglu' (rows interleaved gate/up → out [T, N/2])

import matmulSource from '../../../../shaders/matmul.wgsl?raw';
import f32Prelude from '../../../../shaders/weights_f32.wgsl?raw';
import f16Prelude from '../../../../shaders/weights_f16.wgsl?raw';
import { toTileMajor, type MatrixPlan, type WeightFormat } from '../plan/wafer-plan.ts';
import { f32ArrayToF16 } from '../../../model/half.ts';
import { checkWorkgroups, type BufferGroup, type Dispatch, type GpuContext } from './context.ts';

export type Epilogue = 'store' | 'residual' | 'swiglu';
const EPILOGUE_CODE: Record<Epilogue, number> = { store: 0, residual: 1, swiglu: 2 };

/** Tokens per thread in the batched (prefill/verify) path: each weight load feeds 4 tokens. */
export const GEMM_TOKENS_PER_THREAD = 4;

export function weightPrelude(format: WeightFormat): string {
  return format === 'f16' ? f16Prelude : f32Prelude;
}

/** A weight matrix resident on the GPU in its plan's tile-major order. */
export interface TiledMatrix {
  plan: MatrixPlan;
  buffer: GPUBuffer;
}

/**
 * Uploads W [N, K] (row-major f32 values, or raw f16 bits when the checkpoint is f16) in the
 * plan's tile-major order and format. f32 → f16 rounds to nearest even.
 */
export function uploadTiled(group: BufferGroup, plan: MatrixPlan, values: Float32Array | null, f16Bits?: Uint16Array): TiledMatrix {
  let data: ArrayBufferView;
  if (plan.format === 'f16') {
    const bits = f16Bits ?? (values ? f32ArrayToF16(values) : null);
    if (!bits) throw new Error(`uploadTiled ${plan.name}: no data`);
    data = toTileMajor(plan, bits, (n) => new Uint16Array(n));
  } else {
    if (!values) throw new Error(`uploadTiled ${plan.name}: f32 storage needs f32 values`);
    data = toTileMajor(plan, values, (n) => new Float32Array(n));
  }
  return { plan, buffer: group.storage(`w:${plan.name}`, data) };
}

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
}

function pipelineFor(ctx: GpuContext, plan: MatrixPlan, entry: string, tokensPerThread: number) {
  const threads = plan.tile.rows / plan.rowsPerThread;
  return ctx.pipeline(`matmul-${plan.format}`, weightPrelude(plan.format) + matmulSource, entry, {
    THREADS: entry === 'tile_main' ? threads : 64,
    ROWS_PER_THREAD: plan.rowsPerThread,
    TOKENS_PER_THREAD: tokensPerThread,
  });
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
  if (xStride < plan.cols) throw new Error(`matmul ${name}: xStride ${xStride} < K ${plan.cols}`);
  if (outStride < outCols) throw new Error(`matmul ${name}: outStride ${outStride} < ${outCols}`);
  if (args.x.size < ((tokens - 1) * xStride + plan.cols) * 4) throw new Error(`matmul ${name}: x buffer too small for ${tokens} tokens`);
  if (args.out.size < ((tokens - 1) * outStride + outCols) * 4) throw new Error(`matmul ${name}: out buffer too small for ${tokens} tokens`);
  const q = plan.grid.q;
  if (q > 1 && (!args.partials || args.partials.size < q * tokens * plan.rows * 4)) {
    throw new Error(`matmul ${name}: Q=${q} needs a partials buffer of ${q * tokens * plan.rows * 4} bytes`);
  }
  const tokensPerThread = tokens === 1 ? 1 : GEMM_TOKENS_PER_THREAD;
  // Two placeholders, never one: a buffer bound read-only (bias) and writable (partials) in one
  // dispatch is a usage conflict, and WebGPU then drops the whole command buffer silently.
  const bias = args.bias ?? group.create(`${name}:no-bias`, 16, GPUBufferUsage.STORAGE);
  const partials = args.partials ?? group.create(`${name}:no-partials`, 16, GPUBufferUsage.STORAGE);
  const uniformFor = (treeStride: number) => group.uniform(`${name}:params`, new Uint32Array([
    plan.rows, plan.cols, tokens, plan.tile.rows, plan.tile.cols, q,
    EPILOGUE_CODE[epilogue], args.bias ? 1 : 0, xStride, outStride, treeStride, 0,
  ]));
  const params = uniformFor(0);
  const out: Dispatch[] = [];
  const tile = await pipelineFor(ctx, plan, 'tile_main', tokensPerThread);
  out.push({
    label: `${name}.tiles`,
    pipeline: tile,
    bindGroup: ctx.bindGroup(tile, name, { 0: args.weights.buffer, 1: params, 2: args.x, 3: bias, 4: args.out, 5: partials }),
    workgroups: checkWorkgroups(ctx.device, name, [plan.grid.p, q, Math.ceil(tokens / tokensPerThread)]),
  });
  if (q === 1) return out;
  const reduceWg = Math.ceil(plan.rows / plan.rowsPerThread / 64);
  if (plan.reduce === 'chain') {
    const p = await pipelineFor(ctx, plan, 'reduce_chain', tokensPerThread);
    out.push({
      label: `${name}.reduce-chain`, pipeline: p,
      bindGroup: ctx.bindGroup(p, `${name}:chain`, { 1: params, 3: bias, 4: args.out, 5: partials }),
      workgroups: checkWorkgroups(ctx.device, name, [reduceWg, tokens, 1]),
    });
  } else {
    const p = await pipelineFor(ctx, plan, 'reduce_tree', tokensPerThread);
    for (let stride = q / 2; stride >= 1; stride /= 2) {
      out.push({
        label: `${name}.reduce-tree/${stride}`, pipeline: p,
        bindGroup: ctx.bindGroup(p, `${name}:tree${stride}`, { 1: uniformFor(stride), 3: bias, 4: args.out, 5: partials }),
        workgroups: checkWorkgroups(ctx.device, name, [reduceWg, tokens, stride]),
      });
    }
  }
  return out;
}
