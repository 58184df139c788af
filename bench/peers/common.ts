// Shared shapes and pure helpers for the peer benchmarks (transformers.js, wllama). Pure so they
// are unit-tested in Node (common.test.ts); the browser-only parts live in the *-peer.ts modules.

/** What every peer is asked to do: greedy-decode exactly `maxNewTokens` after `prompt`. */
export interface PeerRequest {
  /** Prompt token ids (already tokenized: every peer that takes ids must see these). */
  prompt: number[];
  /**
   * The same prompt as text, for peers that only take text (wllama 3's completion API rejects
   * token arrays: "type must be string, but is array"). The row reports how many tokens the peer
   * saw, so a tokenization difference shows up instead of hiding.
   */
  promptText: string;
  maxNewTokens: number;
  /** Ids no peer may emit; see suppressedIds(). Every peer and the reference apply the same set. */
  suppress: number[];
  /** The greedy tokens the comparison is against (our engine or the PyTorch reference). */
  reference?: number[];
  /** Timed generations after the warm-up (default 1); the row reports the median run. */
  repeats?: number;
}

/** One timed generation: the ids it produced and when. */
export interface GenerationRun {
  ids: number[];
  timing: GenerationTiming;
  /**
   * The peer's own decode figure for this run, where it reports one (llama.cpp's
   * timings.predicted_per_second): a check on the wall clock, which includes the peer's plumbing.
   */
  ownDecodeTokensPerSecond?: number;
}

/** One row of the peers table; field names follow bench.json's stable format (scripts/test.mjs checks it). */
export interface PeerResult {
  name: string;
  status: 'ok' | 'failed';
  error?: string;
  /** Wall clock; absent (with detail.decodeTiming saying why) when the run's timing could not give a rate. */
  decodeTokensPerSecond?: number;
  /** The peer's own figure (see GenerationRun), beside the wall clock. */
  ownDecodeTokensPerSecond?: number;
  prefillMs?: number;
  tokens?: number[];
  sameTokens?: boolean;
  /** Index of the first token that differs from the reference (absent when they agree). */
  firstMismatch?: number;
  /** Anything the peer reports about how it ran (backend, threads, load time). */
  detail?: Record<string, string | number | boolean>;
}

/** Timestamps (ms, performance.now) around one greedy generation. */
export interface GenerationTiming {
  start: number;
  /** When the first new token was known: the end of prefill (it includes that first sample). */
  firstToken: number;
  end: number;
  /** How many new tokens were produced in total. */
  tokens: number;
}

/**
 * Prefill = start → first token. Decode rate counts only the tokens after the first, over the time
 * after the first: the first token is paid for by the prefill pass, so counting it would flatter
 * the decode figure for short generations. A timing that cannot give a rate (nothing decoded after
 * the first token, or no time between them) gives none, with the reason: a 0 would read as a
 * measured, very slow peer.
 */
export function timingFigures(t: GenerationTiming): { prefillMs: number; decodeTokensPerSecond?: number; unusable?: string } {
  const prefillMs = t.firstToken - t.start;
  const decodeMs = t.end - t.firstToken;
  const decoded = t.tokens - 1;
  if (decoded <= 0) return { prefillMs, unusable: `only ${t.tokens} token(s) generated, none after the first` };
  if (!(decodeMs > 0)) return { prefillMs, unusable: `the ${decoded} tokens after the first took ${decodeMs.toFixed(1)} ms of wall clock, within its noise` };
  return { prefillMs, decodeTokensPerSecond: (decoded * 1000) / decodeMs };
}

/** Compare generated ids with the reference; undefined fields when there is no reference. */
export function compareTokens(
  tokens: readonly number[],
  reference: readonly number[] | undefined,
): { sameTokens?: boolean; firstMismatch?: number } {
  if (!reference) return {};
  const n = Math.max(tokens.length, reference.length);
  for (let i = 0; i < n; i++) {
    if (tokens[i] !== reference[i]) return { sameTokens: false, firstMismatch: i };
  }
  return { sameTokens: true };
}

/** The exact message of whatever was thrown (Error, string, ORT's numeric codes, objects). */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause === undefined ? '' : ` (cause: ${errorMessage(err.cause)})`;
    return `${err.name}: ${err.message}${cause}`;
  }
  if (typeof err === 'string') return err;
  try {
    return JSON.stringify(err) ?? String(err);
  } catch {
    return String(err);
  }
}

/** A failed row that keeps the peer's name and exact error, never numbers. */
export function failedRow(name: string, err: unknown, detail?: PeerResult['detail']): PeerResult {
  return { name, status: 'failed', error: errorMessage(err), ...(detail ? { detail } : {}) };
}

/**
 * Assemble an ok row from repeated runs: figures of the median run by decode rate (this machine is
 * shared, so single runs are noisy), every run's rate in detail, and sameTokens only if every run
 * matched the reference (a peer that is deterministic once but not twice is not the same work).
 */
export function medianRow(
  name: string,
  runs: readonly GenerationRun[],
  reference: readonly number[] | undefined,
  detail?: PeerResult['detail'],
): PeerResult {
  if (runs.length === 0) throw new Error('medianRow needs at least one run');
  const rated = runs.map((r) => ({ r, tps: timingFigures(r.timing).decodeTokensPerSecond }));
  // Runs without a wall-clock rate sort first, so the median is of the measured ones only when
  // they are the majority.
  const sorted = [...rated].sort((a, b) => (a.tps ?? -Infinity) - (b.tps ?? -Infinity));
  const mid = sorted[Math.floor((sorted.length - 1) / 2)]!.r;
  const row = okRow(name, mid.ids, mid.timing, reference, detail);
  const own = runs.map((r) => r.ownDecodeTokensPerSecond).filter((v): v is number => v !== undefined && Number.isFinite(v) && v > 0);
  if (own.length > 0) row.ownDecodeTokensPerSecond = round(own.sort((a, b) => a - b)[Math.floor((own.length - 1) / 2)]!, 2);
  if (runs.length > 1) {
    const mismatch = runs.map((r) => compareTokens(r.ids, reference)).find((c) => c.sameTokens === false);
    if (mismatch) Object.assign(row, mismatch);
    const list = rated.map((x) => (x.tps === undefined ? '–' : round(x.tps, 2))).join(',');
    row.detail = { ...row.detail, runs: runs.length, decodeTokensPerSecondRuns: list };
  }
  return row;
}

/** Assemble an ok row from the generated ids and timing. */
export function okRow(
  name: string,
  tokens: number[],
  timing: GenerationTiming,
  reference: readonly number[] | undefined,
  detail?: PeerResult['detail'],
): PeerResult {
  const { prefillMs, decodeTokensPerSecond, unusable } = timingFigures(timing);
  const withReason = unusable === undefined ? detail : { ...detail, decodeTiming: `no wall-clock rate: ${unusable}` };
  return {
    name,
    status: 'ok',
    ...(decodeTokensPerSecond === undefined ? {} : { decodeTokensPerSecond: round(decodeTokensPerSecond, 2) }),
    prefillMs: round(prefillMs, 2),
    tokens,
    ...compareTokens(tokens, reference),
    ...(withReason ? { detail: withReason } : {}),
  };
}

/** The parts of a Hugging Face tokenizer.json the peers read. */
export interface TokenizerJson {
  model: { vocab: Record<string, number> };
  added_tokens?: { id: number; content: string; special?: boolean }[];
}

/**
 * The ids every peer is forbidden to emit during the benchmark, so that greedy decoding is the
 * same work everywhere:
 *  - special added tokens: llama.cpp treats EOS and FIM separators as end-of-generation and,
 *    asked for a fixed token count, biases them to -inf; transformers.js's min_new_tokens does the
 *    same for EOS only. One explicit set removes the disagreement.
 *  - tokens with non-ASCII bytes (when asciiOnly): llama-server (inside wllama) throws
 *    "[json.exception.type_error.316] invalid UTF-8 byte" when a generated piece is not valid
 *    UTF-8, which an untrained or small model emits easily. Code prompts lose little by it.
 */
export function suppressedIds(tok: TokenizerJson, asciiOnly = true): number[] {
  const out = new Set<number>();
  for (const t of tok.added_tokens ?? []) if (t.special !== false) out.add(t.id);
  if (asciiOnly) {
    const alphabet = gpt2ByteAlphabet();
    const nonAscii = new Set(alphabet.filter((_, byte) => byte >= 0x80));
    for (const [piece, id] of Object.entries(tok.model.vocab)) {
      for (const ch of piece) {
        if (nonAscii.has(ch)) {
          out.add(id);
          break;
        }
      }
    }
  }
  return [...out].sort((a, b) => a - b);
}

/**
 * Map the byte-level token strings of tokenizer.json (GPT-2 alphabet) back to ids by their bytes.
 * Why: llama.cpp's server API reports generated tokens as pieces with their raw bytes, not ids;
 * in a byte-level BPE vocabulary every normal token has a distinct byte string, so bytes → id is
 * exact. Special (added) tokens are excluded: they are suppressed in the benchmark anyway.
 */
export function byteLevelInverse(vocab: Readonly<Record<string, number>>): Map<string, number> {
  const charToByte = new Map<string, number>();
  for (const [byte, ch] of gpt2ByteAlphabet().entries()) charToByte.set(ch, byte);
  const out = new Map<string, number>();
  for (const [piece, id] of Object.entries(vocab)) {
    const bytes: number[] = [];
    let ok = true;
    for (const ch of piece) {
      const b = charToByte.get(ch);
      if (b === undefined) {
        ok = false;
        break;
      }
      bytes.push(b);
    }
    if (ok) out.set(bytesKey(bytes), id);
  }
  return out;
}

/** A stable map key for a byte sequence. */
export function bytesKey(bytes: readonly number[]): string {
  return bytes.join(',');
}

/** GPT-2's reversible byte → printable character table, indexed by byte value. */
export function gpt2ByteAlphabet(): string[] {
  const printable = (b: number) =>
    (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const out: string[] = [];
  let extra = 0;
  for (let b = 0; b < 256; b++) out.push(String.fromCodePoint(printable(b) ? b : 256 + extra++));
  return out;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
