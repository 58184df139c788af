// Embedding gather from a tile-major table, token ids read from a GPU buffer. Kernel: shaders/embed.wgsl.
//   ids [T] u32  ·  table [V, D] (tile-major per plan)  →  out [T, D]
import embedSource from '../../../../shaders/embed.wgsl?raw';
import { checkWorkgroups, type BufferGroup, type Dispatch, type GpuContext } from './context.ts';
import { weightPrelude, type TiledMatrix } from './matmul.ts';

const THREADS = 64;

export async function embedDispatch(
  ctx: GpuContext, group: BufferGroup, args: { table: TiledMatrix; ids: GPUBuffer; out: GPUBuffer; tokens: number },
): Promise<Dispatch> {
  const { plan } = args.table;
  const { tokens } = args;
  if (!Number.isInteger(tokens) || tokens < 1) throw new Error(`embed: tokens must be >= 1, got ${tokens}`);
  if (plan.rowsPerThread !== 1) throw new Error(`embed: table ${plan.name} must be a plain (not paired) matrix`);
  if (args.ids.size < tokens * 4) throw new Error(`embed: ids buffer holds fewer than ${tokens} ids`);
  if (args.out.size < tokens * plan.cols * 4) throw new Error(`embed: out buffer too small for [${tokens}, ${plan.cols}]`);
  const pipeline = await ctx.pipeline(`embed-${plan.format}`, weightPrelude(plan.format) + embedSource, 'main', { THREADS });
  const params = group.uniform('embed:params', new Uint32Array([
    plan.cols, tokens, plan.rows, plan.tile.rows, plan.tile.cols, plan.grid.q, 0, 0,
  ]));
  return {
    label: 'embed',
    pipeline,
    bindGroup: ctx.bindGroup(pipeline, 'embed', { 0: args.table.buffer, 1: params, 2: args.ids, 3: args.out }),
    workgroups: checkWorkgroups(ctx.device, 'embed', [Math.ceil(plan.cols / THREADS), tokens, 1]),
  };
}
