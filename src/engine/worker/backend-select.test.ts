// The path choice over doubles: "GPU" backends are the CPU reference under another name, and each
// path's cost is what it adds to a fake clock per request, so which path wins never depends on how
// loaded this machine is.
import { describe, expect, it } from 'vitest';
import { loadModel, type LoadedModel } from '../../model/load.ts';
import { memoryFetcher } from '../../model/model-files.ts';
import { makeTestModelFiles } from '../../testing/test-model.ts';
import type { ModelWaferPlan } from '../api/plan-types.ts';
import type { Backend } from '../backends/backend.ts';
import { CpuBackend } from '../backends/cpu/cpu-backend.ts';
import { selectBackend, type CachedPath, type GpuLikeBackend, type PathCache, type SelectOptions } from './backend-select.ts';
import { PATH_PROBE } from './path-probe.ts';

const f16Plan = { formats: { qkv: 'f16', o: 'f16', gate_up: 'f16', down: 'f16', lm_head: 'f16', embed: 'f16' } } as unknown as ModelWaferPlan;

/** Each path's cost per request; a CPU SIMD path exists only where `simd` is given (else it fails to start). */
interface Costs { f16: number; f32: number; cpu: number; simd?: number; hang?: 'f16'; timeoutMs?: number }

/** `base`: the model the doubles run (the model selectBackend sees may be altered). */
function harness(costs: Costs, base?: LoadedModel) {
  const clock = { t: 0 };
  const made: { path: string; disposed: boolean }[] = [];
  const generates: string[] = [];
  const wrap = (inner: Backend, path: string, kind: Backend['kind'], cost: number, hang = false): GpuLikeBackend => {
    const entry = { path, disposed: false };
    made.push(entry);
    return {
      kind, description: path, config: inner.config, contextTokens: inner.contextTokens, planKey: 'adapter|model',
      ...(kind === 'webgpu' ? { plan: f16Plan } : {}),
      get cachedTokens() { return inner.cachedTokens; },
      diagnostics: () => inner.diagnostics(),
      setProfiling: (on) => inner.setProfiling(on),
      score: (p, c, s) => inner.score(p, c, s),
      generate: (req, onTokens, signal) => {
        generates.push(path);
        if (hang) return new Promise(() => {});
        clock.t += cost;
        return inner.generate(req, onTokens, signal);
      },
      dispose: () => { entry.disposed = true; inner.dispose(); },
    };
  };
  const options = (extra: Partial<SelectOptions> = {}): SelectOptions => ({
    preference: 'auto', hasWebGpu: true,
    gpuFactory: async () => async (model, gpu) => gpu.weightFormat === 'f32'
      ? wrap(new CpuBackend(base ?? model), 'WebGPU f32', 'webgpu', costs.f32)
      : wrap(new CpuBackend(base ?? model), 'WebGPU f16', 'webgpu', costs.f16, costs.hang === 'f16'),
    cpuFactory: (model, matmul) => {
      if (matmul === 'reference') return wrap(new CpuBackend(base ?? model), 'CPU', 'cpu', costs.cpu);
      if (costs.simd === undefined) throw new Error('no WebAssembly SIMD here');
      return wrap(new CpuBackend(base ?? model), 'CPU SIMD', 'cpu', costs.simd);
    },
    probe: { now: () => clock.t, ...(costs.timeoutMs !== undefined ? { timeoutMs: costs.timeoutMs } : {}) },
    planKey: async () => 'adapter|model',
    ...extra,
  });
  const alive = () => made.filter((m) => !m.disposed).map((m) => m.path);
  return { options, made, alive, generates };
}

const testModel = (): Promise<LoadedModel> => loadModel(memoryFetcher(makeTestModelFiles()));

function memoryCache(): PathCache & { entries: Map<string, CachedPath> } {
  const entries = new Map<string, CachedPath>();
  return { entries, get: async (k) => entries.get(k), set: async (k, v) => { entries.set(k, v); } };
}

describe('choosing the path by measurement', () => {
  it('times every path on a keystroke and keeps the fastest alive: a fast GPU wins', async () => {
    const h = harness({ f16: 2, f32: 5, cpu: 9, simd: 7 });
    const steps: string[] = [];
    const { backend, path } = await selectBackend(await testModel(), h.options({ onStep: (step) => steps.push(step) }));
    expect(path).toMatchObject({ chosen: 'WebGPU f16', how: 'measured' });
    // Each step says so as it starts: the load's sign of life while it has nothing else to report.
    expect(steps).toEqual(['starting WebGPU', 'starting WebGPU f16', 'timing WebGPU f16', 'starting WebGPU f32', 'timing WebGPU f32',
      'starting CPU SIMD', 'timing CPU SIMD', 'starting CPU', 'timing CPU']);
    expect(path.measurements.map((m) => [m.path, m.keystrokeMs])).toEqual([['WebGPU f16', 2], ['WebGPU f32', 5], ['CPU SIMD', 7], ['CPU', 9]]);
    expect(path.reason).toBe('WebGPU f16: 2 ms per keystroke against 5 ms on WebGPU f32, 7 ms on CPU SIMD, 9 ms on CPU');
    expect(backend.description).toBe('WebGPU f16');
    expect(h.alive()).toEqual(['WebGPU f16']);
  });

  it('a slow GPU (a software adapter) loses to the CPU, which then runs; the GPU backends are disposed', async () => {
    const h = harness({ f16: 40, f32: 30, cpu: 8, simd: 3 });
    const { backend, path, fallbackReason } = await selectBackend(await testModel(), h.options());
    expect(backend.kind).toBe('cpu');
    expect(fallbackReason).toBeUndefined();
    expect(path.reason).toBe('CPU SIMD: 3 ms per keystroke against 40 ms on WebGPU f16, 30 ms on WebGPU f32, 8 ms on CPU');
    expect(h.alive()).toEqual(['CPU SIMD']);
  });

  it('without WebGPU the CPU runs with SIMD products, untimed (there is nothing to weigh it against); the fallback says why', async () => {
    const h = harness({ f16: 1, f32: 1, cpu: 8, simd: 3 });
    const { backend, path, fallbackReason } = await selectBackend(await testModel(), h.options({ hasWebGpu: false, gpuOptions: { quantizeFloats: 'q8_0' } }));
    expect(fallbackReason).toMatch(/navigator\.gpu is missing/);
    expect(backend.kind).toBe('cpu');
    expect(path).toMatchObject({ chosen: 'CPU SIMD', how: 'only' });
    expect(h.generates).toEqual([]);
    expect(h.alive()).toEqual(['CPU SIMD']);
    // Where the SIMD backend cannot start, the reference runs.
    const noSimd = await selectBackend(await testModel(), harness({ f16: 1, f32: 1, cpu: 8 }).options({ hasWebGpu: false }));
    expect(noSimd.path).toMatchObject({ chosen: 'CPU', how: 'only' });
  });

  it('where WebAssembly SIMD cannot run, the reference CPU path is timed and the reason says why SIMD was not', async () => {
    const h = harness({ f16: 40, f32: 30, cpu: 8 });
    const { path } = await selectBackend(await testModel(), h.options());
    expect(path.chosen).toBe('CPU');
    expect(path.reason).toBe('CPU: 8 ms per keystroke against 40 ms on WebGPU f16, 30 ms on WebGPU f32; CPU SIMD not timed: failed: no WebAssembly SIMD here');
    expect(h.alive()).toEqual(['CPU']);
  });

  it('a later load on the same adapter and model takes the cached choice without timing anything', async () => {
    const cache = memoryCache();
    const first = harness({ f16: 40, f32: 30, cpu: 8, simd: 3 });
    await selectBackend(await testModel(), first.options({ pathCache: cache }));
    expect(cache.entries.size).toBe(1);
    const second = harness({ f16: 1, f32: 1, cpu: 100, simd: 100 });
    const { backend, path } = await selectBackend(await testModel(), second.options({ pathCache: cache }));
    expect(backend.kind).toBe('cpu');
    expect(path).toMatchObject({ chosen: 'CPU SIMD', how: 'cached' });
    expect(path.reason).toBe('CPU SIMD: 3 ms per keystroke against 40 ms on WebGPU f16, 30 ms on WebGPU f32, 8 ms on CPU');
    expect(second.generates).toEqual([]);
    // No GPU backend was started only to be dropped: its uploads and compiles cost a load seconds.
    expect(second.made.map((m) => m.path)).toEqual(['CPU SIMD']);
  });

  it('a cached GPU choice starts that backend and times nothing; an unknown plan key falls back to the late lookup', async () => {
    const cache = memoryCache();
    await selectBackend(await testModel(), harness({ f16: 2, f32: 5, cpu: 9 }).options({ pathCache: cache }));
    const second = harness({ f16: 100, f32: 100, cpu: 1 });
    const { path } = await selectBackend(await testModel(), second.options({ pathCache: cache }));
    expect(path).toMatchObject({ chosen: 'WebGPU f16', how: 'cached' });
    expect(second.generates).toEqual([]);
    expect(second.alive()).toEqual(['WebGPU f16']);

    const cpuCache = memoryCache();
    await selectBackend(await testModel(), harness({ f16: 40, f32: 30, cpu: 8 }).options({ pathCache: cpuCache }));
    const noKey = harness({ f16: 1, f32: 1, cpu: 100 });
    const late = await selectBackend(await testModel(), noKey.options({ pathCache: cpuCache, planKey: async () => undefined }));
    expect(late.path).toMatchObject({ chosen: 'CPU', how: 'cached' });
    expect(noKey.generates).toEqual([]);
    expect(noKey.alive()).toEqual(['CPU']);
  });

  it('a GPU that stops answering during the probe is not chosen, and says why', async () => {
    // The timeout is real time and holds every path's probe: long enough for the healthy ones on a loaded machine.
    const h = harness({ f16: 1, f32: 6, cpu: 8, hang: 'f16', timeoutMs: 2000 });
    const { backend, path } = await selectBackend(await testModel(), h.options());
    expect(backend.description).toBe('WebGPU f32');
    expect(path.measurements[0]).toMatchObject({ path: 'WebGPU f16', skipped: 'failed: a probe request did not finish in 2 s' });
    expect(h.made.find((m) => m.path === 'WebGPU f16')!.disposed).toBe(true);
  });

  it('a model too large for an f32 copy is timed only in its own format', async () => {
    const model = await testModel();
    const huge = { ...model, config: { ...model.config, numLayers: 4000 } };
    const h = harness({ f16: 40, f32: 1, cpu: 1 }, model);
    const { path } = await selectBackend(huge, h.options());
    expect(path.chosen).toBe('WebGPU f16');
    expect(path.measurements.slice(1).map((m) => m.skipped)).toEqual([expect.stringMatching(/f32 weights would take \d+ MiB \(over 256 MiB\)/), expect.stringMatching(/f32 weights/), expect.stringMatching(/f32 weights/)]);
    expect(PATH_PROBE.maxF32WeightBytes).toBe(256 * 2 ** 20);
  });

  it('with Quantize on load no CPU path is a candidate (it would run the float weights)', async () => {
    const h = harness({ f16: 40, f32: 1, cpu: 1, simd: 1 });
    const { backend, path } = await selectBackend(await testModel(), h.options({ gpuOptions: { quantizeFloats: 'q8_0' } }));
    expect(backend.kind).toBe('webgpu');
    const quantized = 'Quantize on load (q8_0) applies to the GPU only';
    expect(path.measurements.map((m) => [m.path, m.skipped])).toEqual([['WebGPU f16', undefined], ['CPU SIMD', quantized], ['CPU', quantized]]);
  });

  it('a newer load aborts the timing: every backend made so far is disposed', async () => {
    const h = harness({ f16: 2, f32: 5, cpu: 9 });
    const controller = new AbortController();
    const options = h.options({ signal: controller.signal, cpuFactory: () => { controller.abort(new Error('superseded')); throw new Error('never made'); } });
    await expect(selectBackend(await testModel(), options)).rejects.toThrow();
    expect(h.alive()).toEqual([]);
  });

  it('the settings can ask for a path: nothing is timed', async () => {
    const h = harness({ f16: 40, f32: 30, cpu: 8 });
    const gpu = await selectBackend(await testModel(), h.options({ preference: 'webgpu' }));
    expect(gpu.path).toMatchObject({ chosen: 'WebGPU f16', how: 'requested' });
    const cpu = await selectBackend(await testModel(), h.options({ preference: 'cpu' }));
    expect(cpu.path).toMatchObject({ chosen: 'CPU', how: 'requested' });
    expect(h.generates).toEqual([]);
  });
});
