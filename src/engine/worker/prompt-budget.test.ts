// The prompt budget of a request that names none: what the backend's context holds after the
// generation (a long document fills the context, and the prompt never reaches the drop-oldest window,
// which would cut a FIM prompt's leading special tokens off), and for a completion no more than the
// prompt window a cold prefill fits in its latency budget.
import { afterEach, describe, expect, it } from 'vitest';
import { InProcessWorker } from '../../testing/fake-worker.ts';
import { makeTestModelFiles } from '../../testing/test-model.ts';
import { DisposableStore } from '../../util/disposable.ts';
import { EngineClient } from '../api/client.ts';
import { PROMPT_WINDOW, promptBudget } from '../api/limits.ts';

const store = new DisposableStore();
afterEach(() => store.clear());

describe('prompt budget', () => {
  it('fills the context after the generation, and a named budget still wins', async () => {
    const engine = store.add(new EngineClient(new InProcessWorker({ hasWebGpu: false })));
    await engine.load('memory', { files: makeTestModelFiles({ maxPositionEmbeddings: 256 }), backend: 'cpu' });
    const prefix = 'def f(x):\n    return x + 1\n'.repeat(200);
    const fim = { prompt: { kind: 'fim' as const, prefix, suffix: '\nprint(f(2))\n' }, maxNewTokens: 16 };
    const done = await engine.generate(fim).done;
    // The prefix window starts on a stable character step (so keystrokes reuse the cache): it fills
    // most of the budget, never more.
    expect(done.promptTokenCount).toBeLessThanOrEqual(promptBudget(256, 16));
    expect(done.promptTokenCount).toBeGreaterThan(promptBudget(256, 16) / 2);
    const named = (await engine.generate({ ...fim, maxPromptTokens: 100 }).done).promptTokenCount;
    expect(named).toBeLessThanOrEqual(100);
    expect(named).toBeGreaterThan(50);
    expect(promptBudget(10, 64)).toBe(4); // never below the smallest prompt
  });

  it('gives a completion no more than the prompt window, which it sizes from the measured prefill rate', async () => {
    const engine = store.add(new EngineClient(new InProcessWorker({ hasWebGpu: false })));
    await engine.load('memory', { files: makeTestModelFiles({ maxPositionEmbeddings: 8192 }), backend: 'cpu' });
    expect((await engine.diagnostics()).promptWindowTokens).toBe(PROMPT_WINDOW.initial);
    const prefix = 'def f(x):\n    return x + 1\n'.repeat(2000); // far more than the window
    const fim = { prompt: { kind: 'fim' as const, prefix, suffix: '\nprint(f(2))\n' }, maxNewTokens: 4 };
    const first = await engine.generate(fim).done;
    expect(first.promptTokenCount).toBeLessThanOrEqual(PROMPT_WINDOW.initial);
    expect(first.promptTokenCount).toBeGreaterThan(PROMPT_WINDOW.initial / 2);
    // That prefill was measured: the window is now what this machine prefills in the budget.
    const window = (await engine.diagnostics()).promptWindowTokens;
    expect(window).toBeGreaterThanOrEqual(PROMPT_WINDOW.min);
    expect(Math.log2(window) % 1).toBe(0);
    const second = await engine.generate(fim).done;
    // At most a step (a quarter of the window) over it, where its start has just stepped and the
    // earlier one reuses more of the cache (prompt.ts; this repetitive text makes that likely).
    expect(second.promptTokenCount).toBeLessThanOrEqual(Math.min(window + window / 4, promptBudget(8192, 4)));
    // A named budget is the caller's: the window does not cut it.
    const named = await engine.generate({ ...fim, maxPromptTokens: 3000 }).done;
    expect(named.promptTokenCount).toBeGreaterThan(PROMPT_WINDOW.initial);
  }, 120_000); // CPU prefills of thousands of tokens, on a loaded machine
});
