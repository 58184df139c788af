import { afterEach, describe, expect, it } from 'vitest';
import { makeTestModelFiles } from '../../testing/test-model.ts';
import { DisposableStore } from '../../util/disposable.ts';
import type { Backend } from '../backends/backend.ts';
import { EngineClient, type Generation } from './client.ts';
import { InProcessWorker } from '../../testing/fake-worker.ts';
import { parseEngineRequest, type TokensEvent } from './protocol.ts';
import { PROMPT_WINDOW } from './limits.ts';

const store = new DisposableStore();
afterEach(() => store.clear());

function start(overrides: ConstructorParameters<typeof InProcessWorker>[0] = {}) {
  const worker = new InProcessWorker({ hasWebGpu: false, ...overrides });
  const client = store.add(new EngineClient(worker));
  return { worker, client };
}

const PROMPT = 'def fibonacci(n):\n    if n < 2:\n        return n\n';

describe('EngineClient ↔ EngineHost (in-process worker, CPU backend)', () => {
  it('loads in-memory files, falls back to the CPU with a reason, and reports progress', async () => {
    const { client } = start();
    const progress: string[] = [];
    store.add(client.onLoadProgress((p) => progress.push(p.file)));
    const ready = await client.load('test://llama', { files: makeTestModelFiles() });
    expect(ready.backend).toBe('cpu');
    expect(ready.fallbackReason).toMatch(/WebGPU is not available/);
    expect(ready.description).toMatch(/^CPU (with WebAssembly SIMD|reference) \(fallback: WebGPU is not available/);
    expect(ready.path).toMatchObject({ chosen: 'CPU SIMD', how: 'only' });
    expect(ready.config.hiddenSize).toBe(72);
    expect(ready.specialTokens).toEqual({ fimPrefix: 1, fimSuffix: 3, fimMiddle: 2, endOfText: 0 });
    expect(progress).toContain('model.safetensors');
    const cpu = await start().client.load('test://llama', { files: makeTestModelFiles(), backend: 'cpu' });
    expect(cpu.fallbackReason).toBeUndefined();
  });

  it('streams text deltas whose concatenation is the final text', async () => {
    const { client } = start();
    await client.load('test://llama', { files: makeTestModelFiles(), backend: 'cpu' });
    const events: TokensEvent[] = [];
    const gen = client.generate({ prompt: { kind: 'plain', text: PROMPT }, maxNewTokens: 17, tokensPerSubmit: 4 }, (e) => events.push(e));
    const done = await gen.done;
    expect(done.finishReason === 'length' || done.finishReason === 'stop').toBe(true);
    expect(events.map((e) => e.text).join('')).toBe(done.text);
    expect(events.flatMap((e) => e.ids)).toEqual(done.tokens);
    expect(events[0]!.ids).toHaveLength(1); // the first token is sent on its own
    expect(done.stats.decodeTokens).toBe(done.tokens.length);
    expect(done.promptTokenCount).toBeGreaterThan(5);
  });

  it("a traced request's first tokens event carries the worker's marks in order, on the page's clock; others carry none", async () => {
    const { client } = start();
    await client.load('test://llama', { files: makeTestModelFiles(), backend: 'cpu' });
    const events: TokensEvent[] = [];
    const before = performance.timeOrigin + performance.now();
    await client.generate({ prompt: { kind: 'plain', text: PROMPT }, maxNewTokens: 6, trace: true }, (e) => events.push(e)).done;
    const after = performance.timeOrigin + performance.now();
    const t = events[0]!.trace!;
    expect(before).toBeLessThanOrEqual(t.received);
    expect([t.received, t.started, t.tokenized, t.firstToken]).toEqual([...[t.received, t.started, t.tokenized, t.firstToken]].sort((a, b) => a - b));
    expect(t.firstToken).toBeLessThanOrEqual(after);
    expect(t.prompt.promptTokens).toBeGreaterThan(5);
    expect(t.prompt.prefilledTokens).toBe(t.prompt.promptTokens); // a fresh engine has nothing cached
    expect(events.slice(1).every((e) => e.trace === undefined)).toBe(true);
    // The same prompt again: all of it but its last token comes from the KV cache.
    const again: TokensEvent[] = [];
    await client.generate({ prompt: { kind: 'plain', text: PROMPT }, maxNewTokens: 2, trace: true }, (e) => again.push(e)).done;
    expect(again[0]!.trace!.prompt).toEqual({ promptTokens: t.prompt.promptTokens, prefilledTokens: 1 });
    const untraced: TokensEvent[] = [];
    await client.generate({ prompt: { kind: 'plain', text: PROMPT }, maxNewTokens: 3 }, (e) => untraced.push(e)).done;
    expect(untraced.every((e) => e.trace === undefined)).toBe(true);
  });

  it('a new generate cancels the running one; no stale tokens reach the UI', async () => {
    const { client, worker } = start();
    await client.load('test://llama', { files: makeTestModelFiles(), backend: 'cpu' });
    const first: TokensEvent[] = [], second: TokensEvent[] = [];
    const a = client.generate({ prompt: { kind: 'plain', text: PROMPT }, maxNewTokens: 200, tokensPerSubmit: 1 }, (e) => first.push(e));
    await new Promise<void>((resolve) => { const t = setInterval(() => { if (first.length >= 2) { clearInterval(t); resolve(); } }, 1); });
    const b = client.generate({ prompt: { kind: 'fim', prefix: PROMPT, suffix: '\n' }, maxNewTokens: 6 }, (e) => second.push(e));
    const [doneA, doneB] = await Promise.all([a.done, b.done]);
    expect(doneA.finishReason).toBe('cancelled');
    expect(doneA.tokens.length).toBeLessThan(200);
    expect(doneB.finishReason).not.toBe('cancelled');
    expect(second.flatMap((e) => e.ids)).toEqual(doneB.tokens);
    // The worker never posted a tokens event for A after B's generate arrived.
    const bArrived = worker.posted.findIndex((e) => e.type === 'tokens' && e.id === b.id);
    expect(worker.posted.slice(bArrived).some((e) => e.type === 'tokens' && e.id === a.id)).toBe(false);
    // What the UI saw of A is a prefix of what the worker sent before the cancel: tokens in flight
    // when B started were dropped by the client.
    const seen = first.flatMap((e) => e.ids);
    expect(doneA.tokens.slice(0, seen.length)).toEqual(seen);
  });

  it('cancel() ends a request; requests queued behind a newer one finish as cancelled', async () => {
    const { client } = start();
    await client.load('test://llama', { files: makeTestModelFiles(), backend: 'cpu' });
    const a = client.generate({ prompt: { kind: 'plain', text: PROMPT }, maxNewTokens: 300, tokensPerSubmit: 1 });
    const b = client.generate({ prompt: { kind: 'plain', text: PROMPT }, maxNewTokens: 300, tokensPerSubmit: 1 });
    // c cannot finish by itself (no stop tokens, 300 tokens) and is cancelled once it is running:
    // a timer instead raced a fast machine, where c could reach a stop token first.
    const c: Generation = client.generate(
      { prompt: { kind: 'plain', text: PROMPT }, maxNewTokens: 300, tokensPerSubmit: 1, ignoreStopTokens: true },
      () => c.cancel());
    const done = await Promise.all([a.done, b.done, c.done]);
    expect(done.map((d) => d.finishReason)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    expect(done[1]!.tokens).toEqual([]);
  });

  it('typing one character at the end of a 2,000-token document prefills at most 4 tokens', async () => {
    const { client } = start();
    await client.load('test://llama', { files: makeTestModelFiles({ maxPositionEmbeddings: 4096 }), backend: 'cpu' });
    let doc = '';
    for (let i = 0; doc.length < 2300; i++) doc += `    value_${i} = compute(items[${i}], scale=${i % 13})\n`;
    const first = await client.generate({ prompt: { kind: 'plain', text: doc }, maxNewTokens: 2, maxPromptTokens: 4096 }).done;
    expect(first.promptTokenCount).toBeGreaterThanOrEqual(2000);
    expect(first.stats.prefillTokens).toBe(first.promptTokenCount);
    for (const typed of ['r', 're', 'res']) {
      const next = await client.generate({ prompt: { kind: 'plain', text: doc + typed }, maxNewTokens: 2, maxPromptTokens: 4096 }).done;
      expect(next.stats.prefillTokens, `after typing ${typed}`).toBeLessThanOrEqual(4);
      expect(next.stats.reusedTokens).toBeGreaterThanOrEqual(first.promptTokenCount - 4);
    }
  }, 120_000);

  it('greedy output is the same with drafts on and off', async () => {
    const { client } = start();
    await client.load('test://qwen2', { files: makeTestModelFiles({ architecture: 'Qwen2ForCausalLM', tieWordEmbeddings: true }), backend: 'cpu' });
    const text = 'x = [1, 2, 3]\ny = [1, 2, 3]\nz = [1, 2, 3]\nw = [1, 2,';
    const plain = await client.generate({ prompt: { kind: 'plain', text }, maxNewTokens: 24 }).done;
    const drafted = await client.generate({ prompt: { kind: 'plain', text }, maxNewTokens: 24, drafts: true }).done;
    expect(drafted.tokens).toEqual(plain.tokens);
    expect(drafted.stats.draftedTokens).toBeGreaterThan(0);
  });

  it('uses the GPU backend when the factory succeeds, and falls back with the reason when it throws', async () => {
    const fakeGpu = (kind: 'ok' | 'throw') => async () => async (): Promise<Backend> => {
      if (kind === 'throw') throw new Error('device lost');
      return { kind: 'webgpu', description: 'fake adapter', config: undefined as never, contextTokens: 512, cachedTokens: [], plan: { grid: [2, 3] }, setProfiling() {}, dispose() {}, generate: async () => { throw new Error("unused"); } } as unknown as Backend;
    };
    const ok = await start({ hasWebGpu: true, gpuFactory: fakeGpu('ok') }).client.load('m', { files: makeTestModelFiles(), backend: 'webgpu' });
    expect(ok).toMatchObject({ backend: 'webgpu', description: 'fake adapter', plan: { grid: [2, 3] } });
    const bad = await start({ hasWebGpu: true, gpuFactory: fakeGpu('throw') }).client.load('m', { files: makeTestModelFiles() });
    expect(bad.backend).toBe('cpu');
    expect(bad.fallbackReason).toMatch(/failed to start: device lost/);
    await expect(start({ hasWebGpu: false }).client.load('m', { files: makeTestModelFiles(), backend: 'webgpu' }))
      .rejects.toThrow(/WebGPU backend requested but unavailable/);
  });

  it('answers diagnostics: what the backend holds', async () => {
    const { client } = start();
    await client.load('test://llama', { files: makeTestModelFiles(), backend: 'cpu' });
    expect(await client.diagnostics()).toEqual({ type: 'diagnostics', gpuBuffers: 0, cachedTokens: 0, promptWindowTokens: PROMPT_WINDOW.initial });
    const done = await client.generate({ prompt: { kind: 'plain', text: PROMPT }, maxNewTokens: 3 }).done;
    expect((await client.diagnostics()).cachedTokens).toBe(done.promptTokenCount + done.tokens.length - 1);
  });

  it('a load that fails keeps the model that worked', async () => {
    const { client } = start();
    await client.load('test://llama', { files: makeTestModelFiles(), backend: 'cpu' });
    const before = await client.generate({ prompt: { kind: 'plain', text: PROMPT }, maxNewTokens: 4 }).done;
    await expect(client.load('test://broken', { files: { 'config.json': new TextEncoder().encode('{}') } }))
      .rejects.toThrow(/loading test:\/\/broken failed: .*\(the model loaded before stays in use\)/);
    const after = await client.generate({ prompt: { kind: 'plain', text: PROMPT }, maxNewTokens: 4 }).done;
    expect(after.tokens).toEqual(before.tokens);
  });

  it('surfaces load and request errors as rejections', async () => {
    const { client } = start();
    await expect(client.load('test://broken', { files: { 'config.json': new TextEncoder().encode('{}') } })).rejects.toThrow(/loading test:\/\/broken failed: .*architectures/);
    await expect(client.generate({ prompt: { kind: 'plain', text: 'x' }, maxNewTokens: 3 }).done).rejects.toThrow(/no model loaded/);
    await client.load('test://llama', { files: makeTestModelFiles(), backend: 'cpu' });
    await expect(client.generate({ prompt: { kind: 'ids', ids: [100000] }, maxNewTokens: 3 }).done).rejects.toThrow(/outside the vocabulary/);
  });

  it('dispose rejects what is pending and stops the worker', async () => {
    const { client, worker } = start();
    const loading = client.load('test://llama', { files: makeTestModelFiles(), backend: 'cpu' });
    client.dispose();
    await expect(loading).rejects.toThrow(/disposed/);
    expect(worker.sent.at(-1)).toEqual({ type: 'dispose' });
    expect(() => client.generate({ prompt: { kind: 'plain', text: 'x' }, maxNewTokens: 1 })).toThrow(/disposed/);
  });
});

describe('parseEngineRequest', () => {
  it('accepts well-formed requests and names the bad field otherwise', () => {
    expect(parseEngineRequest({ type: 'cancel', id: 3 })).toEqual({ type: 'cancel', id: 3 });
    expect(() => parseEngineRequest({ type: 'generate', id: 1, maxNewTokens: 5, prompt: { kind: 'fim', prefix: 'a' } })).toThrow(/generate\.prompt/);
    expect(() => parseEngineRequest({ type: 'generate', id: 1, maxNewTokens: -5, prompt: { kind: 'plain', text: '' } })).toThrow(/generate\.maxNewTokens/);
    expect(() => parseEngineRequest({ type: 'generate', id: 1, maxNewTokens: 5, tokensPerSubmit: 0, prompt: { kind: 'plain', text: '' } })).toThrow(/tokensPerSubmit/);
    expect(() => parseEngineRequest({ type: 'load', modelUrl: 'x', backend: 'tpu' })).toThrow(/load\.backend/);
    expect(() => parseEngineRequest({ type: 'launch' })).toThrow(/unknown message type "launch"/);
    expect(() => parseEngineRequest(null)).toThrow(/not an object/);
    const file = new Blob([new Uint8Array(4)]);
    expect(parseEngineRequest({ type: 'load', modelUrl: 'm.gguf', file })).toMatchObject({ modelUrl: 'm.gguf' });
    expect(() => parseEngineRequest({ type: 'load', modelUrl: 'm.gguf', file: 'path/to/m.gguf' })).toThrow(/load\.file must be a Blob or File/);
    expect(() => parseEngineRequest({ type: 'load', modelUrl: 'm.bin', file })).toThrow(/load\.modelUrl must be its name ending in \.gguf, got "m\.bin"/);
    expect(() => parseEngineRequest({ type: 'load', modelUrl: 'm.gguf', file, files: {} })).toThrow(/load takes one of file, folder, files/);
    expect(parseEngineRequest({ type: 'load', modelUrl: 'model folder x', folder: { 'config.json': file } })).toMatchObject({ modelUrl: 'model folder x' });
    expect(() => parseEngineRequest({ type: 'load', modelUrl: 'x', folder: { 'config.json': 'C:/x/config.json' } })).toThrow(/load\.folder must map file names to Blobs or Files/);
    expect(() => parseEngineRequest({ type: 'load', modelUrl: 'x', folder: {}, source: 'org/name' })).toThrow(/load takes one of source, file, folder, files/);
  });
});
