// The engine's values the UI sees: sampling parameters and the stats of a generation. Plain data
// that crosses postMessage.

export type BackendKind = 'webgpu' | 'cpu';

/** One way to run the loaded model, as the path choice timed it at load. */
export interface PathMeasurement {
  /** 'WebGPU f16', 'WebGPU f32', 'WebGPU q4_k', 'CPU'. */
  path: string;
  backend: BackendKind;
  /** A keystroke's request: a few new tokens prefilled on a cached prompt, then a short decode (ms, best of the repeats). */
  keystrokeMs?: number;
  /** Time to the first token of that request. */
  firstTokenMs?: number;
  /** Prefill of the probe's prompt with nothing cached. */
  prefillTokensPerSecond?: number;
  decodeTokensPerSecond?: number;
  /** Why the path was not timed (too large for the CPU's f32 copy, failed to start). */
  skipped?: string;
}

/** Which path runs the model and why: shown in the status bar and the HUD. */
export interface PathChoice {
  /** The running path's name (a PathMeasurement's `path`). */
  chosen: string;
  /** measured: timed at this load; cached: an earlier load's timing on this adapter and model; requested: the setting; only: nothing else could run. */
  how: 'measured' | 'cached' | 'requested' | 'only';
  /** One line with the numbers, e.g. "CPU: 18 ms per keystroke against 96 ms on WebGPU f16". */
  reason: string;
  measurements: PathMeasurement[];
}

/** The choice as the status bar and the HUD say it. */
export function pathSummary(p: PathChoice): string {
  switch (p.how) {
    case 'measured': return `${p.reason} (timed at this load)`;
    case 'cached': return `${p.reason} (timed when this model first loaded on this device; the Engine path setting overrides it)`;
    default: return p.reason;
  }
}

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

/** A generation's decode rate (tokens per second of decode time), or undefined when it decoded for no measurable time. */
export const decodeTokensPerSecond = (s: Pick<GenerateStats, 'decodeTokens' | 'decodeMs'>): number | undefined =>
  (s.decodeMs > 0 ? (s.decodeTokens / s.decodeMs) * 1000 : undefined);

/** Stats with every counter at zero, for a request of `promptTokens` tokens. */
export function emptyStats(promptTokens = 0, droppedTokens = 0): GenerateStats {
  return {
    promptTokens, prefillTokens: 0, reusedTokens: 0, droppedTokens,
    decodeTokens: 0, ttftMs: 0, prefillMs: 0, decodeMs: 0, submits: 0, dispatches: 0, readbacks: 0,
    draftedTokens: 0, acceptedDraftTokens: 0,
  };
}
