// The contract between the engine worker and a backend that runs the model: the WebGPU engine
// (gpu/) or the CPU reference (cpu/). The worker owns tokenizing,
// the protocol and cancellation policy; a backend owns weights, the KV cache and the token loop.

import type { ModelWaferPlan } from '../api/plan-types.ts';
import type { BackendKind, GenerateStats, SamplingParams } from '../api/types.ts';
import type { ModelConfig } from '../../model/config.ts';

/** Bytes of K and V per position over all layers: both backends keep them in f32. */
export const kvBytesPerPosition = (c: ModelConfig): number => c.numLayers * 2 * c.numKvHeads * c.headDim * 4;

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
   * batched pass; output is identical with and without them unless draftTolerance is set.
   * Drafts for the prompt itself are verified from its last token, so they can be the first tokens.
   */
  draft?: (sequence: readonly number[], max: number) => readonly number[];
  /**
   * Nats: a draft token other than the sampled one is kept when its log-probability is at least the
   * sampled token's minus this (copy-aware completions). 0 or absent: only the sampled token is kept.
   */
  draftTolerance?: number;
  /**
   * Token healing (worker/token-healing.ts): before each of the first tokens, the ids it may be
   * (ascending), given the ids generated so far; undefined once tokens are free. A constrained
   * token is sampled on the host from its row of logits, renormalised over the ids allowed, and its
   * log-probability is the renormalised one.
   */
  constrain?: (generated: readonly number[]) => readonly number[] | undefined;
}

/**
 * A submit's new ids and their log-probabilities, with the request's stats so far (prompt, prefilled
 * and reused tokens are final from the first call on).
 */
export type TokensCallback = (ids: number[], logprobs: number[], progress: Readonly<GenerateStats>) => void;

export interface Backend {
  readonly kind: BackendKind;
  /** Human-readable: the adapter's vendor/architecture, or "CPU reference". */
  readonly description: string;
  readonly config: ModelConfig;
  /** Positions the KV cache holds: prompt plus generation must fit (else drop-oldest trims the prompt). */
  readonly contextTokens: number;
  /** The wafer plan the backend runs (the HUD draws it); only the GPU backend has one. */
  readonly plan?: ModelWaferPlan;
  /** Resolves with the reason if the backend's device is lost (only a GPU backend has one). */
  readonly lost?: Promise<string>;
  /** The token sequence whose keys and values the KV cache holds (a prompt that starts with it reuses them). */
  readonly cachedTokens: readonly number[];
  /** What the backend holds now, for leak checks: GPU buffers alive and tokens cached. */
  diagnostics(): { gpuBuffers: number; cachedTokens: number };
  /**
   * Generates tokens, streaming each submit's new ids through onTokens as soon as they are read
   * back, with each one's log-probability under the model (log softmax at temperature 1).
   * Resolves with the stats when a stop id, maxNewTokens or the abort signal ends it.
   * On abort it returns at the next submit boundary; no ids are delivered after abort.
   */
  generate(req: GenerateRequest, onTokens: TokensCallback, signal: AbortSignal): Promise<GenerateStats>;
  /**
   * The log-probability of each token of `continuation` after `promptIds`, teacher-forced (Edit's
   * never-worse check compares a rewrite with the code it would replace). Drop-oldest applies.
   */
  score(promptIds: readonly number[], continuation: readonly number[], signal: AbortSignal): Promise<number[]>;
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
