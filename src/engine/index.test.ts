// The façade's two engines are one interface: the in-page engine gives what the in-process worker
// engine gives, over the same protocol.
import { describe, expect, it } from 'vitest';
import { InProcessWorker } from '../testing/fake-worker.ts';
import { makeTestModelFiles } from '../testing/test-model.ts';
import { EngineClient } from './api/client.ts';
import { createInPageEngine } from './index.ts';

describe('createInPageEngine', () => {
  it('loads, generates and disposes like the worker engine, with the same tokens', async () => {
    const request = { prompt: { kind: 'plain' as const, text: 'def f(x):\n    return' }, maxNewTokens: 8 };
    const inPage = await createInPageEngine();
    const ready = await inPage.load('test://llama', { files: makeTestModelFiles(), backend: 'cpu' });
    expect(ready.backend).toBe('cpu');
    const viaWorker = new EngineClient(new InProcessWorker({ hasWebGpu: false }));
    await viaWorker.load('test://llama', { files: makeTestModelFiles(), backend: 'cpu' });
    expect((await inPage.generate(request).done).tokens).toEqual((await viaWorker.generate(request).done).tokens);
    inPage.dispose();
    viaWorker.dispose();
    expect(() => inPage.generate(request)).toThrow(/disposed/);
  });
});
