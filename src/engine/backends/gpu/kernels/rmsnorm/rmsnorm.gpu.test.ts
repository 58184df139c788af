import { afterAll, describe, expect, it } from 'vitest';
import { rmsNorm } from '../../../cpu/reference/ops.ts';
import { BufferGroup, GpuContext, runDispatches } from '../../context.ts';
import { rmsnormDispatch } from './rmsnorm.ts';
import { maxMixedError, randomArray, readF32, testDevice } from '../../../../../testing/gpu-test-util.ts';

// Tolerance 1e-5: f32 sum of squares (reference accumulates in f64) and inverseSqrt.
describe('rmsnorm.wgsl vs reference rmsNorm()', async () => {
  const device = await testDevice();
  const ctx = new GpuContext(device);
  afterAll(() => device.destroy());

  it.each([
    { dim: 66, tokens: 1, inRow: 0 }, { dim: 64, tokens: 70, inRow: 0 }, { dim: 7, tokens: 3, inRow: 4 }, { dim: 576, tokens: 2, inRow: 1 },
  ])('D=$dim T=$tokens inRow=$inRow', async ({ dim, tokens, inRow }) => {
    using group = new BufferGroup(device, 'test');
    const x = randomArray((inRow + tokens) * dim, dim, 3);
    const w = randomArray(dim, 7);
    const out = group.create('out', tokens * dim * 4, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC);
    const d = await rmsnormDispatch(ctx, group, { x: group.storage('x', x), weight: group.storage('w', w), out, dim, tokens, eps: 1e-5, inRow });
    await runDispatches(device, [d]);
    const want = rmsNorm(x.subarray(inRow * dim), w, 1e-5);
    expect(maxMixedError(await readF32(device, out, tokens * dim), want)).toBeLessThan(1e-5);
  });
});
