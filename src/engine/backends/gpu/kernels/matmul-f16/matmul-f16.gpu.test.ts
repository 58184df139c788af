import { afterAll, describe, expect, it } from 'vitest';
import { describeGrid, planMatrix, type GridChoice } from '../../../plan/wafer-plan.ts';
import { BufferGroup, GpuContext, runDispatches } from '../../context.ts';
import { matmulDispatches } from '../matmul/matmul.ts';
import { subgroupLanesFit, subgroupLanesFor } from '../matmul-subgroup/matmul-subgroup.ts';
import { uploadTiled } from '../shared/weights.ts';
import { randomArray, readF32, testDevice } from '../../../../../testing/gpu-test-util.ts';
import { gemmAndGemvRows, matmulCases, runMatmulCase } from '../../../../../testing/matmul-case.ts';
import { f16MathFits } from './matmul-f16.ts';

// Runs in both GPU projects: in Chromium (SwiftShader here has no shader-f16, so only the error
// test runs; a real GPU's Chromium runs it all) and in `npm test`'s f16 project, Node + Dawn on
// Mesa's lavapipe, which has shader-f16 (scripts/ensure-lavapipe.mjs; that project fails to start
// on an adapter without it, so the checks below cannot be skipped there).
//
// The bound: a group of four rounds x and w·x to f16 and sums four products in f16, each step at
// most half an f16 ulp (2⁻¹¹ relative) of at most the group's Σ|w·x|; the groups then add in f32.
// So |got − want| ≤ 2⁻⁹ · Σ|w·x| over the row (four roundings), plus the f32 reorder tolerance.
const F16_BOUND = 2 ** -9;
const F32_TOL = 1e-4;

describe('matmul-f16.wgsl: the tile passes multiplying in halves vs reference linear()', async () => {
  const device = await testDevice(['subgroups', 'shader-f16']);
  const ctx = new GpuContext(device);
  afterAll(() => device.destroy());
  const hasF16 = f16MathFits(device);
  const f16 = (g: GridChoice): GridChoice => ({ ...g, f16Math: true });
  // Every tile pass and both reduces, and the norm prologue on each tile pass (the subgroup pass at
  // the device's smallest lane count: its order depends only on LANES, checked in matmul-subgroup).
  const lanes = subgroupLanesFor(device).filter((n) => subgroupLanesFit(device, n)).slice(0, 1);
  const rows: GridChoice = { tileRows: 64, colTiles: 1, reduce: 'chain' };
  const interleavedTree: GridChoice = { tileRows: 32, colTiles: 2, reduce: 'tree', kernel: 'interleaved' };
  const subgroupTree = lanes.map((n): GridChoice => ({ tileRows: 16, colTiles: 2, reduce: 'tree', kernel: 'subgroup', lanes: n }));
  const grids = [rows, { tileRows: 32, colTiles: 3, reduce: 'chain' } as GridChoice, interleavedTree, ...subgroupTree,
    ...[rows, interleavedTree, ...subgroupTree].map((g) => ({ ...g, normPrologue: true }))].map(f16);

  it('a device without shader-f16 gets a clear error, not a broken pipeline', async () => {
    const plain = await testDevice();
    try {
      using group = new BufferGroup(plain, 'test');
      const plan = planMatrix('w', 8, 16, 'f16', f16({ tileRows: 32, colTiles: 1, reduce: 'chain' }));
      const buf = group.create('b', 1024, GPUBufferUsage.STORAGE);
      const weights = uploadTiled(group, plan, randomArray(128, 1));
      await expect(matmulDispatches(new GpuContext(plain), group, { weights, x: buf, out: buf, tokens: 1, epilogue: 'store' }))
        .rejects.toThrow(/f16 maths needs the shader-f16 feature/);
    } finally {
      plain.destroy();
    }
  });

  describe.runIf(hasF16)('on an adapter with shader-f16', () => {
    // K not a multiple of 4, one token and odd batches, K split over tiles; f16 weights (exact in
    // halves), and Q8_0 blocks dequantized in registers (then rounded to halves). Each distinct
    // pipeline costs lavapipe an LLVM compile of ~1 s, so the formats are few.
    const cases = [
      ...matmulCases(['f16'], [[37, 66, 1], [130, 50, 5], [40, 300, 1], [6, 3, 9]], grids, ['store']),
      ...matmulCases(['f16'], [[130, 50, 5]], grids, ['residual']),
      ...matmulCases(['q8_0'], [[37, 256, 1], [66, 512, 5]], grids, ['store']),
    ];
    it.each(cases)('within the f16 bound: N=$n K=$k T=$t $format $epilogue $label', async (c) => {
      const { got, want, magnitude } = await runMatmulCase(ctx, c);
      const outCols = c.n;
      for (let i = 0; i < got.length; i++) {
        const bound = F16_BOUND * magnitude[i % outCols]! * (c.grid.normPrologue ? 1.01 : 1) + F32_TOL * (1 + Math.abs(want[i]!));
        if (!(Math.abs(got[i]! - want[i]!) <= bound)) expect.fail(`out[${i}] = ${got[i]}, reference ${want[i]}: off by ${Math.abs(got[i]! - want[i]!)}, over the bound ${bound}`);
      }
    });

    it.each(matmulCases(['f16'], [[66, 96, 5]], grids.filter((g) => g.kernel !== 'interleaved'), ['swiglu']))('the SwiGLU pair: N=$n K=$k T=$t $label', async (c) => {
      const { got, want } = await runMatmulCase(ctx, c);
      for (let i = 0; i < got.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(1e-2 * (1 + Math.abs(want[i]!)));
    });

    it('multiplies in halves: the result is not the f32 pass\'s', async () => {
      // If the f16 module were silently the f32 one, every case above would pass too.
      const [n, k] = [64, 256];
      using group = new BufferGroup(device, 'test');
      const w = randomArray(n * k, 31, 0.5);
      const x = group.storage('x', randomArray(k, 32));
      const run = async (grid: GridChoice) => {
        const plan = planMatrix('w', n, k, 'f16', grid);
        const out = group.create(`out-${describeGrid(grid)}`, n * 4, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC);
        await runDispatches(device, await matmulDispatches(ctx, group, { weights: uploadTiled(group, plan, w), x, out, tokens: 1, epilogue: 'store' }));
        return readF32(device, out, n);
      };
      const grid: GridChoice = { tileRows: 64, colTiles: 1, reduce: 'chain' };
      const [halves, singles] = [await run(f16(grid)), await run(grid)];
      expect(halves.some((v, i) => v !== singles[i])).toBe(true);
    });

    // Drafts stay exact only if a matrix's decode GEMV and its batched GEMM add identically.
    it.each(grids.flatMap((grid) => (['f16', 'q8_0'] as const).map((format) => ({ grid, format, label: describeGrid(grid) }))))(
      'GEMV and GEMM agree bit for bit: $format $label', async ({ grid, format }) => {
        const { batched, single } = await gemmAndGemvRows(ctx, grid, format);
        for (let i = 0; i < batched.length; i++) expect(Array.from(single[i]!)).toEqual(Array.from(batched[i]!));
      });
  });
});
