// Embedding gather from a tile-major table, token ids read from a GPU buffer. Kernel: embed.wgsl.
//   ids [T] u32  ·  table [V, D] (tile-major per plan)  →  out [T, D]
import embedSource from './embed.wgsl?raw';
import { FORMAT_LAYOUT } from '../../../plan/wafer-plan.ts';
import { checkWorkgroups, type BufferGroup, type Dispatch, type GpuContext } from '../../context.ts';
import { weightPrelude, type TiledMatrix } from '../shared/weights.ts';
import { kernelShader, uniformStruct } from '../uniforms.ts';

const THREADS = 64;

const Params = uniformStruct('Params', [
  ['dim', 'u32', 'D = K of the table'],
  ['tokens', 'u32', 'T'],
  ['vocab', 'u32', 'N of the table'],
  ['tile_rows', 'u32'],
  ['tile_cols', 'u32'],
  ['col_tiles', 'u32'],
  ['row_lo', 'u32', 'first table row in the bound weight part'],
  ['row_hi', 'u32', 'one past its last row'],
  ['interleave_unit', 'u32', "the format's unit in elements when the tiles are 'interleaved', else 0"],
]);

export const SHADER = kernelShader(embedSource, [Params]);

export async function embedDispatches(
  ctx: GpuContext, group: BufferGroup, args: { table: TiledMatrix; ids: GPUBuffer; out: GPUBuffer; tokens: number },
): Promise<Dispatch[]> {
  const { plan } = args.table;
  const { tokens } = args;
  if (!Number.isInteger(tokens) || tokens < 1) throw new Error(`embed: tokens must be >= 1, got ${tokens}`);
  if (plan.rowsPerThread !== 1) throw new Error(`embed: table ${plan.name} must be a plain (not paired) matrix`);
  if (args.ids.size < tokens * 4) throw new Error(`embed: ids buffer holds fewer than ${tokens} ids`);
  if (args.out.size < tokens * plan.cols * 4) throw new Error(`embed: out buffer too small for [${tokens}, ${plan.cols}]`);
  const pipeline = await ctx.pipeline(`embed-${plan.format}`, weightPrelude(plan.format) + SHADER.code, 'main', { THREADS });
  // One pass per weight part (a table over the binding limit is split in row blocks): each writes
  // the tokens whose rows it holds.
  const parts = args.table.parts;
  const dispatches = parts.map((part, i): Dispatch => {
    const rowLo = part.firstRowBlock * plan.tile.rows;
    const params = group.uniform('embed:params', Params.pack({
      dim: plan.cols, tokens, vocab: plan.rows, tile_rows: plan.tile.rows, tile_cols: plan.tile.cols, col_tiles: plan.grid.q,
      row_lo: rowLo, row_hi: Math.min(plan.rows, rowLo + part.rowBlocks * plan.tile.rows),
      interleave_unit: plan.kernel === 'interleaved' ? FORMAT_LAYOUT[plan.format].colAlign : 0,
    }));
    const label = parts.length === 1 ? 'embed' : `embed#${i}`;
    return {
      label,
      pipeline,
      bindGroup: ctx.bindGroup(pipeline, label, { 0: part.buffer, 1: params, 2: args.ids, 3: args.out }),
      workgroups: checkWorkgroups(ctx.device, 'embed', [Math.ceil(plan.cols / THREADS), tokens, 1]),
    };
  });
  return dispatches;
}
