// The WebGPU Backend: the model resident on the GPU (gpu-model.ts), and a Stepper that runs the
// token loop's steps with no host in them.
//
//   prefill   one submit: a prompt chunk in ONE batched forward + the first sample
//   decode    one submit per N tokens: N × (all layers, logits, sampler) in one compute pass; the
//             sampler writes the next input id and advances the GPU-side position itself
//   verify    one submit: [pending + K drafts] batched, every row sampled
// The CPU reads back only token ids, once per submit, through a small ring of staging buffers.

import { subgroupLanesFit } from './kernels/matmul-subgroup/matmul-subgroup.ts';
import { f16MathFits } from './kernels/matmul-f16/matmul-f16.ts';
import type { GpuOptions } from '../../api/gpu-options.ts';
import { TOKENS_PER_SUBMIT } from '../../api/limits.ts';
import type { LoadedModel } from '../../../model/load.ts';
import type { ModelWaferPlan } from '../../api/plan-types.ts';
import type { GenerateStats } from '../../api/types.ts';
import type { Backend, GenerateRequest, TokensCallback } from '../backend.ts';
import { buildModelPlan, loadedModelFormats, planCacheKey } from '../plan/model-plan.ts';
import { TokenLoop } from '../token-loop.ts';
import { autotunePlan, type AutotuneOptions, type PlanCache, type TunedPlan } from './autotune.ts';
import { GpuContext } from './context.ts';
import { GpuModel, type ForwardGraph } from './gpu-model.ts';
import { checkGpuFit, contextFor, describeMemory, estimateGpuMemory, gpuModelSizes, largestBuffer, type GpuMemoryEstimate } from './memory.ts';
import { GpuStepper } from './gpu-stepper.ts';
import { indexedDbPlanCache } from './plan-cache.ts';

/** GpuOptions, plus what only an in-page caller can pass (a device, a cache object, candidates). */
export interface GpuBackendOptions extends Omit<GpuOptions, 'autotune' | 'planCache'> {
  device?: GPUDevice;
  /** Measure grids at load (default true); a PlanCache skips the measuring next time. */
  autotune?: boolean | AutotuneOptions;
  /** Where tuned plans persist: a PlanCache, or 'indexeddb' (idb-keyval; survives postMessage). */
  planCache?: PlanCache | 'indexeddb';
  /** Bind at most this many weight bytes at once (default and cap: the device's limit); tests force splits with it. */
  maxBindingBytes?: number;
  /**
   * Refuse, with the numbers, a model whose estimated buffers (weights + KV cache + scratch) exceed
   * this. WebGPU does not say how much memory a GPU has, so by default nothing is refused up
   * front and an allocation the device cannot make fails the load with the same numbers.
   */
  memoryBudgetBytes?: number;
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

export { describeMemory };

/**
 * The device the engine runs on: the adapter's largest buffers and bindings, and the optional
 * features it uses where the adapter has them (GPU timestamps for profiles, subgroups for the
 * subgroup tile pass, shader-f16 for the f16-maths candidates). The bench opens its device the same way.
 */
export function requestEngineDevice(adapter: GPUAdapter): Promise<GPUDevice> {
  return adapter.requestDevice({
    requiredFeatures: (['timestamp-query', 'subgroups', 'shader-f16'] as GPUFeatureName[]).filter((f) => adapter.features.has(f)),
    requiredLimits: {
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxBufferSize: adapter.limits.maxBufferSize,
    },
  });
}

export async function createGpuBackend(model: LoadedModel, options: GpuBackendOptions = {}): Promise<GpuBackend> {
  let device = options.device;
  let ownsDevice = false;
  let info: GPUAdapterInfo | undefined;
  if (!device) {
    if (typeof navigator === 'undefined' || !navigator.gpu) throw new Error('WebGPU is not available (navigator.gpu is missing)');
    const adapter = await navigator.gpu.requestAdapter();
    if (!adapter) throw new Error('WebGPU: no adapter');
    info = adapter.info;
    device = await requestEngineDevice(adapter);
    ownsDevice = true;
  }
  info ??= device.adapterInfo;
  try {
    const ctx = new GpuContext(device);
    const c = model.config;
    const formats = loadedModelFormats(model, options);
    const key = planCacheKey(info, c, formats.roles);
    let tuned: TunedPlan | undefined;
    let source: 'autotune' | 'cache' = 'autotune';
    const tune = options.autotune ?? true;
    if (tune !== false && !options.forceGrid) {
      const cache = options.planCache === 'indexeddb' ? indexedDbPlanCache() : options.planCache;
      tuned = await cache?.get(key);
      if (tuned) source = 'cache';
      else {
        tuned = await autotunePlan(ctx, c, formats.roles, typeof tune === 'object' ? tune : {});
        await cache?.set(key, tuned);
      }
    }
    // A cached choice this device cannot run (the subgroups or shader-f16 feature gone, say) falls back to the default grid.
    const choices = Object.fromEntries(Object.entries(tuned ?? {})
      .filter(([, t]) => (t!.grid.kernel !== 'subgroup' || subgroupLanesFit(device, t!.grid.lanes ?? 0)) && (!t!.grid.f16Math || f16MathFits(device)))
      .map(([role, t]) => [role, { grid: t!.grid, source }]));
    const plan = buildModelPlan(c, formats, choices, options.forceGrid);
    const maxBindingBytes = Math.min(options.maxBindingBytes ?? Infinity, device.limits.maxStorageBufferBindingSize);
    const context = options.maxContext ?? contextFor(c, options.memoryBudgetBytes, (n) => estimateGpuMemory(c, plan, gpuModelSizes(c, options, maxBindingBytes, n)).total, device.limits);
    const sizes = gpuModelSizes(c, options, maxBindingBytes, context);
    const maxDraft = sizes.maxRows - 1;
    const maxN = options.maxTokensPerSubmit ?? TOKENS_PER_SUBMIT.max;
    // Uploads and pipeline builds inside error scopes: an allocation the device cannot make is a
    // clear load error (and so a CPU fallback with the reason), not a silent uncaptured error.
    const memory = estimateGpuMemory(c, plan, sizes);
    const needs = `needs about ${describeMemory(memory, sizes.maxContext)}`;
    if (options.memoryBudgetBytes !== undefined && memory.total > options.memoryBudgetBytes) {
      throw new Error(`the model does not fit: it ${needs}, over the GPU memory budget of ${mib(options.memoryBudgetBytes)}`);
    }
    // The same check the page makes before a download (remote-model.ts): a buffer over the device's limit cannot be created at all.
    const fit = checkGpuFit({ memory, largestBuffer: largestBuffer(c, plan, sizes) }, device.limits);
    if (!fit.fits) throw new Error(`the model does not fit: it ${fit.reason} (it ${needs})`);
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    let gpuModel: GpuModel | undefined;
    let decode: ForwardGraph | undefined;
    let stepper: GpuStepper | undefined;
    let failure: unknown;
    try {
      gpuModel = new GpuModel(ctx, model, plan, sizes);
      decode = await gpuModel.buildForward(1, 1, { temperature: 0, topK: 0, topP: 1, seed: 0 });
      // Compile the batched (GEMM, tiled attention) pipelines now, at load, not on the first
      // keystroke: one 32-token forward is enough (pipelines are cached by their constants).
      const warm = await gpuModel.buildForward(Math.min(32, sizes.maxBatch), 1, { temperature: 0, topK: 0, topP: 1, seed: 0 });
      warm[Symbol.dispose]();
      stepper = new GpuStepper(gpuModel, decode, { maxDraftTokens: maxDraft, maxTokensPerSubmit: maxN, firstTokenAlone: options.firstTokenAlone ?? true });
      await stepper.prepare();
    } catch (err) {
      failure = err;
    }
    const invalid = await device.popErrorScope();
    const oom = await device.popErrorScope();
    if (oom) failure = new Error(`WebGPU ran out of memory loading the model, which ${needs} (${oom.message || 'out of memory'})`);
    else if (invalid && !failure) failure = new Error(`WebGPU rejected the model's buffers or pipelines: ${invalid.message}`);
    if (failure || !gpuModel || !decode || !stepper) {
      stepper?.[Symbol.dispose]();
      decode?.[Symbol.dispose]();
      gpuModel?.dispose();
      throw failure;
    }
    const description = options.description ?? `WebGPU ${info.vendor || 'unknown'} ${info.architecture || ''}`.trim();
    return new GpuBackend(ctx, gpuModel, stepper, description, ownsDevice, key, tuned, memory);
  } catch (err) {
    if (ownsDevice) device.destroy();
    throw err;
  }
}

export class GpuBackend implements Backend {
  readonly kind = 'webgpu' as const;
  readonly config;
  readonly contextTokens: number;
  /** Resolves with the reason when the device is lost by anything but our own dispose(). */
  readonly lost: Promise<string>;
  private readonly loop: TokenLoop;
  private disposed = false;

  constructor(
    readonly ctx: GpuContext, readonly model: GpuModel, private readonly stepper: GpuStepper,
    readonly description: string, private readonly ownsDevice: boolean,
    /** planCacheKey for this adapter + model: where the tuned plan persists. */
    readonly planKey: string, readonly tuned: TunedPlan | undefined,
    /** What the model's buffers take on the GPU, estimated before uploading. */
    readonly memory: GpuMemoryEstimate,
  ) {
    this.config = model.config;
    this.contextTokens = model.sizes.maxContext;
    this.loop = new TokenLoop(stepper, 'GpuBackend');
    const device = ctx.device;
    this.lost = new Promise((resolve) => {
      void device.lost.then((info) => {
        if (!this.disposed) resolve(`${info.reason === 'destroyed' ? 'destroyed' : 'lost'}${info.message ? `: ${info.message}` : ''}`);
      });
    });
    // Errors no scope caught (a kernel's validation error) surface as the next request's failure.
    device.addEventListener('uncapturederror', (e) => {
      this.uncaptured ??= (e as GPUUncapturedErrorEvent).error.message;
    });
  }

  private uncaptured: string | undefined;

  /** The wafer plan in use (the HUD draws it). */
  get plan(): ModelWaferPlan { return this.model.plan; }

  /** The token sequence the KV cache holds (tests, HUD). */
  get cachedTokens(): readonly number[] { return this.loop.cachedTokens; }

  diagnostics(): { gpuBuffers: number; cachedTokens: number } {
    return { gpuBuffers: this.ctx.liveBuffers, cachedTokens: this.loop.cachedTokens.length };
  }

  setProfiling(on: boolean): void { this.loop.profiling = on; }

  async generate(req: GenerateRequest, onTokens: TokensCallback, signal: AbortSignal): Promise<GenerateStats> {
    if (this.disposed) throw new Error('GpuBackend: generate after dispose');
    const stats = await this.loop.generate(req, onTokens, signal);
    this.throwUncaptured('generation');
    return stats;
  }

  async score(promptIds: readonly number[], continuation: readonly number[], signal: AbortSignal): Promise<number[]> {
    if (this.disposed) throw new Error('GpuBackend: score after dispose');
    const logprobs = await this.loop.score(promptIds, continuation, signal);
    this.throwUncaptured('scoring');
    return logprobs;
  }

  /** A WebGPU error the device reported while the loop ran: the cache cannot be trusted. */
  private throwUncaptured(during: string): void {
    const error = this.uncaptured;
    if (error === undefined) return;
    this.uncaptured = undefined;
    this.loop.reset();
    throw new Error(`WebGPU error during ${during}: ${error}`);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.loop.reset();
    this.stepper[Symbol.dispose]();
    this.model.dispose();
    if (this.ownsDevice) this.ctx.device.destroy();
  }
}
