// The CPU reference as a Backend: the fallback where WebGPU is missing, and the ground truth the
// GPU stepper is checked against. Its stepper samples on the host, one forward call per "submit";
// it dispatches nothing. With `matmul: 'simd'` the same forward pass runs its matrix products in
// WebAssembly SIMD (simd/): the CPU path a software adapter's page usually runs.
import type { ModelConfig } from '../../../model/config.ts';
import type { LoadedModel } from '../../../model/load.ts';
import { defaultContext, MAX_DRAFT_TOKENS, PREFILL_CHUNK_TOKENS } from '../../api/limits.ts';
import type { GenerateStats } from '../../api/types.ts';
import { kvBytesPerPosition, type Backend, type GenerateRequest, type TokensCallback } from '../backend.ts';
import { TokenLoop, type Samples, type StepContext, type Stepper } from '../token-loop.ts';
import { ReferenceModel } from './reference/forward.ts';
import { SimdMatmul } from './simd/simd-matmul.ts';
import { logProbability, sample } from './reference/sampler.ts';

/**
 * Prompt tokens per CPU forward pass. A pass cannot be interrupted (the worker runs it to the end),
 * and the token loop yields and checks for a newer request between passes, so a keystroke waits at most one
 * pass (about 130 ms for spark-nano on this machine) rather than a whole 512-token prefill.
 */
export const CPU_PREFILL_PASS_TOKENS = 64;

/** Samples one row of logits, with its log-probability. */
function sampleRow(logits: Float32Array, ctx: StepContext, position: number, into: Samples): number {
  const id = sample(logits, ctx.sampling, position);
  into.ids.push(id);
  into.logprobs.push(logProbability(logits, id));
  return id;
}

export interface CpuBackendOptions {
  /** Shown in the UI, e.g. "CPU reference (WebGPU unavailable: ...)". */
  description?: string;
  /** KV cache positions; default defaultContext (the model's, as memory allows), as on the GPU. */
  maxContext?: number;
  /** Most draft tokens verified per forward pass. Default MAX_DRAFT_TOKENS. */
  maxDraftTokens?: number;
  /** Where the matrix products run: the reference's linear() (default) or WebAssembly SIMD. */
  matmul?: 'reference' | 'simd';
}

/** What the UI calls each CPU backend. */
export const CPU_DESCRIPTION = Object.freeze({ reference: 'CPU reference', simd: 'CPU with WebAssembly SIMD' });

/** The reference forward pass as a Stepper: every call is one forward, sampled on the host. */
export class CpuStepper implements Stepper {
  readonly capacity: number;
  readonly maxBatch: number;
  readonly maxDraftTokens: number;
  readonly maxTokensPerSubmit = Number.POSITIVE_INFINITY;
  readonly vocabSize: number;
  readonly maxDecodeStepsPerCall = 1;
  readonly hostResident = true;
  readonly firstTokenAlone = true;
  readonly phaseClock = 'wall-clock' as const;

  constructor(private readonly model: ReferenceModel, config: ModelConfig, maxDraftTokens: number) {
    this.capacity = model.capacity;
    this.maxBatch = Math.min(model.capacity, PREFILL_CHUNK_TOKENS, CPU_PREFILL_PASS_TOKENS);
    this.vocabSize = config.vocabSize;
    this.maxDraftTokens = maxDraftTokens;
  }

  async prefill(ids: readonly number[], start: number, extraDecode: number, ctx: StepContext): Promise<Samples> {
    const out: Samples = { ids: [], logprobs: [] };
    const first = sampleRow(this.forward(ids, start, 'last', ctx.stats), ctx, start + ids.length, out);
    if (extraDecode === 0) return out;
    const more = await this.decode(first, start + ids.length, extraDecode, ctx);
    return { ids: [...out.ids, ...more.ids], logprobs: [...out.logprobs, ...more.logprobs] };
  }

  async decode(pending: number, pos: number, steps: number, ctx: StepContext): Promise<Samples> {
    const out: Samples = { ids: [], logprobs: [] };
    let id = pending;
    for (let k = 0; k < steps; k++) id = sampleRow(this.forward([id], pos + k, 'last', ctx.stats), ctx, pos + k + 1, out);
    return out;
  }

  async verify(pending: number, drafts: readonly number[], pos: number, ctx: StepContext): Promise<Samples> {
    const rows = this.forward([pending, ...drafts], pos, 'all', ctx.stats);
    const v = this.vocabSize;
    const out: Samples = { ids: [], logprobs: [], inputLogprobs: [] };
    for (let r = 0; r <= drafts.length; r++) {
      const row = rows.subarray(r * v, (r + 1) * v);
      sampleRow(row, ctx, pos + r + 1, out);
      out.inputLogprobs!.push(r < drafts.length ? logProbability(row, drafts[r]!) : Number.NaN);
    }
    return out;
  }

  async logits(ids: readonly number[], start: number, ctx: StepContext): Promise<Float32Array> {
    return this.forward(ids, start, 'last', ctx.stats);
  }

  truncate(n: number): void {
    this.model.truncate(n);
  }

  private forward(ids: readonly number[], start: number, logits: 'all' | 'last', stats: GenerateStats): Float32Array {
    stats.submits++;
    return this.model.forward([...ids], start, { logits });
  }
}

export class CpuBackend implements Backend {
  readonly kind = 'cpu' as const;
  readonly description: string;
  readonly config: ModelConfig;
  readonly contextTokens: number;
  private readonly loop: TokenLoop;
  private disposed = false;

  constructor(loaded: LoadedModel, options: CpuBackendOptions = {}) {
    this.config = loaded.config;
    const simd = options.matmul === 'simd';
    this.description = options.description ?? CPU_DESCRIPTION[options.matmul ?? 'reference'];
    const c = loaded.config;
    const context = options.maxContext ?? defaultContext(c.maxPositionEmbeddings, kvBytesPerPosition(c));
    const model = ReferenceModel.fromLoaded(loaded, context, simd ? (arrays) => SimdMatmul.place(arrays) : undefined);
    this.contextTokens = model.capacity;
    this.loop = new TokenLoop(new CpuStepper(model, loaded.config, options.maxDraftTokens ?? MAX_DRAFT_TOKENS), 'CpuBackend');
  }

  setProfiling(on: boolean): void {
    this.loop.profiling = on;
  }

  diagnostics(): { gpuBuffers: number; cachedTokens: number } {
    return { gpuBuffers: 0, cachedTokens: this.loop.cachedTokens.length };
  }

  /** The token sequence the KV cache currently holds (for tests and the HUD). */
  get cachedTokens(): readonly number[] {
    return this.loop.cachedTokens;
  }

  generate(req: GenerateRequest, onTokens: TokensCallback, signal: AbortSignal): Promise<GenerateStats> {
    if (this.disposed) return Promise.reject(new Error('CpuBackend: generate after dispose'));
    return this.loop.generate(req, onTokens, signal);
  }

  score(promptIds: readonly number[], continuation: readonly number[], signal: AbortSignal): Promise<number[]> {
    if (this.disposed) return Promise.reject(new Error('CpuBackend: score after dispose'));
    return this.loop.score(promptIds, continuation, signal);
  }

  dispose(): void {
    this.disposed = true;
    this.loop.reset();
  }
}
