// The model cache over the fixture hub: downloads land in chunks, resume with a Range request,
// are checked on every read, and a cached source loads with no network at all.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FixtureHub } from '../../testing/fixture-hub.ts';
import { makeTestGguf } from '../../testing/gguf-test-model.ts';
import { MemoryChunkStore } from '../../testing/memory-chunk-store.ts';
import { makeTestModelFiles } from '../../testing/test-model.ts';
import { loadGguf } from '../gguf.ts';
import { loadModel, type LoadedModel, type LoadProgress } from '../load.ts';
import { memoryFetcher } from '../model-files.ts';
import { loadModelFrom, readRange } from '../model-source.ts';
import { openCachedSource } from './cached-source.ts';
import { isFileEntry } from './file-cache.ts';
import { deleteCachedModel, listCachedModels } from './model-cache.ts';

const CHUNK = 4096;
const gguf = makeTestGguf({ seed: 7 }).gguf;
const folder = makeTestModelFiles({ seed: 3 });

function expectSameWeights(a: LoadedModel, b: LoadedModel): void {
  expect([...a.weights.keys()].sort()).toEqual([...b.weights.keys()].sort());
  for (const [name, t] of b.weights) expect(Buffer.from(a.weights.get(name)!.bytes).equals(Buffer.from(t.bytes)), name).toBe(true);
}

const offline: typeof fetch = () => Promise.reject(new Error('offline: no network request may be made'));

describe('the model cache', () => {
  let hub: FixtureHub;
  let store: MemoryChunkStore;
  beforeAll(async () => {
    hub = await FixtureHub.start({
      'cache-test/gguf': { main: { 'model.gguf': gguf } },
      'cache-test/folder': { main: folder },
    });
  });
  afterAll(() => hub.dispose());
  beforeEach(() => {
    store = new MemoryChunkStore();
    hub.clearRequests();
    hub.acceptRanges = true;
  });
  const open = (source: string, extra: Partial<Parameters<typeof openCachedSource>[1]> = {}) =>
    openCachedSource(source, { store, chunkBytes: CHUNK, endpoint: hub.url, ...extra });
  const resolves = () => hub.requests.filter((r) => r.url.includes('/resolve/'));
  const storedEntry = async () => {
    const names = await store.listRecords('file-');
    const entries = await Promise.all(names.map((n) => store.getRecord(n)));
    return entries.filter(isFileEntry);
  };

  it('downloads into chunks with progress, then reloads from the cache with no network request', async () => {
    expect(gguf.byteLength).toBeGreaterThan(4 * CHUNK);
    const progress: LoadProgress[] = [];
    const model = await loadModelFrom(await open('cache-test/gguf', { onProgress: (p) => progress.push(p) }));
    expectSameWeights(model, await loadGguf(gguf, { fileName: 'model.gguf' }));
    const last = progress.filter((p) => p.fromCache === false).at(-1)!;
    expect(last).toMatchObject({ file: 'model.gguf', loadedBytes: gguf.byteLength, totalBytes: gguf.byteLength });
    expect(last.bytesPerSecond).toBeGreaterThan(0);
    expect(store.chunks.size).toBe(Math.ceil(gguf.byteLength / CHUNK));

    const seen: LoadProgress[] = [];
    const again = await loadModelFrom(await open('cache-test/gguf', { fetch: offline, onProgress: (p) => seen.push(p) }));
    expectSameWeights(again, model);
    expect(seen[0]).toMatchObject({ file: 'model.gguf', fromCache: true, loadedBytes: gguf.byteLength });
  });

  it('an HF folder: every file it reads is cached (git oids checked), and reloads offline', async () => {
    const model = await loadModelFrom(await open('cache-test/folder'));
    expectSameWeights(model, await loadModel(memoryFetcher(folder)));
    expectSameWeights(await loadModelFrom(await open('cache-test/folder', { fetch: offline })), model);
  });

  it('serves a byte range as a 206 of just that range, read from the chunks', async () => {
    const source = await open('cache-test/gguf');
    const range = { start: CHUNK - 10, end: 2 * CHUNK + 10 };
    const res = await source.fetch('model.gguf', { range });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes ${range.start}-${range.end - 1}/${gguf.byteLength}`);
    expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(gguf.subarray(range.start, range.end)))).toBe(true);
    expect(Buffer.from(await readRange(source, 'model.gguf', { start: 0, end: 8 })).equals(Buffer.from(gguf.subarray(0, 8)))).toBe(true);
    expect((await source.fetch('absent.json')).status).toBe(404);
  });

  it('an interrupted download resumes with a Range request from what was stored', async () => {
    const cutAt = 2 * CHUNK + 100;
    hub.interruptNext(cutAt, 'cut');
    await expect(loadModelFrom(await open('cache-test/gguf'))).rejects.toThrow();
    const [partial] = await storedEntry();
    expect(partial).toMatchObject({ complete: false, storedBytes: cutAt }); // the partial last chunk is kept too
    hub.clearRequests();
    const model = await loadModelFrom(await open('cache-test/gguf'));
    expectSameWeights(model, await loadGguf(gguf, { fileName: 'model.gguf' }));
    expect(resolves()).toEqual([expect.objectContaining({ range: `bytes=${cutAt}-`, status: 206 })]);
  });

  it('a server that ignores Range: the download starts over, and is still right', async () => {
    hub.interruptNext(CHUNK + 1, 'cut');
    await expect(loadModelFrom(await open('cache-test/gguf'))).rejects.toThrow();
    hub.acceptRanges = false;
    hub.clearRequests();
    expectSameWeights(await loadModelFrom(await open('cache-test/gguf')), await loadGguf(gguf, { fileName: 'model.gguf' }));
    expect(resolves()).toEqual([expect.objectContaining({ range: `bytes=${CHUNK + 1}-`, status: 200 })]);
  });

  it('a corrupted chunk is detected on load, evicted, fetched again, and said', async () => {
    await loadModelFrom(await open('cache-test/gguf'));
    store.corruptOneChunk();
    hub.clearRequests();
    const notices: string[] = [];
    const model = await loadModelFrom(await open('cache-test/gguf', { onNotice: (n) => notices.push(n) }));
    expectSameWeights(model, await loadGguf(gguf, { fileName: 'model.gguf' }));
    expect(notices).toEqual([expect.stringMatching(/model\.gguf: the cached copy was damaged \(chunk \d+ does not match its sha256\); it was evicted and downloaded again/)]);
    expect(resolves()).toEqual([expect.objectContaining({ status: 200 })]);
    // Healthy again: the next load is offline.
    await loadModelFrom(await open('cache-test/gguf', { fetch: offline }));
  });

  it('cancel keeps the partial download, and the next load resumes it', async () => {
    const stallAt = 3 * CHUNK;
    hub.interruptNext(stallAt, 'stall');
    const controller = new AbortController();
    const source = await open('cache-test/gguf', {
      onProgress: (p) => { if (p.fromCache === false && p.loadedBytes >= stallAt) controller.abort(new Error('cancelled by the user')); },
    });
    await expect(loadModelFrom(source, { signal: controller.signal })).rejects.toThrow(/cancelled by the user/);
    expect((await storedEntry())[0]).toMatchObject({ complete: false, storedBytes: stallAt });
    await expect.poll(() => resolves().length).toBe(1); // the stalled response is logged once its connection closes
    hub.clearRequests();
    await loadModelFrom(await open('cache-test/gguf'));
    expect(resolves()).toEqual([expect.objectContaining({ range: `bytes=${stallAt}-`, status: 206 })]);
  });

  it('the cache manager lists each source with its size, and deletes it', async () => {
    await loadModelFrom(await open('cache-test/gguf'));
    const listing = await listCachedModels(store);
    expect(listing.store).toBe('memory');
    expect(listing.models).toEqual([expect.objectContaining({ source: 'cache-test/gguf', bytes: gguf.byteLength, complete: true })]);
    await deleteCachedModel(store, listing.models[0]!.key);
    expect((await listCachedModels(store)).models).toEqual([]);
    expect(store.chunks.size).toBe(0);
    expect(store.records.size).toBe(0);
  });
});
