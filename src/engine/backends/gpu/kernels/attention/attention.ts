// Causal GQA attention over the KV cache (decode and batched prefill). Kernel: attention.wgsl.
//   q inside qkv [T, (H + 2Hkv)·Dh] · cache [maxPos, Hkv, Dh] → out [T, H·Dh]; query t at pos0 + t.
import attentionSource from './attention.wgsl?raw';
import { checkWorkgroups, type BufferGroup, type Dispatch, type GpuContext } from '../../context.ts';
import type { HeadShape } from '../rope-kv/rope-kv.ts';
import { GpuState } from '../shared/state.ts';
import { kernelShader, uniformStruct } from '../uniforms.ts';

const THREADS = 32;
const QUERY_BLOCK = 32;
/** Must match 4 · MAX_HEAD_DIM4 in attention.wgsl (the private accumulator's size). */
export const MAX_HEAD_DIM = 256;

const Params = uniformStruct('Params', [
  ['tokens', 'u32'],
  ['num_heads', 'u32'],
  ['num_kv_heads', 'u32'],
  ['head_dim', 'u32', 'multiple of 4'],
  ['q_stride', 'u32', 'elements between tokens in the qkv buffer'],
  ['scale', 'f32', '1 / sqrt(Dh)'],
]);

export const SHADER = kernelShader(attentionSource, [Params, GpuState]);

export async function attentionDispatch(
  ctx: GpuContext, group: BufferGroup,
  args: { heads: HeadShape; tokens: number; state: GPUBuffer; qkv: GPUBuffer; kCache: GPUBuffer; vCache: GPUBuffer; out: GPUBuffer; label?: string; perQueryOnly?: boolean },
): Promise<Dispatch> {
  const { numHeads: h, numKvHeads: hkv, headDim: dh } = args.heads;
  const { tokens } = args;
  if (dh > MAX_HEAD_DIM) throw new Error(`attention: headDim ${dh} exceeds the kernel's MAX_HEAD_DIM ${MAX_HEAD_DIM}`);
  if (dh % 4 !== 0) throw new Error(`attention: headDim ${dh} must be a multiple of 4 (the kernel works in vec4s)`);
  if (h % hkv !== 0) throw new Error(`attention: numHeads ${h} is not a multiple of numKvHeads ${hkv}`);
  const qStride = (h + 2 * hkv) * dh;
  if (args.qkv.size < tokens * qStride * 4) throw new Error(`attention: qkv too small for ${tokens} tokens`);
  if (args.out.size < tokens * h * dh * 4) throw new Error('attention: out too small');
  // T ≥ 32: the tiled prefill kernel (K/V tiles shared by a block of queries in workgroup memory);
  // otherwise one thread per (token, head), no barriers. K + V tiles stay under the 16 KB of workgroup
  // storage every adapter guarantees (16 bytes left for the shared position).
  // Below one query block the tile's barriers and idle lanes cost more than the shared loads save
  // (a 3-token verify pass took ~12 ms tiled vs well under 1 ms per query, measured with the profiler).
  const tiled = tokens >= QUERY_BLOCK && !args.perQueryOnly;
  const keyTile = Math.max(1, Math.min(64, Math.floor((16384 - 16) / (8 * dh))));
  const pipeline = tiled
    ? await ctx.pipeline('attention', SHADER.code, 'prefill_tiled', { QUERY_BLOCK, KEY_TILE: keyTile, TILE_VEC4S: (keyTile * dh) / 4 })
    : await ctx.pipeline('attention', SHADER.code, 'main', { THREADS });
  const params = group.uniform('attention:params', Params.pack({
    tokens, num_heads: h, num_kv_heads: hkv, head_dim: dh, q_stride: qStride, scale: 1 / Math.sqrt(dh),
  }));
  const label = args.label ?? 'attention';
  return {
    label, pipeline,
    bindGroup: ctx.bindGroup(pipeline, label, { 0: params, 1: args.state, 2: args.qkv, 3: args.kCache, 4: args.vCache, 5: args.out }),
    workgroups: checkWorkgroups(ctx.device, label, tiled ? [Math.ceil(tokens / QUERY_BLOCK), h, 1] : [Math.ceil((tokens * h) / THREADS), 1, 1]),
  };
}
