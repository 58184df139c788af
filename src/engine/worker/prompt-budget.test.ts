// The prompt budget of a request that names none is what the backend's context holds after the
// generation: a long document fills the context, and the prompt never reaches the drop-oldest
// window (which would cut a FIM prompt's leading special tokens off).
import { afterEach, describe, expect, it } from 'vitest';
import { InProcessWorker } from '../../testing/fake-worker.ts';
import { makeTestModelFiles } from '../../testing/test-model.ts';
import { DisposableStore } from '../../util/disposable.ts';
import { EngineClient } from '../api/client.ts';
import { promptBudget } from '../api/limits.ts';

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
});
