// The model cache through the engine's protocol: a remote model downloads into the cache, a second
// engine loads it with every network request failing, cancelLoad keeps the working model and the
// partial download (which the next load resumes), and the cache manager lists and deletes.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InProcessWorker } from '../../testing/fake-worker.ts';
import { FixtureHub } from '../../testing/fixture-hub.ts';
import { makeTestGguf } from '../../testing/gguf-test-model.ts';
import { MemoryChunkStore } from '../../testing/memory-chunk-store.ts';
import { until } from '../../testing/poll.ts';
import { DisposableStore } from '../../util/disposable.ts';
import { EngineClient } from '../api/client.ts';
import type { LoadProgressEvent } from '../api/protocol.ts';

const disposables = new DisposableStore();
afterEach(() => disposables.clear());

const big = makeTestGguf({ seed: 11, vocabPadding: 2000 });
const generate = { prompt: { kind: 'plain' as const, text: 'def f(x):\n    return' }, maxNewTokens: 4 };
const fixture = { hub: undefined as FixtureHub | undefined };
beforeAll(async () => { fixture.hub = await FixtureHub.start({ 'org/cached': { main: { 'm.gguf': big.gguf } } }); });
afterAll(() => fixture.hub?.dispose());

const hubOf = () => fixture.hub!;
const engineOn = (store: MemoryChunkStore) => disposables.add(new EngineClient(new InProcessWorker({ hasWebGpu: false }, async () => store)));
const load = (engine: EngineClient) => engine.load('org/cached', { source: 'org/cached', hubEndpoint: hubOf().url, backend: 'cpu' });

describe('the model cache through the engine', () => {
  it('downloads with speed and progress; a reload with the network failing loads from the cache', async () => {
    const store = new MemoryChunkStore();
    const first = engineOn(store);
    const progress: LoadProgressEvent[] = [];
    disposables.add(first.onLoadProgress((p) => progress.push(p)));
    await load(first);
    const expected = (await first.generate(generate).done).tokens;
    expect(progress.some((p) => p.fromCache === false && p.bytesPerSecond !== undefined && p.loadedBytes === big.gguf.byteLength)).toBe(true);

    hubOf().clearRequests();
    const offline = engineOn(store);
    await load(offline);
    expect(hubOf().requests).toEqual([]);
    expect((await offline.generate(generate).done).tokens).toEqual(expected);
  });

  it('cancelLoad: the load rejects, the working model answers, the partial download stays and resumes', async () => {
    const store = new MemoryChunkStore();
    const engine = engineOn(store);
    await engine.load('memory', { files: { ...makeTestGguf().files }, backend: 'cpu' });
    const stallAt = Math.floor(big.gguf.byteLength / 2);
    hubOf().interruptNext(stallAt, 'stall');
    const progress: LoadProgressEvent[] = [];
    disposables.add(engine.onLoadProgress((p) => progress.push(p)));
    const loading = load(engine);
    // Progress is throttled, so the last event before the stall may not come: any downloaded byte will do.
    await until(() => progress.some((p) => p.fromCache === false && p.loadedBytes > 0), 'the download to start');
    const during = await engine.listCache();
    await expect(engine.deleteCached(during.models[0]!.key)).rejects.toThrow(/loading now; cancel its download first/);
    engine.cancelLoad();
    await expect(loading).rejects.toThrow(/cancelled; what it downloaded is kept.*the model loaded before stays in use/);
    expect((await engine.generate(generate).done).tokens.length).toBeGreaterThan(0);
    const listing = await engine.listCache();
    expect(listing.models).toEqual([expect.objectContaining({ source: 'org/cached', complete: false })]);
    expect(listing.models[0]!.bytes).toBeGreaterThan(0);

    hubOf().clearRequests();
    await load(engine);
    expect(hubOf().requests.filter((r) => r.url.includes('/resolve/') && r.status !== 0).at(-1))
      .toMatchObject({ range: `bytes=${listing.models[0]!.bytes}-`, status: 206 });
    const done = await engine.listCache();
    expect(done.models).toEqual([expect.objectContaining({ bytes: big.gguf.byteLength, complete: true })]);
    const after = await engine.deleteCached(done.models[0]!.key);
    expect(after.models).toEqual([]);
    await expect(engine.deleteCached(done.models[0]!.key)).rejects.toThrow(/no such cached model/);
  });

  it('a newer load stops a download in flight, and only the newer load answers', async () => {
    const engine = engineOn(new MemoryChunkStore());
    hubOf().interruptNext(1000, 'stall');
    const progress: LoadProgressEvent[] = [];
    disposables.add(engine.onLoadProgress((p) => progress.push(p)));
    const first = load(engine);
    await until(() => progress.some((p) => p.fromCache === false), 'the download to start');
    const second = engine.load('memory', { files: { ...makeTestGguf().files }, backend: 'cpu' });
    await expect(first).rejects.toThrow(/superseded by another load/);
    expect((await second).backend).toBe('cpu');
    expect((await engine.generate(generate).done).tokens.length).toBeGreaterThan(0);
  });
});
