// The token loop, tested once, over a fake stepper whose "model" reads its own KV cache: the next
// token hashes every cached token up to the position, so any disagreement between what the loop
// thinks the cache holds and what the stepper holds changes the output.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GREEDY, type GenerateStats } from '../api/types.ts';
import type { GenerateRequest } from './backend.ts';
import { TokenLoop, type Samples, type StepContext, type Stepper } from './token-loop.ts';

const VOCAB = 50;

/** The fake model: the token after a sequence. */
/** The fake model's log-probability of a token it samples: any fixed function tells a misaligned one. */
const fakeLogprob = (id: number) => -id / 64;
const samples = (ids: number[]): Samples => ({ ids, logprobs: ids.map(fakeLogprob) });
/** The fake model's log-probability of token `id` fed at position `pos`. */
const inputLogprob = (id: number, pos: number) => -(id + 1) / 64 - pos / 4096;

const fakeLogits = (next: number) => Float32Array.from({ length: VOCAB }, (_, i) => -((i - next + VOCAB) % VOCAB) / 2);

function nextToken(sequence: readonly number[]): number {
  let h = 17;
  for (const t of sequence) h = (h * 31 + t + 7) % 1_000_003;
  return h % VOCAB;
}

function naive(prompt: readonly number[], n: number, stops: readonly number[] = []): number[] {
  const seq = [...prompt];
  const out: number[] = [];
  while (out.length < n) {
    const t = nextToken(seq);
    seq.push(t);
    out.push(t);
    if (stops.includes(t)) break;
  }
  return out;
}

interface FakeOptions {
  capacity?: number;
  maxBatch?: number;
  maxDraftTokens?: number;
  maxDecodeStepsPerCall?: number;
  hostResident?: boolean;
  firstTokenAlone?: boolean;
  failOnCall?: number;
}

class FakeStepper implements Stepper {
  readonly capacity: number;
  readonly maxBatch: number;
  readonly maxDraftTokens: number;
  readonly maxTokensPerSubmit = 64;
  readonly vocabSize = VOCAB;
  readonly maxDecodeStepsPerCall: number;
  readonly hostResident: boolean;
  readonly firstTokenAlone: boolean;
  readonly phaseClock = 'wall-clock' as const;
  /** What the "KV cache" holds, position by position. */
  cache: number[] = [];
  calls: string[] = [];

  constructor(private readonly o: FakeOptions = {}) {
    this.capacity = o.capacity ?? 1000;
    this.maxBatch = o.maxBatch ?? this.capacity;
    this.maxDraftTokens = o.maxDraftTokens ?? 8;
    this.maxDecodeStepsPerCall = o.maxDecodeStepsPerCall ?? 1;
    this.hostResident = o.hostResident ?? true;
    this.firstTokenAlone = o.firstTokenAlone ?? true;
  }

  /** One submit: counted, and the one that fails when asked to. */
  private call(kind: string, ctx: StepContext): void {
    this.calls.push(kind);
    if (this.o.failOnCall === this.calls.length) throw new Error('device lost');
    ctx.stats.submits++;
    if (!this.hostResident) ctx.stats.readbacks++;
  }

  private feed(ids: readonly number[], start: number, ctx: StepContext, kind: string): number[] {
    this.call(kind, ctx);
    if (start > this.cache.length) throw new Error(`fake: position ${start} is past the ${this.cache.length} cached`);
    if (start + ids.length > this.capacity) throw new Error('fake: past the capacity');
    this.cache.length = start;
    const rows: number[] = [];
    for (const id of ids) {
      this.cache.push(id);
      rows.push(nextToken(this.cache));
    }
    return rows;
  }

  async prefill(ids: readonly number[], start: number, extraDecode: number, ctx: StepContext): Promise<Samples> {
    const first = this.feed(ids, start, ctx, `prefill:${ids.length}`).at(-1)!;
    if (extraDecode === 0) return samples([first]);
    return samples([first, ...(await this.decode(first, start + ids.length, extraDecode, ctx, true)).ids]);
  }

  async decode(pending: number, pos: number, steps: number, ctx: StepContext, within = false): Promise<Samples> {
    if (!within) this.call(`decode:${steps}`, ctx);
    if (pos > this.cache.length) throw new Error(`fake: position ${pos} is past the ${this.cache.length} cached`);
    const out: number[] = [];
    let id = pending;
    for (let k = 0; k < steps; k++) {
      this.cache.length = pos + k;
      this.cache.push(id);
      id = nextToken(this.cache);
      out.push(id);
    }
    return samples(out);
  }

  async verify(pending: number, drafts: readonly number[], pos: number, ctx: StepContext): Promise<Samples> {
    // The fake's "log-probability" of a fed token depends on the token and its position: a misplaced score shows.
    const inputLogprobs = [...drafts.map((d, r) => inputLogprob(d, pos + r + 1)), Number.NaN];
    return { ...samples(this.feed([pending, ...drafts], pos, ctx, `verify:${drafts.length}`)), inputLogprobs };
  }

  /** The fake's logits after `pending`: its next token highest, then the ids after it, cyclically. */
  async logits(ids: readonly number[], start: number, ctx: StepContext): Promise<Float32Array> {
    return fakeLogits(this.feed(ids, start, ctx, `logits:${ids.length}`).at(-1)!);
  }

  truncate(n: number): void {
    if (n > this.cache.length) throw new Error(`fake: truncate to ${n} but only ${this.cache.length} cached`);
    this.cache.length = n;
  }
}

const request = (promptIds: number[], extra: Partial<GenerateRequest> = {}): GenerateRequest => ({
  promptIds, maxNewTokens: 12, stopIds: [], sampling: GREEDY, tokensPerSubmit: 4, ...extra,
});

async function collect(loop: TokenLoop, req: GenerateRequest, signal = new AbortController().signal) {
  const chunks: number[][] = [];
  const logprobs: number[] = [];
  let firstProgress: Pick<GenerateStats, 'promptTokens' | 'prefillTokens' | 'reusedTokens'> | undefined;
  const stats: GenerateStats = await loop.generate(req, (ids, lps, progress) => {
    chunks.push(ids);
    logprobs.push(...lps);
    firstProgress ??= { promptTokens: progress.promptTokens, prefillTokens: progress.prefillTokens, reusedTokens: progress.reusedTokens };
  }, signal);
  // Every delivered id comes with its own log-probability, from whichever step sampled it.
  expect(logprobs).toEqual(chunks.flat().map(fakeLogprob));
  // The prompt's counts are final from the first delivery on (the worker's trace reads them there).
  if (firstProgress) expect(firstProgress).toEqual({ promptTokens: stats.promptTokens, prefillTokens: stats.prefillTokens, reusedTokens: stats.reusedTokens });
  return { chunks, tokens: chunks.flat(), stats };
}

const PROMPT = [3, 14, 15, 9, 26, 5, 35, 8, 9, 7, 9, 32];

/**
 * The stepper holds what the loop says the cache holds, and after a request that ran, that is a
 * prefix of the request's prompt + output.
 */
function expectConsistent(loop: TokenLoop, stepper: FakeStepper, sequence?: readonly number[]) {
  expect(stepper.cache.slice(0, loop.cachedTokens.length)).toEqual([...loop.cachedTokens]);
  if (sequence) expect(sequence.slice(0, loop.cachedTokens.length)).toEqual([...loop.cachedTokens]);
}

describe('TokenLoop.score', () => {
  it('scores each continuation token at its position, in passes of maxDraftTokens, and caches prompt + continuation', async () => {
    const stepper = new FakeStepper({ maxDraftTokens: 3 });
    const loop = new TokenLoop(stepper, 'fake');
    const continuation = [5, 9, 2, 7, 7, 1, 30];
    const scores = await loop.score(PROMPT, continuation, new AbortController().signal);
    expect(scores).toEqual(continuation.map((id, i) => inputLogprob(id, PROMPT.length + i)));
    expect(stepper.calls.filter((c) => c.startsWith('verify'))).toEqual(['verify:3', 'verify:3', 'verify:1']);
    expect(loop.cachedTokens).toEqual([...PROMPT, ...continuation]);
    expectConsistent(loop, stepper);
    // The next request reuses all of it.
    const next = await collect(loop, request([...PROMPT, ...continuation, 4], { maxNewTokens: 2 }));
    expect(next.stats.reusedTokens).toBe(PROMPT.length + continuation.length);
    expect(next.tokens).toEqual(naive([...PROMPT, ...continuation, 4], 2));
  });

  it('an empty continuation or an abort leaves a cache it can trust; bad tokens are refused', async () => {
    const stepper = new FakeStepper();
    const loop = new TokenLoop(stepper, 'fake');
    expect(await loop.score(PROMPT, [], new AbortController().signal)).toEqual([]);
    expectConsistent(loop, stepper);
    const aborted = new AbortController();
    aborted.abort();
    expect(await loop.score(PROMPT, [1, 2, 3], aborted.signal)).toEqual([]);
    expectConsistent(loop, stepper);
    await expect(loop.score(PROMPT, [VOCAB], new AbortController().signal)).rejects.toThrow(/outside the vocabulary/);
    await expect(loop.score([], [1], new AbortController().signal)).rejects.toThrow(/empty prompt/);
  });
});

describe('TokenLoop', () => {
  it('equals a full recompute; streams the first token alone, then chunks of N', async () => {
    const stepper = new FakeStepper();
    const loop = new TokenLoop(stepper, 'fake');
    const { chunks, tokens, stats } = await collect(loop, request(PROMPT));
    expect(tokens).toEqual(naive(PROMPT, 12));
    expect(chunks.map((c) => c.length)).toEqual([1, 4, 4, 3]);
    expect(stats).toMatchObject({ promptTokens: 12, prefillTokens: 12, reusedTokens: 0, decodeTokens: 12, readbacks: 4, submits: 12 });
    expect(stepper.calls.filter((c) => c.startsWith('decode'))).toHaveLength(11); // the last token is never fed
    expect(loop.cachedTokens).toEqual([...PROMPT, ...tokens.slice(0, -1)]);
  });

  it('reuses the cached prefix: a repeat prefills one token, an edit in the middle the rest', async () => {
    const stepper = new FakeStepper();
    const loop = new TokenLoop(stepper, 'fake');
    const doc = Array.from({ length: 300 }, (_, i) => (i * 37) % VOCAB);
    const first = await collect(loop, request(doc, { maxNewTokens: 3 }));
    const again = await collect(loop, request(doc, { maxNewTokens: 3 }));
    expect(again.stats).toMatchObject({ prefillTokens: 1, reusedTokens: 299 });
    expect(again.tokens).toEqual(first.tokens);
    const typed = await collect(loop, request([...doc, ...first.tokens.slice(0, 2), 17], { maxNewTokens: 3 }));
    expect(typed.stats).toMatchObject({ prefillTokens: 1, reusedTokens: 302 });
    expect(typed.tokens).toEqual(naive([...doc, ...first.tokens.slice(0, 2), 17], 3));
    const edited = [...doc.slice(0, 150), 49, ...doc.slice(151)];
    const mid = await collect(loop, request(edited, { maxNewTokens: 1 }));
    expect(mid.stats).toMatchObject({ reusedTokens: 150, prefillTokens: 150 });
    expect(mid.tokens).toEqual(naive(edited, 1));
  });

  it('delivers a stop id, never feeds it, and trims the cache to the kept sequence', async () => {
    const free = naive(PROMPT, 12);
    const stopAt = free[4]!;
    const stepper = new FakeStepper({ maxDecodeStepsPerCall: 64, hostResident: false });
    const loop = new TokenLoop(stepper, 'fake');
    const stopped = await collect(loop, request(PROMPT, { stopIds: [stopAt], tokensPerSubmit: 8 }));
    expect(stopped.tokens).toEqual(free.slice(0, free.indexOf(stopAt) + 1));
    expectConsistent(loop, stepper, [...PROMPT, ...stopped.tokens]);
    expect(loop.cachedTokens.length).toBeLessThanOrEqual(PROMPT.length + stopped.tokens.length - 1);
    expect((await collect(loop, request(PROMPT, { maxNewTokens: 0 }))).tokens).toEqual([]);
  });

  it('drafts never change the output; good ones save calls, bad ones leave the cache', async () => {
    const plain = naive(PROMPT, 24);
    const oracle = (seq: readonly number[], max: number) => {
      const done = seq.length - PROMPT.length;
      return plain.slice(done, done + max).map((t, i) => ((done + i) % 5 === 4 ? (t + 1) % VOCAB : t));
    };
    const stepper = new FakeStepper();
    const loop = new TokenLoop(stepper, 'fake');
    const drafted = await collect(loop, request(PROMPT, { maxNewTokens: 24, tokensPerSubmit: 8, draft: oracle }));
    expect(drafted.tokens).toEqual(plain);
    expect(drafted.stats.acceptedDraftTokens).toBeGreaterThan(10);
    expect(drafted.stats.submits).toBeLessThan(24);
    expectConsistent(loop, stepper, [...PROMPT, ...drafted.tokens]);
    const junk = await collect(new TokenLoop(new FakeStepper(), 'fake'), request(PROMPT, { maxNewTokens: 24, draft: (_s, max) => Array(max).fill(7) }));
    expect(junk.tokens).toEqual(plain);
    await expect(collect(new TokenLoop(new FakeStepper(), 'fake'), request(PROMPT, { draft: () => [VOCAB] }))).rejects.toThrow(/draft token 50 outside/);
  });

  it('a draft for the prompt itself is verified from the prompt\'s last token, so the first token can be drafted', async () => {
    const plain = naive(PROMPT, 8);
    const stepper = new FakeStepper();
    const loop = new TokenLoop(stepper, 'fake');
    const { tokens, stats } = await collect(loop, request(PROMPT, { maxNewTokens: 8, draft: (s, max) => plain.slice(s.length - PROMPT.length, s.length - PROMPT.length + max) }));
    expect(tokens).toEqual(plain);
    expect(stepper.calls).toEqual([`prefill:${PROMPT.length - 1}`, 'verify:8']);
    expect(stats.acceptedDraftTokens).toBe(8);
    expectConsistent(loop, stepper, [...PROMPT, ...tokens]);
  });

  it('with a tolerance, a draft the model did not pick is kept when its log-probability is within it of the pick', async () => {
    /** The loop's output when every position is offered `draft`, by the rule, one token at a time. */
    const tolerant = (draft: number, n: number, tolerance: number) => {
      const seq = [...PROMPT];
      while (seq.length < PROMPT.length + n) {
        const t = nextToken(seq);
        seq.push(t === draft || inputLogprob(draft, seq.length) >= fakeLogprob(t) - tolerance ? draft : t);
      }
      return seq.slice(PROMPT.length);
    };
    for (const tolerance of [1e-9, 0.05, 1]) {
      const stepper = new FakeStepper({ maxDraftTokens: 32 }); // every position is offered a draft
      const loop = new TokenLoop(stepper, 'fake');
      const out: number[] = [];
      const logprobs: number[] = [];
      await loop.generate(request(PROMPT, { draft: (_s, max) => Array<number>(max).fill(3), draftTolerance: tolerance }), (ids, lps) => { out.push(...ids); logprobs.push(...lps); }, new AbortController().signal);
      const expected = tolerant(3, 12, tolerance);
      expect(out).toEqual(expected);
      // A kept draft carries its own log-probability, a sampled token the sample's.
      expect(logprobs).toEqual(out.map((t, i) => (t === 3 && nextToken([...PROMPT, ...out.slice(0, i)]) !== 3 ? inputLogprob(3, PROMPT.length + i) : fakeLogprob(t))));
      expectConsistent(loop, stepper, [...PROMPT, ...out]);
    }
    expect(tolerant(3, 12, 1)).toEqual(Array(12).fill(3)); // a wide tolerance keeps every draft
    expect(tolerant(3, 12, 1e-9)).not.toEqual(Array(12).fill(3));
  });

  it('with a tolerance, a backend that decodes several steps per call gives the output of one that decodes one', async () => {
    // A document-lookup draft appears only after some tokens (here: after every token 3 or 4),
    // in the middle of a multi-step call.
    const draft = (s: readonly number[], max: number) => (s.length > PROMPT.length && s.at(-1)! % 10 < 5 ? Array<number>(max).fill(s.at(-1)! % 10) : []);
    const run = async (steps: number) => {
      const stepper = new FakeStepper({ maxDecodeStepsPerCall: steps, maxDraftTokens: 4 });
      const loop = new TokenLoop(stepper, 'fake');
      const tokens: number[] = [];
      await loop.generate(request(PROMPT, { maxNewTokens: 40, tokensPerSubmit: steps, draft, draftTolerance: 0.05 }), (ids) => { tokens.push(...ids); }, new AbortController().signal);
      expectConsistent(loop, stepper, [...PROMPT, ...tokens]);
      return tokens;
    };
    const one = await run(1);
    expect(one).not.toEqual(naive(PROMPT, 40)); // the tolerance kept some drafts
    for (const steps of [2, 4, 8]) expect(await run(steps)).toEqual(one);
  });

  it('stops delivering after abort, and the cache it kept is reused next time', async () => {
    const loop = new TokenLoop(new FakeStepper(), 'fake');
    const controller = new AbortController();
    const chunks: number[][] = [];
    const stats = await loop.generate(request(PROMPT, { maxNewTokens: 40, tokensPerSubmit: 2 }), (ids) => {
      chunks.push(ids);
      if (chunks.length === 2) controller.abort();
    }, controller.signal);
    expect(chunks.map((c) => c.length)).toEqual([1, 2]);
    expect(stats.decodeTokens).toBeLessThan(40);
    const next = await collect(loop, request(PROMPT, { maxNewTokens: 2 }));
    expect(next.stats.reusedTokens).toBe(PROMPT.length - 1);
  });

  it('lets a cancel in between prefill chunks, even from a stepper that never waits, and keeps what it prefilled', async () => {
    const stepper = new FakeStepper({ maxBatch: 4 }); // computes synchronously, as the CPU does
    const loop = new TokenLoop(stepper, 'fake');
    const controller = new AbortController();
    // The cancel arrives as a message would: in a task of its own, queued as the prefill starts.
    const channel = new MessageChannel();
    channel.port1.onmessage = () => { channel.port1.close(); controller.abort(); };
    channel.port2.postMessage(null);
    const stats = await loop.generate(request(PROMPT, { maxNewTokens: 4 }), () => {}, controller.signal);
    expect(stepper.calls).toEqual(['prefill:4']); // not the other two chunks
    expect(stats.decodeTokens).toBe(0);
    const next = await collect(loop, request(PROMPT, { maxNewTokens: 2 }));
    expect(next.stats.reusedTokens).toBe(4);
    expect(next.tokens).toEqual(naive(PROMPT, 2));
  });

  it('drops the oldest context when the sequence would not fit, and says so', async () => {
    const loop = new TokenLoop(new FakeStepper({ capacity: 32 }), 'fake');
    const long = Array.from({ length: 40 }, (_, i) => i % VOCAB);
    const { tokens, stats } = await collect(loop, request(long, { maxNewTokens: 8 }));
    expect(stats).toMatchObject({ promptTokens: 40, droppedTokens: 16, prefillTokens: 24, decodeTokens: 8 });
    expect(tokens).toEqual(naive(long.slice(16), 8));
  });

  it('prefills in chunks of maxBatch, and N steps per call where the stepper runs them together', async () => {
    const stepper = new FakeStepper({ maxBatch: 5, maxDecodeStepsPerCall: 64, hostResident: false });
    const loop = new TokenLoop(stepper, 'fake');
    const { chunks, tokens, stats } = await collect(loop, request(PROMPT, { maxNewTokens: 9 }));
    expect(tokens).toEqual(naive(PROMPT, 9));
    expect(stepper.calls).toEqual(['prefill:5', 'prefill:5', 'prefill:2', 'decode:4', 'decode:4']);
    expect(chunks.map((c) => c.length)).toEqual([1, 4, 4]);
    expect(stats.readbacks).toBe(5); // counted by the stepper: one per call
  });

  it('with firstTokenAlone off, the prefill submit carries the first N tokens', async () => {
    const stepper = new FakeStepper({ firstTokenAlone: false, maxDecodeStepsPerCall: 64, hostResident: false });
    const loop = new TokenLoop(stepper, 'fake');
    const { chunks, tokens } = await collect(loop, request(PROMPT, { maxNewTokens: 8 }));
    expect(tokens).toEqual(naive(PROMPT, 8));
    expect(chunks.map((c) => c.length)).toEqual([4, 4]);
  });

  it('runs every tokens-per-submit in 1..64 and rejects what is outside, clearly', async () => {
    const loop = new TokenLoop(new FakeStepper({ maxDecodeStepsPerCall: 64, hostResident: false }), 'fake');
    const at64 = await collect(loop, request(PROMPT, { maxNewTokens: 70, tokensPerSubmit: 64 }));
    expect(at64.tokens).toEqual(naive(PROMPT, 70));
    expect(at64.chunks.map((c) => c.length)).toEqual([1, 64, 5]);
    await expect(collect(loop, request([]))).rejects.toThrow(/empty prompt/);
    await expect(collect(loop, request([VOCAB]))).rejects.toThrow(/outside the vocabulary of 50/);
    await expect(collect(loop, request([5], { tokensPerSubmit: 0 }))).rejects.toThrow(/tokensPerSubmit must be an integer in 1\.\.64/);
    await expect(collect(loop, request([5], { tokensPerSubmit: 65 }))).rejects.toThrow(/tokensPerSubmit must be an integer in 1\.\.64/);
    await expect(collect(loop, request([5], { maxNewTokens: -1 }))).rejects.toThrow(/maxNewTokens/);
  });

  it('a failed step forgets the cache, and the next request starts clean', async () => {
    const stepper = new FakeStepper({ failOnCall: 3 });
    const loop = new TokenLoop(stepper, 'fake');
    await expect(collect(loop, request(PROMPT))).rejects.toThrow(/device lost/);
    expect(loop.cachedTokens).toEqual([]);
    expect((await collect(loop, request(PROMPT))).tokens).toEqual(naive(PROMPT, 12));
  });

  it('reports phases only when profiling', async () => {
    const loop = new TokenLoop(new FakeStepper(), 'fake');
    expect((await collect(loop, request(PROMPT, { maxNewTokens: 2 }))).stats.phases).toBeUndefined();
    loop.profiling = true;
    const { stats } = await collect(loop, request(PROMPT, { maxNewTokens: 2 }));
    expect(stats.phaseClock).toBe('wall-clock');
    expect(Object.keys(stats.phases!)).toEqual(['prefill', 'decode']);
  });

  it('property: any prompts, N, batch, drafts and stops give the full recompute, and the cache stays a prefix', async () => {
    const arbRequest = fc.record({
      prompt: fc.array(fc.integer({ min: 0, max: VOCAB - 1 }), { minLength: 1, maxLength: 40 }),
      maxNew: fc.integer({ min: 0, max: 30 }),
      n: fc.integer({ min: 1, max: 64 }),
      stop: fc.option(fc.integer({ min: 0, max: VOCAB - 1 }), { nil: undefined }),
      drafts: fc.constantFrom('none', 'oracle', 'junk', 'echo'),
    });
    await fc.assert(fc.asyncProperty(
      fc.record({ capacity: fc.integer({ min: 8, max: 80 }), maxBatch: fc.integer({ min: 1, max: 16 }), steps: fc.constantFrom(1, 64), firstTokenAlone: fc.boolean() }),
      fc.array(arbRequest, { minLength: 1, maxLength: 4 }),
      async (shape, requests) => {
        const stepper = new FakeStepper({
          capacity: shape.capacity, maxBatch: shape.maxBatch, maxDecodeStepsPerCall: shape.steps,
          hostResident: shape.steps === 1, firstTokenAlone: shape.firstTokenAlone,
        });
        const loop = new TokenLoop(stepper, 'fake');
        for (const r of requests) {
          const stops = r.stop === undefined ? [] : [r.stop];
          const maxNew = Math.min(r.maxNew, shape.capacity - 1);
          const kept = r.prompt.slice(Math.max(0, r.prompt.length + maxNew - shape.capacity));
          const expected = naive(kept, maxNew, stops);
          const draft = r.drafts === 'none' ? undefined
            : r.drafts === 'junk' ? (_s: readonly number[], max: number) => Array(max).fill(1)
            : r.drafts === 'echo' ? (s: readonly number[], max: number) => s.slice(-max)
            : (s: readonly number[], max: number) => expected.slice(s.length - kept.length, s.length - kept.length + max);
          const { tokens } = await collect(loop, request(r.prompt, { maxNewTokens: r.maxNew, tokensPerSubmit: r.n, stopIds: stops, ...(draft ? { draft } : {}) }));
          expect(tokens).toEqual(expected);
          expectConsistent(loop, stepper, maxNew > 0 ? [...kept, ...tokens] : undefined);
        }
      },
    ), { numRuns: 200, seed: 20261130 });
  });
});

describe('TokenLoop with tokens from a subset (token healing)', () => {
  const once = (allowed: number[]) => (generated: readonly number[]) => (generated.length === 0 ? allowed : undefined);

  it('samples the first token from the subset, renormalised, from the last prefill chunk\'s logits; the rest follows it', async () => {
    const stepper = new FakeStepper();
    const loop = new TokenLoop(stepper, 'fake');
    const next = nextToken(PROMPT);
    const allowed = [(next + 3) % VOCAB, (next + 7) % VOCAB].sort((a, b) => a - b);
    const chunks: number[][] = [];
    const logprobs: number[] = [];
    const stats = await loop.generate(request(PROMPT, { constrain: once(allowed), draft: () => [1, 2, 3] }), (ids, lps) => { chunks.push(ids); logprobs.push(...lps); }, new AbortController().signal);
    const first = (next + 3) % VOCAB; // ranked above next + 7
    const tokens = chunks.flat();
    expect(chunks[0]).toEqual([first]);
    // log softmax over the two allowed logits, -3/2 and -7/2
    expect(logprobs[0]).toBeCloseTo(-Math.log(1 + Math.exp(-2)), 6);
    expect(tokens.slice(1)).toEqual(naive([...PROMPT, first], 11));
    expect(stepper.calls[0]).toBe(`logits:${PROMPT.length}`); // the prefill itself returns the logits
    expect(stats).toMatchObject({ prefillTokens: PROMPT.length, decodeTokens: 12 });
    expectConsistent(loop, stepper, [...PROMPT, ...tokens]);
    // A long prompt is prefilled in chunks; only the last returns logits. The next request reuses the cache.
    const chunked = new FakeStepper({ maxBatch: 5 });
    const chunkedLoop = new TokenLoop(chunked, 'fake');
    const again: number[] = [];
    await chunkedLoop.generate(request(PROMPT, { constrain: once(allowed) }), (ids) => again.push(...ids), new AbortController().signal);
    expect(again).toEqual(tokens);
    expect(chunked.calls.slice(0, 3)).toEqual(['prefill:5', 'prefill:5', 'logits:2']);
    const typed: number[] = [];
    const stats2 = await chunkedLoop.generate(request([...PROMPT, first, 4], { constrain: once([4, 9]) }), (ids) => typed.push(...ids), new AbortController().signal);
    expect(stats2.reusedTokens).toBe(PROMPT.length + 1);
    expectConsistent(chunkedLoop, chunked, [...PROMPT, first, 4, ...typed]);
  });

  it('constrains as many tokens as asked, each from a one-token step\'s logits, told what came before', async () => {
    const stepper = new FakeStepper();
    const loop = new TokenLoop(stepper, 'fake');
    const seen: number[][] = [];
    const sets = [[1, 2], [30, 31, 32]];
    const constrain = (generated: readonly number[]) => {
      seen.push([...generated]);
      return sets[generated.length];
    };
    const tokens: number[] = [];
    await loop.generate(request(PROMPT, { constrain, maxNewTokens: 6 }), (ids) => tokens.push(...ids), new AbortController().signal);
    const rank = (after: readonly number[], set: number[]) => {
      const next = nextToken(after);
      return [...set].sort((a, b) => ((a - next + VOCAB) % VOCAB) - ((b - next + VOCAB) % VOCAB))[0]!;
    };
    const t0 = rank(PROMPT, sets[0]!);
    const t1 = rank([...PROMPT, t0], sets[1]!);
    expect(tokens.slice(0, 2)).toEqual([t0, t1]);
    expect(tokens.slice(2)).toEqual(naive([...PROMPT, t0, t1], 4));
    expect(seen).toEqual([[], [t0], [t0, t1]]);
    expect(stepper.calls.slice(0, 3)).toEqual([`logits:${PROMPT.length}`, 'logits:1', 'decode:1']);
    expectConsistent(loop, stepper, [...PROMPT, ...tokens]);
  });

  it('a constraint that allows nothing, or a token outside the vocabulary, is refused', async () => {
    const loop = new TokenLoop(new FakeStepper(), 'fake');
    await expect(loop.generate(request(PROMPT, { constrain: () => [] }), () => {}, new AbortController().signal)).rejects.toThrow(/allows no token after 0 generated/);
    await expect(loop.generate(request(PROMPT, { constrain: once([VOCAB]) }), () => {}, new AbortController().signal)).rejects.toThrow(/allowed token 50 is outside/);
  });
});
