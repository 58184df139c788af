// The wafer plan of a whole model: one MatrixPlan per matrix *role* (every layer's q/k/v, o,
// gate/up and down share a shape, so they share a grid), plus the cache key under which a measured
// (autotuned) choice is stored per adapter and model. Plain data, no GPU.

import type { ModelConfig } from '../../../model/config.ts';
import type { LoadedModel } from '../../../model/load.ts';
import type { TensorType } from '../../../model/tensor.ts';
import { EMBED_TOKENS, layerWeightName, outputWeightName, type LayerWeight } from '../../../model/weights.ts';
import type { GpuOptions } from '../../api/gpu-options.ts';
import { PLAN_CACHE_PREFIX } from '../../api/cache-keys.ts';
import type { ForcedGrid, GridChoice, MatrixPlan, MatrixRole, ModelWaferPlan, RoleFormats, WeightFormat } from '../../api/plan-types.ts';
import { isQuantType } from '../../../model/quant.ts';
import { defaultGrid, FORMAT_LAYOUT, formatForBlocks, planMatrix, summarisePlans } from './wafer-plan.ts';

export type { ForcedGrid, MatrixRole, ModelWaferPlan, RoleFormats } from '../../api/plan-types.ts';

/** normed: the matrix reads the output of an RMSNorm (the roles a norm prologue can fold it into). */
export interface RoleShape { role: MatrixRole; rows: number; cols: number; rowsPerThread: number; perLayer: boolean; normed: boolean }

export function roleShapes(c: ModelConfig): RoleShape[] {
  const qkvRows = (c.numHeads + 2 * c.numKvHeads) * c.headDim;
  const shapes: RoleShape[] = [
    { role: 'qkv', rows: qkvRows, cols: c.hiddenSize, rowsPerThread: 1, perLayer: true, normed: true },
    { role: 'o', rows: c.hiddenSize, cols: c.numHeads * c.headDim, rowsPerThread: 1, perLayer: true, normed: false },
    { role: 'gate_up', rows: 2 * c.intermediateSize, cols: c.hiddenSize, rowsPerThread: 2, perLayer: true, normed: true },
    { role: 'down', rows: c.hiddenSize, cols: c.intermediateSize, rowsPerThread: 1, perLayer: true, normed: false },
    { role: 'lm_head', rows: c.vocabSize, cols: c.hiddenSize, rowsPerThread: 1, perLayer: false, normed: true },
  ];
  if (!c.tieWordEmbeddings) shapes.push({ role: 'embed', rows: c.vocabSize, cols: c.hiddenSize, rowsPerThread: 1, perLayer: false, normed: false });
  return shapes;
}

/**
 * The checkpoint tensors of each role's matrices: one group per matrix (a layer's q, k and v are
 * one fused matrix; per-layer roles have a group per layer).
 */
export function roleTensorNames(c: ModelConfig): Record<MatrixRole, string[][]> {
  const layers = (parts: LayerWeight[]) => Array.from({ length: c.numLayers }, (_, l) => parts.map((p) => layerWeightName(l, p)));
  return {
    qkv: layers(['self_attn.q_proj.weight', 'self_attn.k_proj.weight', 'self_attn.v_proj.weight']),
    o: layers(['self_attn.o_proj.weight']),
    gate_up: layers(['mlp.gate_proj.weight', 'mlp.up_proj.weight']),
    down: layers(['mlp.down_proj.weight']),
    lm_head: [[outputWeightName(c)]],
    embed: c.tieWordEmbeddings ? [] : [[EMBED_TOKENS]],
  };
}

/**
 * How the weights sit on the GPU: each role's format (what its plan, autotune and cache key use),
 * and for a role whose layers differ, each layer's. A Q4_K_M file is such a mix: its attn_v and
 * ffn_down are Q6_K in some layers and Q4_K in the others.
 */
export interface ModelFormats {
  roles: RoleFormats;
  layers: Partial<Record<MatrixRole, readonly WeightFormat[]>>;
}

/**
 * The formats, from the types the tensors have on disk. One matrix (a group of roleTensorNames):
 * - all its tensors in one block type (Q8_0, Q4_0, Q5_0, Q4_K, Q6_K): kept as those blocks;
 * - floats: f16 when the embedding table is f16 (the checkpoint chose 16 bits), or bf16 and every
 *   bf16 matrix fits f16 (`fitsF16`: no value over f16's range, so the conversion is exact but for
 *   sub-2^-14 values' last bits), else f32;
 * - a fused matrix of mixed block types (q and k Q4_K, v Q6_K): dequantized to f16, as one
 *   buffer has one format.
 * A role takes its layers' most common format. GpuOptions.weightFormat sets every matrix (f16/f32
 * dequantize, q8_0/q4_0 quantize on load); GpuOptions.quantizeFloats sets the float matrices only.
 */
export function weightFormats(
  c: ModelConfig, typeOf: (name: string) => TensorType | undefined,
  choice: Pick<GpuOptions, 'weightFormat' | 'quantizeFloats'> = {}, fitsF16: (name: string) => boolean = () => false,
): ModelFormats {
  const forced = choice.weightFormat;
  const groups = roleTensorNames(c);
  const bf16Fits = () => Object.values(groups).flat(2).every((name) => typeOf(name) !== 'BF16' || fitsF16(name));
  const embed = typeOf(EMBED_TOKENS);
  const floats: WeightFormat = choice.quantizeFloats ?? (embed === 'F16' || (embed === 'BF16' && bf16Fits()) ? 'f16' : 'f32');
  const matrixFormat = (names: string[]): WeightFormat => {
    if (forced) return forced;
    const types = new Set(names.map(typeOf));
    const only = types.size === 1 ? [...types][0] : undefined;
    if (only && isQuantType(only)) return formatForBlocks(only);
    return [...types].every((t) => t === 'F32' || t === 'F16' || t === 'BF16') ? floats : 'f16';
  };
  const roles = {} as Record<MatrixRole, WeightFormat>;
  const layers: ModelFormats['layers'] = {};
  for (const role of ['qkv', 'o', 'gate_up', 'down', 'lm_head'] as const) {
    const each = groups[role].map(matrixFormat);
    roles[role] = mostCommon(each);
    if (new Set(each).size > 1) layers[role] = each;
  }
  // Tied: the gather reads the lm_head's buffer, one table in one format.
  roles.embed = c.tieWordEmbeddings ? roles.lm_head : matrixFormat(groups.embed[0] ?? []);
  return { roles, layers };
}

/** weightFormats of a loaded model: its tensors' types, and whether each bf16 one fits f16. */
export function loadedModelFormats(model: LoadedModel, choice: Pick<GpuOptions, 'weightFormat' | 'quantizeFloats'> = {}): ModelFormats {
  return weightFormats(model.config, (name) => model.weights.get(name)?.dtype, choice, (name) => model.weights.get(name)?.bf16FitsF16() ?? false);
}

function mostCommon<T>(xs: readonly T[]): T {
  const counts = new Map<T, number>();
  for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]![0];
}

/** Every role in one format (tests, benches, a forced format). */
export const uniformFormats = (format: WeightFormat): RoleFormats =>
  ({ qkv: format, o: format, gate_up: format, down: format, lm_head: format, embed: format });

/** "q8_0" when every role shares a format, else each role's ("qkv q4_0, o q4_0, ..."). */
export function describeFormats(formats: RoleFormats): string {
  const distinct = new Set(Object.values(formats));
  return distinct.size === 1 ? [...distinct][0]! : Object.entries(formats).map(([role, f]) => `${role} ${f}`).join(', ');
}

/** `grid`, with its K split reduced to one tile column when `format`'s alignment leaves too few columns. */
function fitGrid(grid: GridChoice, cols: number, format: WeightFormat): GridChoice {
  return grid.colTiles <= Math.ceil(cols / FORMAT_LAYOUT[format].colAlign) ? grid : { ...grid, colTiles: 1, reduce: 'chain' };
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
  config: ModelConfig, formats: ModelFormats | WeightFormat,
  choices: Partial<Record<MatrixRole, { grid: GridChoice; source: 'autotune' | 'cache' }>> = {},
  forced?: ForcedGrid,
): ModelWaferPlan {
  const { roles: byRole, layers: byLayer } = typeof formats === 'string' ? { roles: uniformFormats(formats), layers: {} } : formats;
  const roles = {} as Record<MatrixRole, MatrixPlan | undefined>;
  const layers: NonNullable<ModelWaferPlan['layers']> = {};
  const source = {} as ModelWaferPlan['source'];
  const all: MatrixPlan[] = [];
  for (const s of roleShapes(config)) {
    const f = forcedFor(forced, s.role);
    const pick = f
      ? { grid: { ...f, tileRows: f.tileRows * (f.tileRows % s.rowsPerThread === 0 ? 1 : s.rowsPerThread) }, source: 'forced' as const }
      : choices[s.role] ?? { grid: defaultGrid(s.rowsPerThread), source: 'default' as const };
    // A norm prologue only means something after a norm, f16 maths is kept to the roles whose x is
    // normalised, and row statistics feed the sampler (a forced grid for every role asks all of all).
    let grid: GridChoice = pick.grid;
    if (!s.normed && grid.normPrologue) grid = { ...grid, normPrologue: false };
    if (!s.normed && grid.f16Math) grid = { ...grid, f16Math: false };
    if (s.role !== 'lm_head' && grid.rowStats) grid = { ...grid, rowStats: false };
    const plan = planMatrix(s.role, s.rows, s.cols, byRole[s.role], grid, s.rowsPerThread);
    roles[s.role] = plan;
    source[s.role] = pick.source;
    // A layer in another format keeps the role's grid where that format's alignment allows it.
    const perLayer = byLayer[s.role]?.map((f) => (f === plan.format ? plan
      : planMatrix(s.role, s.rows, s.cols, f, fitGrid(grid, s.cols, f), s.rowsPerThread)));
    if (perLayer) layers[s.role] = perLayer;
    // The untied embedding table is gathered (one row per token), never streamed: not in the totals.
    if (s.role !== 'embed') all.push(...(perLayer ?? Array.from({ length: s.perLayer ? config.numLayers : 1 }, () => plan)));
  }
  return { formats: byRole, numLayers: config.numLayers, roles, ...(Object.keys(layers).length ? { layers } : {}), source, summary: summarisePlans(all) };
}

/**
 * Cache key for a tuned plan: the adapter (vendor/architecture/device/description) × the model's
 * matrix shapes and their formats × the plan version. The page persists the value in IndexedDB.
 */
export function planCacheKey(
  adapter: Pick<GPUAdapterInfo, 'vendor' | 'architecture' | 'device' | 'description'>, config: ModelConfig, formats: RoleFormats | WeightFormat,
): string {
  const byRole = typeof formats === 'string' ? uniformFormats(formats) : formats;
  const shapes = roleShapes(config).map((s) => `${s.role}:${s.rows}x${s.cols}:${byRole[s.role]}`).join(',');
  return `${PLAN_CACHE_PREFIX}${adapter.vendor}|${adapter.architecture}|${adapter.device}|${adapter.description}/${shapes}`;
}
