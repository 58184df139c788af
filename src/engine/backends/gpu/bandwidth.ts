// Measures the adapter's streaming read bandwidth with the stream-read kernel: the roofline that
// decode tokens/s is reported against (bench/ reuses this). The same kernel on a tiny buffer
// measures the other limit of a decode step: the fixed cost of one dispatch. Wall clock around
// submit + onSubmittedWorkDone, best of a few trials, several passes per submit to amortise the
// ~1 ms submit round trip.
import { BufferGroup, GpuContext } from './context.ts';
import { STREAM_READ_THREADS, streamReadDispatch, streamReadThreads } from './kernels/stream-read/stream-read.ts';

export interface BandwidthResult {
  bytes: number;
  bestMs: number;
  /** Bytes read per second / 1e9. */
  gbPerSecond: number;
}

export async function measureReadBandwidth(
  device: GPUDevice, options: { megabytes?: number; vec4sPerThread?: number; passes?: number; trials?: number } = {},
): Promise<BandwidthResult> {
  const bytes = Math.round((options.megabytes ?? 32) * 1024 * 1024 / 16) * 16;
  if (bytes > device.limits.maxStorageBufferBindingSize) throw new Error(`bandwidth: ${bytes} bytes exceed maxStorageBufferBindingSize`);
  const best = await bestStreamReadMs(device, bytes, options.vec4sPerThread ?? 256, options.passes ?? 4, options.trials ?? 3);
  return { bytes, bestMs: best, gbPerSecond: bytes / (best / 1000) / 1e9 };
}

export interface DispatchOverheadResult {
  dispatches: number;
  /** Wall-clock ms per near-empty dispatch (one workgroup reading 1 KiB), best trial. */
  msPerDispatch: number;
}

/**
 * The fixed cost of a dispatch: `dispatches` one-workgroup stream-read dispatches in one pass,
 * one submit, best of `trials`. A decode step of D dispatches can go no faster than D times this.
 */
export async function measureDispatchOverhead(device: GPUDevice, options: { dispatches?: number; trials?: number } = {}): Promise<DispatchOverheadResult> {
  const dispatches = options.dispatches ?? 256;
  // One vec4 per thread, one workgroup's worth: exactly one workgroup.
  return { dispatches, msPerDispatch: await bestStreamReadMs(device, STREAM_READ_THREADS * 16, 1, dispatches, options.trials ?? 3) };
}

/**
 * stream-read over `bytes` (each thread sums `perThread` vec4s), `dispatches` times in one pass
 * and one submit; wall clock around submit + onSubmittedWorkDone, per dispatch, best of `trials`
 * after one untimed warm-up.
 */
async function bestStreamReadMs(device: GPUDevice, bytes: number, perThread: number, dispatches: number, trials: number): Promise<number> {
  const ctx = new GpuContext(device);
  using group = new BufferGroup(device, 'stream-read');
  const total = bytes / 16;
  const threads = streamReadThreads(total, perThread);
  if (Math.ceil(threads / STREAM_READ_THREADS) > device.limits.maxComputeWorkgroupsPerDimension) throw new Error('bandwidth: buffer too large for one dispatch row; raise vec4sPerThread');
  const data = group.create('data', bytes, GPUBufferUsage.STORAGE); // zero-filled: values do not matter
  const sink = group.create('sink', threads * 4, GPUBufferUsage.STORAGE);
  const { pipeline, bindGroup, workgroups } = await streamReadDispatch(ctx, group, { data, sink, totalVec4s: total, vec4sPerThread: perThread });
  const run = async () => {
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    for (let d = 0; d < dispatches; d++) pass.dispatchWorkgroups(workgroups[0]);
    pass.end();
    const t0 = performance.now();
    device.queue.submit([enc.finish()]);
    await device.queue.onSubmittedWorkDone();
    return (performance.now() - t0) / dispatches;
  };
  await run();
  let best = Infinity;
  for (let t = 0; t < trials; t++) best = Math.min(best, await run());
  return best;
}
