import { afterAll, describe, expect, it } from 'vitest';
import { linear, swiglu, addInPlace } from '../../../cpu/reference/ops.ts';
import { dequantize, quantize } from '../../../../../model/quant.ts';
import { f16ArrayToF32, f32ArrayToF16 } from '../../../../../model/half.ts';
import { describeGrid, partialFloats, planMatrix, type GridChoice } from '../../../plan/wafer-plan.ts';
import { BufferGroup, GpuContext, runDispatches } from '../../context.ts';
import { matmulDispatches, rowStatParts } from './matmul.ts';
import { subgroupLanesFit, subgroupLanesFor } from '../matmul-subgroup/matmul-subgroup.ts';
import { uploadTiled, zeroTiled } from '../shared/weights.ts';
import { maxMixedError, randomArray, readF32, readU32, testDevice } from '../../../../../testing/gpu-test-util.ts';
import { randomBlocks } from '../../../../../testing/random-blocks.ts';
import { gemmAndGemvRows, matmulCases, runMatmulCase, type MatmulCase } from '../../../../../testing/matmul-case.ts';

// Tolerance: f32 accumulation over K ≤ 200 terms of |w·x| ≤ 1 in a different order from the
// reference: error ≲ K · 2⁻²⁴ · Σ|w x| ≈ 1e-5; we allow 1e-4 (mixed abs/rel).
const TOL = 1e-4;

describe('matmul.wgsl: tiled GEMV/GEMM vs reference linear()', async () => {
  const device = await testDevice(['subgroups']);
  const ctx = new GpuContext(device);
  afterAll(() => device.destroy());

  const cases: MatmulCase[] = [];
  const addCases = (...args: Parameters<typeof matmulCases>) => cases.push(...matmulCases(...args));
  const chain = (tileRows: number, colTiles: number): GridChoice => ({ tileRows, colTiles, reduce: 'chain' });
  const tree = (tileRows: number, colTiles: number): GridChoice => ({ tileRows, colTiles, reduce: 'tree' });
  const interleaved = (g: GridChoice): GridChoice => ({ ...g, kernel: 'interleaved' });
  const allEpilogues = ['store', 'residual', 'swiglu'] as const;
  // Awkward shapes (K not a multiple of 4, one token, odd batches) and a plain batched one.
  addCases(['f32', 'f16'], [[37, 66, 1], [130, 50, 5], [64, 64, 1], [64, 64, 6], [6, 3, 9]],
    [chain(64, 1), chain(32, 2), tree(32, 4), chain(128, 3), interleaved(chain(64, 1)), interleaved(tree(32, 2))], allEpilogues);
  // Block formats: K a multiple of 32 (one block), odd block counts (a half-empty last pair), and
  // K splits whose tiles end mid-row.
  addCases(['q8_0', 'q4_0'], [[37, 96, 1], [130, 64, 5], [64, 256, 1], [64, 160, 6], [6, 32, 9]],
    [chain(64, 1), tree(32, 2), chain(128, 3), interleaved(chain(32, 1)), interleaved(chain(64, 3))], allEpilogues);
  // K-quants: super-blocks of 256, so K is 256 or 512, and random blocks (there is no quantizer
  // for them here; random bytes exercise every scale/min packing case).
  addCases(['q4_k', 'q6_k'], [[37, 256, 1], [66, 512, 5]], [chain(64, 1), tree(32, 2), interleaved(chain(32, 1)), interleaved(tree(32, 2))], ['store', 'swiglu']);
  // Q5_0: 32-weight blocks in pairs like Q8_0/Q4_0, random blocks (every qh bit pattern).
  addCases(['q5_0'], [[37, 96, 1], [66, 160, 5]], [chain(64, 1), tree(32, 2), interleaved(chain(32, 1))], ['store', 'swiglu']);
  // The RMSNorm prologue: one tile column (Σ x² in the pass), K split with both reduces (Σ x² in
  // the partials), and both layouts; a float and a block format, every epilogue.
  const norm = (g: GridChoice): GridChoice => ({ ...g, normPrologue: true });
  addCases(['f32', 'f16'], [[37, 66, 1], [130, 50, 5], [6, 3, 9]],
    [norm(chain(64, 1)), norm(chain(32, 2)), norm(tree(32, 4)), norm(chain(128, 3)), norm(interleaved(chain(64, 1))), norm(interleaved(tree(32, 2)))], allEpilogues);
  addCases(['q8_0', 'q4_k'], [[37, 256, 1], [66, 512, 5]], [norm(chain(64, 1)), norm(tree(32, 2)), norm(interleaved(chain(32, 3)))], ['store', 'swiglu']);
  // The final norm before lm_head reads only the last rows of x.
  cases.push(...matmulCases(['f32'], [[37, 66, 1], [37, 66, 3]], [norm(chain(64, 1)), norm(tree(32, 2))], ['store']).map((c) => ({ ...c, xRow: 4, label: `${c.label} xRow 4` })));

  it.each(cases)('N=$n K=$k T=$t $format $epilogue $label', async (c) => {
    const { got, want } = await runMatmulCase(ctx, c);
    expect(maxMixedError(got, want)).toBeLessThan(TOL);
  });

  it.each([
    { format: 'f32' as const, grid: chain(64, 1), epilogue: 'residual' as const },
    { format: 'q8_0' as const, grid: tree(32, 2), epilogue: 'store' as const },
    { format: 'q4_k' as const, grid: chain(64, 2), epilogue: 'swiglu' as const },
    { format: 'f16' as const, grid: interleaved(chain(32, 1)), epilogue: 'store' as const },
    { format: 'q8_0' as const, grid: interleaved(tree(32, 2)), epilogue: 'swiglu' as const },
  ])('a matrix over the binding limit runs in parts of whole row blocks: $format $epilogue', async ({ format, grid, epilogue }) => {
    using group = new BufferGroup(device, 'test');
    const [n, k, t] = [300, 512, 3];
    const rowsPerThread = epilogue === 'swiglu' ? 2 : 1;
    const plan = planMatrix('w', n, k, format, { ...grid, tileRows: grid.tileRows * rowsPerThread }, rowsPerThread);
    const blocks = format === 'q8_0' ? { type: 'Q8_0' as const, blocks: quantize('Q8_0', randomArray(n * k, 8, 0.5)) }
      : format === 'q4_k' ? { type: 'Q4_K' as const, blocks: randomBlocks('Q4_K', (n * k) / 256, 9) } : undefined;
    const raw = randomArray(n * k, 8, 0.5);
    const w = blocks ? dequantize(blocks.type, blocks.blocks) : format === 'f16' ? f16ArrayToF32(f32ArrayToF16(raw)) : raw;
    // Two row blocks per part.
    const weights = uploadTiled(group, plan, blocks ?? w, (plan.storedBytes / plan.grid.p) * 2);
    expect(weights.parts.length).toBe(Math.ceil(plan.grid.p / 2));
    // The autotune's zero-filled stand-in splits the same way, so a huge matrix can be timed too.
    expect(zeroTiled(group, plan, (plan.storedBytes / plan.grid.p) * 2).parts.map((p) => [p.firstRowBlock, p.rowBlocks, p.buffer.size]))
      .toEqual(weights.parts.map((p) => [p.firstRowBlock, p.rowBlocks, p.buffer.size]));
    const x = randomArray(t * k, 4);
    const outCols = epilogue === 'swiglu' ? n / 2 : n;
    const initial = randomArray(t * outCols, 5);
    const outBuf = group.storage('out', initial, GPUBufferUsage.COPY_SRC);
    const partials = group.create('partials', plan.grid.q * t * n * 4, GPUBufferUsage.STORAGE);
    await runDispatches(device, await matmulDispatches(ctx, group, { weights, x: group.storage('x', x), out: outBuf, partials, tokens: t, epilogue }));
    const y = linear(x, w, n, k);
    const want = epilogue === 'store' ? y : epilogue === 'residual' ? addInPlace(initial.slice(), y)
      : swiglu(y.filter((_, i) => i % 2 === 0), y.filter((_, i) => i % 2 === 1));
    expect(maxMixedError(await readF32(device, outBuf, t * outCols), want)).toBeLessThan(TOL);
  });

  // Greedy decoding with drafts gives the same tokens as without only if the decode GEMV (T = 1)
  // and the verify/prefill GEMM (4 tokens per thread) of a matrix add in the same order.
  const plainKernels: GridChoice[] = [chain(64, 1), tree(32, 2), interleaved(chain(32, 1)), interleaved(chain(64, 2)),
    ...[2, ...subgroupLanesFor(device)].filter((lanes) => subgroupLanesFit(device, lanes)).flatMap((lanes): GridChoice[] => [
      { ...chain(32, 1), kernel: 'subgroup', lanes }, { ...tree(32, 2), kernel: 'subgroup', lanes }])];
  const kernels = [...plainKernels, ...plainKernels.map(norm), norm(chain(32, 3))];
  it.each(kernels.flatMap((grid) => (['f32', 'f16', 'q8_0'] as const).map((format) => ({ grid, format, label: describeGrid(grid) }))))(
    'GEMV and GEMM agree bit for bit: $format $label', async ({ grid, format }) => {
      const { batched, single } = await gemmAndGemvRows(ctx, grid, format);
      for (let i = 0; i < batched.length; i++) expect(Array.from(single[i]!)).toEqual(Array.from(batched[i]!));
    });

  // The lm_head's statistics for the sampler: per token and per workgroup of the pass that applies
  // the epilogue, the max of its outputs, the lowest row holding it, and Σ exp(v − max).
  const statGrids: GridChoice[] = [chain(64, 1), interleaved(chain(32, 1)), chain(32, 3), tree(32, 4), norm(tree(32, 2)), norm(chain(64, 1)),
    ...subgroupLanesFor(device).filter((lanes) => subgroupLanesFit(device, lanes)).slice(0, 1).map((lanes): GridChoice => ({ ...chain(32, 1), kernel: 'subgroup', lanes }))];
  it.each(statGrids.flatMap((grid) => [1, 5].map((t) => ({ grid, t, label: describeGrid(grid) }))))(
    'row statistics match the outputs they summarise: T=$t $label', async ({ grid, t }) => {
      using group = new BufferGroup(device, 'test');
      const [n, k] = [200, 66];
      const plan = planMatrix('lm_head', n, k, 'f16', { ...grid, rowStats: true });
      // Whole rows repeated, so ties between rows (and between workgroups) occur.
      const w = randomArray(n * k, 41, 0.5).map((v, i) => (Math.floor(i / k) % 50 === 7 ? (i % k) / k : v));
      const weights = uploadTiled(group, plan, w, (plan.storedBytes / plan.grid.p) * 2);
      const parts = rowStatParts(plan);
      const out = group.create('out', t * n * 4, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC);
      const stats = group.create('stats', t * parts * 12, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC);
      const partials = group.create('partials', Math.max(16, partialFloats(plan, t) * 4), GPUBufferUsage.STORAGE);
      const normArg = plan.normPrologue ? { norm: { weight: group.storage('norm', randomArray(k, 43, 1.5)), eps: 1e-6 } } : {};
      await runDispatches(device, await matmulDispatches(ctx, group, { weights, x: group.storage('x', randomArray(t * k, 42)), out, partials, tokens: t, epilogue: 'store', rowStats: stats, ...normArg }));
      const y = await readF32(device, out, t * n);
      const words = await readU32(device, stats, t * parts * 3);
      const floats = new Float32Array(words.buffer);
      const span = plan.grid.q === 1 ? plan.tile.rows : 64;
      for (let tok = 0; tok < t; tok++) {
        for (let p = 0; p < parts; p++) {
          const rows = y.subarray(tok * n + p * span, tok * n + Math.min(n, (p + 1) * span));
          const max = Math.max(...rows);
          const s = (tok * parts + p) * 3;
          expect(floats[s]).toBe(max);
          expect(words[s + 1]).toBe(p * span + rows.indexOf(max));
          expect(floats[s + 2]! / rows.reduce((a, v) => a + Math.exp(v - max), 0)).toBeCloseTo(1, 5);
        }
      }
    });

  it('asks for the norm exactly when the plan folds it in', async () => {
    using group = new BufferGroup(device, 'test');
    const buf = group.create('b', 1024, GPUBufferUsage.STORAGE);
    const fused = planMatrix('w', 8, 16, 'f32', norm(chain(32, 1)));
    await expect(matmulDispatches(ctx, group, { weights: uploadTiled(group, fused, new Float32Array(128)), x: buf, out: buf, tokens: 1, epilogue: 'store' }))
      .rejects.toThrow(/folds the RMSNorm in/);
    const plain = planMatrix('w', 8, 16, 'f32', chain(32, 1));
    await expect(matmulDispatches(ctx, group, { weights: uploadTiled(group, plain, new Float32Array(128)), x: buf, out: buf, tokens: 1, epilogue: 'store', norm: { weight: buf, eps: 1e-6 } }))
      .rejects.toThrow(/no norm prologue/);
  });

  it('rejects a Q>1 plan without a partials buffer', async () => {
    using group = new BufferGroup(device, 'test');
    const plan = planMatrix('w', 8, 16, 'f32', { tileRows: 32, colTiles: 2, reduce: 'chain' });
    const weights = uploadTiled(group, plan, new Float32Array(128));
    const buf = group.create('b', 1024, GPUBufferUsage.STORAGE);
    await expect(matmulDispatches(ctx, group, { weights, x: buf, out: buf, tokens: 1, epilogue: 'store' })).rejects.toThrow(/partials/);
  });

  it('runs with neither bias nor partials (Q = 1): no buffer is bound both read-only and writable', async () => {
    // Regression: one shared placeholder for both made the dispatch invalid, so nothing ran.
    using group = new BufferGroup(device, 'test');
    const [n, k] = [40, 24];
    const plan = planMatrix('w', n, k, 'f32', { tileRows: 64, colTiles: 1, reduce: 'chain' });
    const w = randomArray(n * k, 3, 0.5), x = randomArray(k, 4);
    const out = group.create('out', n * 4, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC);
    device.pushErrorScope('validation');
    await runDispatches(device, await matmulDispatches(ctx, group, { weights: uploadTiled(group, plan, w), x: group.storage('x', x), out, tokens: 1, epilogue: 'store' }));
    expect(await device.popErrorScope()).toBeNull();
    expect(maxMixedError(await readF32(device, out, n), linear(x, w, n, k))).toBeLessThan(TOL);
  });
});
