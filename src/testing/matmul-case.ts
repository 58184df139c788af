// One tiled matmul run on the GPU beside the CPU reference's answer: the check every tile pass
// (kernels/matmul, kernels/matmul-subgroup) is held to.
import { addInPlace, linear, rmsNorm, swiglu } from '../engine/backends/cpu/reference/ops.ts';
import { BufferGroup, runDispatches, type GpuContext } from '../engine/backends/gpu/context.ts';
import { matmulDispatches, type Epilogue } from '../engine/backends/gpu/kernels/matmul/matmul.ts';
import { uploadTiled } from '../engine/backends/gpu/kernels/shared/weights.ts';
import { describeGrid, FORMAT_LAYOUT, partialFloats, planMatrix, type GridChoice, type WeightFormat } from '../engine/backends/plan/wafer-plan.ts';
import { f16ArrayToF32, f32ArrayToF16 } from '../model/half.ts';
import { BLOCK, dequantize, quantize } from '../model/quant.ts';
import { randomArray, readF32 } from './gpu-test-util.ts';
import { randomBlocks } from './random-blocks.ts';

export interface MatmulCase {
  n: number; k: number; t: number; grid: GridChoice; format: WeightFormat; epilogue: Epilogue; bias: boolean;
  /** The grid in words, for test names. */
  label: string;
  /** Rows of x before the ones multiplied (the norm prologue's xRow): x holds xRow + t rows. */
  xRow?: number;
}

/**
 * Every shape × grid × epilogue the format's column alignment allows (swiglu needs even N); the
 * residual epilogue runs without a bias, the others with one.
 */
export function matmulCases(
  formats: readonly WeightFormat[], shapes: readonly (readonly [number, number, number])[], grids: readonly GridChoice[], epilogues: readonly Epilogue[],
): MatmulCase[] {
  const cases: MatmulCase[] = [];
  for (const format of formats) {
    for (const [n, k, t] of shapes) {
      for (const grid of grids) {
        if (grid.colTiles > Math.ceil(k / FORMAT_LAYOUT[format].colAlign)) continue;
        for (const epilogue of epilogues) {
          if (epilogue === 'swiglu' && n % 2) continue;
          cases.push({ n, k, t, grid, format, epilogue, bias: epilogue !== 'residual', label: describeGrid(grid) });
        }
      }
    }
  }
  return cases;
}

/** The RMSNorm eps of the norm-prologue cases (Qwen2's). */
const NORM_EPS = 1e-6;

/**
 * Runs one case: random weights in the case's format (the reference sees the stored values:
 * f16-rounded, or dequantized from the blocks uploaded; K-quants and Q5_0 are random blocks),
 * random x, bias and initial out. With the grid's norm prologue, x is normalised first with a
 * random norm weight (the reference: rmsNorm, then linear). Returns the GPU's output and the
 * reference's, and per output Σ|w·x| over its row (the product's magnitude, which bounds the
 * rounding error of f16 maths).
 */
export async function runMatmulCase(ctx: GpuContext, c: MatmulCase): Promise<{ got: Float32Array; want: Float32Array; magnitude: Float32Array }> {
  const { n, k, t, grid, format, epilogue, bias } = c;
  const device = ctx.device;
  using group = new BufferGroup(device, 'test');
  const rowsPerThread = epilogue === 'swiglu' ? 2 : 1;
  const plan = planMatrix('w', n, k, format, { ...grid, tileRows: grid.tileRows * rowsPerThread }, rowsPerThread);
  let w = randomArray(n * k, n * 7 + k, 0.5);
  if (format === 'f16') w = f16ArrayToF32(f32ArrayToF16(w));
  const type = FORMAT_LAYOUT[format].blockType;
  const blocks = type === 'Q8_0' || type === 'Q4_0' ? { type, blocks: quantize(type, w) }
    : type ? { type, blocks: randomBlocks(type, (n * k) / BLOCK[type].elements, n + k) } : undefined;
  if (blocks) w = dequantize(blocks.type, blocks.blocks);
  const xRow = c.xRow ?? 0;
  const x = randomArray((xRow + t) * k, 99 + t);
  const normWeight = randomArray(k, 17, 1.5);
  const b = randomArray(n, 5, 0.3);
  const outCols = epilogue === 'swiglu' ? n / 2 : n;
  const initial = randomArray(t * outCols, 11);
  const weights = uploadTiled(group, plan, blocks ?? w);
  const outBuf = group.storage('out', initial, GPUBufferUsage.COPY_SRC);
  const partials = group.create('partials', Math.max(16, partialFloats(plan, t) * 4), GPUBufferUsage.STORAGE);
  const list = await matmulDispatches(ctx, group, {
    weights, x: group.storage('x', x), out: outBuf, partials, tokens: t, epilogue, xRow, ...(bias ? { bias: group.storage('b', b) } : {}),
    ...(plan.normPrologue ? { norm: { weight: group.storage('norm', normWeight), eps: NORM_EPS } } : {}),
  });
  await runDispatches(device, list);
  const got = await readF32(device, outBuf, t * outCols);
  const rows = x.subarray(xRow * k);
  const xs = plan.normPrologue ? rmsNorm(rows, normWeight, NORM_EPS) : rows;
  const y = linear(xs, w, n, k, bias ? b : undefined);
  const magnitude = linear(xs.map(Math.abs), w.map(Math.abs), n, k);
  let want: Float32Array;
  if (epilogue === 'store') want = y;
  else if (epilogue === 'residual') want = addInPlace(initial.slice(), y);
  else want = swiglu(y.filter((_, i) => i % 2 === 0), y.filter((_, i) => i % 2 === 1));
  return { got, want, magnitude };
}

/**
 * One matrix's batched GEMM over 6 tokens and its GEMV on each token alone, on the same weights
 * and x (and norm): rows `batched[i]` and `single[i]` must agree bit for bit, or greedy decoding
 * with drafts would differ from decoding without.
 */
export async function gemmAndGemvRows(ctx: GpuContext, grid: GridChoice, format: 'f32' | 'f16' | 'q8_0'): Promise<{ batched: Float32Array[]; single: Float32Array[] }> {
  const device = ctx.device;
  using group = new BufferGroup(device, 'test');
  const [n, k, t] = [70, format === 'q8_0' ? 192 : 202, 6];
  const plan = planMatrix('w', n, k, format, grid);
  const w = randomArray(n * k, 21, 0.5);
  const weights = uploadTiled(group, plan, format === 'q8_0' ? { type: 'Q8_0', blocks: quantize('Q8_0', w) } : w);
  const x = randomArray(t * k, 22);
  const partials = group.create('partials', Math.max(16, partialFloats(plan, t) * 4), GPUBufferUsage.STORAGE);
  const normArg = plan.normPrologue ? { norm: { weight: group.storage('norm', randomArray(k, 23, 1.5)), eps: NORM_EPS } } : {};
  const run = async (label: string, xs: Float32Array, tokens: number) => {
    const out = group.create(label, tokens * n * 4, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC);
    await runDispatches(device, await matmulDispatches(ctx, group, { weights, x: group.storage(`x-${label}`, xs), out, partials, tokens, epilogue: 'store', ...normArg }));
    return readF32(device, out, tokens * n);
  };
  const all = await run('batched', x, t);
  const batched = [], single = [];
  for (let i = 0; i < t; i++) {
    batched.push(all.subarray(i * n, (i + 1) * n));
    single.push(await run(`one${i}`, x.subarray(i * k, (i + 1) * k), 1));
  }
  return { batched, single };
}
