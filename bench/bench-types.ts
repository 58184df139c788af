// What the Node driver (run-bench.ts) asks the bench page (engine-bench.ts) to measure, and what
// comes back. Plain data: it crosses page.evaluate as JSON.

/** A figure over repeated runs: the median is the headline, min/max show the spread. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

export function spread(runs: readonly number[]): Spread {
  if (runs.length === 0) throw new Error('spread: no runs');
  const sorted = [...runs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted.at(-1)!, runs: [...runs] };
}

export interface EngineBenchSpec {
  /** Model directory URL on the bench server, e.g. /public/models/spark-nano/. */
  modelUrl: string;
  /** The same model as a Q4_K_M GGUF (K-quants mixed as llama.cpp mixes them), on the bench server. */
  q4kmGgufUrl?: string;
  /** KV-cache positions for the run; above the model's own context only to time long prefills. */
  maxContext: number;
  /** Real code, tokenized in Node: prompts for the prefill figures, keyed by length (the 2048
   *  figure uses keystrokeDocs[0]). */
  prefillPrompts: Record<string, number[]>;
  /** Prompt for decode, TTFT, the CPU reference and the peers (the same ids everywhere). */
  decodePrompt: number[];
  decodeTokens: number;
  /** Token ids of a ~2k-token file (also the 2048 prefill) and of the same file after each of a few typed characters. */
  keystrokeDocs: number[][];
  repeats: number;
  /** Repeats for prompts of ~2k tokens (each takes tens of seconds on SwiftShader). */
  longRepeats: number;
  /** The app's default tokens per submit (settings.ts). */
  defaultTokensPerSubmit: number;
  /** Greedy tokens to compare against the peers' reference. */
  referenceTokens: number;
  cpuReferenceTokens: number;
  sensitivity: { tokensPerSubmit: number[]; grids: boolean; formats: boolean; decodeTokens: number; repeats: number };
  /** Completion/rewrite prompts for the draft speed-up (drafts on vs off, identical output). */
  drafts: { completionPrompt: number[]; rewritePrompt: number[]; rewriteOriginal: number[]; tokens: number };
}

export interface SensitivityRow {
  /** What changed against the default configuration. */
  name: string;
  group: 'tokens-per-submit' | 'grid' | 'weights';
  decodeTokensPerSecond: Spread;
  dispatchesPerToken: number;
  readbacksPerToken: number;
  detail?: string;
}

/** One weight format of the same checkpoint (quantized on load where it is not stored so). */
export interface WeightFormatRow {
  format: 'f16' | 'q8_0' | 'q4_0' | 'q4_k_m';
  decodeTokensPerSecond: Spread;
  /** The plan's weight (and activation traffic) bytes per decoded token, and the weights' bytes on the GPU. */
  bytesPerToken: number;
  storedBytes: number;
  tokens: number[];
}

export interface EngineBenchResult {
  adapter: string;
  features: string[];
  description: string;
  weightFormat: string;
  params: number;
  plan: { bytesPerToken: number; grids: string };
  /**
   * Per matrix role: the grid and tile pass the autotune chose on this adapter, and every candidate
   * it timed (ms per GEMV); for a role after an RMSNorm, the norm folded in against its own dispatch.
   */
  autotune: Record<string, { chosen: string; ms: number; candidates: { grid: string; ms: number }[]; skipped: string[]; norm?: { fusedMs: number; separateMs: number }; f16?: { f16Ms: number; f32Ms: number }; argmax?: { statsMs: number; scanMs: number } }>;
  bandwidth: { gbPerSecond: number; megabytes: number; bestMs: number };
  /** Fixed cost of one near-empty dispatch on this adapter. */
  dispatchOverhead: { msPerDispatch: number; dispatches: number };
  /** One profiled decode: GPU ms per token by kernel category (matmul:<role>, attention, ...). */
  profile: { clock: string; decodeMsPerTokenByKernel: Record<string, number> };
  decode: {
    tokensPerSubmit: number;
    tokensPerSecond: Spread;
    ttftMs: Spread;
    readbacksPerToken: number;
    submitsPerToken: number;
    dispatchesPerToken: number;
  };
  /** Decode at N = 8 with the first token in the first submit: readbacks are exactly ≤ 1/8 there. */
  decodeN8Batched: { tokensPerSecond: Spread; readbacksPerToken: number };
  /**
   * Decode at the N the engine picks for a request that names none (tokensPerSubmitFor the time
   * per token measured above): what the app's own requests cost in readbacks on this adapter.
   */
  decodeMeasuredN: { tokensPerSubmit: number; msPerToken: number; tokensPerSecond: Spread; readbacksPerToken: number };
  prefill: Record<string, { tokensPerSecond: Spread; ms: Spread; tokens: number; gflopPerSecond: number }>;
  keystroke: { prefillTokens: number[]; ms: Spread; fullPrefillMs: Spread; docTokens: number };
  greedy: number[];
  cpuReference: { decodeTokensPerSecond: Spread; tokens: number[]; sameTokens: boolean };
  /** The CPU path with WebAssembly SIMD products (the same forward pass). */
  cpuSimd: { decodeTokensPerSecond: Spread; tokens: number[]; sameTokens: boolean };
  drafts: {
    completion: { off: Spread; on: Spread; accepted: number; drafted: number; identical: boolean };
    rewrite: { off: Spread; on: Spread; accepted: number; drafted: number; identical: boolean };
  };
  sensitivity: SensitivityRow[];
  weightFormats: WeightFormatRow[];
}
