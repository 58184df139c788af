// The token loop, written once for every backend: fitting to the context (drop-oldest), prefix
// reuse, emitting and delivering ids, stops, drafts (verify, accept, roll back) and trimming the
// cache. A backend supplies a Stepper: the few operations that touch its KV cache and weights.
//
//   prefill   the uncached prompt tail (in chunks of maxBatch) + the first sample
//   decode    N steps, each feeding the previous sample (one GPU submit; on the CPU, one step)
//   verify    [pending + K drafts] in one batched pass, every row sampled
//   logits    a prefill chunk or one token, returning its logits: a token drawn from a subset (token healing) is sampled here
//
// The cache is a prefix of prompt + kept output at every submit boundary: rejected drafts and
// tokens past a stop leave it, so the next request reuses exactly what the cache holds.
import { inRange, TOKENS_PER_SUBMIT } from '../api/limits.ts';
import { emptyStats, GREEDY, type GenerateStats, type SamplingParams } from '../api/types.ts';
import { fitToContext, type GenerateRequest, type TokensCallback } from './backend.ts';
import { logProbability, sample } from './cpu/reference/sampler.ts';

/** What one request's stepper calls share: its stats, its per-phase times and the profiling switch. */
export interface StepContext {
  readonly sampling: SamplingParams;
  readonly stats: GenerateStats;
  /** Per-phase times the stepper measured (GPU timestamps or wall clock), when profiling. */
  readonly phases: Record<string, number>;
  readonly profiling: boolean;
}

/** Sampled tokens, and each one's log-probability under the model (log softmax at temperature 1). */
export interface Samples {
  ids: number[];
  logprobs: number[];
  /**
   * verify only: per row, the log-probability of the token the pass fed next (row r: drafts[r]),
   * NaN for the last row. One verify pass so scores a given continuation.
   */
  inputLogprobs?: number[];
}

export interface Stepper {
  /** KV-cache positions. */
  readonly capacity: number;
  /** Most prompt tokens one prefill pass takes; longer prompts are prefilled in chunks. */
  readonly maxBatch: number;
  readonly maxDraftTokens: number;
  /** Largest tokens-per-submit this stepper can run. */
  readonly maxTokensPerSubmit: number;
  readonly vocabSize: number;
  /**
   * Decode steps one call runs at most. The GPU runs N steps in one submit, since a submit is
   * what costs; the CPU samples on the host, so it runs one and can try a draft after every token.
   */
  readonly maxDecodeStepsPerCall: number;
  /**
   * True when the model runs on the host: nothing is read back from a device, so the loop counts
   * a readback per delivery of ids (as the GPU counts one per submit).
   */
  readonly hostResident: boolean;
  /** The first token from the prefill submit alone (lowest time to first token), or with N-1 more. */
  readonly firstTokenAlone: boolean;
  readonly phaseClock: 'gpu-timestamp' | 'wall-clock';
  /** Runs ids at positions start..; returns the token sampled after the last, then `extraDecode` more. */
  prefill(ids: readonly number[], start: number, extraDecode: number, ctx: StepContext): Promise<Samples>;
  /** Feeds `pending` at position `pos` and each sample after it: `steps` sampled ids. */
  decode(pending: number, pos: number, steps: number, ctx: StepContext): Promise<Samples>;
  /** Runs [pending, ...drafts] at positions pos..; returns the token sampled after each row. */
  verify(pending: number, drafts: readonly number[], pos: number, ctx: StepContext): Promise<Samples>;
  /** Runs ids at positions start.. like prefill; returns the logits after the last (V floats), sampling nothing. */
  logits(ids: readonly number[], start: number, ctx: StepContext): Promise<Float32Array>;
  /** The cache keeps positions 0..n-1 only. */
  truncate(n: number): void;
}

/**
 * Samples from `logits` restricted to `allowed`, renormalised over them: the others' logits become
 * -Infinity. The sampler is the CPU reference's, the definition every backend's sampler follows.
 */
export function sampleFrom(logits: Float32Array, allowed: readonly number[], sampling: SamplingParams, position: number): { id: number; logprob: number } {
  const masked = new Float32Array(logits.length).fill(Number.NEGATIVE_INFINITY);
  for (const id of allowed) masked[id] = logits[id]!;
  const id = sample(masked, sampling, position);
  return { id, logprob: logProbability(masked, id) };
}

/**
 * Lets queued messages (a cancel, a new request) run between deliveries. A MessageChannel round
 * trip rather than setTimeout(0), which browsers clamp to 4 ms once timers nest.
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

/** Length of the longest common prefix of two token sequences. */
export function commonPrefixLength(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/** The ids `constrain` allows next, checked; undefined when the next token is free. */
function allowedNext(req: GenerateRequest, generated: readonly number[], vocabSize: number): readonly number[] | undefined {
  const allowed = req.constrain?.(generated);
  if (allowed === undefined) return undefined;
  if (allowed.length === 0) throw new Error(`generate: the constraint allows no token after ${generated.length} generated`);
  checkInVocabulary(allowed, vocabSize, 'generate: allowed token');
  return allowed;
}

/** Throws, naming the first id (as `what`) that is not a token of a vocabulary of `vocabSize`. */
function checkInVocabulary(ids: readonly number[], vocabSize: number, what: string): void {
  for (const id of ids) {
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) throw new Error(`${what} ${id} is outside the vocabulary of ${vocabSize}`);
  }
}

export function validateRequest(req: GenerateRequest, vocabSize: number, maxTokensPerSubmit: number): void {
  if (req.promptIds.length === 0) throw new Error('generate: empty prompt (at least one token is needed to predict the next)');
  checkInVocabulary(req.promptIds, vocabSize, 'generate: prompt token');
  if (!Number.isInteger(req.maxNewTokens) || req.maxNewTokens < 0) throw new Error(`generate: maxNewTokens must be a non-negative integer, got ${req.maxNewTokens}`);
  if (!inRange(req.tokensPerSubmit, TOKENS_PER_SUBMIT)) {
    throw new Error(`generate: tokensPerSubmit must be an integer in ${TOKENS_PER_SUBMIT.min}..${TOKENS_PER_SUBMIT.max}, got ${req.tokensPerSubmit}`);
  }
  if (req.tokensPerSubmit > maxTokensPerSubmit) {
    throw new Error(`generate: tokensPerSubmit ${req.tokensPerSubmit} exceeds this backend's maxTokensPerSubmit ${maxTokensPerSubmit}`);
  }
}

/** One backend's loop: the stepper, and the token sequence its KV cache holds between requests. */
export class TokenLoop {
  /** Tokens whose keys/values the cache holds, position by position. */
  private cached: number[] = [];
  private busy = false;
  profiling = false;

  constructor(private readonly stepper: Stepper, private readonly name: string) {}

  /** The token sequence the KV cache holds (tests, HUD). */
  get cachedTokens(): readonly number[] {
    return this.cached;
  }

  /**
   * The log-probability of each token of `continuation` after `promptIds` (teacher-forced: each
   * token is scored after the prompt and the continuation before it, whatever the model would have
   * sampled), by verify passes of up to maxDraftTokens tokens. The cache keeps prompt + continuation.
   */
  async score(promptIds: readonly number[], continuation: readonly number[], signal: AbortSignal): Promise<number[]> {
    if (this.busy) throw new Error(`${this.name}: one request at a time (the worker serialises requests)`);
    const s = this.stepper;
    if (promptIds.length === 0) throw new Error('score: empty prompt (the first token needs something before it)');
    checkInVocabulary(promptIds, s.vocabSize, 'score: token');
    checkInVocabulary(continuation, s.vocabSize, 'score: token');
    if (continuation.length + 1 > s.capacity) throw new Error(`score: ${continuation.length} tokens do not fit in ${s.capacity} positions`);
    this.busy = true;
    try {
      const { prompt } = fitToContext(promptIds, continuation.length, s.capacity);
      const ctx: StepContext = { sampling: GREEDY, stats: emptyStats(prompt.length, 0), phases: {}, profiling: false };
      const n = prompt.length;
      // Everything but the last prompt token goes through the cache: that one feeds the first verify row.
      let base = Math.min(commonPrefixLength(this.cached, prompt), n - 1);
      this.setCached(base);
      while (base < n - 1) {
        const chunk = prompt.slice(base, Math.min(n - 1, base + s.maxBatch));
        await s.prefill(chunk, base, 0, ctx);
        this.cached.push(...chunk);
        base += chunk.length;
      }
      const logprobs: number[] = [];
      let pending = prompt[n - 1]!;
      let ran = false;
      const step = Math.max(1, s.maxDraftTokens);
      for (let i = 0; i < continuation.length && !signal.aborted; i += step) {
        ran = true;
        const chunk = continuation.slice(i, i + step);
        const rows = await s.verify(pending, chunk, base, ctx);
        logprobs.push(...(rows.inputLogprobs ?? []).slice(0, chunk.length));
        // The chunk's last token feeds the next pass (re-run at its own position, the same key and value).
        this.cached.push(pending, ...chunk.slice(0, -1));
        base += chunk.length;
        pending = chunk[chunk.length - 1]!;
      }
      if (ran) this.cached.push(pending); // its key and value were written by the last pass
      this.setCached(this.cached.length);
      return logprobs;
    } catch (err) {
      this.reset();
      throw err;
    } finally {
      this.busy = false;
    }
  }

  /** Forgets the cache (after dispose, or when a failed step may have left it half-written). */
  reset(): void {
    this.setCached(0);
  }

  async generate(req: GenerateRequest, onTokens: TokensCallback, signal: AbortSignal): Promise<GenerateStats> {
    if (this.busy) throw new Error(`${this.name}: one generate at a time (the worker serialises requests)`);
    validateRequest(req, this.stepper.vocabSize, this.stepper.maxTokensPerSubmit);
    this.busy = true;
    try {
      return await this.run(req, onTokens, signal);
    } catch (err) {
      this.reset(); // the cache may be half-written: trust nothing
      throw err;
    } finally {
      this.busy = false;
    }
  }

  private setCached(n: number): void {
    this.cached.length = n;
    this.stepper.truncate(n);
  }

  private async run(req: GenerateRequest, onTokens: TokensCallback, signal: AbortSignal): Promise<GenerateStats> {
    const s = this.stepper;
    const start = performance.now();
    const n = req.tokensPerSubmit;
    // Keep the newest context when prompt + generation would not fit: drop from the front.
    const { prompt, dropped, maxNew } = fitToContext(req.promptIds, req.maxNewTokens, s.capacity);
    const ctx: StepContext = { sampling: req.sampling, stats: emptyStats(req.promptIds.length, dropped), phases: {}, profiling: this.profiling };
    const { stats } = ctx;
    const clock = { decodeStart: 0 }; // set when decoding starts
    const finish = (): GenerateStats => {
      if (stats.prefillMs === 0) stats.prefillMs = performance.now() - start;
      if (clock.decodeStart > 0) stats.decodeMs = performance.now() - clock.decodeStart;
      if (this.profiling) {
        stats.phases = Object.keys(ctx.phases).length > 0 ? ctx.phases : { prefill: stats.prefillMs, decode: stats.decodeMs };
        stats.phaseClock = s.phaseClock;
      }
      return stats;
    };
    if (signal.aborted || maxNew === 0) return finish();

    // Drafts for the prompt itself (text the document repeats, a rewrite's original) are verified
    // from the prompt's last token, so the first token can come from a draft too: then the prefill
    // stops one token short and the verify pass runs that token.
    const draftsFor = (sequence: readonly number[]): readonly number[] => {
      const max = Math.min(s.maxDraftTokens, maxNew - stats.decodeTokens);
      return req.draft && max > 0 ? req.draft(sequence, max).slice(0, max) : [];
    };
    // Tokens drawn from a subset are sampled here, the first from the logits the last prefill chunk
    // returns, each next from a one-token step's (no draft may stand in for them).
    let allowed = allowedNext(req, [], s.vocabSize);
    const firstDrafts = allowed ? [] : draftsFor(prompt);
    const prefillEnd = firstDrafts.length > 0 ? prompt.length - 1 : prompt.length;

    // Prefill: reuse the longest cached prefix, but always run the last prompt token, whose
    // sample is the first new token (here or in the first verify pass).
    const reuse = Math.min(commonPrefixLength(this.cached, prompt), prompt.length - 1);
    this.setCached(reuse);
    stats.reusedTokens = reuse;
    stats.prefillTokens = prompt.length - reuse;

    const sequence = [...prompt]; // prompt + generated, as the draft source sees it
    const stops = new Set(req.stopIds);
    const tolerance = req.draftTolerance ?? 0;
    let finished = false;
    const emitted: number[] = [];
    const emittedLogprobs: number[] = [];
    /** Records one generated token; true when generation must end after it. */
    const emit = (id: number, logprob: number): boolean => {
      sequence.push(id);
      emitted.push(id);
      emittedLogprobs.push(logprob);
      stats.decodeTokens++;
      finished = stops.has(id) || stats.decodeTokens >= maxNew;
      return finished;
    };
    const deliver = async (): Promise<boolean> => {
      if (signal.aborted) return false;
      if (emitted.length === 0) return true;
      if (stats.ttftMs === 0) stats.ttftMs = performance.now() - start;
      if (s.hostResident) stats.readbacks++;
      onTokens(emitted.splice(0), emittedLogprobs.splice(0), stats);
      await yieldToEventLoop();
      return !signal.aborted;
    };
    const trimCache = () => this.setCached(Math.min(this.cached.length, commonPrefixLength(this.cached, sequence)));
    /** Runs [pending, ...drafts] in one pass, keeps the drafts it accepts and the sample after them; returns the new pending token. */
    const verify = async (pending: number, drafts: readonly number[]): Promise<number> => {
      for (const d of drafts) if (!Number.isInteger(d) || d < 0 || d >= s.vocabSize) throw new Error(`draft token ${d} outside the vocabulary`);
      const base = this.cached.length; // the position of `pending`
      const rows = await s.verify(pending, drafts, base, ctx);
      stats.draftedTokens += drafts.length;
      this.cached.push(pending, ...drafts);
      let accepted = 0;
      while (accepted < drafts.length && !finished) {
        const sampled = rows.ids[accepted] === drafts[accepted];
        const draftLogprob = rows.inputLogprobs?.[accepted] ?? Number.NaN;
        if (!sampled && !(tolerance > 0 && draftLogprob >= rows.logprobs[accepted]! - tolerance)) break;
        emit(drafts[accepted]!, sampled ? rows.logprobs[accepted]! : draftLogprob);
        accepted++;
      }
      stats.acceptedDraftTokens += accepted;
      this.setCached(base + 1 + accepted); // rejected drafts leave the cache
      if (!finished) emit(rows.ids[accepted]!, rows.logprobs[accepted]!);
      return rows.ids[accepted]!;
    };

    let pos = reuse;
    let first: Samples = { ids: [], logprobs: [] };
    let lastLogits: Float32Array | undefined;
    while (pos < prefillEnd) {
      const chunk = prompt.slice(pos, Math.min(prefillEnd, pos + s.maxBatch));
      const last = pos + chunk.length === prompt.length;
      if (last && allowed) {
        lastLogits = await s.logits(chunk, pos, ctx);
      } else {
        const extraDecode = last && !s.firstTokenAlone ? Math.min(n, maxNew) - 1 : 0;
        const ids = await s.prefill(chunk, pos, extraDecode, ctx);
        if (last) first = ids;
      }
      this.cached.push(...chunk);
      pos += chunk.length;
      // A stepper that computes on this thread (the CPU) never lets a message in by itself: a newer
      // request would wait for the whole prefill. Between chunks it can cancel this one, which
      // keeps what it prefilled (the newer prompt usually starts with it).
      if (pos < prefillEnd) await yieldToEventLoop();
      if (signal.aborted) return finish();
    }
    stats.prefillMs = performance.now() - start;
    clock.decodeStart = performance.now();

    let pending: number;
    if (allowed && lastLogits) {
      let logits = lastLogits;
      for (;;) {
        const sampled = sampleFrom(logits, allowed, req.sampling, sequence.length);
        pending = sampled.id;
        if (emit(sampled.id, sampled.logprob)) break;
        allowed = allowedNext(req, sequence.slice(prompt.length), s.vocabSize);
        if (!allowed) break;
        logits = await s.logits([pending], this.cached.length, ctx);
        this.cached.push(pending);
      }
    } else if (firstDrafts.length > 0) {
      pending = await verify(prompt[prompt.length - 1]!, firstDrafts);
    } else {
      // first[0] was sampled after the prompt; any more came from decode steps that fed their
      // predecessor into the cache.
      for (let i = 0; i < first.ids.length; i++) {
        if (i > 0) this.cached.push(first.ids[i - 1]!);
        if (emit(first.ids[i]!, first.logprobs[i]!)) break;
      }
      pending = first.ids[first.ids.length - 1]!;
    }
    trimCache();
    if (!(await deliver())) return finish();

    while (!finished && !signal.aborted) {
      const drafts = draftsFor(sequence);
      let deliverNow: boolean;
      if (drafts.length > 0) {
        pending = await verify(pending, drafts);
        deliverNow = true; // a batch of accepted tokens is worth showing at once
      } else {
        const steps = Math.min(n, maxNew - stats.decodeTokens, s.maxDecodeStepsPerCall);
        const { ids, logprobs } = await s.decode(pending, this.cached.length, steps, ctx);
        let prev = pending;
        for (let i = 0; i < ids.length; i++) {
          this.cached.push(prev);
          prev = ids[i]!;
          if (emit(ids[i]!, logprobs[i]!)) break;
          // With a tolerance, whether a draft is kept depends on where it is offered. Offering it
          // after every token, as a one-step backend does, keeps every backend's output the same;
          // the steps decoded past it are dropped.
          if (tolerance > 0 && i < ids.length - 1 && draftsFor(sequence).length > 0) break;
        }
        pending = prev;
        deliverNow = emitted.length >= n;
      }
      trimCache();
      if ((deliverNow || finished) && !(await deliver())) break;
    }
    return finish();
  }
}
