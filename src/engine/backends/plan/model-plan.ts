// The wafer plan of a whole model: one MatrixPlan per matrix *role* (every layer's q/k/v, o,
// gate/up and down share a shape, so they share a grid), plus the cache key under which a measured
// (autotuned) choice is stored per adapter and model. Plain data, no GPU.

import type { ModelConfig } from '../../../model/config.ts';
import type { ForcedGrid, GridChoice, MatrixPlan, MatrixRole, ModelWaferPlan, WeightFormat } from '../../api/plan-types.ts';
import { defaultGrid, planMatrix, summarisePlans } from './wafer-plan.ts';

export type { ForcedGrid, MatrixRole, ModelWaferPlan } from '../../api/plan-types.ts';

export interface RoleShape { role: MatrixRole; rows: number; cols: number; rowsPerThread: number; perLayer: boolean }

export function roleShapes(c: ModelConfig): RoleShape[] {
  const qkvRows = (c.numHeads + 2 * c.numKvHeads) * c.headDim;
  const shapes: RoleShape[] = [
    { role: 'qkv', rows: qkvRows, cols: c.hiddenSize, rowsPerThread: 1, perLayer: true },
    { role: 'o', rows: c.hiddenSize, cols: c.numHeads * c.headDim, rowsPerThread: 1, perLayer: true },
    { role: 'gate_up', rows: 2 * c.intermediateSize, cols: c.hiddenSize, rowsPerThread: 2, perLayer: true },
    { role: 'down', rows: c.hiddenSize, cols: c.intermediateSize, rowsPerThread: 1, perLayer: true },
    { role: 'lm_head', rows: c.vocabSize, cols: c.hiddenSize, rowsPerThread: 1, perLayer: false },
  ];
  if (!c.tieWordEmbeddings) shapes.push({ role: 'embed', rows: c.vocabSize, cols: c.hiddenSize, rowsPerThread: 1, perLayer: false });
  return shapes;
}

const isGridChoice = (g: ForcedGrid): g is GridChoice => typeof (g as GridChoice).tileRows === 'number';

/** The forced grid for a role, scaled for paired rows (tileRows counts threads × rowsPerThread). */
export function forcedFor(forced: ForcedGrid | undefined, role: MatrixRole): GridChoice | undefined {
  if (!forced) return undefined;
  return isGridChoice(forced) ? forced : forced[role];
}

/**
 * Builds the plan from per-role choices. `choices` come from the autotune or its cache; missing
 * roles get the default grid; `forced` wins over both.
 */
export function buildModelPlan(
  config: ModelConfig, format: WeightFormat,
  choices: Partial<Record<MatrixRole, { grid: GridChoice; source: 'autotune' | 'cache' }>> = {},
  forced?: ForcedGrid,
): ModelWaferPlan {
  const roles = {} as Record<MatrixRole, MatrixPlan | undefined>;
  const source = {} as ModelWaferPlan['source'];
  const all: MatrixPlan[] = [];
  for (const s of roleShapes(config)) {
    const f = forcedFor(forced, s.role);
    const pick = f
      ? { grid: { ...f, tileRows: f.tileRows * (f.tileRows % s.rowsPerThread === 0 ? 1 : s.rowsPerThread) }, source: 'forced' as const }
      : choices[s.role] ?? { grid: defaultGrid(s.rowsPerThread), source: 'default' as const };
    const plan = planMatrix(s.role, s.rows, s.cols, format, pick.grid, s.rowsPerThread);
    roles[s.role] = plan;
    source[s.role] = pick.source;
    // The untied embedding table is gathered (one row per token), never streamed: not in the totals.
    if (s.role !== 'embed') for (let l = 0; l < (s.perLayer ? config.numLayers : 1); l++) all.push(plan);
  }
  return { format, numLayers: config.numLayers, roles, source, summary: summarisePlans(all) };
}

/**
 * Cache key for a tuned plan: the adapter (vendor/architecture/device/description) × the model's
 * matrix shapes × the weight format × the plan version. Part C persists the value in IndexedDB.
 */
export function planCacheKey(adapter: Pick<GPUAdapterInfo, 'vendor' | 'architecture' | 'device' | 'description'>, config: ModelConfig, format: WeightFormat): string {
  const shapes = roleShapes(config).map((s) => `${s.role}:${s.rows}x${s.cols}`).join(',');
  return `spark-wafer-plan/v1/${adapter.vendor}|${adapter.architecture}|${adapter.device}|${adapter.description}/${format}/${shapes}`;
}
