// Picks the backend for a loaded model. With 'auto', by measurement: every path this device can run
// the model on (WebGPU in the checkpoint's format, WebGPU f32 for a float checkpoint, the CPU
// reference) is timed on a keystroke's request (path-probe.ts) and the fastest runs. The choice is
// kept per adapter and model beside the tuned plan, so later loads skip the timing. Nothing is
// assumed about which path wins: on a software adapter the CPU usually does, on a real GPU WebGPU.
// The GPU backend is loaded lazily (backends/gpu/), so the CPU-only path never downloads it.
import { PATH_CACHE_PREFIX } from '../api/cache-keys.ts';
import { get, set } from 'idb-keyval';
import type { LoadedModel } from '../../model/load.ts';
import { parameterCount } from '../../model/weights.ts';
import { loadedModelFormats, planCacheKey } from '../backends/plan/model-plan.ts';
import type { Backend } from '../backends/backend.ts';
import { CPU_DESCRIPTION, CpuBackend } from '../backends/cpu/cpu-backend.ts';
import { simdUnavailable } from '../backends/cpu/simd/simd-matmul.ts';
import type { TunedPlan } from '../backends/gpu/autotune.ts';
import type { GpuOptions } from '../api/gpu-options.ts';
import type { ForcedGrid, ModelWaferPlan } from '../api/plan-types.ts';
import type { BackendPreference } from '../api/protocol.ts';
import type { PathChoice, PathMeasurement } from '../api/types.ts';
import { describeChoice, PATH_PROBE, probePath, score, type ProbeOptions } from './path-probe.ts';

/** What the GPU factory gives: a Backend, and where the real one keeps its tuned plan. */
export type GpuLikeBackend = Backend & { readonly planKey?: string; readonly tuned?: TunedPlan };
export type GpuBackendFactory = (model: LoadedModel, options: GpuOptions & { forceGrid?: ForcedGrid }) => Promise<GpuLikeBackend>;

export interface SelectedBackend {
  backend: Backend;
  fallbackReason?: string;
  path: PathChoice;
}

/** An earlier load's choice on this adapter and model. */
export interface CachedPath {
  chosen: string;
  measurements: PathMeasurement[];
}

export interface PathCache {
  get(key: string): Promise<CachedPath | undefined>;
  set(key: string, value: CachedPath): Promise<void>;
}

/** The GPU backend module, loaded on first use (its own chunk in the build). */
export async function loadGpuBackendFactory(): Promise<GpuBackendFactory> {
  const { createGpuBackend } = await import('../backends/gpu/gpu-backend.ts');
  return createGpuBackend;
}

export interface SelectOptions {
  preference: BackendPreference;
  gpuOptions?: GpuOptions;
  /** Injected in tests; defaults to the real module lookup. */
  gpuFactory?: () => Promise<GpuBackendFactory | string>;
  /** Injected in tests; defaults to navigator.gpu. */
  hasWebGpu?: boolean;
  /** Where choices persist; default IndexedDB when gpuOptions.planCache is 'indexeddb' (beside the tuned plans), else nowhere. */
  pathCache?: PathCache;
  /** Aborts the timing (a newer load); every backend made is disposed. */
  signal?: AbortSignal;
  /** Injected in tests: the CPU backends (reference or SIMD products), and the probe's clock and timeout. */
  cpuFactory?: (model: LoadedModel, matmul: 'reference' | 'simd') => Backend;
  probe?: Omit<ProbeOptions, 'signal'>;
  /**
   * The tuned plan's key for this model on this device, before any GPU backend exists (so that a
   * cached CPU choice starts no GPU backend at all). Injected in tests; default from the adapter.
   */
  planKey?: (model: LoadedModel, gpuOptions: GpuOptions) => Promise<string | undefined>;
  /** Each step as it starts ("starting WebGPU", "timing CPU SIMD"): the load's sign of life (AliveEvent). */
  onStep?: (step: string) => void;
}

export const CPU_PATH = 'CPU';
/** The CPU path with its matrix products in WebAssembly SIMD (backends/cpu/simd/). */
export const CPU_SIMD_PATH = 'CPU SIMD';

export async function selectBackend(model: LoadedModel, options: SelectOptions): Promise<SelectedBackend> {
  if (options.preference === 'cpu') return requested(new CpuBackend(model, { description: 'CPU reference (requested)' }), CPU_PATH);
  // A software adapter's usual outcome: the CPU won here before. Building the GPU backend only to
  // drop it would cost the load seconds of uploads and pipeline compiles.
  const cachedCpu = options.preference === 'auto' ? await cachedCpuChoice(model, options) : undefined;
  if (cachedCpu) return cachedCpu;
  const factory = await gpuFactory(options);
  if (typeof factory !== 'string') options.onStep?.('starting WebGPU');
  const gpu = typeof factory === 'string' ? factory : await startGpu(factory, model, options.gpuOptions ?? {});
  if (typeof gpu === 'string') {
    if (options.preference === 'webgpu') throw new Error(`WebGPU backend requested but unavailable: ${gpu}`);
    // No GPU, so nothing to weigh the CPU against: its SIMD products where the browser runs them (the
    // same maths, 4 lanes at a time), else the reference. Timing both would cost every load here.
    const [simd, reference] = cpuCandidates(model, { ...options, gpuOptions: {} }, undefined, `fallback: ${gpu}`);
    const withSimd = await simd!.make?.().catch(() => undefined);
    const backend = withSimd ?? await reference!.make!();
    return {
      backend, fallbackReason: gpu,
      path: { chosen: withSimd ? CPU_SIMD_PATH : CPU_PATH, how: 'only', reason: `WebGPU unavailable: ${gpu}`, measurements: [{ path: 'WebGPU', backend: 'webgpu', skipped: gpu }] },
    };
  }
  if (options.preference === 'webgpu') return requested(gpu, gpuPath(gpu.plan));
  return choosePath(model, gpu, factory as GpuBackendFactory, options);
}

function requested(backend: Backend, path: string): SelectedBackend {
  return { backend, path: { chosen: path, how: 'requested', reason: `${path}, as the settings ask`, measurements: [] } };
}

/** "WebGPU f16", "WebGPU q4_k+q6_k": the formats the plan stores its matrices in. */
function gpuPath(plan: ModelWaferPlan | undefined): string {
  const formats = plan?.formats ? [...new Set(Object.values(plan.formats))].sort() : [];
  return formats.length > 0 ? `WebGPU ${formats.join('+')}` : 'WebGPU';
}

interface Candidate {
  path: string;
  kind: Backend['kind'];
  make?: () => Promise<Backend>;
  skipped?: string;
}

/** The paths besides the GPU backend in the checkpoint's format. */
function alternatives(model: LoadedModel, gpu: GpuLikeBackend, factory: GpuBackendFactory, options: SelectOptions): Candidate[] {
  const gpuOptions = options.gpuOptions ?? {};
  const tooLarge = f32WeightsTooLarge(model);
  const out: Candidate[] = [];
  const formats = gpu.plan?.formats ? Object.values(gpu.plan.formats) : [];
  const forced = gpuOptions.weightFormat !== undefined || gpuOptions.quantizeFloats !== undefined;
  // A float checkpoint stored as f16: f32 trades bandwidth for cheaper loads (a software adapter's win).
  if (!forced && formats.includes('f16') && formats.every((f) => f === 'f16' || f === 'f32')) {
    // The same grids as the tuned f16 plan: one autotune per load, and the formats compare on one plan.
    const grids = gridsOf(gpu.tuned);
    out.push({
      path: 'WebGPU f32', kind: 'webgpu',
      ...(tooLarge ? { skipped: tooLarge } : { make: () => factory(model, { ...gpuOptions, weightFormat: 'f32', ...(grids ? { forceGrid: grids } : {}) }) }),
    });
  }
  out.push(...cpuCandidates(model, options, tooLarge));
  return out;
}

/** The CPU paths: its forward pass with WebAssembly SIMD products, and the reference's own. `note` goes in their descriptions. */
function cpuCandidates(model: LoadedModel, options: SelectOptions, tooLarge: string | undefined, note?: string): Candidate[] {
  const quantize = options.gpuOptions?.quantizeFloats;
  // The CPU runs a checkpoint's own weights: it cannot stand in for quantizing them on load.
  const skipped = quantize !== undefined ? `Quantize on load (${quantize}) applies to the GPU only` : tooLarge;
  const candidate = (path: string, matmul: 'simd' | 'reference', unavailable?: string): Candidate => {
    const why = skipped ?? unavailable;
    const make = async () => options.cpuFactory?.(model, matmul)
      ?? new CpuBackend(model, { matmul, ...(note ? { description: `${CPU_DESCRIPTION[matmul]} (${note})` } : {}) });
    return { path, kind: 'cpu', ...(why ? { skipped: why } : { make }) };
  };
  return [
    candidate(CPU_SIMD_PATH, 'simd', options.cpuFactory ? undefined : simdUnavailable()),
    candidate(CPU_PATH, 'reference'),
  ];
}

const f32WeightsTooLarge = (model: LoadedModel): string | undefined => {
  const f32Bytes = parameterCount(model.config) * 4;
  return f32Bytes > PATH_PROBE.maxF32WeightBytes
    ? `its f32 weights would take ${Math.round(f32Bytes / 2 ** 20)} MiB (over ${PATH_PROBE.maxF32WeightBytes / 2 ** 20} MiB)` : undefined;
};

/** Where a path choice persists: the plan's key, and the options that change what the paths run. */
const pathKey = (planKey: string, gpuOptions: GpuOptions): string =>
  `${PATH_CACHE_PREFIX}${planKey}|${gpuOptions.weightFormat ?? ''}|${gpuOptions.quantizeFloats ?? ''}`;

function pathCacheOf(options: SelectOptions): PathCache | undefined {
  const gpuOptions = options.gpuOptions ?? {};
  return options.pathCache ?? (gpuOptions.planCache === 'indexeddb' && typeof indexedDB !== 'undefined' ? indexedDbPathCache() : undefined);
}

function fromCache(cached: CachedPath, backend: Backend): SelectedBackend {
  const reason = describeChoice(cached.measurements.find((m) => m.path === cached.chosen)!, cached.measurements);
  return { backend, path: { chosen: cached.chosen, how: 'cached', reason, measurements: cached.measurements } };
}

/** An earlier load's choice of a CPU path on this adapter and model, taken before any GPU backend starts. */
async function cachedCpuChoice(model: LoadedModel, options: SelectOptions): Promise<SelectedBackend | undefined> {
  const cache = pathCacheOf(options);
  if (!cache) return undefined;
  const gpuOptions = options.gpuOptions ?? {};
  const planKey = await (options.planKey ?? adapterPlanKey)(model, gpuOptions).catch(() => undefined);
  if (planKey === undefined) return undefined;
  const cached = await cache.get(pathKey(planKey, gpuOptions)).catch(() => undefined);
  if (!cached || !cached.measurements.some((m) => m.path === cached.chosen)) return undefined;
  const make = cpuCandidates(model, options, f32WeightsTooLarge(model)).find((c) => c.path === cached.chosen)?.make;
  const backend = await make?.().catch(() => undefined);
  return backend ? fromCache(cached, backend) : undefined;
}

/** The key createGpuBackend files the tuned plan under, from the adapter the backend would request. */
async function adapterPlanKey(model: LoadedModel, gpuOptions: GpuOptions): Promise<string | undefined> {
  if (typeof navigator === 'undefined' || !navigator.gpu) return undefined;
  const adapter = await navigator.gpu.requestAdapter();
  return adapter ? planCacheKey(adapter.info, model.config, loadedModelFormats(model, gpuOptions).roles) : undefined;
}

function gridsOf(tuned: TunedPlan | undefined): ForcedGrid | undefined {
  if (!tuned) return undefined;
  const grids = Object.fromEntries(Object.entries(tuned).map(([role, t]) => [role, t!.grid]));
  return Object.keys(grids).length > 0 ? grids : undefined;
}

async function choosePath(model: LoadedModel, gpu: GpuLikeBackend, factory: GpuBackendFactory, options: SelectOptions): Promise<SelectedBackend> {
  const gpuOptions = options.gpuOptions ?? {};
  const cache = pathCacheOf(options);
  const key = gpu.planKey !== undefined ? pathKey(gpu.planKey, gpuOptions) : undefined;
  const first = gpuPath(gpu.plan);
  const candidates = alternatives(model, gpu, factory, options);
  const cached = key !== undefined ? await cache?.get(key).catch(() => undefined) : undefined;
  if (cached) {
    if (cached.chosen === first && cached.measurements.some((m) => m.path === first)) return fromCache(cached, gpu);
    const make = candidates.find((c) => c.path === cached.chosen && cached.measurements.some((m) => m.path === c.path))?.make;
    if (make) {
      const backend = await make().catch(() => undefined);
      if (backend) {
        gpu.dispose();
        return fromCache(cached, backend);
      }
    }
  }
  const { best, measurements } = await timePaths([{ path: first, kind: 'webgpu', make: async () => gpu }, ...candidates], options);
  const chosen: PathMeasurement = best.m;
  if (key !== undefined) await cache?.set(key, { chosen: chosen.path, measurements }).catch(() => {});
  return { backend: best.backend, path: { chosen: chosen.path, how: 'measured', reason: describeChoice(chosen, measurements), measurements } };
}

/** Times each candidate one after another, keeping only the fastest so far alive. */
async function timePaths(candidates: readonly Candidate[], options: SelectOptions): Promise<{ best: { backend: Backend; m: PathMeasurement }; measurements: PathMeasurement[] }> {
  const signal = options.signal ?? new AbortController().signal;
  const measurements: PathMeasurement[] = [];
  let best: { backend: Backend; m: PathMeasurement } | undefined;
  const consider = async (path: string, kind: Backend['kind'], make: () => Promise<Backend>) => {
    let backend: Backend | undefined;
    try {
      options.onStep?.(`starting ${path}`);
      backend = await make();
      options.onStep?.(`timing ${path}`);
      const m = await probePath(backend, path, { ...options.probe, signal });
      measurements.push(m);
      if (!best || score(m) < score(best.m)) {
        best?.backend.dispose();
        best = { backend, m };
      } else backend.dispose();
    } catch (err) {
      backend?.dispose();
      if (signal.aborted) throw err;
      measurements.push({ path, backend: kind, skipped: `failed: ${errorMessage(err)}` });
    }
  };
  try {
    for (const c of candidates) {
      if (c.make) await consider(c.path, c.kind, c.make);
      else measurements.push({ path: c.path, backend: c.kind, skipped: c.skipped! });
    }
  } catch (err) {
    best?.backend.dispose();
    throw err;
  }
  if (!best) throw new Error(`no path could run the model: ${measurements.map((m) => `${m.path} ${m.skipped}`).join('; ')}`);
  return { best, measurements };
}

async function gpuFactory(options: SelectOptions): Promise<GpuBackendFactory | string> {
  const hasWebGpu = options.hasWebGpu ?? (typeof navigator !== 'undefined' && 'gpu' in navigator && !!navigator.gpu);
  if (!hasWebGpu) return 'WebGPU is not available here (navigator.gpu is missing)';
  try {
    return await (options.gpuFactory ?? loadGpuBackendFactory)();
  } catch (err) {
    return `the WebGPU backend failed to load: ${errorMessage(err)}`;
  }
}

/** The GPU backend in the checkpoint's format, or why there is none. */
async function startGpu(factory: GpuBackendFactory, model: LoadedModel, gpuOptions: GpuOptions): Promise<GpuLikeBackend | string> {
  try {
    return await factory(model, gpuOptions);
  } catch (err) {
    return `the WebGPU backend failed to start: ${errorMessage(err)}`;
  }
}

/** Choices beside the tuned plans in IndexedDB (idb-keyval's default store). */
function indexedDbPathCache(): PathCache {
  return { get: (key) => get<CachedPath>(key), set: (key, value) => set(key, value) };
}

export const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));
