// The CPU reference as a Backend: the fallback where WebGPU is missing, and the ground truth for
// the engine's token loop (prefix reuse, chunked streaming, stops, drafts, cancellation).
// "Submit" here means one forward call and "readback" one delivery of ids, so its stats line up
// with the GPU backend's; it dispatches nothing.
import type { ModelConfig } from '../model/config.ts';
import type { LoadedModel } from '../model/load.ts';
import { emptyStats, fitToContext, type Backend, type GenerateRequest, type GenerateStats } from './backend.ts';
import { ReferenceModel } from './reference/forward.ts';
import { sample } from './reference/sampler.ts';

export interface CpuBackendOptions {
  /** Shown in the UI, e.g. "CPU reference (WebGPU unavailable: ...)". */
  description?: string;
  /** KV cache positions; defaults to the model's max_position_embeddings (capped at 4096). */
  maxContext?: number;
  /** Most draft tokens verified per forward pass. Default 8. */
  maxDraftTokens?: number;
}

/**
 * Lets queued messages (a cancel, a new request) run between chunks of CPU work. A MessageChannel
 * round trip rather than setTimeout(0), which browsers clamp to 4 ms once timers nest.
 */
export function yieldToEventLoop(): Promise<void> {
  if (typeof MessageChannel === 'undefined') return new Promise((resolve) => setTimeout(resolve, 0));
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

export function validateRequest(req: GenerateRequest, vocabSize: number): void {
  if (req.promptIds.length === 0) throw new Error('generate: empty prompt (at least one token is needed to predict the next)');
  for (const id of req.promptIds) {
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) throw new Error(`generate: prompt token ${id} is outside the vocabulary of ${vocabSize}`);
  }
  if (!Number.isInteger(req.maxNewTokens) || req.maxNewTokens < 0) throw new Error(`generate: maxNewTokens must be a non-negative integer, got ${req.maxNewTokens}`);
  if (!Number.isInteger(req.tokensPerSubmit) || req.tokensPerSubmit < 1) throw new Error(`generate: tokensPerSubmit must be a positive integer, got ${req.tokensPerSubmit}`);
}

/** Length of the longest common prefix of two token sequences. */
export function commonPrefixLength(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

export class CpuBackend implements Backend {
  readonly kind = 'cpu' as const;
  readonly description: string;
  readonly config: ModelConfig;
  private readonly model: ReferenceModel;
  private readonly maxDraftTokens: number;
  /** Tokens whose keys/values the cache holds, position by position. */
  private cached: number[] = [];
  private profiling = false;
  private busy = false;
  private disposed = false;

  constructor(loaded: LoadedModel, options: CpuBackendOptions = {}) {
    this.config = loaded.config;
    this.description = options.description ?? 'CPU reference';
    this.maxDraftTokens = options.maxDraftTokens ?? 8;
    this.model = ReferenceModel.fromLoaded(loaded, options.maxContext ?? Math.min(loaded.config.maxPositionEmbeddings, 4096));
  }

  setProfiling(on: boolean): void {
    this.profiling = on;
  }

  /** The token sequence the KV cache currently holds (for tests and the HUD). */
  get cachedTokens(): readonly number[] {
    return this.cached;
  }

  async generate(req: GenerateRequest, onTokens: (ids: number[]) => void, signal: AbortSignal): Promise<GenerateStats> {
    if (this.disposed) throw new Error('CpuBackend: generate after dispose');
    if (this.busy) throw new Error('CpuBackend: one generate at a time (the worker serialises requests)');
    validateRequest(req, this.config.vocabSize);
    this.busy = true;
    try {
      return await this.run(req, onTokens, signal);
    } finally {
      this.busy = false;
    }
  }

  private async run(req: GenerateRequest, onTokens: (ids: number[]) => void, signal: AbortSignal): Promise<GenerateStats> {
    const start = performance.now();
    const capacity = this.model.capacity;
    // Keep the newest context when prompt + generation would not fit: drop from the front.
    const { prompt, dropped, maxNew } = fitToContext(req.promptIds, req.maxNewTokens, capacity);
    const stats: GenerateStats = emptyStats(req.promptIds.length, dropped);
    if (signal.aborted || maxNew === 0) return stats;

    // Prefill: reuse the longest cached prefix, but always run at least the last prompt token,
    // whose logits predict the first new token.
    const reuse = Math.min(commonPrefixLength(this.cached, prompt), prompt.length - 1);
    this.truncate(reuse);
    let logits = this.forward(prompt.slice(reuse), reuse, 'last', stats); // [1, V]
    stats.prefillTokens = prompt.length - reuse;
    stats.reusedTokens = reuse;
    stats.prefillMs = performance.now() - start;
    const decodeStart = performance.now();

    const sequence = [...prompt]; // prompt + generated, as the draft source sees it
    const stops = new Set(req.stopIds);
    let pending: number[] = [];
    let finished = false;
    const deliver = async (): Promise<boolean> => {
      if (pending.length === 0) return !signal.aborted;
      if (signal.aborted) return false;
      if (stats.readbacks === 0) stats.ttftMs = performance.now() - start;
      stats.readbacks++;
      const ids = pending;
      pending = [];
      onTokens(ids);
      await yieldToEventLoop();
      return !signal.aborted;
    };
    /** Records one generated token; true when generation must end after it. */
    const emit = (id: number): boolean => {
      sequence.push(id);
      pending.push(id);
      stats.decodeTokens++;
      finished = stops.has(id) || stats.decodeTokens >= maxNew;
      return finished;
    };

    for (;;) {
      let pos = sequence.length; // absolute position of the token sampled next
      const next = sample(logits, req.sampling, pos);
      emit(next);
      // The first token goes out at once (time to first token), later ones in chunks of N.
      if ((finished || stats.decodeTokens === 1 || pending.length >= req.tokensPerSubmit) && !(await deliver())) break;
      if (finished) break;

      const remaining = maxNew - stats.decodeTokens;
      const drafts = req.draft ? req.draft(sequence, Math.min(this.maxDraftTokens, remaining)).slice(0, remaining) : [];
      const rows = this.forward([next, ...drafts], pos, 'all', stats); // [1 + drafts, V]
      stats.draftedTokens += drafts.length;
      pos++;
      let accepted = 0;
      while (accepted < drafts.length && !finished) {
        const row = rows.subarray(accepted * this.config.vocabSize, (accepted + 1) * this.config.vocabSize);
        if (sample(row, req.sampling, pos) !== drafts[accepted]) break;
        emit(drafts[accepted]!);
        accepted++;
        pos++;
        if (!finished && pending.length >= req.tokensPerSubmit && !(await deliver())) break;
      }
      stats.acceptedDraftTokens += accepted;
      this.truncate(Math.min(pos, this.cached.length)); // rejected drafts leave the cache
      if (signal.aborted) break;
      if (finished) {
        await deliver();
        break;
      }
      logits = rows.slice(accepted * this.config.vocabSize, (accepted + 1) * this.config.vocabSize);
    }
    stats.decodeMs = performance.now() - decodeStart;
    if (this.profiling) {
      stats.phases = { prefill: stats.prefillMs, decode: stats.decodeMs };
      stats.phaseClock = 'wall-clock';
    }
    return stats;
  }

  /** Runs ids at positions start.. and records them as cached. */
  private forward(ids: number[], start: number, logits: 'all' | 'last', stats: GenerateStats): Float32Array {
    const out = this.model.forward(ids, start, { logits });
    this.cached.length = start;
    this.cached.push(...ids);
    stats.submits++;
    return out;
  }

  private truncate(n: number): void {
    this.model.truncate(n);
    this.cached.length = n;
  }

  dispose(): void {
    this.disposed = true;
    this.cached = [];
  }
}
