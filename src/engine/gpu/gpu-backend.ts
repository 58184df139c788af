// The WebGPU Backend: the model resident on the GPU (gpu-model.ts), a KV cache that remembers its
// token sequence, and the token loop with no host in it.
//
//   prefill   one submit: the uncached prompt tail in ONE batched forward + the first sample
//   decode    one submit per N tokens: N × (all layers, logits, sampler) in one compute pass; the
//             sampler writes the next input id and advances the GPU-side position itself
//   verify    one submit: [pending + K drafts] batched, every row sampled, longest match accepted
// The CPU reads back only token ids, once per submit, through a small ring of staging buffers.
// Semantics (drop, reuse, stops, drafts, positions) mirror cpu-backend.ts token for token.

import type { LoadedModel } from '../../model/load.ts';
import { emptyStats, fitToContext, type Backend, type GenerateRequest, type GenerateStats, type SamplingParams } from '../backend.ts';
import { commonPrefixLength, validateRequest } from '../cpu-backend.ts';
import { buildModelPlan, planCacheKey, type ForcedGrid, type ModelWaferPlan } from '../plan/model-plan.ts';
import type { WeightFormat } from '../plan/wafer-plan.ts';
import { autotunePlan, type AutotuneOptions, type PlanCache, type TunedPlan } from './autotune.ts';
import { encodeDispatches, GpuContext } from './context.ts';
import { GpuModel, type ForwardGraph } from './gpu-model.ts';
import { indexedDbPlanCache } from './plan-cache.ts';
import { PassProfiler } from './profiler.ts';
import { samplerParamWords } from './sampler.ts';

export interface GpuBackendOptions {
  device?: GPUDevice;
  /** Force a grid on every matrix (or per role) — experiments, and the HUD's "force grid" setting. */
  forceGrid?: ForcedGrid;
  /** Weight storage; default f16 when the checkpoint is f16, else f32 (exactly the reference's values). */
  weightFormat?: WeightFormat;
  /** KV-cache positions; default min(max_position_embeddings, 2048). */
  maxContext?: number;
  /** Largest prefill batch in one pass; default maxContext. */
  maxBatch?: number;
  maxDraftTokens?: number; // default 8
  maxTokensPerSubmit?: number; // default 32
  /** Measure grids at load (default true); a PlanCache skips the measuring next time. */
  autotune?: boolean | AutotuneOptions;
  /** Where tuned plans persist: a PlanCache, or 'indexeddb' (idb-keyval; survives postMessage). */
  planCache?: PlanCache | 'indexeddb';
  /**
   * Deliver the first token from its own submit (default true: lowest time to first token).
   * false: the first submit also decodes N-1 tokens, so readbacks per token are exactly ≤ 1/N.
   */
  firstTokenAlone?: boolean;
  description?: string;
}

const STAGING_RING = 3;

export async function createGpuBackend(model: LoadedModel, options: GpuBackendOptions = {}): Promise<GpuBackend> {
  let device = options.device;
  let ownsDevice = false;
  let info: GPUAdapterInfo | undefined;
  if (!device) {
    if (typeof navigator === 'undefined' || !navigator.gpu) throw new Error('WebGPU is not available (navigator.gpu is missing)');
    const adapter = await navigator.gpu.requestAdapter();
    if (!adapter) throw new Error('WebGPU: no adapter');
    info = adapter.info;
    const requiredFeatures = (['timestamp-query'] as GPUFeatureName[]).filter((f) => adapter.features.has(f));
    device = await adapter.requestDevice({
      requiredFeatures,
      requiredLimits: {
        maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
        maxBufferSize: adapter.limits.maxBufferSize,
      },
    });
    ownsDevice = true;
  }
  info ??= device.adapterInfo;
  try {
    const ctx = new GpuContext(device);
    const c = model.config;
    const embedTensor = model.weights.get('model.embed_tokens.weight');
    const format: WeightFormat = options.weightFormat ?? (embedTensor?.dtype === 'F16' ? 'f16' : 'f32');
    const key = planCacheKey(info, c, format);
    let tuned: TunedPlan | undefined;
    let source: 'autotune' | 'cache' = 'autotune';
    const tune = options.autotune ?? true;
    if (tune !== false && !options.forceGrid) {
      const cache = options.planCache === 'indexeddb' ? indexedDbPlanCache() : options.planCache;
      tuned = await cache?.get(key);
      if (tuned) source = 'cache';
      else {
        tuned = await autotunePlan(ctx, c, format, typeof tune === 'object' ? tune : {});
        await cache?.set(key, tuned);
      }
    }
    const choices = Object.fromEntries(Object.entries(tuned ?? {}).map(([role, t]) => [role, { grid: t!.grid, source }]));
    const plan = buildModelPlan(c, format, choices, options.forceGrid);
    const maxContext = options.maxContext ?? Math.min(c.maxPositionEmbeddings, 2048);
    const maxDraft = options.maxDraftTokens ?? 8;
    const maxN = options.maxTokensPerSubmit ?? 32;
    if (maxContext < 2 || maxContext > c.maxPositionEmbeddings) throw new Error(`maxContext ${maxContext} outside 2..${c.maxPositionEmbeddings} (max_position_embeddings)`);
    // A verify pass is a batch of 1 + maxDraft tokens, so the batch is never smaller than that.
    const maxBatch = Math.min(maxContext, Math.max(options.maxBatch ?? maxContext, maxDraft + 1));
    const sizes = { maxContext, maxBatch, maxRows: maxDraft + 1, outSlots: Math.max(maxN, maxDraft + 1) };
    const gpuModel = new GpuModel(ctx, model, plan, sizes);
    let decode: ForwardGraph;
    try {
      decode = await gpuModel.buildForward(1, 1, { temperature: 0, topK: 0, topP: 1, seed: 0 });
      // Compile the batched (GEMM, tiled attention) pipelines now, at load, not on the first
      // keystroke: one 32-token forward is enough (pipelines are cached by their constants).
      const warm = await gpuModel.buildForward(Math.min(32, sizes.maxBatch), 1, { temperature: 0, topK: 0, topP: 1, seed: 0 });
      warm[Symbol.dispose]();
    } catch (err) {
      gpuModel.dispose();
      throw err;
    }
    const description = options.description ?? `WebGPU ${info.vendor || 'unknown'} ${info.architecture || ''}`.trim();
    return new GpuBackend(ctx, gpuModel, decode, { ...options, maxDraftTokens: maxDraft, maxTokensPerSubmit: maxN }, description, ownsDevice, key, tuned);
  } catch (err) {
    if (ownsDevice) device.destroy();
    throw err;
  }
}

type Phase = 'prefill' | 'decode' | 'verify';

export class GpuBackend implements Backend {
  readonly kind = 'webgpu' as const;
  readonly config;
  private readonly device: GPUDevice;
  /** Tokens whose keys/values the GPU cache holds, position by position. */
  private cached: number[] = [];
  private readonly verifyGraphs = new Map<number, ForwardGraph>();
  private readonly staging: GPUBuffer[];
  private ring = 0;
  private profiling = false;
  private busy = false;
  private disposed = false;
  /** GPU timestamps per op category, when the device has 'timestamp-query'. */
  private readonly profiler?: PassProfiler;

  constructor(
    readonly ctx: GpuContext, readonly model: GpuModel, private readonly decodeGraph: ForwardGraph,
    private readonly options: GpuBackendOptions & { maxDraftTokens: number; maxTokensPerSubmit: number },
    readonly description: string, private readonly ownsDevice: boolean,
    /** planCacheKey for this adapter + model: where part C persists `tuned`. */
    readonly planKey: string, readonly tuned: TunedPlan | undefined,
  ) {
    this.device = ctx.device;
    this.config = model.config;
    const bytes = model.sizes.outSlots * 4;
    this.staging = Array.from({ length: STAGING_RING }, (_, i) =>
      this.device.createBuffer({ label: `ids-staging-${i}`, size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }));
    if (this.device.features.has('timestamp-query')) this.profiler = new PassProfiler(this.device);
  }

  /** The wafer plan in use (the HUD draws it). */
  get plan(): ModelWaferPlan { return this.model.plan; }

  /** The token sequence the KV cache holds (tests, HUD). */
  get cachedTokens(): readonly number[] { return this.cached; }

  setProfiling(on: boolean): void { this.profiling = on; }

  async generate(req: GenerateRequest, onTokens: (ids: number[]) => void, signal: AbortSignal): Promise<GenerateStats> {
    if (this.disposed) throw new Error('GpuBackend: generate after dispose');
    if (this.busy) throw new Error('GpuBackend: one generate at a time (the worker serialises requests)');
    validateRequest(req, this.config.vocabSize);
    if (req.tokensPerSubmit > this.options.maxTokensPerSubmit) {
      throw new Error(`generate: tokensPerSubmit ${req.tokensPerSubmit} exceeds this backend's maxTokensPerSubmit ${this.options.maxTokensPerSubmit}`);
    }
    this.busy = true;
    try {
      return await this.run(req, onTokens, signal);
    } catch (err) {
      this.cached = []; // the GPU cache may be half-written: trust nothing
      throw err;
    } finally {
      this.busy = false;
    }
  }

  private async run(req: GenerateRequest, onTokens: (ids: number[]) => void, signal: AbortSignal): Promise<GenerateStats> {
    const start = performance.now();
    const { maxContext, maxBatch } = this.model.sizes;
    const n = req.tokensPerSubmit;
    // Keep the newest context when prompt + generation would not fit: drop from the front.
    const { prompt, dropped, maxNew } = fitToContext(req.promptIds, req.maxNewTokens, maxContext);
    const stats: GenerateStats = emptyStats(req.promptIds.length, dropped);
    const phases: Record<string, number> = {};
    if (signal.aborted || maxNew === 0) return stats;

    // Prefill: reuse the longest cached prefix, but always run the last prompt token.
    const reuse = Math.min(commonPrefixLength(this.cached, prompt), prompt.length - 1);
    this.cached.length = reuse;
    stats.reusedTokens = reuse;
    stats.prefillTokens = prompt.length - reuse;
    const sequence = [...prompt];
    const stops = new Set(req.stopIds);
    let finished = false;
    const emitted: number[] = [];
    const emit = (id: number): boolean => {
      sequence.push(id);
      emitted.push(id);
      stats.decodeTokens++;
      finished = stops.has(id) || stats.decodeTokens >= maxNew;
      return finished;
    };
    const deliver = (): boolean => {
      if (signal.aborted) return false;
      if (emitted.length === 0) return true;
      if (stats.ttftMs === 0) stats.ttftMs = performance.now() - start;
      onTokens(emitted.splice(0));
      return true;
    };

    // Chunks of at most maxBatch tokens; only the last chunk's sample is used.
    let pos = reuse;
    let first: number[] = [];
    while (pos < prompt.length) {
      const chunk = prompt.slice(pos, Math.min(prompt.length, pos + maxBatch));
      const last = pos + chunk.length === prompt.length;
      using graph = await this.model.buildForward(chunk.length, 1, req.sampling);
      this.writeIds(chunk);
      this.writeState(pos);
      const extraDecode = last && this.options.firstTokenAlone === false ? Math.min(n, maxNew) - 1 : 0;
      const ids = await this.submit([{ graph, repeat: 1 }, { graph: this.decodeGraph, repeat: extraDecode }], 1 + extraDecode, req.sampling, 'prefill', stats, phases);
      this.cached.push(...chunk);
      pos += chunk.length;
      if (last) first = ids;
      if (signal.aborted) return this.finish(stats, phases, start);
    }
    stats.prefillMs = performance.now() - start;
    const decodeStart = performance.now();

    // ids[0] of `first` was sampled after the prompt; any more came from decode steps that fed
    // their predecessor into the cache.
    for (let i = 0; i < first.length; i++) {
      if (i > 0) this.cached.push(first[i - 1]!);
      if (emit(first[i]!)) break;
    }
    let pending = first[first.length - 1]!;
    if (!deliver()) return this.finish(stats, phases, start);
    this.trimCache(sequence);

    while (!finished && !signal.aborted) {
      const remaining = maxNew - stats.decodeTokens;
      const drafts = req.draft ? req.draft(sequence, Math.min(this.options.maxDraftTokens, remaining)).slice(0, Math.min(this.options.maxDraftTokens, remaining)) : [];
      const base = this.cached.length; // position of `pending`
      if (drafts.length > 0) {
        for (const d of drafts) if (!Number.isInteger(d) || d < 0 || d >= this.config.vocabSize) throw new Error(`draft token ${d} outside the vocabulary`);
        const graph = await this.verifyGraph(drafts.length + 1);
        this.writeIds([pending, ...drafts]);
        this.writeState(base);
        const rows = await this.submit([{ graph, repeat: 1 }], drafts.length + 1, req.sampling, 'verify', stats, phases);
        stats.draftedTokens += drafts.length;
        this.cached.push(pending, ...drafts);
        let accepted = 0;
        while (accepted < drafts.length && !finished && rows[accepted] === drafts[accepted]) {
          emit(drafts[accepted]!);
          accepted++;
        }
        stats.acceptedDraftTokens += accepted;
        this.cached.length = base + 1 + accepted; // rejected drafts leave the cache
        if (!finished) emit(rows[accepted]!);
        pending = rows[accepted]!;
      } else {
        const steps = Math.min(n, remaining);
        this.writeIds([pending]);
        this.writeState(base);
        const ids = await this.submit([{ graph: this.decodeGraph, repeat: steps }], steps, req.sampling, 'decode', stats, phases);
        let prev = pending;
        for (const id of ids) {
          this.cached.push(prev);
          prev = id;
          if (emit(id)) break;
        }
        pending = ids[ids.length - 1]!;
      }
      this.trimCache(sequence);
      if (!deliver()) break;
    }
    stats.decodeMs = performance.now() - decodeStart;
    return this.finish(stats, phases, start);
  }

  /** The cache must hold a prefix of prompt + kept output: drop what a stop cut off. */
  private trimCache(sequence: readonly number[]): void {
    this.cached.length = Math.min(this.cached.length, commonPrefixLength(this.cached, sequence));
  }

  private finish(stats: GenerateStats, phases: Record<string, number>, start: number): GenerateStats {
    if (stats.prefillMs === 0) stats.prefillMs = performance.now() - start;
    if (this.profiling) {
      stats.phases = phases;
      stats.phaseClock = this.profiler ? 'gpu-timestamp' : 'wall-clock';
    }
    return stats;
  }

  private async verifyGraph(tokens: number): Promise<ForwardGraph> {
    let g = this.verifyGraphs.get(tokens);
    if (!g) {
      g = await this.model.buildForward(tokens, tokens, { temperature: 0, topK: 0, topP: 1, seed: 0 });
      this.verifyGraphs.set(tokens, g);
    }
    return g;
  }

  private writeIds(ids: readonly number[]): void {
    this.device.queue.writeBuffer(this.model.ids, 0, new Uint32Array(ids));
  }

  private writeState(pos: number): void {
    this.device.queue.writeBuffer(this.model.state, 0, new Uint32Array([pos, 0]));
  }

  /**
   * Records the graphs (each `repeat` times) in one compute pass, copies `count` sampled ids to a
   * staging buffer of the ring, submits once and reads the ids back once.
   */
  private async submit(
    work: { graph: ForwardGraph; repeat: number }[], count: number, sampling: SamplingParams,
    phase: Phase, stats: GenerateStats, phases: Record<string, number>,
  ): Promise<number[]> {
    const { vocabSize } = this.config;
    for (const { graph, repeat } of work) {
      if (repeat === 0) continue;
      const words = samplerParamWords(vocabSize, graph.rows, graph.tokens - graph.rows, graph.rows === 1 ? graph.tokens : 0, sampling);
      this.device.queue.writeBuffer(graph.samplerParams, 0, words);
    }
    const enc = this.device.createCommandEncoder({ label: phase });
    const timed = this.profiling ? this.profiler : undefined;
    if (timed) {
      // One encode() for the whole submit, so the query set is sized once before any pass uses it.
      timed.encode(enc, work.flatMap(({ graph, repeat }) => Array.from({ length: repeat }, () => graph.dispatches).flat()));
    } else {
      const pass = enc.beginComputePass();
      for (const { graph, repeat } of work) for (let r = 0; r < repeat; r++) encodeDispatches(pass, graph.dispatches);
      pass.end();
    }
    for (const { graph, repeat } of work) stats.dispatches += repeat * graph.dispatches.length;
    const staging = this.staging[this.ring]!;
    this.ring = (this.ring + 1) % this.staging.length;
    enc.copyBufferToBuffer(this.model.outIds, 0, staging, 0, count * 4);
    timed?.finishEncoding(enc);
    const t0 = performance.now();
    this.device.queue.submit([enc.finish()]);
    stats.submits++;
    await staging.mapAsync(GPUMapMode.READ, 0, count * 4);
    const ids = Array.from(new Uint32Array(staging.getMappedRange(0, count * 4)));
    staging.unmap();
    stats.readbacks++;
    if (this.profiling) {
      const wall = performance.now() - t0;
      if (timed) {
        let total = 0;
        for (const [category, ms] of Object.entries(await timed.collect())) {
          phases[`${phase}:${category}`] = (phases[`${phase}:${category}`] ?? 0) + ms;
          total += ms;
        }
        phases[phase] = (phases[phase] ?? 0) + total;
      } else {
        phases[phase] = (phases[phase] ?? 0) + wall;
      }
    }
    return ids;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.cached = [];
    this.decodeGraph[Symbol.dispose]();
    for (const g of this.verifyGraphs.values()) g[Symbol.dispose]();
    this.verifyGraphs.clear();
    for (const s of this.staging) s.destroy();
    this.profiler?.dispose();
    this.model.dispose();
    if (this.ownsDevice) this.device.destroy();
  }
}
