// The GPU stepper against the CPU stepper, on real WebGPU, each driven by the one token loop
// (tested alone in token-loop.test.ts): prefix reuse, chunked prefill, stops, context dropping,
// drafts, seeded sampling and forced grids (Q > 1, chain and tree) give the CPU's ids; and what only
// the GPU has: readbacks per token, tokens per submit up to 64, the autotune + plan cache,
// timestamp profiling and dispose.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type LoadedModel } from '../../../model/load.ts';
import { TEST_MODEL_VARIANTS, testModelFetcher } from '../../../testing/test-model.ts';
import { type GenerateRequest } from '../backend.ts';
import { GREEDY, type SamplingParams } from '../../api/types.ts';
import { CpuBackend } from '../cpu/cpu-backend.ts';
import type { TunedPlan } from './autotune.ts';
import { subgroupLanesFit, subgroupLanesFor } from './kernels/matmul-subgroup/matmul-subgroup.ts';
import { describeGrid } from '../plan/wafer-plan.ts';
import { createGpuBackend, type GpuBackend } from './gpu-backend.ts';
import { testDevice } from '../../../testing/gpu-test-util.ts';

const request = (promptIds: number[], extra: Partial<GenerateRequest> = {}): GenerateRequest => ({
  promptIds, maxNewTokens: 24, stopIds: [], sampling: GREEDY, tokensPerSubmit: 8, ...extra,
});

async function collect(backend: GpuBackend | CpuBackend, req: GenerateRequest, signal = new AbortController().signal) {
  const chunks: number[][] = [];
  const stats = await backend.generate(req, (ids) => chunks.push(ids), signal);
  return { chunks, tokens: chunks.flat(), stats };
}

const PROMPT = [9, 20, 31, 42, 53, 64, 75, 86, 97, 108, 119, 130];

describe('GpuBackend token loop', async () => {
  const device = await testDevice(['timestamp-query', 'subgroups']);
  let model: LoadedModel;
  let gpu: GpuBackend;
  beforeAll(async () => {
    model = await loadModel(testModelFetcher({ ...TEST_MODEL_VARIANTS.llama, maxPositionEmbeddings: 2100 }));
    gpu = await createGpuBackend(model, { device, autotune: false, maxContext: 2100 });
  });
  afterAll(() => { gpu?.dispose(); device.destroy(); });

  it('prefix reuse: one more token after a 2,000-token document prefills ≤ 4 tokens, in one batched pass', async () => {
    const doc = Array.from({ length: 2000 }, (_, i) => 5 + ((i * 37 + (i >> 3)) % 290));
    const first = await collect(gpu, request(doc, { maxNewTokens: 1 }));
    expect(first.stats).toMatchObject({ prefillTokens: 2000, reusedTokens: 0, submits: 1, readbacks: 1 });
    const typed = await collect(gpu, request([...doc, 17], { maxNewTokens: 3 }));
    expect(typed.stats.prefillTokens).toBeLessThanOrEqual(4);
    expect(typed.stats).toMatchObject({ prefillTokens: 1, reusedTokens: 2000 });
    const cpu = await collect(new CpuBackend(model, { maxContext: 2100 }), request([...doc, 17], { maxNewTokens: 3 }));
    expect(typed.tokens).toEqual(cpu.tokens);
    console.log(`prefill 2000 tokens: ${first.stats.prefillMs.toFixed(0)} ms; +1 token: ${typed.stats.prefillMs.toFixed(1)} ms`);
  });

  it('readbacks per generated token ≤ 1/N (and one submit per N tokens)', async () => {
    for (const n of [1, 4, 8]) {
      const { stats, chunks } = await collect(gpu, request(PROMPT, { maxNewTokens: 64, tokensPerSubmit: n }));
      expect(stats.decodeTokens).toBe(64);
      // The first token comes alone (time to first token); after it, one readback per N tokens.
      expect(chunks[0]).toHaveLength(1);
      expect(stats.readbacks).toBe(1 + Math.ceil((stats.decodeTokens - 1) / n));
      expect(stats.submits).toBe(stats.readbacks);
      console.log(`N=${n}: readbacks/token ${(stats.readbacks / 64).toFixed(3)}, submits/token ${(stats.submits / 64).toFixed(3)}, dispatches/token ${(stats.dispatches / 64).toFixed(1)}`);
    }
    const alone = await createGpuBackend(model, { device, autotune: false, maxContext: 256, firstTokenAlone: false });
    const { stats, tokens } = await collect(alone, request(PROMPT, { maxNewTokens: 64, tokensPerSubmit: 8 }));
    expect(stats.readbacks / stats.decodeTokens).toBeLessThanOrEqual(1 / 8);
    expect(tokens).toEqual((await collect(gpu, request(PROMPT, { maxNewTokens: 64 }))).tokens);
    alone.dispose();
  });

  it('stops at a stop id (delivered), wastes < N tokens, and keeps the cache consistent', async () => {
    const free = await collect(gpu, request(PROMPT, { maxNewTokens: 20 }));
    const stopAt = free.tokens[5]!;
    const idx = free.tokens.indexOf(stopAt);
    const stopped = await collect(gpu, request(PROMPT, { maxNewTokens: 20, stopIds: [stopAt] }));
    expect(stopped.tokens).toEqual(free.tokens.slice(0, idx + 1));
    const cached = gpu.cachedTokens;
    expect(cached).toEqual([...PROMPT, ...stopped.tokens].slice(0, cached.length));
    // Continue from where it stopped: only the new tail is prefilled, output matches a fresh CPU run.
    const cont = [...PROMPT, ...stopped.tokens];
    const next = await collect(gpu, request(cont, { maxNewTokens: 6 }));
    expect(next.stats.prefillTokens).toBeLessThanOrEqual(2);
    expect(next.tokens).toEqual((await collect(new CpuBackend(model), request(cont, { maxNewTokens: 6 }))).tokens);
  });

  it('drops the oldest context when the sequence would not fit, like the reference', async () => {
    const small = await createGpuBackend(model, { device, autotune: false, maxContext: 32 });
    const long = Array.from({ length: 40 }, (_, i) => 5 + i);
    const got = await collect(small, request(long, { maxNewTokens: 8 }));
    expect(got.stats).toMatchObject({ promptTokens: 40, droppedTokens: 16, prefillTokens: 24, decodeTokens: 8 });
    expect(got.tokens).toEqual((await collect(new CpuBackend(model, { maxContext: 32 }), request(long, { maxNewTokens: 8 }))).tokens);
    small.dispose();
  });

  it('runs 64 tokens per submit (the top of the range): one readback per 64 tokens, the CPU\'s ids', async () => {
    const { stats, chunks, tokens } = await collect(gpu, request(PROMPT, { maxNewTokens: 70, tokensPerSubmit: 64 }));
    expect(chunks.map((c) => c.length)).toEqual([1, 64, 5]);
    expect(stats.readbacks).toBe(3);
    expect(tokens).toEqual((await collect(new CpuBackend(model), request(PROMPT, { maxNewTokens: 70, tokensPerSubmit: 64 }))).tokens);
  });

  it('prefills a prompt longer than maxBatch in chunks, with the CPU\'s ids', async () => {
    const chunked = await createGpuBackend(model, { device, autotune: false, maxContext: 256, maxBatch: 16 });
    const doc = Array.from({ length: 100 }, (_, i) => 5 + ((i * 53) % 290));
    const got = await collect(chunked, request(doc, { maxNewTokens: 8 }));
    expect(got.stats.submits).toBeGreaterThanOrEqual(7); // ceil(100 / 16) prefill passes
    expect(got.tokens).toEqual((await collect(new CpuBackend(model), request(doc, { maxNewTokens: 8 }))).tokens);
    chunked.dispose();
  });

  it('leaks no GPU buffers: a second round of requests of every shape ends with the same live count', async () => {
    // Prefill graphs are freed after use; decode and verify graphs (one per draft width, at most
    // maxDraftTokens of them) are kept. So the count may grow in the first round, never after.
    const round = async () => {
      for (let k = 0; k < 6; k++) {
        const prompt = Array.from({ length: 20 + 37 * k }, (_, i) => 5 + ((i * 13 + k) % 290));
        await collect(gpu, request(prompt, { maxNewTokens: 12, draft: (s, max) => s.slice(-max) }));
        await collect(gpu, request(prompt, { maxNewTokens: 12, draft: (s, max) => s.slice(-1 - (k % max), -1) }));
      }
      return gpu.diagnostics().gpuBuffers;
    };
    const first = await round();
    expect(first).toBeGreaterThan(0);
    expect(await round()).toBe(first);
  });

  it('seeded sampling gives the reference ids, independent of N and drafts', async () => {
    const sampling: SamplingParams = { temperature: 1.2, topK: 40, topP: 0.95, seed: 1234 };
    const want = (await collect(new CpuBackend(model), request(PROMPT, { sampling }))).tokens;
    for (const n of [1, 8]) expect((await collect(gpu, request(PROMPT, { sampling, tokensPerSubmit: n }))).tokens).toEqual(want);
    expect((await collect(gpu, request(PROMPT, { sampling, draft: (s, max) => s.slice(-max) }))).tokens).toEqual(want);
  });

  it('tokens from a subset (token healing): the reference\'s ids and log-probabilities, greedy and seeded', async () => {
    const subset = [7, 40, 41, 200, 299];
    const constrain = (generated: readonly number[]) => (generated.length === 0 ? subset : generated.length === 1 ? [3, 5, 250] : undefined);
    for (const sampling of [GREEDY, { temperature: 1.2, topK: 40, topP: 0.95, seed: 99 }]) {
      const run = async (backend: GpuBackend | CpuBackend) => {
        const ids: number[] = [];
        const logprobs: number[] = [];
        const stats = await backend.generate(request(PROMPT, { sampling, constrain }), (i, l) => { ids.push(...i); logprobs.push(...l); }, new AbortController().signal);
        return { ids, logprobs, stats };
      };
      const want = await run(new CpuBackend(model));
      const got = await run(gpu);
      expect(subset).toContain(got.ids[0]);
      expect(got.ids).toEqual(want.ids);
      got.logprobs.forEach((lp, i) => expect(lp).toBeCloseTo(want.logprobs[i]!, 3));
      expect([3, 5, 250]).toContain(got.ids[1]);
      // The host sampled two tokens from rows of logits read back, each with its submit's ids.
      expect(got.stats.readbacks).toBe(2 * 2 + Math.ceil((got.stats.decodeTokens - 2) / 8));
    }
  });

  it.each([
    { tileRows: 32, colTiles: 2, reduce: 'chain' as const },
    { tileRows: 64, colTiles: 4, reduce: 'tree' as const },
    { tileRows: 128, colTiles: 3, reduce: 'chain' as const },
    { tileRows: 64, colTiles: 1, reduce: 'chain' as const, kernel: 'interleaved' as const },
    { tileRows: 32, colTiles: 2, reduce: 'tree' as const, kernel: 'interleaved' as const },
    ...(subgroupLanesFit(device, 4) ? [{ tileRows: 32, colTiles: 1, reduce: 'chain' as const, kernel: 'subgroup' as const, lanes: 4 }] : []),
  ])('forced grid %o gives the same greedy tokens', async (grid) => {
    const forced = await createGpuBackend(model, { device, forceGrid: grid, maxContext: 256 });
    expect(forced.plan.roles.o!.grid.q).toBe(grid.colTiles);
    expect(forced.plan.source.qkv).toBe('forced');
    const want = (await collect(gpu, request(PROMPT))).tokens;
    const got = await collect(forced, request(PROMPT, { draft: (s, max) => s.slice(-max) }));
    expect(got.tokens).toEqual(want);
    forced.dispose();
  });

  // The lm_head reducing its own logits per workgroup for the sampler (rowStats), from the tile
  // pass, the chain reduce, the tree's last level and the subgroup pass.
  it.each([
    { tileRows: 64, colTiles: 1, reduce: 'chain' as const },
    { tileRows: 32, colTiles: 3, reduce: 'chain' as const },
    { tileRows: 64, colTiles: 2, reduce: 'tree' as const, normPrologue: true },
    ...(subgroupLanesFit(device, 4) ? [{ tileRows: 32, colTiles: 1, reduce: 'chain' as const, kernel: 'subgroup' as const, lanes: 4 }] : []),
  ])('the lm_head with row statistics %o: the same greedy tokens and log-probabilities, and seeded sampling\'s reference ids', async (grid) => {
    const forced = await createGpuBackend(model, { device, forceGrid: { lm_head: { ...grid, rowStats: true } }, maxContext: 256 });
    try {
      expect(forced.plan.roles.lm_head!.rowStats).toBe(true);
      const logprobs = async (b: GpuBackend, req: GenerateRequest) => {
        const out: number[] = [];
        await b.generate(req, (_ids, lp) => out.push(...lp), new AbortController().signal);
        return out;
      };
      const want = await collect(gpu, request(PROMPT));
      expect((await collect(forced, request(PROMPT, { draft: (s, max) => s.slice(-max) }))).tokens).toEqual(want.tokens);
      const [got, wantLp] = [await logprobs(forced, request(PROMPT)), await logprobs(gpu, request(PROMPT))];
      got.forEach((lp, i) => expect(lp).toBeCloseTo(wantLp[i]!, 4));
      const sampling: SamplingParams = { temperature: 1.2, topK: 40, topP: 0.95, seed: 1234 };
      expect((await collect(forced, request(PROMPT, { sampling }))).tokens).toEqual((await collect(new CpuBackend(model), request(PROMPT, { sampling }))).tokens);
    } finally {
      forced.dispose();
    }
  });

  it('a tied model whose lm_head is interleaved gathers its embeddings from that layout: the same greedy tokens', async () => {
    const tied = await loadModel(testModelFetcher(TEST_MODEL_VARIANTS['llama-tied-f16']));
    const plain = await createGpuBackend(tied, { device, autotune: false, maxContext: 128 });
    const want = (await collect(plain, request(PROMPT))).tokens;
    for (const grid of [{ tileRows: 32, colTiles: 1, reduce: 'chain' as const, kernel: 'interleaved' as const },
      ...(subgroupLanesFit(device, 4) ? [{ tileRows: 64, colTiles: 1, reduce: 'chain' as const, kernel: 'subgroup' as const, lanes: 4 }] : [])]) {
      const forced = await createGpuBackend(tied, { device, forceGrid: { lm_head: grid }, maxContext: 128 });
      expect(forced.plan.roles.lm_head!.kernel).toBe(grid.kernel);
      expect((await collect(forced, request(PROMPT, { draft: (s, max) => s.slice(-max) }))).tokens).toEqual(want);
      forced.dispose();
    }
    plain.dispose();
  });

  it('autotunes the tile passes too: every candidate the device runs is timed, and the winner runs', async () => {
    const lanes = subgroupLanesFor(device);
    const tunedBackend = await createGpuBackend(model, { device, maxContext: 128, autotune: { budgetMs: 600_000, reps: 2, trials: 1 } });
    const tuned = tunedBackend.tuned!;
    for (const role of ['qkv', 'o', 'gate_up', 'down', 'lm_head'] as const) {
      const kinds = new Set(tuned[role]!.candidates.map((c) => c.grid.kernel ?? 'rows'));
      expect([...kinds].sort()).toEqual(lanes.length ? ['interleaved', 'rows', 'subgroup'] : ['interleaved', 'rows']);
      expect(tuned[role]!.skipped ?? []).toEqual([]);
      expect(tunedBackend.plan.roles[role]!.kernel).toBe(tuned[role]!.grid.kernel ?? 'rows');
      // After an RMSNorm the winner is timed both ways, and the faster runs; elsewhere never folded.
      const norm = tuned[role]!.norm;
      if (['qkv', 'gate_up', 'lm_head'].includes(role)) {
        expect(norm!.fusedMs).toBeGreaterThan(0);
        expect(norm!.separateMs).toBeGreaterThan(0);
        expect(tunedBackend.plan.roles[role]!.normPrologue).toBe(norm!.fusedMs < norm!.separateMs);
      } else {
        expect(norm).toBeUndefined();
        expect(tunedBackend.plan.roles[role]!.normPrologue).toBe(false);
      }
    }
    // The lm_head is raced with the greedy sampler after it, with and without its row statistics.
    const argmax = tuned.lm_head!.argmax!;
    expect(argmax.statsMs).toBeGreaterThan(0);
    expect(argmax.scanMs).toBeGreaterThan(0);
    expect(tunedBackend.plan.roles.lm_head!.rowStats).toBe(argmax.statsMs < argmax.scanMs);
    for (const role of ['qkv', 'o', 'gate_up', 'down'] as const) expect(tuned[role]!.argmax).toBeUndefined();
    console.log('lm_head + greedy sampler, ms', JSON.stringify(argmax));
    expect((await collect(tunedBackend, request(PROMPT, { draft: (s, max) => s.slice(-max) }))).tokens).toEqual((await collect(gpu, request(PROMPT))).tokens);
    console.log('autotune winners', JSON.stringify(Object.fromEntries(Object.entries(tuned).map(([r, t]) => [r, `${describeGrid(t!.grid)} ${t!.ms.toFixed(3)} ms of ${t!.candidates.length}`]))));
    tunedBackend.dispose();
  });

  it('a cached subgroup choice on a device without subgroups falls back to the default grid', async () => {
    const plain = await testDevice();
    try {
      const sg = { tileRows: 64, colTiles: 1, reduce: 'chain' as const, kernel: 'subgroup' as const, lanes: 4 };
      const cached: TunedPlan = Object.fromEntries(['qkv', 'o', 'down', 'lm_head'].map((r) => [r, { grid: sg, ms: 1, candidates: [{ grid: sg, ms: 1 }] }]));
      const b = await createGpuBackend(model, { device: plain, maxContext: 64, planCache: { get: async () => cached, set: async () => {} } });
      expect(b.plan.roles.qkv!.kernel).toBe('rows');
      expect(b.plan.source.qkv).toBe('default');
      expect((await collect(b, request(PROMPT))).tokens).toEqual((await collect(gpu, request(PROMPT))).tokens);
      b.dispose();
    } finally {
      plain.destroy();
    }
  });

  it('autotunes at load, stores the plan under an adapter+model key, and reuses it', async () => {
    const store = new Map<string, TunedPlan>();
    const planCache = { get: async (k: string) => store.get(k), set: async (k: string, v: TunedPlan) => { store.set(k, v); } };
    const t0 = performance.now();
    const tunedBackend = await createGpuBackend(model, {
      device, planCache, maxContext: 128,
      autotune: { budgetMs: 600_000, candidates: () => [{ tileRows: 32, colTiles: 1, reduce: 'chain' }, { tileRows: 64, colTiles: 2, reduce: 'tree' }] },
    });
    const tuneMs = performance.now() - t0;
    expect(store.size).toBe(1);
    const [key, tuned] = [...store.entries()][0]!;
    expect(key).toContain(model.config.hiddenSize.toString());
    expect(tunedBackend.planKey).toBe(key);
    expect(tuned.qkv!.candidates).toHaveLength(3); // the default grid + the two offered
    expect(tunedBackend.plan.source.o).toBe('autotune');
    const again = await createGpuBackend(model, { device, planCache, maxContext: 128 });
    expect(again.plan.source.o).toBe('cache');
    expect(again.plan.roles.o!.grid).toEqual(tunedBackend.plan.roles.o!.grid);
    expect((await collect(again, request(PROMPT))).tokens).toEqual((await collect(gpu, request(PROMPT))).tokens);
    console.log(`autotune (default + 2 candidates × 5 roles): ${tuneMs.toFixed(0)} ms`, JSON.stringify(Object.fromEntries(Object.entries(tuned).map(([r, t]) => [r, t!.candidates.map((c) => `${describeGrid(c.grid)}:${c.ms.toFixed(3)}ms`)]))));
    tunedBackend.dispose();
    again.dispose();
  });

  it("persists tuned plans in IndexedDB with planCache: 'indexeddb'", async () => {
    const quick = { budgetMs: 600_000, candidates: () => [{ tileRows: 32, colTiles: 1, reduce: 'chain' as const }] };
    const a = await createGpuBackend(model, { device, planCache: 'indexeddb', autotune: quick, maxContext: 64 });
    const b = await createGpuBackend(model, { device, planCache: 'indexeddb', autotune: quick, maxContext: 64 });
    expect(a.plan.source.qkv).toMatch(/autotune|cache/); // another test run may have stored it already
    expect(b.plan.source.qkv).toBe('cache');
    a.dispose();
    b.dispose();
  });

  it('profiles per phase only when asked', async () => {
    const off = await collect(gpu, request(PROMPT, { maxNewTokens: 9 }));
    expect(off.stats.phases).toBeUndefined();
    gpu.setProfiling(true);
    // Drafts only once generating: a draft for the prompt itself would take its last token into the verify pass (no prefill left to profile).
    const on = await collect(gpu, request([...PROMPT, 3], { maxNewTokens: 9, draft: (s, max) => (s.length > PROMPT.length + 1 ? s.slice(-Math.min(max, 2)) : []) }));
    const plain = await collect(gpu, request([...PROMPT, 4], { maxNewTokens: 9 }));
    gpu.setProfiling(false);
    Object.assign(on.stats.phases!, Object.fromEntries(Object.entries(plain.stats.phases!).filter(([k]) => k.startsWith('decode'))));
    expect(on.stats.phaseClock).toBe(device.features.has('timestamp-query') ? 'gpu-timestamp' : 'wall-clock');
    expect(on.stats.phases!['prefill']).toBeGreaterThan(0);
    expect(Object.keys(on.stats.phases!).length).toBeGreaterThanOrEqual(2);
    if (on.stats.phaseClock === 'gpu-timestamp') {
      // per op category within each phase, summing to the phase
      const p = on.stats.phases!;
      for (const k of ['decode:attention', 'decode:matmul:qkv', 'decode:sampler', 'prefill:embed', 'prefill:rmsnorm', 'verify:attention', 'verify:matmul:lm_head']) expect(p).toHaveProperty([k]);
      const sum = Object.entries(p).filter(([k]) => k.startsWith('decode:')).reduce((s, [, v]) => s + v, 0);
      expect(sum).toBeCloseTo(p['decode']!, 6);
      console.log('profile', JSON.stringify(Object.fromEntries(Object.entries(p).map(([k, v]) => [k, +v.toFixed(3)]))));
    }
  });

  it('refuses a model over the memory budget before uploading, with the numbers', async () => {
    const err = await createGpuBackend(model, { device, autotune: false, maxContext: 2100, memoryBudgetBytes: gpu.memory.total - 1 }).then(() => undefined, (e: unknown) => e);
    expect(String(err)).toMatch(/does not fit: it needs about [\d.]+ MiB of GPU memory \(weights [\d.]+ MiB, KV cache for 2100 positions [\d.]+ MiB, scratch [\d.]+ MiB\), over the GPU memory budget of [\d.]+ MiB/);
    const fits = await createGpuBackend(model, { device, autotune: false, maxContext: 2100, memoryBudgetBytes: gpu.memory.total });
    fits.dispose();
  });

  it('rejects use after dispose', async () => {
    const b = await createGpuBackend(model, { device, autotune: false, maxContext: 64 });
    b.dispose();
    await expect(collect(b, request(PROMPT))).rejects.toThrow(/dispose/);
  });
});
