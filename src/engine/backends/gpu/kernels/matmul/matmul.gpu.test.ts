import { afterAll, describe, expect, it } from 'vitest';
import { linear, swiglu, addInPlace } from '../../../cpu/reference/ops.ts';
import { f16ArrayToF32, f32ArrayToF16 } from '../../../../../model/half.ts';
import { BLOCK, dequantize, quantize } from '../../../../../model/quant.ts';
import { FORMAT_LAYOUT, planMatrix, type GridChoice, type WeightFormat } from '../../../plan/wafer-plan.ts';
import { BufferGroup, GpuContext, runDispatches } from '../../context.ts';
import { matmulDispatches, type Epilogue } from './matmul.ts';
import { uploadTiled, zeroTiled } from '../shared/weights.ts';
import { maxMixedError, randomArray, readF32, testDevice } from '../../../../../testing/gpu-test-util.ts';
import { randomBlocks } from '../../../../../testing/random-blocks.ts';

// Tolerance: f32 accumulation over K ≤ 200 terms of |w·x| ≤ 1 in a different order from the
// reference: error ≲ K · 2⁻²⁴ · Σ|w x| ≈ 1e-5; we allow 1e-4 (mixed abs/rel).
const TOL = 1e-4;

describe('matmul.wgsl: tiled GEMV/GEMM vs reference linear()', async () => {
  const device = await testDevice();
  const ctx = new GpuContext(device);
  afterAll(() => device.destroy());

  type Case = { n: number; k: number; t: number; grid: GridChoice; format: WeightFormat; epilogue: Epilogue; bias: boolean };
  const cases: Case[] = [];
  /** Every shape × grid × epilogue the format's column alignment allows (swiglu needs even N). */
  const addCases = (formats: readonly WeightFormat[], shapes: readonly (readonly [number, number, number])[], grids: GridChoice[], epilogues: readonly Epilogue[]) => {
    for (const format of formats) {
      for (const [n, k, t] of shapes) {
        for (const grid of grids) {
          if (grid.colTiles > Math.ceil(k / FORMAT_LAYOUT[format].colAlign)) continue;
          for (const epilogue of epilogues) {
            if (epilogue === 'swiglu' && n % 2) continue;
            cases.push({ n, k, t, grid, format, epilogue, bias: epilogue !== 'residual' });
          }
        }
      }
    }
  };
  const chain = (tileRows: number, colTiles: number): GridChoice => ({ tileRows, colTiles, reduce: 'chain' });
  const tree = (tileRows: number, colTiles: number): GridChoice => ({ tileRows, colTiles, reduce: 'tree' });
  const allEpilogues = ['store', 'residual', 'swiglu'] as const;
  // Awkward shapes (K not a multiple of 4, one token, odd batches) and a plain batched one.
  addCases(['f32', 'f16'], [[37, 66, 1], [130, 50, 5], [64, 64, 1], [64, 64, 6], [6, 3, 9]],
    [chain(64, 1), chain(32, 2), tree(32, 4), chain(128, 3)], allEpilogues);
  // Block formats: K a multiple of 32 (one block), odd block counts (a half-empty last pair), and
  // K splits whose tiles end mid-row.
  addCases(['q8_0', 'q4_0'], [[37, 96, 1], [130, 64, 5], [64, 256, 1], [64, 160, 6], [6, 32, 9]],
    [chain(64, 1), tree(32, 2), chain(128, 3)], allEpilogues);
  // K-quants: super-blocks of 256, so K is 256 or 512, and random blocks (there is no quantizer
  // for them here; random bytes exercise every scale/min packing case).
  addCases(['q4_k', 'q6_k'], [[37, 256, 1], [66, 512, 5]], [chain(64, 1), tree(32, 2)], ['store', 'swiglu']);
  // Q5_0: 32-weight blocks in pairs like Q8_0/Q4_0, random blocks (every qh bit pattern).
  addCases(['q5_0'], [[37, 96, 1], [66, 160, 5]], [chain(64, 1), tree(32, 2)], ['store', 'swiglu']);

  it.each(cases)('N=$n K=$k T=$t $format $epilogue grid=$grid', async ({ n, k, t, grid, format, epilogue, bias }) => {
    using group = new BufferGroup(device, 'test');
    const rowsPerThread = epilogue === 'swiglu' ? 2 : 1;
    const plan = planMatrix('w', n, k, format, { ...grid, tileRows: grid.tileRows * rowsPerThread }, rowsPerThread);
    let w = randomArray(n * k, n * 7 + k, 0.5);
    // The reference sees the stored values: f16-rounded, or dequantized from the blocks uploaded.
    if (format === 'f16') w = f16ArrayToF32(f32ArrayToF16(w));
    // Q8_0/Q4_0 quantize the random weights; the other block types (no quantizer here) are random blocks.
    const type = FORMAT_LAYOUT[format].blockType;
    const blocks = type === 'Q8_0' || type === 'Q4_0' ? { type, blocks: quantize(type, w) }
      : type ? { type, blocks: randomBlocks(type, (n * k) / BLOCK[type].elements, n + k) } : undefined;
    if (blocks) w = dequantize(blocks.type, blocks.blocks);
    const x = randomArray(t * k, 99 + t);
    const b = randomArray(n, 5, 0.3);
    const outCols = epilogue === 'swiglu' ? n / 2 : n;
    const initial = randomArray(t * outCols, 11);
    const weights = uploadTiled(group, plan, blocks ?? w);
    const xBuf = group.storage('x', x);
    const outBuf = group.storage('out', initial, GPUBufferUsage.COPY_SRC);
    const partials = group.create('partials', plan.grid.q * t * n * 4, GPUBufferUsage.STORAGE);
    const list = await matmulDispatches(ctx, group, {
      weights, x: xBuf, out: outBuf, partials, tokens: t, epilogue, ...(bias ? { bias: group.storage('b', b) } : {}),
    });
    await runDispatches(device, list);
    const got = await readF32(device, outBuf, t * outCols);
    const y = linear(x, w, n, k, bias ? b : undefined);
    let want: Float32Array;
    if (epilogue === 'store') want = y;
    else if (epilogue === 'residual') want = addInPlace(initial.slice(), y);
    else {
      const gate = new Float32Array(t * outCols), up = new Float32Array(t * outCols);
      for (let i = 0; i < t * outCols; i++) { gate[i] = y[2 * i]!; up[i] = y[2 * i + 1]!; }
      want = swiglu(gate, up);
    }
    expect(maxMixedError(got, want)).toBeLessThan(TOL);
  });

  it.each([
    { format: 'f32' as const, grid: chain(64, 1), epilogue: 'residual' as const },
    { format: 'q8_0' as const, grid: tree(32, 2), epilogue: 'store' as const },
    { format: 'q4_k' as const, grid: chain(64, 2), epilogue: 'swiglu' as const },
  ])('a matrix over the binding limit runs in parts of whole row blocks: $format $epilogue', async ({ format, grid, epilogue }) => {
    using group = new BufferGroup(device, 'test');
    const [n, k, t] = [300, 512, 3];
    const rowsPerThread = epilogue === 'swiglu' ? 2 : 1;
    const plan = planMatrix('w', n, k, format, { ...grid, tileRows: grid.tileRows * rowsPerThread }, rowsPerThread);
    const blocks = format === 'q8_0' ? { type: 'Q8_0' as const, blocks: quantize('Q8_0', randomArray(n * k, 8, 0.5)) }
      : format === 'q4_k' ? { type: 'Q4_K' as const, blocks: randomBlocks('Q4_K', (n * k) / 256, 9) } : undefined;
    const w = blocks ? dequantize(blocks.type, blocks.blocks) : randomArray(n * k, 8, 0.5);
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
