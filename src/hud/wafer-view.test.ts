import { describe, expect, it } from 'vitest';
import { loadLab } from '../engine/index.ts';
import { layoutWafer, planVariants, reduceHops } from './wafer-view.ts';

const { planMatrix } = await loadLab();

describe('wafer view layout', () => {
  it('draws one cell per PE and wraps at the width', () => {
    const a = planMatrix('model.layers.0.self_attn.q_proj.weight', 256, 256, 'f16', { tileRows: 64, colTiles: 2, reduce: 'chain' });
    const b = planMatrix('model.layers.0.mlp.down_proj.weight', 256, 688, 'f16', { tileRows: 64, colTiles: 1, reduce: 'chain' });
    const layout = layoutWafer([a, b, a], 40);
    expect(layout.cells).toHaveLength(4 * 2 + 4 * 1 + 4 * 2);
    expect(layout.labels[0]!.text).toBe('layers.0.self_attn.q_proj');
    expect(layout.labels[1]!.y).toBe(layout.labels[0]!.y);
    expect(layout.labels[2]!.y).toBeGreaterThan(layout.labels[0]!.y); // the third grid wrapped
    expect(layout.cells[0]!.sram).toBeCloseTo((64 * 128 * 2) / (48 * 1024));
  });
  it('names the measured variants the plan runs', () => {
    const grid = { tileRows: 64, colTiles: 1, reduce: 'chain' as const };
    const plain = planMatrix('qkv', 64, 64, 'f16', grid);
    expect(planVariants([plain])).toBe('');
    const half = planMatrix('qkv', 64, 64, 'f16', { ...grid, f16Math: true });
    const stats = planMatrix('lm_head', 64, 64, 'f16', { ...grid, rowStats: true });
    expect(planVariants([half, half, plain, stats])).toBe('f16 maths on qkv; lm_head row statistics for the sampler');
  });
  it('models chain against tree reduce hops', () => {
    expect(reduceHops(1)).toEqual({ chain: 0, tree: 0 });
    expect(reduceHops(8)).toEqual({ chain: 7, tree: 3 });
  });
});
