// The real engine Worker in real Chromium: load the generated test model, stream, finish, cancel.
// Backend 'auto' times every path the adapter can run and takes the fastest (the CPU reference,
// with a reason, when the GPU backend cannot start); greedy output must be the same either way.
import { afterEach, describe, expect, it } from 'vitest';
import { makeTestModelFiles } from '../../testing/test-model.ts';
import { DisposableStore } from '../../util/disposable.ts';
import { EngineClient } from '../api/client.ts';
import type { TokensEvent } from '../api/protocol.ts';

const store = new DisposableStore();
afterEach(() => store.clear());

const PROMPT = 'def fibonacci(n):\n    if n < 2:\n        return n\n    return';

describe('engine worker in Chromium', () => {
  it('loads the test model, streams tokens and finishes; greedy output matches the CPU reference', async () => {
    const cpu = store.add(EngineClient.create());
    const cpuReady = await cpu.load('test://llama', { files: makeTestModelFiles(), backend: 'cpu' });
    expect(cpuReady.backend).toBe('cpu');
    const reference = await cpu.generate({ prompt: { kind: 'plain', text: PROMPT }, maxNewTokens: 16, ignoreStopTokens: true }).done;
    expect(reference.tokens).toHaveLength(16);

    const auto = store.add(EngineClient.create());
    const ready = await auto.load('test://llama', { files: makeTestModelFiles() });
    console.info(`engine worker test: backend ${ready.backend} (${ready.description}); path ${ready.path?.reason}`);
    if (ready.fallbackReason === undefined) {
      // Every path was timed on this adapter, and the fastest one runs.
      const timed = ready.path!.measurements.filter((m) => m.keystrokeMs !== undefined);
      expect(ready.path!.how).toBe('measured');
      expect(timed.map((m) => m.backend).sort()).toEqual(expect.arrayContaining(['cpu', 'webgpu']));
      const fastest = timed.reduce((a, b) => (b.keystrokeMs! < a.keystrokeMs! ? b : a));
      expect(ready.path!.chosen).toBe(fastest.path);
      expect(ready.backend).toBe(fastest.backend);
    }
    const events: TokensEvent[] = [];
    const done = await auto.generate({ prompt: { kind: 'plain', text: PROMPT }, maxNewTokens: 16, tokensPerSubmit: 4, ignoreStopTokens: true }, (e) => events.push(e)).done;
    expect(events.length).toBeGreaterThan(1);
    expect(events.flatMap((e) => e.ids)).toEqual(done.tokens);
    expect(events.map((e) => e.text).join('')).toBe(done.text);
    expect(done.tokens).toEqual(reference.tokens);
    expect(done.stats.decodeTokens).toBe(16);
  });

  it('a second request cancels the first; no stale tokens arrive after it', async () => {
    const client = store.add(EngineClient.create());
    await client.load('test://qwen2', { files: makeTestModelFiles({ architecture: 'Qwen2ForCausalLM', tieWordEmbeddings: true }) });
    const log: { id: number; n: number }[] = [];
    const first = client.generate({ prompt: { kind: 'plain', text: PROMPT }, maxNewTokens: 400, tokensPerSubmit: 1, ignoreStopTokens: true }, (e) => log.push({ id: e.id, n: e.ids.length }));
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => { if (log.length >= 2) { clearInterval(poll); resolve(); } }, 2);
    });
    const second = client.generate({ prompt: { kind: 'fim', prefix: PROMPT, suffix: '\n\nprint(fibonacci(10))\n' }, maxNewTokens: 8 }, (e) => log.push({ id: e.id, n: e.ids.length }));
    const [a, b] = await Promise.all([first.done, second.done]);
    expect(a.finishReason).toBe('cancelled');
    expect(a.tokens.length).toBeLessThan(400);
    expect(b.finishReason).not.toBe('cancelled');
    const firstSecondEvent = log.findIndex((e) => e.id === second.id);
    expect(firstSecondEvent).toBeGreaterThan(0);
    expect(log.slice(firstSecondEvent).every((e) => e.id === second.id)).toBe(true);
  });
});
