// What a caller may ask of the WebGPU backend across the worker boundary: plain, cloneable data,
// checked field by field when it arrives (a message from other code is not trusted).
import { CONTEXT_TOKENS, inRange, TOKENS_PER_SUBMIT } from './limits.ts';
import { MATMUL_KERNELS, WEIGHT_FORMATS, type ForcedGrid, type GridChoice, type MatmulKernel, type WeightFormat } from './plan-types.ts';

export interface GpuOptions {
  /** Force a grid on every matrix (or per role): experiments, and the HUD's "force grid" setting. */
  forceGrid?: ForcedGrid;
  /** Weight storage for every matrix; default per matrix: its GGUF block type, f16 when the checkpoint is f16 (or bf16 within f16's range), else f32. */
  weightFormat?: WeightFormat;
  /**
   * Quantize the float (f32/f16/bf16) matrices to these blocks on upload; matrices already in a
   * GGUF block type stay as they are. The page's "Quantize on load" setting.
   */
  quantizeFloats?: QuantizeFormat;
  /** KV-cache positions; default defaultContext(max_position_embeddings). */
  maxContext?: number;
  /** Largest prefill batch in one pass; default maxContext. */
  maxBatch?: number;
  /** Most draft tokens verified in one pass; default MAX_DRAFT_TOKENS. */
  maxDraftTokens?: number;
  /** Largest tokens-per-submit a request may ask for; default TOKENS_PER_SUBMIT.max. */
  maxTokensPerSubmit?: number;
  /** Measure grids at load (default true); numbers tune the measuring. */
  autotune?: boolean | { reps?: number; trials?: number; budgetMs?: number };
  /** Persist tuned plans in IndexedDB (idb-keyval). */
  planCache?: 'indexeddb';
  /**
   * Deliver the first token from its own submit (default true: lowest time to first token).
   * false: the first submit also decodes N-1 tokens, so readbacks per token are exactly ≤ 1/N.
   */
  firstTokenAlone?: boolean;
  description?: string;
}

/** The block types a float checkpoint can be quantized to on load (the settings panel, links and the CLI offer these). */
export const QUANTIZE_FORMATS = ['q8_0', 'q4_0'] as const satisfies readonly WeightFormat[];
export type QuantizeFormat = typeof QUANTIZE_FORMATS[number];

const GRID_KEYS = ['tileRows', 'colTiles', 'reduce', 'kernel', 'lanes', 'normPrologue', 'f16Math', 'rowStats'];
const ROLES = ['qkv', 'o', 'gate_up', 'down', 'lm_head', 'embed'];
const KEYS = ['forceGrid', 'weightFormat', 'quantizeFloats', 'maxContext', 'maxBatch', 'maxDraftTokens', 'maxTokensPerSubmit', 'autotune', 'planCache', 'firstTokenAlone', 'description'];

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isPositiveInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 1;

function isGrid(x: unknown): x is GridChoice {
  return isRecord(x) && Object.keys(x).every((k) => GRID_KEYS.includes(k))
    && isPositiveInt(x['tileRows']) && isPositiveInt(x['colTiles']) && (x['reduce'] === 'chain' || x['reduce'] === 'tree')
    && (x['kernel'] === undefined || MATMUL_KERNELS.includes(x['kernel'] as MatmulKernel))
    && (x['lanes'] === undefined || isPositiveInt(x['lanes']))
    && (x['normPrologue'] === undefined || typeof x['normPrologue'] === 'boolean')
    && (x['f16Math'] === undefined || typeof x['f16Math'] === 'boolean')
    && (x['rowStats'] === undefined || typeof x['rowStats'] === 'boolean');
}

/** The options as sent, or an error that names the first field that is wrong. */
export function parseGpuOptions(input: unknown): GpuOptions {
  const fail = (what: string): never => { throw new Error(`engine: load.gpuOptions.${what}`); };
  if (!isRecord(input)) throw new Error('engine: load.gpuOptions must be an object');
  for (const key of Object.keys(input)) if (!KEYS.includes(key)) fail(`${key.slice(0, 40)} is not a GPU option (${KEYS.join(', ')})`);
  const o = input;
  if (o['forceGrid'] !== undefined) {
    const g = o['forceGrid'];
    const ok = isGrid(g) || (isRecord(g) && Object.entries(g).every(([role, v]) => ROLES.includes(role) && isGrid(v)));
    if (!ok) fail(`forceGrid must be {tileRows, colTiles, reduce: "chain"|"tree", kernel?: ${MATMUL_KERNELS.map((k) => `"${k}"`).join('|')}, lanes?, normPrologue?: boolean, f16Math?: boolean, rowStats?: boolean} or a map from matrix role to one`);
  }
  if (o['weightFormat'] !== undefined && !WEIGHT_FORMATS.includes(o['weightFormat'] as WeightFormat)) fail(`weightFormat must be one of ${WEIGHT_FORMATS.map((f) => `"${f}"`).join(', ')}`);
  if (o['quantizeFloats'] !== undefined && !(QUANTIZE_FORMATS as readonly unknown[]).includes(o['quantizeFloats'])) {
    fail(`quantizeFloats must be one of ${QUANTIZE_FORMATS.map((f) => `"${f}"`).join(', ')}`);
  }
  if (o['maxContext'] !== undefined && !inRange(o['maxContext'], CONTEXT_TOKENS)) fail(`maxContext must be an integer in ${CONTEXT_TOKENS.min}..${CONTEXT_TOKENS.max}`);
  if (o['maxBatch'] !== undefined && !isPositiveInt(o['maxBatch'])) fail('maxBatch must be a positive integer');
  if (o['maxDraftTokens'] !== undefined && !(Number.isInteger(o['maxDraftTokens']) && (o['maxDraftTokens'] as number) >= 0)) fail('maxDraftTokens must be an integer >= 0');
  if (o['maxTokensPerSubmit'] !== undefined && !inRange(o['maxTokensPerSubmit'], TOKENS_PER_SUBMIT)) {
    fail(`maxTokensPerSubmit must be an integer in ${TOKENS_PER_SUBMIT.min}..${TOKENS_PER_SUBMIT.max}`);
  }
  const tune = o['autotune'];
  if (tune !== undefined && typeof tune !== 'boolean') {
    const ok = isRecord(tune) && Object.entries(tune).every(([k, v]) => ['reps', 'trials', 'budgetMs'].includes(k) && typeof v === 'number' && v > 0);
    if (!ok) fail('autotune must be a boolean or {reps?, trials?, budgetMs?} with positive numbers');
  }
  if (o['planCache'] !== undefined && o['planCache'] !== 'indexeddb') fail('planCache must be "indexeddb"');
  if (o['firstTokenAlone'] !== undefined && typeof o['firstTokenAlone'] !== 'boolean') fail('firstTokenAlone must be a boolean');
  if (o['description'] !== undefined && typeof o['description'] !== 'string') fail('description must be a string');
  return o as GpuOptions;
}
