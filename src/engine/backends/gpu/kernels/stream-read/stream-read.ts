// The streaming-read probe: each thread sums a contiguous run of vec4s of `data` into one float of
// `sink`. Kernel: stream-read.wgsl. bandwidth.ts times it (read bandwidth, dispatch overhead).
import streamSource from './stream-read.wgsl?raw';
import { checkWorkgroups, type BufferGroup, type Dispatch, type GpuContext } from '../../context.ts';
import { kernelShader, uniformStruct } from '../uniforms.ts';

export const STREAM_READ_THREADS = 64;

const Params = uniformStruct('Params', [
  ['vec4s_per_thread', 'u32'],
  ['total_vec4s', 'u32'],
]);

export const SHADER = kernelShader(streamSource, [Params]);

/** Threads (and so sink floats) for `totalVec4s` read `vec4sPerThread` at a time. */
export function streamReadThreads(totalVec4s: number, vec4sPerThread: number): number {
  return Math.ceil(totalVec4s / vec4sPerThread);
}

export async function streamReadDispatch(
  ctx: GpuContext, group: BufferGroup,
  args: { data: GPUBuffer; sink: GPUBuffer; totalVec4s: number; vec4sPerThread: number; label?: string },
): Promise<Dispatch> {
  const { totalVec4s, vec4sPerThread } = args;
  if (!Number.isInteger(vec4sPerThread) || vec4sPerThread < 1) throw new Error(`stream-read: vec4sPerThread must be >= 1, got ${vec4sPerThread}`);
  const threads = streamReadThreads(totalVec4s, vec4sPerThread);
  if (args.data.size < totalVec4s * 16) throw new Error(`stream-read: data holds fewer than ${totalVec4s} vec4s`);
  if (args.sink.size < threads * 4) throw new Error(`stream-read: sink holds fewer than ${threads} floats`);
  const pipeline = await ctx.pipeline('stream_read', SHADER.code, 'main', { THREADS: STREAM_READ_THREADS });
  const params = group.uniform('params', Params.pack({ vec4s_per_thread: vec4sPerThread, total_vec4s: totalVec4s }));
  const label = args.label ?? 'stream_read';
  return {
    label, pipeline,
    bindGroup: ctx.bindGroup(pipeline, label, { 0: params, 1: args.data, 2: args.sink }),
    workgroups: checkWorkgroups(ctx.device, label, [Math.ceil(threads / STREAM_READ_THREADS), 1, 1]),
  };
}
