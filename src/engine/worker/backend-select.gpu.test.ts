// The path cache on a real adapter: the key looked up before any GPU backend starts is the key the
// real GPU backend files its choice under, so a cached CPU choice starts no GPU backend at all.
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../model/load.ts';
import { memoryFetcher } from '../../model/model-files.ts';
import { makeTestModelFiles } from '../../testing/test-model.ts';
import { loadGpuBackendFactory, selectBackend, type CachedPath, type GpuBackendFactory, type PathCache } from './backend-select.ts';

describe('the path cache on this adapter', () => {
  it('a cached CPU choice is found before the GPU backend starts, under the key that backend stores it with', async () => {
    const model = await loadModel(memoryFetcher(makeTestModelFiles()));
    const entries = new Map<string, CachedPath>();
    const pathCache: PathCache = { get: async (k) => entries.get(k), set: async (k, v) => { entries.set(k, v); } };
    let started = 0;
    const gpuFactory = async (): Promise<GpuBackendFactory> => {
      const real = await loadGpuBackendFactory();
      return (m, o) => { started++; return real(m, o); };
    };
    const options = { preference: 'auto' as const, pathCache, gpuFactory, gpuOptions: { autotune: false, maxContext: 256 } };

    const first = await selectBackend(model, options);
    first.backend.dispose();
    expect(first.path.how).toBe('measured');
    expect(started).toBeGreaterThan(0);
    expect(entries.size).toBe(1);
    // Whichever path won here, say the CPU did (as on a software adapter).
    const [key, value] = [...entries][0]!;
    entries.set(key, { ...value, chosen: 'CPU' });

    started = 0;
    const second = await selectBackend(model, options);
    second.backend.dispose();
    expect(second.path).toMatchObject({ chosen: 'CPU', how: 'cached' });
    expect(second.backend.kind).toBe('cpu');
    expect(started).toBe(0);
  });
});
