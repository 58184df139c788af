import { beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type LoadedModel } from '../../../model/load.ts';
import { TEST_MODEL_VARIANTS, testModelFetcher } from '../../../testing/test-model.ts';
import { type GenerateRequest } from '../backend.ts';
import { GREEDY, type SamplingParams } from '../../api/types.ts';
import { CpuBackend } from './cpu-backend.ts';
import { ReferenceModel } from './reference/forward.ts';
import { SimdMatmul } from './simd/simd-matmul.ts';
import { argmax, logProbability } from './reference/sampler.ts';

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

/** Drafts from an oracle that knows the answer (`want`, after PROMPT) but gets every fifth token wrong. */
const oracleDraft = (want: readonly number[]) => (seq: readonly number[], max: number) => {
  const done = seq.length - PROMPT.length;
  return want.slice(done, done + max).map((t, i) => ((done + i) % 5 === 4 ? (t + 1) % 301 : t));
};

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

  it('scores a continuation as one full forward pass over prompt + continuation does, and each token\'s log-probability comes with it when generated', async () => {
    const continuation = [44, 7, 130, 2, 99, 18, 5, 61, 77, 3, 12];
    const v = model.config.vocabSize;
    const all = ReferenceModel.fromLoaded(model).forward([...PROMPT, ...continuation], 0, { logits: 'all' });
    const want = continuation.map((id, i) => logProbability(all.subarray((PROMPT.length - 1 + i) * v, (PROMPT.length + i) * v), id));
    const backend = new CpuBackend(model, { maxDraftTokens: 4 });
    const got = await backend.score(PROMPT, continuation, new AbortController().signal);
    got.forEach((lp, i) => expect(lp).toBeCloseTo(want[i]!, 4));
    // Greedy generation reports each token's own log-probability, the same as scoring what it generated.
    const logprobs: number[] = [];
    const tokens: number[] = [];
    await backend.generate(request(PROMPT, { maxNewTokens: 6 }), (ids, lps) => { tokens.push(...ids); logprobs.push(...lps); }, new AbortController().signal);
    const rescored = await new CpuBackend(model).score(PROMPT, tokens, new AbortController().signal);
    logprobs.forEach((lp, i) => expect(lp).toBeCloseTo(rescored[i]!, 4));
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

  it('drafts never change the output, and a good draft saves forward passes', async () => {
    const backend = new CpuBackend(model);
    const plain = await collect(backend, request(PROMPT, { maxNewTokens: 24, tokensPerSubmit: 8 }));
    const drafted = await collect(new CpuBackend(model), request(PROMPT, { maxNewTokens: 24, tokensPerSubmit: 8, draft: oracleDraft(plain.tokens) }));
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

describe('CpuBackend at the edges of its ranges', () => {
  let model: LoadedModel;
  beforeAll(async () => { model = await loadModel(testModelFetcher()); });

  it('runs 64 tokens per submit (the top of the range) with the same output as 1', async () => {
    const one = await collect(new CpuBackend(model), request(PROMPT, { maxNewTokens: 70, tokensPerSubmit: 1 }));
    const top = await collect(new CpuBackend(model), request(PROMPT, { maxNewTokens: 70, tokensPerSubmit: 64 }));
    expect(top.tokens).toEqual(one.tokens);
    expect(top.chunks.map((c) => c.length)).toEqual([1, 64, 5]);
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

// The same forward pass with its products in WebAssembly SIMD: other sums' order, so logits agree
// to rounding, and on these models the greedy tokens are the reference's; drafts stay exact because
// a row's sums do not depend on the batch (simd/simd-matmul.test.ts).
describe.each(['llama', 'qwen2-tied', 'qwen2-untied-bf16'] as const)('CpuBackend with WebAssembly SIMD products, test model %s', (variant) => {
  let model: LoadedModel;
  beforeAll(async () => { model = await loadModel(testModelFetcher(TEST_MODEL_VARIANTS[variant])); });

  it('logits within 1e-4 of the reference, the same greedy tokens, and drafts that change nothing', async () => {
    const prompt = Array.from({ length: 41 }, (_, i) => 6 + ((i * 53) % 290));
    const want = ReferenceModel.fromLoaded(model).forward(prompt, 0, { logits: 'all' });
    const simd = new CpuBackend(model, { matmul: 'simd' });
    expect(simd.description).toBe('CPU with WebAssembly SIMD');
    const got = ReferenceModel.fromLoaded(model, undefined, (arrays) => SimdMatmul.place(arrays)).forward(prompt, 0, { logits: 'all' });
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / (1 + Math.abs(want[i]!)));
    expect(worst).toBeLessThan(1e-4);

    const reference = await collect(new CpuBackend(model), request(PROMPT, { maxNewTokens: 24, tokensPerSubmit: 8 }));
    const plain = await collect(simd, request(PROMPT, { maxNewTokens: 24, tokensPerSubmit: 8 }));
    expect(plain.tokens).toEqual(reference.tokens);
    const drafted = await collect(new CpuBackend(model, { matmul: 'simd' }), request(PROMPT, { maxNewTokens: 24, tokensPerSubmit: 8, draft: oracleDraft(plain.tokens) }));
    expect(drafted.tokens).toEqual(plain.tokens);
    expect(drafted.stats.acceptedDraftTokens).toBeGreaterThan(10);
  });
});
