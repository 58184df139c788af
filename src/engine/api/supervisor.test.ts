// The supervisor over real EngineHosts (in-process workers, CPU backend): a crashed worker is
// replaced and the model loaded again; a worker that stops answering is replaced and moved to the
// CPU; requests in flight fail with the reason; too many restarts stop the engine with a message.
import { afterEach, describe, expect, it } from 'vitest';
import { InProcessWorker } from '../../testing/fake-worker.ts';
import { makeTestGguf } from '../../testing/gguf-test-model.ts';
import { makeTestModelFiles, serveTestModel } from '../../testing/test-model.ts';
import { until } from '../../testing/poll.ts';
import { DisposableStore } from '../../util/disposable.ts';
import type { Backend } from '../backends/backend.ts';
import { EngineClient } from './client.ts';
import type { ReadyEvent } from './protocol.ts';
import { SupervisedEngine, type SupervisorOptions } from './supervisor.ts';

const store = new DisposableStore();
afterEach(() => store.clear());

function start(options: SupervisorOptions & { gpu?: 'hangs' } = {}) {
  const workers: InProcessWorker[] = [];
  const fakeGpu = async () => async (): Promise<Backend> => ({
    kind: 'webgpu', description: 'fake adapter', config: undefined as never, contextTokens: 512, cachedTokens: [], setProfiling() {}, dispose() {},
    generate: () => new Promise(() => {}), // a backend that never answers
  } as unknown as Backend);
  const engine = store.add(new SupervisedEngine(() => {
    const worker = new InProcessWorker(options.gpu ? { hasWebGpu: true, gpuFactory: fakeGpu } : { hasWebGpu: false });
    workers.push(worker);
    return new EngineClient(worker);
  }, { backoffMs: 5, ...options }));
  const readies: ReadyEvent[] = [];
  const errors: string[] = [];
  store.add(engine.onReady((r) => readies.push(r)));
  store.add(engine.onError((m) => errors.push(m)));
  return { engine, workers, readies, errors };
}

const generate = { prompt: { kind: 'plain' as const, text: 'def f(x):\n    return' }, maxNewTokens: 6 };

describe('SupervisedEngine', () => {
  it('replaces a crashed worker, loads the model again, and works after it', async () => {
    store.add({ dispose: serveTestModel('http://models.test/llama/') });
    const { engine, workers, readies, errors } = start();
    await engine.load('http://models.test/llama/', { backend: 'cpu' });
    const before = await engine.generate(generate).done;
    const inFlight = engine.generate({ ...generate, maxNewTokens: 400, tokensPerSubmit: 1 });
    workers[0]!.crash('out of memory');
    await expect(inFlight.done).rejects.toThrow(/^engine worker crashed: out of memory; the engine was restarted$/);
    await until(() => readies.some((r) => r.notice !== undefined), 'the ready after the restart');
    expect(workers).toHaveLength(2);
    expect(workers[0]!.isTerminated).toBe(true);
    expect(readies.at(-1)!.notice).toMatch(/crashed.*restarted on the CPU/);
    expect(errors.some((m) => /restarting it \(attempt 1\)/.test(m))).toBe(true);
    const after = await engine.generate(generate).done;
    expect(after.tokens).toEqual(before.tokens);
  });

  it('a backend that never answers: the watchdog restarts the engine on the CPU, and the request fails with why', async () => {
    store.add({ dispose: serveTestModel('http://models.test/llama/') });
    const { engine, readies } = start({ gpu: 'hangs', watchdogMs: 200 });
    const ready = await engine.load('http://models.test/llama/', { backend: 'webgpu' });
    expect(ready.backend).toBe('webgpu');
    await expect(engine.generate(generate).done).rejects.toThrow(/stopped answering for \d+ s; the engine was restarted/);
    await until(() => readies.some((r) => r.notice !== undefined), 'the CPU reload');
    const recovered = readies.at(-1)!;
    expect(recovered.backend).toBe('cpu');
    expect(recovered.notice).toMatch(/stopped answering.*restarted on the CPU/);
    expect((await engine.generate(generate).done).tokens.length).toBeGreaterThan(0);
  });

  it('gives up after too many restarts in a window, and says so', async () => {
    store.add({ dispose: serveTestModel('http://models.test/llama/') });
    const { engine, workers, errors } = start({ maxRestarts: 2 });
    await engine.load('http://models.test/llama/', { backend: 'cpu' });
    for (let k = 0; k < 3; k++) {
      const n = workers.length;
      workers.at(-1)!.crash(`crash ${k}`);
      if (k < 2) await until(() => workers.length > n && workers.at(-1)!.posted.some((e) => e.type === 'ready'), `restart ${k + 1}`);
    }
    await until(() => errors.some((m) => /engine is stopped/.test(m)), 'the give-up message');
    expect(errors.at(-1)).toMatch(/3 times in 60 s: the engine is stopped\. Reload the page/);
    await expect(engine.generate(generate).done).rejects.toThrow(/engine is stopped/);
  });

  it('a model loaded from a local file (a Blob) is read from it again after a restart', async () => {
    const { engine, workers, readies } = start();
    const file = new File([makeTestGguf().gguf as Uint8Array<ArrayBuffer>], 'tiny.gguf');
    await engine.load('tiny.gguf', { file, backend: 'cpu' });
    const before = await engine.generate(generate).done;
    workers[0]!.crash('boom');
    await until(() => readies.some((r) => r.notice !== undefined), 'the ready after the restart');
    const reload = workers[1]!.sent.find((m) => m.type === 'load');
    expect(reload).toMatchObject({ modelUrl: 'tiny.gguf' });
    expect(reload && 'file' in reload ? reload.file : undefined).toBeInstanceOf(Blob);
    expect((await engine.generate(generate).done).tokens).toEqual(before.tokens);
  });

  it('a model loaded from in-memory files is not reloaded after a restart (its buffers were transferred)', async () => {
    const { engine, workers, readies } = start();
    await engine.load('test://llama', { files: makeTestModelFiles(), backend: 'cpu' });
    workers[0]!.crash('boom');
    await until(() => workers.length === 2, 'the new worker');
    expect(workers[1]!.sent.filter((m) => m.type === 'load')).toHaveLength(0);
    expect(readies).toHaveLength(1);
  });
});
