// Times a backend the way the editor uses it, so the path choice (backend-select.ts) compares what
// a user feels: a keystroke's request is a few new tokens prefilled on a cached prompt and a short
// decode. A cold prefill of the probe's prompt is timed too and reported, not scored.
import { TOKENS_PER_SUBMIT } from '../api/limits.ts';
import { decodeTokensPerSecond, GREEDY, type GenerateStats, type PathMeasurement } from '../api/types.ts';
import type { Backend } from '../backends/backend.ts';

export const PATH_PROBE = Object.freeze({
  /** The cached prompt a keystroke extends; its cold prefill also seeds the prompt window (prompt-window.ts). */
  promptTokens: 64,
  /** New tokens per keystroke: one or two typed characters. */
  keystrokeTokens: 2,
  /** Tokens decoded per request: about a short ghost's worth. */
  decodeTokens: 8,
  /** Keystrokes timed; the best counts (a shared machine's noise only ever adds time). */
  repeats: 3,
  /**
   * The CPU reference and a WebGPU f32 copy hold every weight as f32: a model whose f32 weights
   * exceed this is not timed on them (4 bytes × 64 M parameters; spark-nano's are 10 MB).
   */
  maxF32WeightBytes: 256 * 2 ** 20,
  /** A path whose probe request takes longer than this is not chosen (a driver that stopped answering must not hang the load). */
  timeoutMs: 20_000,
});

export interface ProbeOptions {
  signal: AbortSignal;
  /** The clock the keystrokes are timed with (tests: a fake one). */
  now?: () => number;
  /** Default PATH_PROBE.timeoutMs. */
  timeoutMs?: number;
}

/** A path's score: its keystroke's request time; the lowest wins. */
export const score = (m: PathMeasurement): number => m.keystrokeMs ?? Number.POSITIVE_INFINITY;

/** Deterministic token ids that spread over the vocabulary (any ids will do: the probe ignores stop tokens). */
const probeIds = (count: number, salt: number, vocabSize: number): number[] =>
  Array.from({ length: count }, (_, i) => (i * 7919 + salt * 104_729 + 1) % vocabSize);

export async function probePath(backend: Backend, path: string, options: ProbeOptions): Promise<PathMeasurement> {
  const { signal, now = () => performance.now(), timeoutMs = PATH_PROBE.timeoutMs } = options;
  const vocab = backend.config.vocabSize;
  const run = async (promptIds: number[]): Promise<{ ms: number; stats: GenerateStats }> => {
    signal.throwIfAborted();
    const started = now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`a probe request did not finish in ${timeoutMs / 1000} s`)), timeoutMs);
    });
    try {
      const stats = await Promise.race([backend.generate({
        promptIds, maxNewTokens: PATH_PROBE.decodeTokens, stopIds: [], sampling: GREEDY, tokensPerSubmit: TOKENS_PER_SUBMIT.default,
      }, () => {}, signal), timeout]);
      return { ms: now() - started, stats };
    } finally {
      clearTimeout(timer);
    }
  };
  const prompt = probeIds(PATH_PROBE.promptTokens, 0, vocab);
  const cold = await run(prompt);
  let best: { ms: number; stats: GenerateStats } | undefined;
  for (let r = 1; r <= PATH_PROBE.repeats; r++) {
    // The cache holds the prompt (and the last keystroke's tokens): only the new tokens are prefilled.
    const keystroke = await run([...prompt, ...probeIds(PATH_PROBE.keystrokeTokens, r, vocab)]);
    if (!best || keystroke.ms < best.ms) best = keystroke;
  }
  const { stats } = best!;
  const decodeRate = decodeTokensPerSecond(stats);
  return {
    path, backend: backend.kind,
    keystrokeMs: round(best!.ms),
    firstTokenMs: round(stats.ttftMs),
    ...(cold.stats.prefillMs > 0 ? { prefillTokensPerSecond: round(cold.stats.prefillTokens / cold.stats.prefillMs * 1000) } : {}),
    ...(decodeRate !== undefined ? { decodeTokensPerSecond: round(decodeRate) } : {}),
  };
}

const round = (x: number): number => Math.round(x * 10) / 10;

/** "CPU: 18 ms per keystroke against 96 ms on WebGPU f16": the choice in one line, with its numbers. */
export function describeChoice(chosen: PathMeasurement, all: readonly PathMeasurement[]): string {
  const others = all.filter((m) => m !== chosen);
  const timed = others.filter((m) => m.keystrokeMs !== undefined).map((m) => `${m.keystrokeMs} ms on ${m.path}`);
  const skipped = others.filter((m) => m.skipped !== undefined).map((m) => `${m.path} not timed: ${m.skipped}`);
  const against = timed.length > 0 ? ` against ${timed.join(', ')}` : '';
  return [`${chosen.path}: ${chosen.keystrokeMs} ms per keystroke${against}`, ...skipped].join('; ');
}
