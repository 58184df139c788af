import { afterAll, describe, expect, it } from 'vitest';
import { BufferGroup, GpuContext, runDispatches } from '../../context.ts';
import { streamReadDispatch, streamReadThreads } from './stream-read.ts';
import { randomArray, readF32, testDevice } from '../../../../../testing/gpu-test-util.ts';

/** CPU reference: per thread, the f32 sum of its run of vec4s (per lane, then x + y + z + w). */
function streamRead(data: Float32Array, perThread: number): Float32Array {
  const total = data.length / 4;
  const out = new Float32Array(streamReadThreads(total, perThread));
  for (let t = 0; t < out.length; t++) {
    const acc = [0, 0, 0, 0];
    for (let i = t * perThread; i < Math.min((t + 1) * perThread, total); i++) {
      for (let c = 0; c < 4; c++) acc[c] = Math.fround(acc[c]! + data[4 * i + c]!);
    }
    out[t] = Math.fround(Math.fround(Math.fround(acc[0]! + acc[1]!) + acc[2]!) + acc[3]!);
  }
  return out;
}

// Exact: the same f32 additions in the same order.
describe('stream-read.wgsl vs a CPU sum of each thread\'s run', async () => {
  const device = await testDevice();
  const ctx = new GpuContext(device);
  afterAll(() => device.destroy());

  it.each([
    { totalVec4s: 1000, perThread: 7 }, { totalVec4s: 64, perThread: 1 }, { totalVec4s: 4099, perThread: 256 },
  ])('$totalVec4s vec4s, $perThread per thread', async ({ totalVec4s, perThread }) => {
    using group = new BufferGroup(device, 'test');
    const data = randomArray(totalVec4s * 4, totalVec4s + perThread);
    const threads = streamReadThreads(totalVec4s, perThread);
    const sentinel = new Float32Array(threads + 64).fill(-7);
    const sink = group.storage('sink', sentinel, GPUBufferUsage.COPY_SRC);
    await runDispatches(device, [await streamReadDispatch(ctx, group, { data: group.storage('data', data), sink, totalVec4s, vec4sPerThread: perThread })]);
    const got = await readF32(device, sink, threads + 64);
    expect(Array.from(got.subarray(0, threads))).toEqual(Array.from(streamRead(data, perThread)));
    expect(Array.from(got.subarray(threads))).toEqual(Array.from(sentinel.subarray(threads))); // idle lanes write nothing
  });
});
