import { beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type LoadedModel } from '../../../model/load.ts';
import { TEST_MODEL_VARIANTS, testModelFetcher } from '../../../testing/test-model.ts';
import { type GenerateRequest } from '../backend.ts';
import { GREEDY, type SamplingParams } from '../../api/types.ts';
import { CpuBackend } from './cpu-backend.ts';
import { ReferenceModel } from './reference/forward.ts';
import { argmax } from './reference/sampler.ts';

const request = (promptIds: number[], extra: Partial<GenerateRequest> = {}): GenerateRequest => ({
  promptIds, maxNewTokens: 20, stopIds: [], sampling: GREEDY, tokensPerSubmit: 4, ...extra,
});

async function collect(backend: CpuBackend, req: GenerateRequest, signal = new AbortController().signal) {
  const chunks: number[][] = [];
  const stats = await backend.generate(req, (ids) => chunks.push(ids), signal);
  return { chunks, tokens: chunks.flat(), stats };
}

/** Greedy decoding the slow way: a fresh full forward pass for every token. */
function naiveGreedy(model: LoadedModel, prompt: number[], n: number): number[] {
  const seq = [...prompt];
  for (let i = 0; i < n; i++) seq.push(argmax(ReferenceModel.fromLoaded(model).forward(seq, 0, { logits: 'last' })));
  return seq.slice(prompt.length);
}

const PROMPT = [9, 20, 31, 42, 53, 64, 75, 86, 97, 108, 119, 130];

describe.each(['llama', 'qwen2-tied'] as const)('CpuBackend on test model %s', (variant) => {
  let model: LoadedModel;
  beforeAll(async () => { model = await loadModel(testModelFetcher(TEST_MODEL_VARIANTS[variant])); });

  it('greedy output equals naive full-recompute decoding; streams 1 token first, then chunks of N', async () => {
    const backend = new CpuBackend(model);
    const { chunks, tokens, stats } = await collect(backend, request(PROMPT, { maxNewTokens: 12 }));
    expect(tokens).toEqual(naiveGreedy(model, PROMPT, 12));
    expect(chunks.map((c) => c.length)).toEqual([1, 4, 4, 3]);
    expect(stats).toMatchObject({ promptTokens: 12, prefillTokens: 12, reusedTokens: 0, decodeTokens: 12, readbacks: 4, dispatches: 0 });
    expect(stats.submits).toBe(12); // one prefill + 11 decode steps (the last token is never fed)
    expect(stats.ttftMs).toBeGreaterThan(0);
    expect(backend.cachedTokens).toEqual([...PROMPT, ...tokens.slice(0, -1)]);
  });

  it('reuses the KV cache: a repeated or extended prompt prefills only the new tokens', async () => {
    const backend = new CpuBackend(model);
    const doc = Array.from({ length: 300 }, (_, i) => 5 + ((i * 37) % 290));
    const first = await collect(backend, request(doc, { maxNewTokens: 3 }));
    expect(first.stats.prefillTokens).toBe(300);
    const again = await collect(backend, request(doc, { maxNewTokens: 3 }));
    expect(again.stats).toMatchObject({ prefillTokens: 1, reusedTokens: 299 });
    expect(again.tokens).toEqual(first.tokens);
    // "Typing one more character at the end": one or two new tokens.
    const typed = await collect(backend, request([...doc, 17], { maxNewTokens: 3 }));
    expect(typed.stats.prefillTokens).toBeLessThanOrEqual(4);
    expect(typed.stats.reusedTokens).toBeGreaterThanOrEqual(297);
    const fresh = await collect(new CpuBackend(model), request([...doc, 17], { maxNewTokens: 3 }));
    expect(typed.tokens).toEqual(fresh.tokens);
    // An edit in the middle: prefix up to the edit is reused.
    const edited = [...doc.slice(0, 150), 6, ...doc.slice(151)];
    const mid = await collect(backend, request(edited, { maxNewTokens: 1 }));
    expect(mid.stats).toMatchObject({ reusedTokens: 150, prefillTokens: 150 });
  });

  it('stops at a stop id (delivered, not fed) and honours maxNewTokens', async () => {
    const backend = new CpuBackend(model);
    const free = await collect(backend, request(PROMPT, { maxNewTokens: 10 }));
    const stopAt = free.tokens[4]!;
    const firstIndex = free.tokens.indexOf(stopAt);
    const stopped = await collect(backend, request(PROMPT, { maxNewTokens: 10, stopIds: [stopAt] }));
    expect(stopped.tokens).toEqual(free.tokens.slice(0, firstIndex + 1));
    expect(stopped.stats.decodeTokens).toBe(firstIndex + 1);
    const none = await collect(backend, request(PROMPT, { maxNewTokens: 0 }));
    expect(none.tokens).toEqual([]);
  });

  it('drafts never change the output, and a good draft saves forward passes', async () => {
    const backend = new CpuBackend(model);
    const plain = await collect(backend, request(PROMPT, { maxNewTokens: 24, tokensPerSubmit: 8 }));
    // An oracle that knows the answer but gets every fifth token wrong.
    const oracle = (seq: readonly number[], max: number) => {
      const done = seq.length - PROMPT.length;
      return plain.tokens.slice(done, done + max).map((t, i) => ((done + i) % 5 === 4 ? (t + 1) % 301 : t));
    };
    const drafted = await collect(new CpuBackend(model), request(PROMPT, { maxNewTokens: 24, tokensPerSubmit: 8, draft: oracle }));
    expect(drafted.tokens).toEqual(plain.tokens);
    expect(drafted.stats.acceptedDraftTokens).toBeGreaterThan(10);
    expect(drafted.stats.submits).toBeLessThan(plain.stats.submits);
    const junk = await collect(new CpuBackend(model), request(PROMPT, { maxNewTokens: 24, draft: (_s, max) => Array.from({ length: max }, () => 7) }));
    expect(junk.tokens).toEqual(plain.tokens);
  });

  it('seeded sampling is reproducible and independent of N and drafts', async () => {
    const sampling: SamplingParams = { temperature: 1.2, topK: 40, topP: 0.95, seed: 1234 };
    const runs = await Promise.all([1, 8].map(async (n) => (await collect(new CpuBackend(model), request(PROMPT, { sampling, tokensPerSubmit: n }))).tokens));
    expect(runs[0]).toEqual(runs[1]);
    const greedy = (await collect(new CpuBackend(model), request(PROMPT))).tokens;
    expect(runs[0]).not.toEqual(greedy);
    const withDrafts = await collect(new CpuBackend(model), request(PROMPT, { sampling, draft: (s, max) => s.slice(-max) }));
    expect(withDrafts.tokens).toEqual(runs[0]);
    const otherSeed = await collect(new CpuBackend(model), request(PROMPT, { sampling: { ...sampling, seed: 99 } }));
    expect(otherSeed.tokens).not.toEqual(runs[0]);
  });
});

describe('CpuBackend edge cases', () => {
  let model: LoadedModel;
  beforeAll(async () => { model = await loadModel(testModelFetcher()); });

  it('stops delivering at the next chunk boundary after abort', async () => {
    const backend = new CpuBackend(model);
    const controller = new AbortController();
    const chunks: number[][] = [];
    const stats = await backend.generate(request(PROMPT, { maxNewTokens: 40, tokensPerSubmit: 2 }), (ids) => {
      chunks.push(ids);
      if (chunks.length === 2) controller.abort();
    }, controller.signal);
    expect(chunks.map((c) => c.length)).toEqual([1, 2]);
    expect(stats.decodeTokens).toBeLessThan(40);
    // The backend is usable afterwards and reuses what it cached.
    const next = await collect(backend, request(PROMPT, { maxNewTokens: 2 }));
    expect(next.stats.reusedTokens).toBe(PROMPT.length - 1);
  });

  it('drops the oldest context when the sequence would not fit, and says so', async () => {
    const backend = new CpuBackend(model, { maxContext: 32 });
    const long = Array.from({ length: 40 }, (_, i) => 5 + i);
    const { tokens, stats } = await collect(backend, request(long, { maxNewTokens: 8 }));
    expect(stats).toMatchObject({ promptTokens: 40, droppedTokens: 16, prefillTokens: 24, decodeTokens: 8 });
    expect(tokens).toHaveLength(8);
  });

  it('rejects bad requests clearly', async () => {
    const backend = new CpuBackend(model);
    await expect(collect(backend, request([]))).rejects.toThrow(/empty prompt/);
    await expect(collect(backend, request([5000]))).rejects.toThrow(/outside the vocabulary of 301/);
    await expect(collect(backend, request([5], { tokensPerSubmit: 0 }))).rejects.toThrow(/tokensPerSubmit/);
    await expect(collect(backend, request([5], { maxNewTokens: -1 }))).rejects.toThrow(/maxNewTokens/);
  });

  it('reports wall-clock phases only when profiling', async () => {
    const backend = new CpuBackend(model);
    expect((await collect(backend, request(PROMPT, { maxNewTokens: 2 }))).stats.phases).toBeUndefined();
    backend.setProfiling(true);
    const { stats } = await collect(backend, request(PROMPT, { maxNewTokens: 2 }));
    expect(stats.phaseClock).toBe('wall-clock');
    expect(Object.keys(stats.phases!)).toEqual(['prefill', 'decode']);
  });
});
