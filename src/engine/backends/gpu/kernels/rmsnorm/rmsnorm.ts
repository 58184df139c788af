// RMSNorm, one thread per token row. Kernel: rmsnorm.wgsl.
//   x [inRow + T, D] → out [T, D] = x[inRow + t] / rms · weight
import rmsnormSource from './rmsnorm.wgsl?raw';
import { checkWorkgroups, type BufferGroup, type Dispatch, type GpuContext } from '../../context.ts';
import { kernelShader, uniformStruct } from '../uniforms.ts';

const THREADS = 64;

const Params = uniformStruct('Params', [
  ['dim', 'u32', 'D'],
  ['tokens', 'u32', 'T'],
  ['in_row', 'u32', 'first row of x to normalise'],
  ['eps', 'f32'],
]);

export const SHADER = kernelShader(rmsnormSource, [Params]);

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
  const pipeline = await ctx.pipeline('rmsnorm', SHADER.code, 'main', { THREADS });
  const params = group.uniform('rmsnorm:params', Params.pack({ dim, tokens, in_row: inRow, eps }));
  const label = args.label ?? 'rmsnorm';
  return {
    label, pipeline,
    bindGroup: ctx.bindGroup(pipeline, label, { 0: params, 1: args.x, 2: args.weight, 3: args.out }),
    workgroups: checkWorkgroups(ctx.device, label, [Math.ceil(tokens / THREADS), 1, 1]),
  };
}
