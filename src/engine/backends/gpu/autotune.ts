// Place-and-route by measurement (DESIGN.md §2): for each matrix role's shape, time a few
// candidate grids as decode GEMVs on the real adapter and keep the fastest. Weights are left
// zero (speed does not depend on values), so tuning costs no uploads. The result is plain data
// that a PlanCache (IndexedDB in the page) stores under planCacheKey().

import type { ModelConfig } from '../../../model/config.ts';
import { roleShapes, type MatrixRole, type RoleFormats } from '../plan/model-plan.ts';
import { candidateGrids, defaultGrid, planMatrix, type GridChoice, type WeightFormat } from '../plan/wafer-plan.ts';
import { BufferGroup, encodeDispatches, type GpuContext } from './context.ts';
import { matmulDispatches } from './kernels/matmul/matmul.ts';
import { zeroTiled } from './kernels/shared/weights.ts';

export interface TunedRole {
  grid: GridChoice;
  /** Measured wall-clock ms per GEMV of the winner. */
  ms: number;
  candidates: { grid: GridChoice; ms: number }[];
}

export type TunedPlan = Partial<Record<MatrixRole, TunedRole>>;

/** Where tuned plans persist (IndexedDB in the page; a Map in tests). */
export interface PlanCache {
  get(key: string): Promise<TunedPlan | undefined>;
  set(key: string, value: TunedPlan): Promise<void>;
}

export interface AutotuneOptions {
  /** GEMVs per timed submit (amortises the ~1 ms submit round trip). Default 8. */
  reps?: number;
  /** Timed submits per candidate; the fastest counts. Default 2. */
  trials?: number;
  /**
   * Wall-clock budget for the whole tune (default 4000 ms): each role gets an equal share and
   * stops trying candidates when it is spent (the default grid is always tried first).
   */
  budgetMs?: number;
  /** Restrict the candidates (tests, or a quick tune). */
  candidates?: (rows: number, cols: number, rowsPerThread: number, format: WeightFormat) => GridChoice[];
}

export async function autotunePlan(ctx: GpuContext, config: ModelConfig, formats: RoleFormats, options: AutotuneOptions = {}): Promise<TunedPlan> {
  const reps = options.reps ?? 8;
  const trials = options.trials ?? 2;
  const device = ctx.device;
  const out: TunedPlan = {};
  const shapes = roleShapes(config).filter((s) => s.role !== 'embed'); // gathered, never multiplied
  const perRoleMs = (options.budgetMs ?? 4000) / shapes.length;
  for (const shape of shapes) {
    const format = formats[shape.role];
    const first = defaultGrid(shape.rowsPerThread);
    const grids = [first, ...(options.candidates ?? candidateGrids)(shape.rows, shape.cols, shape.rowsPerThread, format)
      .filter((g) => !(g.tileRows === first.tileRows && g.colTiles === first.colTiles && g.reduce === first.reduce))];
    const results: { grid: GridChoice; ms: number }[] = [];
    const roleStart = performance.now();
    for (const grid of grids) {
      if (results.length > 0 && performance.now() - roleStart > perRoleMs) break;
      using group = new BufferGroup(device, `autotune-${shape.role}`);
      const plan = planMatrix(shape.role, shape.rows, shape.cols, format, grid, shape.rowsPerThread);
      const weights = zeroTiled(group, plan);
      const x = group.create('x', shape.cols * 4, GPUBufferUsage.STORAGE);
      const y = group.create('y', shape.rows * 4, GPUBufferUsage.STORAGE);
      const partials = group.create('p', plan.grid.q * shape.rows * 4, GPUBufferUsage.STORAGE);
      const epilogue = shape.rowsPerThread === 2 ? 'swiglu' : 'store';
      const list = await matmulDispatches(ctx, group, { weights, x, out: y, partials, tokens: 1, epilogue });
      const run = async () => {
        const enc = device.createCommandEncoder();
        const pass = enc.beginComputePass();
        for (let r = 0; r < reps; r++) encodeDispatches(pass, list);
        pass.end();
        const t0 = performance.now();
        device.queue.submit([enc.finish()]);
        await device.queue.onSubmittedWorkDone();
        return (performance.now() - t0) / reps;
      };
      await run(); // warm-up: first use compiles/caches on some drivers
      let best = Infinity;
      for (let t = 0; t < trials; t++) best = Math.min(best, await run());
      results.push({ grid, ms: best });
    }
    if (results.length === 0) continue;
    const winner = results.reduce((a, b) => (b.ms < a.ms ? b : a));
    out[shape.role] = { grid: winner.grid, ms: winner.ms, candidates: results };
  }
  return out;
}
