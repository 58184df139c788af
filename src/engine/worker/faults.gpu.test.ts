// Faults in real Chromium: the GPU device destroyed in the middle of a generation, a WebGPU backend
// that stops answering, and the engine Worker terminated in the middle of a generation. Each time the request in flight fails with a reason, the
// engine comes back by itself (a new device, or a new worker on the CPU) and says so, and the next
// request gives the same greedy tokens as before the fault.
import { afterEach, describe, expect, it } from 'vitest';
import { serveTestModel } from '../../testing/test-model.ts';
import { until } from '../../testing/poll.ts';
import { InProcessWorker } from '../../testing/fake-worker.ts';
import { DisposableStore } from '../../util/disposable.ts';
import { EngineClient } from '../api/client.ts';
import type { ReadyEvent } from '../api/protocol.ts';
import { SupervisedEngine } from '../api/supervisor.ts';
import type { Backend } from '../backends/backend.ts';
import { createGpuBackend } from '../backends/gpu/gpu-backend.ts';

const store = new DisposableStore();
afterEach(() => store.clear());

const PROMPT = 'def fibonacci(n):\n    if n < 2:\n        return n\n    return';
const MODEL_URL = 'http://models.test/llama/';

describe('engine faults in Chromium', () => {
  it('device.destroy() mid-generation: the request fails, the engine reloads on a new device and says why', async () => {
    store.add({ dispose: serveTestModel(MODEL_URL) });
    const devices: GPUDevice[] = [];
    const worker = new InProcessWorker({
      gpuFactory: async () => async (model, options): Promise<Backend> => {
        const backend = await createGpuBackend(model, { ...options, autotune: false });
        devices.push(backend.ctx.device);
        return backend;
      },
    });
    const client = store.add(new EngineClient(worker));
    const readies: ReadyEvent[] = [];
    store.add(client.onReady((r) => readies.push(r)));
    const ready = await client.load(MODEL_URL, { backend: 'webgpu' });
    expect(ready.backend).toBe('webgpu');
    const request = { prompt: { kind: 'plain' as const, text: PROMPT }, maxNewTokens: 12, tokensPerSubmit: 4, ignoreStopTokens: true };
    const before = await client.generate(request).done;

    let streamed = 0;
    const long = client.generate({ ...request, maxNewTokens: 400, tokensPerSubmit: 1 }, () => { streamed++; });
    await until(() => streamed >= 2, 'the first tokens');
    devices[0]!.destroy();
    const outcome = await long.done.then((d) => d.finishReason, (err: Error) => err.message);
    expect(outcome).not.toBe('length'); // it did not run to the end on a destroyed device
    await until(() => readies.some((r) => r.notice !== undefined), 'the reload after the device loss');
    const recovered = readies.at(-1)!;
    expect(recovered.notice).toMatch(/WebGPU device destroyed.*reloaded on a new WebGPU device/);
    expect(recovered.backend).toBe('webgpu');
    expect(devices).toHaveLength(2);
    expect((await client.generate(request).done).tokens).toEqual(before.tokens);
  });

  it('a WebGPU backend that stops answering: the watchdog restarts the engine on the CPU, and the request fails with why', async () => {
    store.add({ dispose: serveTestModel(MODEL_URL) });
    const readies: ReadyEvent[] = [];
    const engine = store.add(new SupervisedEngine(() => new EngineClient(new InProcessWorker({
      // The real GPU backend, except that after its first request it never answers again (as a
      // driver that stops returning mapAsync would).
      gpuFactory: async () => async (model, options): Promise<Backend> => {
        const backend = await createGpuBackend(model, { ...options, autotune: false });
        let calls = 0;
        const generate = backend.generate.bind(backend);
        backend.generate = (...args) => (calls++ === 0 ? generate(...args) : new Promise(() => {}));
        return backend;
      },
    })), { watchdogMs: 10_000, backoffMs: 10 }));
    store.add(engine.onReady((r) => readies.push(r)));
    expect((await engine.load(MODEL_URL, { backend: 'webgpu' })).backend).toBe('webgpu');
    const request = { prompt: { kind: 'plain' as const, text: PROMPT }, maxNewTokens: 12, tokensPerSubmit: 4, ignoreStopTokens: true };
    const before = await engine.generate(request).done;
    await expect(engine.generate(request).done).rejects.toThrow(/stopped answering for \d+ s; the engine was restarted/);
    await until(() => readies.some((r) => r.notice !== undefined), 'the reload on the CPU');
    expect(readies.at(-1)).toMatchObject({ backend: 'cpu' });
    expect((await engine.generate(request).done).tokens).toEqual(before.tokens);
  });

  it('the worker terminated mid-generation: the watchdog replaces it and reloads the model on the CPU', async () => {
    const workers: Worker[] = [];
    const engine = store.add(new SupervisedEngine(() => {
      const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
      workers.push(worker);
      return new EngineClient(worker);
    }, { watchdogMs: 20_000, backoffMs: 10 }));
    const readies: ReadyEvent[] = [];
    store.add(engine.onReady((r) => readies.push(r)));
    // The shipped model, served by this origin as the app serves it: the new worker fetches it again.
    await engine.load(new URL('/models/spark-nano/', location.href).href, { gpuOptions: { autotune: false } });
    const request = { prompt: { kind: 'plain' as const, text: PROMPT }, maxNewTokens: 12, tokensPerSubmit: 4, ignoreStopTokens: true };
    expect((await engine.generate(request).done).tokens).toHaveLength(12);

    let streamed = 0;
    const long = engine.generate({ ...request, maxNewTokens: 400, tokensPerSubmit: 1 }, () => { streamed++; });
    await until(() => streamed >= 2, 'the first tokens');
    workers[0]!.terminate(); // dies silently: no 'error' event, no more messages
    await expect(long.done).rejects.toThrow(/stopped answering for \d+ s; the engine was restarted/);
    await until(() => readies.some((r) => r.notice !== undefined), 'the reload in the new worker');
    expect(workers).toHaveLength(2);
    expect(readies.at(-1)).toMatchObject({ backend: 'cpu' });
    expect(readies.at(-1)!.notice).toMatch(/stopped answering.*restarted on the CPU/);
    expect((await engine.generate(request).done).tokens).toHaveLength(12);
  });
});
