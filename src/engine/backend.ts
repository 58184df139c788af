// The contract between the engine worker and a backend that runs the model: the WebGPU engine
// (src/engine/gpu/) or the CPU reference (src/engine/reference/). The worker owns tokenizing,
// the protocol and cancellation policy; a backend owns weights, the KV cache and the token loop.

import type { ModelConfig } from '../model/config.ts';

export type BackendKind = 'webgpu' | 'cpu';

/**
 * Sampling, identical on every backend so that a seed reproduces a sample anywhere:
 *  - temperature <= 0 means greedy: argmax, lowest id wins ties.
 *  - otherwise logits / temperature; keep the topK largest (0 = all; ties: lower id first);
 *    softmax; sort by probability descending (ties: lower id first); keep the shortest prefix
 *    whose cumulative probability >= topP (1 = all); u = uniform(seed, position) in [0, 1);
 *    pick the first kept token whose cumulative (renormalised) probability exceeds u.
 *  - uniform(seed, position) is defined in reference/sampler.ts (a PCG hash, the same in WGSL).
 * `position` is the absolute position of the token being sampled, so drafts and resumption
 * don't change the random stream.
 */
export interface SamplingParams {
  temperature: number;
  topK: number;
  topP: number;
  seed: number;
}

export const GREEDY: SamplingParams = { temperature: 0, topK: 0, topP: 1, seed: 0 };

export interface GenerateRequest {
  /** The whole prompt as token ids. The backend reuses the longest prefix its KV cache holds. */
  promptIds: readonly number[];
  maxNewTokens: number;
  stopIds: readonly number[];
  sampling: SamplingParams;
  /** Tokens decoded per GPU submit (N). Readbacks happen once per submit. */
  tokensPerSubmit: number;
  /**
   * Optional draft source (prompt lookup, or the original text of a rewrite): given the tokens
   * so far (prompt + generated), propose up to `max` next tokens. Drafts are verified in one
   * batched pass; output is identical with and without them.
   */
  draft?: (sequence: readonly number[], max: number) => readonly number[];
}

export interface GenerateStats {
  promptTokens: number;
  /** Prompt tokens actually prefilled (the rest were reused from the KV cache). */
  prefillTokens: number;
  reusedTokens: number;
  /** Tokens dropped from the front because the sequence outgrew the cache. */
  droppedTokens: number;
  decodeTokens: number;
  ttftMs: number;
  prefillMs: number;
  decodeMs: number;
  submits: number;
  dispatches: number;
  readbacks: number;
  draftedTokens: number;
  acceptedDraftTokens: number;
  /** Per-phase GPU (timestamp query) or wall-clock time, only when profiling is on. */
  phases?: Record<string, number>;
  phaseClock?: 'gpu-timestamp' | 'wall-clock';
}

export interface Backend {
  readonly kind: BackendKind;
  /** Human-readable: the adapter's vendor/architecture, or "CPU reference". */
  readonly description: string;
  readonly config: ModelConfig;
  /**
   * Generates tokens, streaming each submit's new ids through onTokens as soon as they are read
   * back. Resolves with the stats when a stop id, maxNewTokens or the abort signal ends it.
   * On abort it returns at the next submit boundary; no ids are delivered after abort.
   */
  generate(req: GenerateRequest, onTokens: (ids: number[]) => void, signal: AbortSignal): Promise<GenerateStats>;
  /** Profiling costs nothing unless turned on. */
  setProfiling(on: boolean): void;
  dispose(): void;
}

/**
 * Drop-oldest windowing, the same on every backend: when prompt + generation would not fit in
 * `capacity` positions, keep the newest prompt tokens. Returns the kept prompt, how many tokens
 * were dropped from the front, and the generation length that fits.
 */
export function fitToContext(promptIds: readonly number[], maxNewTokens: number, capacity: number) {
  const maxNew = Math.min(maxNewTokens, capacity - 1);
  const dropped = Math.max(0, promptIds.length + maxNew - capacity);
  return { prompt: promptIds.slice(dropped), dropped, maxNew };
}

/** Stats with every counter at zero, for a request of `promptTokens` tokens. */
export function emptyStats(promptTokens = 0, droppedTokens = 0): GenerateStats {
  return {
    promptTokens, prefillTokens: 0, reusedTokens: 0, droppedTokens,
    decodeTokens: 0, ttftMs: 0, prefillMs: 0, decodeMs: 0, submits: 0, dispatches: 0, readbacks: 0,
    draftedTokens: 0, acceptedDraftTokens: 0,
  };
}
