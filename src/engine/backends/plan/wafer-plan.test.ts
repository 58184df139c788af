import { describe, expect, it } from 'vitest';
import { parseModelConfig } from '../../../model/config.ts';
import type { TensorType } from '../../../model/tensor.ts';
import { buildModelPlan, describeFormats, planCacheKey, roleShapes, roleTensorNames, uniformFormats, weightFormats } from './model-plan.ts';
import { candidateGrids, defaultGrid, describeGrid, FORMAT_LAYOUT, gridOf, interleaveTiles, partialFloats, PE_SRAM_BYTES, planMatrix, sameGrid, summarisePlans, tileMajorIndex, toTileMajor } from './wafer-plan.ts';

describe('planMatrix: grid, tiles, padding and the modelled wafer costs', () => {
  it('one tile column: no reduce, tiles padded to the vec4 width', () => {
    const p = planMatrix('w', 130, 66, 'f32', { tileRows: 64, colTiles: 1, reduce: 'chain' });
    expect(p.grid).toEqual({ p: 3, q: 1 });
    expect(p.tile).toEqual({ rows: 64, cols: 68 });
    expect(p.reduce).toBe('none');
    expect(p.storedElements).toBe(3 * 64 * 68);
    expect(p.storedBytes).toBe(3 * 64 * 68 * 4);
    expect(p.pe).toEqual({ bytesOwned: 64 * 68 * 4, fitsSram: true, broadcastHops: 2, reduceHops: 0 });
    expect(p.reducePasses).toBe(0);
    // weights + x broadcast (each of P·Q PEs reads its tileCols slice) + y
    expect(p.bytesPerToken).toBe(3 * 64 * 68 * 4 + 3 * 68 * 4 + 130 * 4);
  });

  it('chain vs tree reduce: Q-1 serial hops in one pass vs log2 Q levels', () => {
    const chain = planMatrix('w', 100, 200, 'f16', { tileRows: 32, colTiles: 4, reduce: 'chain' });
    const tree = planMatrix('w', 100, 200, 'f16', { tileRows: 32, colTiles: 4, reduce: 'tree' });
    expect(chain.tile.cols).toBe(52); // ceil(200/4) = 50 → 52
    expect(chain.pe.reduceHops).toBe(3);
    expect(chain.reducePasses).toBe(1);
    expect(tree.pe.reduceHops).toBe(2);
    expect(tree.reducePasses).toBe(2);
    expect(chain.pe.bytesOwned).toBe(32 * 52 * 2);
    // partial sums: Q·N floats written and read again
    expect(chain.bytesPerToken - (chain.storedBytes + 4 * 4 * 52 * 4 + 100 * 4)).toBe(2 * 4 * 100 * 4);
  });

  it('flags PEs over the 48 KB SRAM budget', () => {
    const big = planMatrix('w', 1024, 4096, 'f32', { tileRows: 64, colTiles: 1, reduce: 'chain' });
    expect(big.pe.bytesOwned).toBe(64 * 4096 * 4);
    expect(big.pe.fitsSram).toBe(false);
    const small = planMatrix('w', 1024, 4096, 'f16', { tileRows: 32, colTiles: 16, reduce: 'tree' });
    expect(small.pe.bytesOwned).toBeLessThanOrEqual(PE_SRAM_BYTES);
  });

  it('rejects impossible grids with the reason', () => {
    expect(() => planMatrix('w', 10, 10, 'f32', { tileRows: 0, colTiles: 1, reduce: 'chain' })).toThrow(/tileRows/);
    expect(() => planMatrix('w', 10, 10, 'f32', { tileRows: 32, colTiles: 3, reduce: 'tree' })).toThrow(/power of two/);
    expect(() => planMatrix('w', 10, 8, 'f32', { tileRows: 32, colTiles: 4, reduce: 'chain' })).toThrow(/Q=4/);
    expect(() => planMatrix('w', 10, 8, 'f32', { tileRows: 33, colTiles: 1, reduce: 'chain' }, 2)).toThrow(/rowsPerThread/);
  });

  it('tile-major layout: tile (r, c) contiguous, zero padded, every weight exactly once', () => {
    const n = 37, k = 23;
    const w = Float32Array.from({ length: n * k }, (_, i) => i + 1);
    const p = planMatrix('w', n, k, 'f32', { tileRows: 16, colTiles: 3, reduce: 'chain' });
    const t = toTileMajor(p, w, (len) => new Float32Array(len));
    expect(t.length).toBe(p.storedElements);
    for (let r = 0; r < n; r++) for (let c = 0; c < k; c++) expect(t[tileMajorIndex(p, r, c)]).toBe(w[r * k + c]);
    expect(t.filter((v) => v !== 0).length).toBe(n * k);
    // tile (1, 2) starts right after tiles (0,0..2) and (1,0..1)
    expect(tileMajorIndex(p, 16, 2 * p.tile.cols)).toBe(5 * p.tile.rows * p.tile.cols);
    // f16 bits go through unchanged
    const bits = Uint16Array.from({ length: n * k }, (_, i) => i);
    const tb = toTileMajor(p, bits, (len) => new Uint16Array(len));
    expect(tb[tileMajorIndex(p, 36, 22)]).toBe(36 * k + 22);
  });

  it('candidates and the default', () => {
    const c = candidateGrids(576, 576);
    expect(c.length).toBeGreaterThan(5);
    expect(c.every((g) => g.colTiles === 1 || 576 / g.colTiles >= 4)).toBe(true);
    expect(c.filter((g) => g.colTiles > 1).some((g) => g.reduce === 'tree')).toBe(true);
    expect(candidateGrids(10, 3)).toEqual(candidateGrids(10, 3).filter((g) => g.colTiles === 1));
    expect(defaultGrid(2)).toEqual({ tileRows: 128, colTiles: 1, reduce: 'chain' });
  });

  it('offers the tile passes: interleaved always, subgroup at the lanes the device runs and within 256 threads', () => {
    const none = candidateGrids(576, 576);
    expect(none.some((g) => g.kernel === 'interleaved')).toBe(true);
    expect(none.some((g) => g.kernel === 'subgroup')).toBe(false);
    const sg = candidateGrids(576, 576, 2, 'f16', [4, 8]).filter((g) => g.kernel === 'subgroup');
    // 256- and 128-thread workgroups: 256 / lanes or 128 / lanes rows, × 2 rows for the SwiGLU pair.
    expect(sg.map(describeGrid)).toEqual(['128x1 subgroup/4', '64x1 subgroup/4', '64x1 subgroup/8', '32x1 subgroup/8']);
    for (const g of candidateGrids(576, 576, 2, 'f16', [4, 8])) expect(() => planMatrix('m', 576, 576, 'f16', g, 2)).not.toThrow();
    // One warp of 32 per row on a GPU with subgroups of 32: 8 or 4 rows per workgroup.
    expect(candidateGrids(4096, 4096, 1, 'q4_k', [32]).filter((g) => g.kernel === 'subgroup').map(describeGrid)).toEqual(['8x1 subgroup/32', '4x1 subgroup/32']);
    // The kernel variants come before the plain grids, so a short tune budget still times them.
    const all = candidateGrids(576, 576, 1, 'f32', [4]);
    const firstPlain = all.findIndex((g) => !g.kernel);
    expect(all.slice(firstPlain).every((g) => !g.kernel)).toBe(true);
    expect(all.slice(0, firstPlain).map((g) => g.kernel)).toEqual(['interleaved', 'interleaved', 'interleaved', 'subgroup', 'subgroup']);
  });

  it('checks a tile pass choice', () => {
    expect(planMatrix('m', 64, 64, 'f32', { tileRows: 64, colTiles: 1, reduce: 'chain' })).toMatchObject({ kernel: 'rows', lanes: 1 });
    expect(planMatrix('m', 64, 64, 'f32', { tileRows: 64, colTiles: 1, reduce: 'chain', kernel: 'subgroup', lanes: 4 })).toMatchObject({ kernel: 'subgroup', lanes: 4 });
    expect(() => planMatrix('m', 64, 64, 'f32', { tileRows: 64, colTiles: 1, reduce: 'chain', kernel: 'subgroup' })).toThrow(/lanes a power of two/);
    expect(() => planMatrix('m', 64, 64, 'f32', { tileRows: 64, colTiles: 1, reduce: 'chain', kernel: 'subgroup', lanes: 6 })).toThrow(/lanes a power of two/);
    expect(() => planMatrix('m', 64, 64, 'f32', { tileRows: 64, colTiles: 1, reduce: 'chain', kernel: 'subgroup', lanes: 8 })).toThrow(/512 threads per workgroup/);
    expect(() => planMatrix('m', 64, 64, 'f32', { tileRows: 64, colTiles: 1, reduce: 'chain', kernel: 'interleaved', lanes: 4 })).toThrow(/subgroup kernel only/);
    expect(sameGrid({ tileRows: 64, colTiles: 1, reduce: 'chain' }, { tileRows: 64, colTiles: 1, reduce: 'chain', kernel: 'rows', lanes: 1 })).toBe(true);
    expect(sameGrid({ tileRows: 64, colTiles: 1, reduce: 'chain' }, { tileRows: 64, colTiles: 1, reduce: 'chain', kernel: 'interleaved' })).toBe(false);
  });

  it('the norm prologue: on the plan, in the grid it came from, and in the partial sums it needs', () => {
    const grid = { tileRows: 32, colTiles: 2, reduce: 'tree' as const, normPrologue: true };
    const plan = planMatrix('m', 70, 64, 'f32', grid);
    expect(plan.normPrologue).toBe(true);
    expect(gridOf(plan)).toEqual(grid);
    expect(describeGrid(grid)).toBe('32x2 tree +norm');
    expect(sameGrid(grid, { ...grid, normPrologue: false })).toBe(false);
    expect(sameGrid({ ...grid, normPrologue: false }, { tileRows: 32, colTiles: 2, reduce: 'tree' })).toBe(true);
    // [Q, T, N] sums, then Σ x² per tile column and token [Q, T]; none with one tile column.
    expect(partialFloats(plan, 3)).toBe(2 * 3 * 70 + 2 * 3);
    expect(partialFloats(planMatrix('m', 70, 64, 'f32', { ...grid, normPrologue: false }), 3)).toBe(2 * 3 * 70);
    expect(partialFloats(planMatrix('m', 70, 64, 'f32', { ...grid, colTiles: 1 }), 3)).toBe(0);
  });

  it.each(['f32', 'f16', 'q8_0', 'q4_k'] as const)('interleaveTiles moves every unit where tileMajorIndex says (%s)', (format) => {
    const { colAlign, bytesPerElement } = FORMAT_LAYOUT[format];
    const unitWords = (colAlign * bytesPerElement) / 4;
    const [n, k] = [70, 3 * colAlign + (format === 'f32' || format === 'f16' ? 2 : 0)];
    const rows = planMatrix('m', n, k, format, { tileRows: 32, colTiles: 2, reduce: 'chain' });
    const inter = planMatrix('m', n, k, format, { tileRows: 32, colTiles: 2, reduce: 'chain', kernel: 'interleaved' });
    // Each unit's words carry its row-by-row unit number, so the check sees where every unit went.
    const words = Uint32Array.from({ length: rows.storedBytes / 4 }, (_, i) => Math.floor(i / unitWords));
    const moved = new Uint32Array(interleaveTiles(inter, new Uint8Array(words.slice().buffer)).buffer);
    for (let r = 0; r < n; r += 7) {
      for (let c = 0; c < rows.tile.cols * 2; c += colAlign) {
        expect(moved[(tileMajorIndex(inter, r, c) / colAlign) * unitWords]).toBe(tileMajorIndex(rows, r, c) / colAlign);
      }
    }
    expect(() => interleaveTiles(inter, new Uint8Array(8))).toThrow(/is not the plan's/);
  });
});

describe('model plan', () => {
  const config = parseModelConfig({
    architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', vocab_size: 301, hidden_size: 72, intermediate_size: 200,
    num_hidden_layers: 2, num_attention_heads: 6, num_key_value_heads: 2, max_position_embeddings: 512, rms_norm_eps: 1e-6,
    rope_theta: 10000, tie_word_embeddings: false, hidden_act: 'silu', use_sliding_window: false,
  });

  it('one plan per matrix role; forced grids win; totals count every layer', () => {
    expect(roleShapes(config).map((s) => [s.role, s.rows, s.cols])).toEqual([
      ['qkv', 120, 72], ['o', 72, 72], ['gate_up', 400, 72], ['down', 72, 200], ['lm_head', 301, 72], ['embed', 301, 72],
    ]);
    const plan = buildModelPlan(config, 'f32', { o: { grid: { tileRows: 32, colTiles: 2, reduce: 'tree' }, source: 'autotune' } });
    expect(plan.source).toMatchObject({ o: 'autotune', qkv: 'default', gate_up: 'default' });
    expect(plan.roles.o!.grid).toEqual({ p: 3, q: 2 });
    expect(plan.roles.gate_up!.tile.rows).toBe(128); // 64 threads × 2 rows (the SwiGLU pair)
    const perLayer = ['qkv', 'o', 'gate_up', 'down'] as const;
    const expected = summarisePlans([...perLayer.flatMap((r) => [plan.roles[r]!, plan.roles[r]!]), plan.roles.lm_head!]);
    expect(plan.summary).toEqual(expected);
    const forced = buildModelPlan(config, 'f16', {}, { tileRows: 32, colTiles: 4, reduce: 'chain' });
    expect(Object.values(forced.source).every((s) => s === 'forced')).toBe(true);
    expect(forced.roles.gate_up!.tile.rows).toBe(32);
    const perRole = buildModelPlan(config, 'f16', {}, { down: { tileRows: 32, colTiles: 2, reduce: 'chain' } });
    expect(perRole.source).toMatchObject({ down: 'forced', o: 'default' });
    // A norm prologue asked of every role applies to those that follow an RMSNorm only.
    const normed = buildModelPlan(config, 'f32', {}, { tileRows: 64, colTiles: 1, reduce: 'chain', normPrologue: true });
    expect(Object.fromEntries(Object.entries(normed.roles).map(([r, p]) => [r, p!.normPrologue])))
      .toEqual({ qkv: true, o: false, gate_up: true, down: false, lm_head: true, embed: false });
    expect(roleShapes(config).filter((s) => s.normed).map((s) => s.role)).toEqual(['qkv', 'gate_up', 'lm_head']);
  });

  it('cache key: per adapter, model shapes and format', () => {
    const a = { vendor: 'google', architecture: 'swiftshader', device: '', description: 'x' };
    const k1 = planCacheKey(a, config, 'f32');
    expect(k1).toContain('swiftshader');
    expect(planCacheKey(a, config, 'f16')).not.toBe(k1);
    expect(planCacheKey({ ...a, architecture: 'ampere' }, config, 'f32')).not.toBe(k1);
    expect(planCacheKey(a, { ...config, hiddenSize: 64 }, 'f32')).not.toBe(k1);
  });

  it('block formats: tile columns hold whole block pairs (64), and bytes count 34 or 18 per 32 weights', () => {
    const q8 = planMatrix('w', 100, 96, 'q8_0', { tileRows: 64, colTiles: 1, reduce: 'chain' });
    expect(q8.tile.cols).toBe(128);
    expect(q8.storedBytes).toBe((q8.storedElements / 32) * 34);
    const q4 = planMatrix('w', 100, 256, 'q4_0', { tileRows: 32, colTiles: 2, reduce: 'tree' });
    expect(q4.tile.cols).toBe(128);
    expect(q4.storedBytes).toBe((q4.storedElements / 32) * 18);
    expect(() => planMatrix('w', 8, 96, 'q8_0', { tileRows: 32, colTiles: 3, reduce: 'chain' })).toThrow(/Q=3 tile columns is more than K=96 allows/);
  });

  it('formats follow the tensors: one block type kept, mixed fused matrices f16, per layer where layers differ, forced wins', () => {
    const groups = roleTensorNames(config);
    const where = (name: string) => {
      for (const [role, list] of Object.entries(groups)) {
        const layer = list.findIndex((g) => g.includes(name));
        if (layer >= 0) return { role, layer };
      }
      return { role: '', layer: -1 };
    };
    /** Tensor types by role (or role and layer, "down.0"), else `fallback`. */
    const typed = (types: Partial<Record<string, TensorType>>, fallback: TensorType) => (name: string) => {
      const { role, layer } = where(name);
      return types[`${role}.${layer}`] ?? types[role] ?? fallback;
    };
    expect(weightFormats(config, typed({}, 'Q8_0'))).toEqual({ roles: uniformFormats('q8_0'), layers: {} });
    expect(weightFormats(config, typed({ o: 'Q8_0' }, 'Q4_0')).roles).toMatchObject({ qkv: 'q4_0', o: 'q8_0', down: 'q4_0' });
    expect(weightFormats(config, () => 'F16').roles).toEqual(uniformFormats('f16'));
    expect(weightFormats(config, () => 'BF16').roles).toEqual(uniformFormats('f32'));
    expect(weightFormats(config, () => 'BF16', {}, () => true).roles).toEqual(uniformFormats('f16'));
    expect(weightFormats(config, () => 'BF16', {}, (n) => n !== 'model.layers.1.mlp.down_proj.weight').roles).toEqual(uniformFormats('f32'));
    expect(weightFormats(config, () => 'Q8_0', { weightFormat: 'f32' })).toEqual({ roles: uniformFormats('f32'), layers: {} });
    // Quantize on load takes the float matrices only: block-typed ones stay as they are.
    expect(weightFormats(config, () => 'BF16', { quantizeFloats: 'q8_0' }).roles).toEqual(uniformFormats('q8_0'));
    expect(weightFormats(config, typed({ o: 'F16', lm_head: 'F32' }, 'Q4_K'), { quantizeFloats: 'q4_0' }).roles)
      .toMatchObject({ qkv: 'q4_k', o: 'q4_0', down: 'q4_k', lm_head: 'q4_0' });
    const tied = { ...config, tieWordEmbeddings: true };
    expect(weightFormats(tied, (n) => (n === 'model.embed_tokens.weight' ? 'Q8_0' : 'Q4_0')).roles.embed).toBe('q8_0');

    // A Q4_K_M-like file: Q4_K, with v and down Q6_K in layer 0 only and a Q6_K output. Layer 0's
    // fused qkv mixes Q4_K and Q6_K, so it alone is f16; down keeps each layer's own blocks.
    const v0 = (name: string) => (name === 'model.layers.0.self_attn.v_proj.weight' ? 'Q6_K' : undefined);
    const mixed = weightFormats(config, (n) => v0(n) ?? typed({ 'down.0': 'Q6_K', lm_head: 'Q6_K' }, 'Q4_K')(n));
    expect(mixed.layers).toEqual({ qkv: ['f16', 'q4_k'], down: ['q6_k', 'q4_k'] });
    expect(mixed.roles).toMatchObject({ o: 'q4_k', gate_up: 'q4_k', lm_head: 'q6_k', embed: 'q4_k' });
    const plan = buildModelPlan(config, mixed);
    expect(plan.layers!.down!.map((p) => p.format)).toEqual(['q6_k', 'q4_k']);
    expect(plan.layers!.qkv!.map((p) => p.format)).toEqual(['f16', 'q4_k']);
    const perLayer = ['qkv', 'o', 'gate_up', 'down'] as const;
    const stored = perLayer.flatMap((r) => plan.layers?.[r] ?? [plan.roles[r]!, plan.roles[r]!]);
    expect(plan.summary.storedBytes).toBe(summarisePlans([...stored, plan.roles.lm_head!]).storedBytes);
    expect(describeFormats(uniformFormats('q4_0'))).toBe('q4_0');
    expect(describeFormats({ ...uniformFormats('q4_0'), lm_head: 'f16' })).toBe('qkv q4_0, o q4_0, gate_up q4_0, down q4_0, lm_head f16, embed q4_0');
    expect(planCacheKey({ vendor: 'v', architecture: 'a', device: '', description: '' }, config, { ...uniformFormats('q4_0'), o: 'q8_0' }))
      .not.toBe(planCacheKey({ vendor: 'v', architecture: 'a', device: '', description: '' }, config, 'q4_0'));
  });
});
