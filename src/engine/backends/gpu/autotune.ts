// Place-and-route by measurement (DESIGN.md §2): for each matrix role's shape, time a few
// candidate grids and tile passes (rows, interleaved, subgroup) as decode GEMVs on the real
// adapter and keep the fastest. For a role that follows an RMSNorm, the winner is then timed
// multiplying in halves (on a device with shader-f16) against f32, then with the norm folded into
// its pass against the norm's own dispatch and the GEMV; each time the faster is kept. Last, the
// lm_head with the greedy sampler after it is raced with and without its row statistics. Weights are left zero (speed does not depend on values), so
// tuning costs no uploads. The result is plain data that a PlanCache (IndexedDB in the page)
// stores under planCacheKey().

import type { ModelConfig } from '../../../model/config.ts';
import { roleShapes, type MatrixRole, type RoleFormats } from '../plan/model-plan.ts';
import type { MatrixPlan } from '../plan/wafer-plan.ts';
import { candidateGrids, defaultGrid, describeGrid, partialFloats, planMatrix, sameGrid, type GridChoice, type WeightFormat } from '../plan/wafer-plan.ts';
import { BufferGroup, encodeDispatches, type Dispatch, type GpuContext } from './context.ts';
import { matmulDispatches, rowStatParts, subgroupLanesHold } from './kernels/matmul/matmul.ts';
import { OUT_SLOT_WORDS, samplerDispatch } from './kernels/sampler/sampler.ts';
import { GREEDY } from '../../api/types.ts';
import { rmsnormDispatch } from './kernels/rmsnorm/rmsnorm.ts';
import { subgroupLanesFor } from './kernels/matmul-subgroup/matmul-subgroup.ts';
import { f16MathFits } from './kernels/matmul-f16/matmul-f16.ts';
import { zeroTiled } from './kernels/shared/weights.ts';

export interface TunedRole {
  grid: GridChoice;
  /** Measured wall-clock ms per GEMV of the winner. */
  ms: number;
  candidates: { grid: GridChoice; ms: number }[];
  /** Candidates that could not run on this device, with why (a failed compile, a lane check). */
  skipped?: { grid: GridChoice; reason: string }[];
  /** A normed role: ms per decode step of the winner with the norm folded in, and of the norm dispatch + the GEMV. */
  norm?: { fusedMs: number; separateMs: number };
  /** A normed role on a device with shader-f16: ms per GEMV of the winner multiplying in halves, and in f32. */
  f16?: { f16Ms: number; f32Ms: number };
  /** The lm_head: ms of the winner and the greedy sampler, with the row statistics (rowStats) and with the sampler scanning the logits. */
  argmax?: { statsMs: number; scanMs: number };
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
  candidates?: (rows: number, cols: number, rowsPerThread: number, format: WeightFormat, subgroupLanes: readonly number[]) => GridChoice[];
}

/** Alternating timings of a winner and a variant of it (f16 maths; the norm folded in; the lm_head's row statistics). */
const VARIANT_ROUNDS = 2;

export async function autotunePlan(ctx: GpuContext, config: ModelConfig, formats: RoleFormats, options: AutotuneOptions = {}): Promise<TunedPlan> {
  const reps = options.reps ?? 8;
  const trials = options.trials ?? 2;
  const device = ctx.device;
  const out: TunedPlan = {};
  const shapes = roleShapes(config).filter((s) => s.role !== 'embed'); // gathered, never multiplied
  const perRoleMs = (options.budgetMs ?? 4000) / shapes.length;
  const lanes = subgroupLanesFor(device);
  const laneChecks = new Map<string, Promise<boolean>>();
  const lanesHold = (threads: number, n: number) => {
    const key = `${threads}/${n}`;
    if (!laneChecks.has(key)) laneChecks.set(key, subgroupLanesHold(ctx, threads, n));
    return laneChecks.get(key)!;
  };
  for (const shape of shapes) {
    const format = formats[shape.role];
    const epilogue = shape.rowsPerThread === 2 ? 'swiglu' : 'store';
    const first = defaultGrid(shape.rowsPerThread);
    const grids = [first, ...(options.candidates ?? candidateGrids)(shape.rows, shape.cols, shape.rowsPerThread, format, lanes)
      .filter((g) => !sameGrid(g, first))];
    const results: { grid: GridChoice; ms: number }[] = [];
    const skipped: { grid: GridChoice; reason: string }[] = [];
    const roleStart = performance.now();
    for (const grid of grids) {
      if (results.length > 0 && performance.now() - roleStart > perRoleMs) break;
      const plan = planMatrix(shape.role, shape.rows, shape.cols, format, grid, shape.rowsPerThread);
      if (plan.kernel === 'subgroup' && !(await lanesHold((plan.tile.rows / plan.rowsPerThread) * plan.lanes, plan.lanes))) {
        skipped.push({ grid, reason: `a row's ${plan.lanes} lanes are not shuffle partners in one subgroup on this device` });
        continue;
      }
      try {
        results.push({ grid, ms: await timeGemv(ctx, plan, { epilogue, reps, trials }) });
      } catch (err) {
        // The default grid must run; another candidate that cannot (a driver's compile failure)
        // is only not chosen.
        if (grid === first) throw err;
        skipped.push({ grid, reason: `${describeGrid(grid)}: ${err instanceof Error ? err.message : String(err)}`.slice(0, 300) });
      }
    }
    if (results.length === 0) continue;
    const winner = results.reduce((a, b) => (b.ms < a.ms ? b : a));
    const tuned: TunedRole = { grid: winner.grid, ms: winner.ms, candidates: results, ...(skipped.length ? { skipped } : {}) };
    const time = (grid: GridChoice, extra: { normed?: boolean; sampled?: boolean } = {}) =>
      timeGemv(ctx, planMatrix(shape.role, shape.rows, shape.cols, format, grid, shape.rowsPerThread), { epilogue, reps, trials, ...extra });
    // A race costs about 2 · VARIANT_ROUNDS · (trials + 1) · reps steps of the winner's time (twice
    // that with the sampler). One over the role's share of the budget is not run: a huge matrix on
    // a software adapter (a 152k vocabulary on SwiftShader) would otherwise add seconds to a load.
    const raceFits = (variant: GridChoice, sampled = false) => {
      const estimateMs = 2 * VARIANT_ROUNDS * (trials + 1) * reps * winner.ms * (sampled ? 2 : 1);
      if (estimateMs <= perRoleMs) return true;
      (tuned.skipped ??= []).push({ grid: variant, reason: `not raced: about ${Math.round(estimateMs)} ms, over this role's ${Math.round(perRoleMs)} ms of the tune's budget` });
      return false;
    };
    // The variants, each raced against the grid as it then stands: f16 maths, then the norm
    // folded in (both only for the roles that read a normalised x).
    if (shape.normed && f16MathFits(device) && raceFits({ ...tuned.grid, f16Math: true })) {
      const race = await raceVariant(() => time(tuned.grid), { ...tuned.grid, f16Math: true }, time);
      if ('failure' in race) (tuned.skipped ??= []).push(race.failure);
      else {
        tuned.f16 = { f16Ms: race.variantMs, f32Ms: race.baseMs };
        if (race.variantMs < race.baseMs) Object.assign(tuned, { grid: race.variant, ms: race.variantMs });
      }
    }
    if (shape.normed && raceFits({ ...tuned.grid, normPrologue: true })) {
      const race = await raceVariant(() => time(tuned.grid, { normed: true }), { ...tuned.grid, normPrologue: true }, time);
      if ('failure' in race) (tuned.skipped ??= []).push(race.failure);
      else {
        tuned.norm = { fusedMs: race.variantMs, separateMs: race.baseMs };
        if (race.variantMs < race.baseMs) Object.assign(tuned, { grid: race.variant, ms: race.variantMs });
      }
    }
    // The lm_head with the greedy sampler after it: scanning the vocabulary in the sampler's one
    // workgroup, against the lm_head's workgroups reducing their own logits first.
    if (shape.role === 'lm_head' && raceFits({ ...tuned.grid, rowStats: true }, true)) {
      const sampled = (grid: GridChoice) => time(grid, { normed: true, sampled: true });
      const race = await raceVariant(() => sampled(tuned.grid), { ...tuned.grid, rowStats: true }, sampled);
      if ('failure' in race) (tuned.skipped ??= []).push(race.failure);
      else {
        tuned.argmax = { statsMs: race.variantMs, scanMs: race.baseMs };
        if (race.variantMs < race.baseMs) tuned.grid = race.variant;
      }
    }
    out[shape.role] = tuned;
  }
  return out;
}

/**
 * `base` (the grid as it would run) against `variant`, alternated, best of VARIANT_ROUNDS each: a
 * burst of load on a shared machine then hits both alike. The base's failure is the tune's; a
 * variant the device rejects is only not chosen, and comes back as the failure.
 */
async function raceVariant(base: () => Promise<number>, variant: GridChoice, time: (grid: GridChoice) => Promise<number>):
  Promise<{ variant: GridChoice; baseMs: number; variantMs: number } | { failure: { grid: GridChoice; reason: string } }> {
  let [baseMs, variantMs] = [Infinity, Infinity];
  let failure: string | undefined;
  for (let round = 0; round < VARIANT_ROUNDS && failure === undefined; round++) {
    baseMs = Math.min(baseMs, await base());
    variantMs = Math.min(variantMs, await time(variant).catch((err: unknown) => {
      failure = `${describeGrid(variant)}: ${err instanceof Error ? err.message : String(err)}`.slice(0, 300);
      return Infinity;
    }));
  }
  return failure === undefined ? { variant, baseMs, variantMs } : { failure: { grid: variant, reason: failure } };
}

/**
 * Wall-clock ms per decode GEMV of `plan` on zero weights: the best of `trials` submits of `reps`.
 * `normed`: a step after an RMSNorm, which the plan folds in or which runs as its own dispatch
 * first. `sampled`: the greedy sampler runs after it on its output (the lm_head).
 */
async function timeGemv(ctx: GpuContext, plan: MatrixPlan, o: { epilogue: 'store' | 'swiglu'; reps: number; trials: number; normed?: boolean; sampled?: boolean }): Promise<number> {
  const { epilogue, reps, trials } = o;
  const device = ctx.device;
  using group = new BufferGroup(device, `autotune-${plan.name}`);
  const weights = zeroTiled(group, plan);
  const x = group.create('x', plan.cols * 4, GPUBufferUsage.STORAGE);
  const y = group.create('y', plan.rows * 4, GPUBufferUsage.STORAGE);
  const partials = group.create('p', Math.max(16, partialFloats(plan, 1) * 4), GPUBufferUsage.STORAGE);
  const rowStats = plan.rowStats ? { buffer: group.create('stats', rowStatParts(plan) * 12, GPUBufferUsage.STORAGE), parts: rowStatParts(plan) } : undefined;
  const gemv = async (): Promise<Dispatch[]> => {
    const matmul = { weights, out: y, partials, tokens: 1, epilogue, ...(rowStats ? { rowStats: rowStats.buffer } : {}) };
    if (!o.normed && !plan.normPrologue) return matmulDispatches(ctx, group, { ...matmul, x });
    // Only a step after an RMSNorm needs the norm's weight (and, run separately, its output).
    const normWeight = group.create('norm', plan.cols * 4, GPUBufferUsage.STORAGE);
    if (plan.normPrologue) return matmulDispatches(ctx, group, { ...matmul, x, norm: { weight: normWeight, eps: 1e-6 } });
    const h = group.create('h', plan.cols * 4, GPUBufferUsage.STORAGE);
    return [await rmsnormDispatch(ctx, group, { x, weight: normWeight, out: h, dim: plan.cols, tokens: 1, eps: 1e-6 }), ...await matmulDispatches(ctx, group, { ...matmul, x: h })];
  };
  const dispatches = async (): Promise<Dispatch[]> => {
    if (!o.sampled) return gemv();
    const sampler = await samplerDispatch(ctx, group, {
      vocab: plan.rows, rows: 1, firstRowToken: 0, advance: 0, sampling: GREEDY, logits: y, ...(rowStats ? { rowStats } : {}),
      state: group.create('state', 16, GPUBufferUsage.STORAGE), probs: group.create('probs', plan.rows * 4, GPUBufferUsage.STORAGE),
      nextIds: group.create('ids', 16, GPUBufferUsage.STORAGE), outIds: group.create('out', OUT_SLOT_WORDS * 4, GPUBufferUsage.STORAGE),
    });
    return [...await gemv(), sampler];
  };
  const run = async (list: Dispatch[]) => {
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    for (let r = 0; r < reps; r++) encodeDispatches(pass, list);
    pass.end();
    const t0 = performance.now();
    device.queue.submit([enc.finish()]);
    await device.queue.onSubmittedWorkDone();
    return (performance.now() - t0) / reps;
  };
  // A candidate the device rejects fails here, with the reason, instead of timing nothing.
  device.pushErrorScope('validation');
  const built = await dispatches()
    .then(async (list) => { await run(list); return list; }, (err: unknown) => err); // the run warms up: some drivers compile on first use
  const invalid = await device.popErrorScope();
  if (!Array.isArray(built)) throw built;
  if (invalid) throw new Error(invalid.message);
  const list = built;
  let best = Infinity;
  for (let t = 0; t < trials; t++) best = Math.min(best, await run(list));
  return best;
}
