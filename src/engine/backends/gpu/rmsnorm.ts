// RMSNorm, one thread per token row. Kernel: shaders/rmsnorm.wgsl.
//   x [inRow + T, D] → out [T, D] = x[inRow + t] / rms · weight
import rmsnormSource from '../../../../shaders/rmsnorm.wgsl?raw';
import { checkWorkgroups, type BufferGroup, type Dispatch, type GpuContext } from './context.ts';

const THREADS = 64;

export async function rmsnormDispatch(
  ctx: GpuContext, group: BufferGroup,
  args: { x: GPUBuffer; weight: GPUBuffer; out: GPUBuffer; dim: number; tokens: number; eps: number; inRow?: number; label?: string },
): Promise<Dispatch> {
  const { dim, tokens, eps } = args;
  const inRow = args.inRow ?? 0;
  if (!Number.isInteger(tokens) || tokens < 1) throw new Error(`rmsnorm: tokens must be >= 1, got ${tokens}`);
  if (args.weight.size < dim * 4) throw new Error(`rmsnorm: weight holds fewer than D=${dim} values`);
  if (args.x.size < (inRow + tokens) * dim * 4) throw new Error(`rmsnorm: x too small for rows ${inRow}..${inRow + tokens}`);
  if (args.out.size < tokens * dim * 4) throw new Error('rmsnorm: out too small');
  if (!(eps >= 0)) throw new Error(`rmsnorm: eps must be >= 0, got ${eps}`);
  const pipeline = await ctx.pipeline('rmsnorm', rmsnormSource, 'main', { THREADS });
  const words = new Uint32Array(4);
  words.set([dim, tokens, inRow]);
  new Float32Array(words.buffer)[3] = eps;
  const params = group.uniform('rmsnorm:params', words);
  const label = args.label ?? 'rmsnorm';
  return {
    label, pipeline,
    bindGroup: ctx.bindGroup(pipeline, label, { 0: params, 1: args.x, 2: args.weight, 3: args.out }),
    workgroups: checkWorkgroups(ctx.device, label, [Math.ceil(tokens / THREADS), 1, 1]),
  };
}
