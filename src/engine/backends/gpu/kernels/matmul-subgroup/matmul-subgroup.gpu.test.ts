import { afterAll, describe, expect, it } from 'vitest';
import { planMatrix, type GridChoice } from '../../../plan/wafer-plan.ts';
import { BufferGroup, GpuContext } from '../../context.ts';
import { matmulDispatches, subgroupLanesHold } from '../matmul/matmul.ts';
import { uploadTiled } from '../shared/weights.ts';
import { maxMixedError, randomArray, testDevice } from '../../../../../testing/gpu-test-util.ts';
import { matmulCases, runMatmulCase } from '../../../../../testing/matmul-case.ts';
import { subgroupLanesFit, subgroupLanesFor } from './matmul-subgroup.ts';

// The same tolerance as matmul.gpu.test.ts: f32 sums in another order than the reference's.
const TOL = 1e-4;

describe('matmul-subgroup.wgsl: the subgroup tile pass vs reference linear()', async () => {
  const device = await testDevice(['subgroups']);
  const ctx = new GpuContext(device);
  afterAll(() => device.destroy());
  // Every lane count this device runs, and 2 (the smallest the plan allows).
  const lanes = [2, ...subgroupLanesFor(device)].filter((n) => subgroupLanesFit(device, n));
  const sg = (tileRows: number, colTiles: number, n: number, reduce: 'chain' | 'tree' = 'chain'): GridChoice =>
    ({ tileRows, colTiles, reduce, kernel: 'subgroup', lanes: n });
  const grids = lanes.flatMap((n) => [sg(32, 1, n), sg(64, 1, n), sg(32, 2, n, 'tree'), sg(16, 3, n)]);
  const all = ['store', 'residual', 'swiglu'] as const;
  // K not a multiple of 4 or of the lanes' stride, one token and odd batches, tiles half padding.
  const cases = [
    ...matmulCases(['f32', 'f16'], [[37, 66, 1], [130, 50, 5], [64, 64, 6], [6, 3, 9], [40, 300, 1]], grids, all),
    ...matmulCases(['q8_0', 'q4_0', 'q5_0'], [[37, 96, 1], [64, 160, 6]], grids, all),
    ...matmulCases(['q4_k', 'q6_k'], [[37, 256, 1], [66, 512, 5]], grids, ['store', 'swiglu']),
    // The RMSNorm prologue: Σ x² split over the lanes and combined by the same butterfly.
    ...matmulCases(['f32', 'q8_0'], [[37, 96, 1], [64, 160, 6]], lanes.flatMap((n) => [sg(32, 1, n), sg(32, 2, n, 'tree')]).map((g) => ({ ...g, normPrologue: true })), all),
  ];

  it('this device runs the subgroup kernel (SwiftShader: subgroups of 4)', () => {
    expect(device.features.has('subgroups'), 'the test adapter has no subgroups feature: nothing below runs').toBe(true);
    expect(lanes.length).toBeGreaterThan(0);
  });

  it.each(cases)('N=$n K=$k T=$t $format $epilogue $label', async (c) => {
    const { got, want } = await runMatmulCase(ctx, c);
    expect(maxMixedError(got, want)).toBeLessThan(TOL);
  });

  it('the lane check passes for the lane counts the device runs, and refuses lanes over its smallest subgroup', async () => {
    for (const n of lanes) expect(await subgroupLanesHold(ctx, 64 * n > 256 ? 256 : 64 * n, n)).toBe(true);
    const tooMany = (device.adapterInfo.subgroupMinSize ?? 0) * 2 || 128;
    expect(await subgroupLanesHold(ctx, 256, tooMany)).toBe(false);
  });

  it('a device without the subgroups feature gets a clear error, not a broken pipeline', async () => {
    const plain = await testDevice();
    try {
      using group = new BufferGroup(plain, 'test');
      const plan = planMatrix('w', 8, 16, 'f32', sg(32, 1, 4));
      const buf = group.create('b', 1024, GPUBufferUsage.STORAGE);
      const weights = uploadTiled(group, plan, randomArray(128, 1));
      await expect(matmulDispatches(new GpuContext(plain), group, { weights, x: buf, out: buf, tokens: 1, epilogue: 'store' }))
        .rejects.toThrow(/subgroup kernel with 4 lanes needs the subgroups feature/);
    } finally {
      plain.destroy();
    }
  });
});
