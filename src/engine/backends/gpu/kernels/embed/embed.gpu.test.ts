import { afterAll, describe, expect, it } from 'vitest';
import { embed } from '../../../cpu/reference/ops.ts';
import { f16ArrayToF32, f32ArrayToF16 } from '../../../../../model/half.ts';
import { BLOCK, dequantize, quantize } from '../../../../../model/quant.ts';
import { FORMAT_LAYOUT, planMatrix } from '../../../plan/wafer-plan.ts';
import { BufferGroup, GpuContext, runDispatches } from '../../context.ts';
import { embedDispatches } from './embed.ts';
import { uploadTiled } from '../shared/weights.ts';
import { randomArray, readF32, testDevice } from '../../../../../testing/gpu-test-util.ts';
import { randomBlocks } from '../../../../../testing/random-blocks.ts';

// A gather is exact: tolerance 0 (f16 tables compared with their f16-rounded values).
describe('embed.wgsl: gather from a tile-major table', async () => {
  const device = await testDevice();
  const ctx = new GpuContext(device);
  afterAll(() => device.destroy());

  const cases = [
    { vocab: 37, dim: 66, tileRows: 32, q: 1, format: 'f32' as const, ids: [0, 36, 5] },
    { vocab: 100, dim: 10, tileRows: 64, q: 2, format: 'f16' as const, ids: [99] },
    { vocab: 300, dim: 130, tileRows: 128, q: 3, format: 'f32' as const, ids: Array.from({ length: 17 }, (_, i) => (i * 37) % 300) },
    { vocab: 50, dim: 96, tileRows: 32, q: 1, format: 'q8_0' as const, ids: [49, 0, 7] },
    { vocab: 70, dim: 160, tileRows: 64, q: 2, format: 'q4_0' as const, ids: [3, 69, 3, 12] },
    { vocab: 40, dim: 512, tileRows: 32, q: 2, format: 'q4_k' as const, ids: [39, 1] },
    { vocab: 33, dim: 256, tileRows: 64, q: 1, format: 'q6_k' as const, ids: [0, 32, 16] },
    { vocab: 45, dim: 96, tileRows: 32, q: 1, format: 'q5_0' as const, ids: [44, 2, 31] },
    // Split in parts of whole row blocks (a binding limit smaller than the table): 10 row blocks of
    // 32 rows, 3 per part; ids in every part and at part edges.
    { vocab: 300, dim: 40, tileRows: 32, q: 1, format: 'f32' as const, ids: [0, 95, 96, 191, 192, 299, 150], splitBlocks: 3 },
    { vocab: 200, dim: 96, tileRows: 32, q: 1, format: 'q8_0' as const, ids: [199, 0, 64, 63], splitBlocks: 2 },
  ];
  // The tied lm_head may be tuned to the 'interleaved' tile layout: the gather reads it as stored.
  it.each(cases.flatMap((c) => [{ ...c, kernel: 'rows' as const }, { ...c, kernel: 'interleaved' as const }]))('V=$vocab D=$dim Q=$q $format $kernel T=$ids.length split=$splitBlocks', async ({ vocab, dim, tileRows, q, format, ids, splitBlocks, kernel }) => {
    using group = new BufferGroup(device, 'test');
    let table = randomArray(vocab * dim, vocab + dim);
    if (format === 'f16') table = f16ArrayToF32(f32ArrayToF16(table));
    // Block formats: the gather must give exactly the dequantized values of the blocks.
    const type = format === 'q8_0' ? 'Q8_0' as const : format === 'q4_0' ? 'Q4_0' as const : undefined;
    const other = FORMAT_LAYOUT[format].blockType;
    const blocks = type ? { type, blocks: quantize(type, table) }
      : other ? { type: other, blocks: randomBlocks(other, (vocab * dim) / BLOCK[other].elements, vocab) } : undefined;
    if (blocks) table = dequantize(blocks.type, blocks.blocks);
    const plan = planMatrix('embed', vocab, dim, format, { tileRows, colTiles: q, reduce: 'chain', kernel });
    const out = group.create('out', ids.length * dim * 4, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC);
    const d = await embedDispatches(ctx, group, {
      table: uploadTiled(group, plan, blocks ?? table, splitBlocks ? (plan.storedBytes / plan.grid.p) * splitBlocks : undefined),
      ids: group.storage('ids', new Uint32Array(ids)), out, tokens: ids.length,
    });
    if (splitBlocks) expect(d).toHaveLength(Math.ceil(plan.grid.p / splitBlocks));
    await runDispatches(device, d);
    expect(Array.from(await readF32(device, out, ids.length * dim))).toEqual(Array.from(embed(table, dim, ids)));
  });
});
