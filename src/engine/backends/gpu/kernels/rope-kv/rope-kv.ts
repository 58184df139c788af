// RoPE on q and k fused with the KV-cache write. Kernel: rope-kv.wgsl.
//   qkv [T, (H + 2Hkv)·Dh]: q rotated in place; k (rotated), v → cache[pos0 + t] ([maxPos, Hkv, Dh])
import { ropeInverseFrequencies, type RopeParams } from '../../../../../model/rope.ts';
import ropeSource from './rope-kv.wgsl?raw';
import { checkWorkgroups, type BufferGroup, type Dispatch, type GpuContext } from '../../context.ts';
import { GpuState } from '../shared/state.ts';
import { kernelShader, uniformStruct } from '../uniforms.ts';

const THREADS = 64;

const Params = uniformStruct('Params', [
  ['tokens', 'u32'],
  ['num_heads', 'u32'],
  ['num_kv_heads', 'u32'],
  ['head_dim', 'u32'],
  ['max_pos', 'u32', 'rows of the cos/sin tables = KV-cache capacity'],
]);

export const SHADER = kernelShader(ropeSource, [Params, GpuState]);

export interface RopeTables { cos: GPUBuffer; sin: GPUBuffer; maxPos: number }

/** cos/sin of pos·θ^(-2i/Dh) for pos < maxPos, i < Dh/2 — computed in f64 like the reference. */
/** cos/sin of every position's angles; `linearFactor` divides the positions (linear RoPE scaling). */
export function ropeTables(group: BufferGroup, params: RopeParams, maxPos: number): RopeTables {
  const invFreq = ropeInverseFrequencies(params);
  const half = invFreq.length;
  const cos = new Float32Array(maxPos * half), sin = new Float32Array(maxPos * half);
  for (let i = 0; i < half; i++) {
    for (let p = 0; p < maxPos; p++) {
      cos[p * half + i] = Math.cos(p * invFreq[i]!);
      sin[p * half + i] = Math.sin(p * invFreq[i]!);
    }
  }
  return { cos: group.storage('rope:cos', cos), sin: group.storage('rope:sin', sin), maxPos };
}

export interface HeadShape { numHeads: number; numKvHeads: number; headDim: number }

export async function ropeKvDispatch(
  ctx: GpuContext, group: BufferGroup,
  args: { heads: HeadShape; tokens: number; state: GPUBuffer; qkv: GPUBuffer; tables: RopeTables; kCache: GPUBuffer; vCache: GPUBuffer; label?: string },
): Promise<Dispatch> {
  const { numHeads: h, numKvHeads: hkv, headDim: dh } = args.heads;
  const { tokens, tables } = args;
  if (dh % 2 !== 0) throw new Error(`rope: headDim ${dh} must be even`);
  if (h % hkv !== 0) throw new Error(`rope: numHeads ${h} is not a multiple of numKvHeads ${hkv}`);
  if (args.qkv.size < tokens * (h + 2 * hkv) * dh * 4) throw new Error(`rope: qkv too small for ${tokens} tokens`);
  const cacheBytes = tables.maxPos * hkv * dh * 4;
  if (args.kCache.size < cacheBytes || args.vCache.size < cacheBytes) throw new Error('rope: KV cache smaller than maxPos rows');
  const pipeline = await ctx.pipeline('rope_kv', SHADER.code, 'main', { THREADS });
  const params = group.uniform('rope:params', Params.pack({ tokens, num_heads: h, num_kv_heads: hkv, head_dim: dh, max_pos: tables.maxPos }));
  const label = args.label ?? 'rope_kv';
  return {
    label, pipeline,
    bindGroup: ctx.bindGroup(pipeline, label, {
      0: params, 1: args.state, 2: args.qkv, 3: tables.cos, 4: tables.sin, 5: args.kCache, 6: args.vCache,
    }),
    workgroups: checkWorkgroups(ctx.device, label, [Math.ceil(dh / 2 / THREADS), h + 2 * hkv, tokens]),
  };
}
