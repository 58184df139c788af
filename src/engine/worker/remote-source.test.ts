// A remote model (hub id or URL) through the load message: the worker opens it with
// model-source.ts and loads it with progress, the same tokens as the files it was made from; a bad
// source fails with the reason and keeps the working model; the supervisor's restart loads it again;
// describeRemoteModel gives the size before anything downloads (only config.json and headers by range).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InProcessWorker } from '../../testing/fake-worker.ts';
import { FixtureHub } from '../../testing/fixture-hub.ts';
import { makeTestGguf } from '../../testing/gguf-test-model.ts';
import { until } from '../../testing/poll.ts';
import { DisposableStore } from '../../util/disposable.ts';
import { EngineClient } from '../api/client.ts';
import type { LoadProgressEvent, ReadyEvent } from '../api/protocol.ts';
import { SupervisedEngine } from '../api/supervisor.ts';
import { describeRemoteModel } from '../index.ts';

const store = new DisposableStore();
afterEach(() => store.clear());

const tiny = makeTestGguf();
const generate = { prompt: { kind: 'plain' as const, text: 'def f(x):\n    return' }, maxNewTokens: 6 };
const fixture = { hub: undefined as FixtureHub | undefined };
const hubUrl = () => fixture.hub!.url;

beforeAll(async () => {
  fixture.hub = await FixtureHub.start({
    'org/tiny-gguf': { main: { 'tiny.gguf': tiny.gguf, 'README.md': new TextEncoder().encode('hi') } },
    'org/tiny': { main: tiny.files },
  });
});
afterAll(() => fixture.hub?.dispose());

const client = () => store.add(new EngineClient(new InProcessWorker({ hasWebGpu: false })));

describe('load with a remote source', () => {
  it('a hub GGUF repo and a hub HF folder load with progress and give the same tokens as the files', async () => {
    const reference = client();
    await reference.load('memory', { files: { ...tiny.files }, backend: 'cpu' });
    const expected = (await reference.generate(generate).done).tokens;
    for (const source of ['org/tiny-gguf', 'org/tiny']) {
      const engine = client();
      const progress: LoadProgressEvent[] = [];
      store.add(engine.onLoadProgress((p) => progress.push(p)));
      await engine.load(source, { source, hubEndpoint: hubUrl(), backend: 'cpu' });
      expect(progress.some((p) => p.totalBytes !== undefined && p.loadedBytes === p.totalBytes)).toBe(true);
      expect((await engine.generate(generate).done).tokens).toEqual(expected);
    }
  });

  it('an unknown repo, a local path, an unreachable host: the reason, and the working model stays', async () => {
    const engine = client();
    await engine.load('org/tiny-gguf', { source: 'org/tiny-gguf', hubEndpoint: hubUrl(), backend: 'cpu' });
    await expect(engine.load('x', { source: 'org/missing', hubEndpoint: hubUrl(), backend: 'cpu' }))
      .rejects.toThrow(/org\/missing: repository not found on http:\/\/127\.0\.0\.1:\d+.*the model loaded before stays in use/);
    await expect(engine.load('x', { source: './models/m.gguf', backend: 'cpu' })).rejects.toThrow(/local path cannot be opened by name here/);
    await expect(engine.load('x', { source: 'org/tiny', hubEndpoint: 'http://127.0.0.1:9', backend: 'cpu' })).rejects.toThrow(/cannot reach the hub/);
    expect((await engine.generate(generate).done).tokens.length).toBeGreaterThan(0);
  });

  it('the supervisor loads it again after the worker crashes', async () => {
    const workers: InProcessWorker[] = [];
    const engine = store.add(new SupervisedEngine(() => {
      const worker = new InProcessWorker({ hasWebGpu: false });
      workers.push(worker);
      return new EngineClient(worker);
    }, { backoffMs: 5 }));
    const readies: ReadyEvent[] = [];
    store.add(engine.onReady((r) => readies.push(r)));
    await engine.load('org/tiny-gguf', { source: 'org/tiny-gguf', hubEndpoint: hubUrl(), backend: 'cpu' });
    const before = await engine.generate(generate).done;
    workers[0]!.crash('boom');
    await until(() => readies.some((r) => r.notice !== undefined), 'the ready after the restart');
    expect(workers[1]!.sent.find((m) => m.type === 'load')).toMatchObject({ source: 'org/tiny-gguf', hubEndpoint: hubUrl() });
    expect((await engine.generate(generate).done).tokens).toEqual(before.tokens);
  });
});

describe('describeRemoteModel', () => {
  it('says what a hub id resolves to and how much it downloads, having downloaded nothing', async () => {
    fixture.hub!.clearRequests();
    const gguf = await describeRemoteModel(' org/tiny-gguf ', { hubEndpoint: hubUrl() });
    expect(gguf).toMatchObject({ source: 'org/tiny-gguf', layout: 'gguf', ggufFile: 'tiny.gguf', bytes: tiny.gguf.byteLength });
    expect(gguf.label).toMatch(/^org\/tiny-gguf@[0-9a-f]{40}:tiny\.gguf$/);
    const folder = await describeRemoteModel('org/tiny', { hubEndpoint: hubUrl() });
    const weights = Object.entries(tiny.files).filter(([n]) => /\.(json|safetensors)$/.test(n)).reduce((s, [, b]) => s + b.byteLength, 0);
    expect(folder).toMatchObject({ layout: 'hf', bytes: weights });
    // Metadata only: config.json, and the weight files' headers by byte range.
    expect(fixture.hub!.requests.filter((r) => r.url.includes('/resolve/') && !r.url.endsWith('/config.json') && r.range === undefined)).toEqual([]);
  });

  it('a URL: its Content-Length from a HEAD; a missing file or a bad id: the reason', async () => {
    const sha = (await describeRemoteModel('org/tiny-gguf', { hubEndpoint: hubUrl() })).label.split('@')[1]!.split(':')[0]!;
    const url = `${hubUrl()}/org/tiny-gguf/resolve/${sha}/tiny.gguf`;
    expect(await describeRemoteModel(url)).toMatchObject({ source: url, layout: 'gguf', bytes: tiny.gguf.byteLength });
    await expect(describeRemoteModel(`${hubUrl()}/org/tiny-gguf/resolve/${sha}/other.gguf`)).rejects.toThrow(/other\.gguf: HTTP 404/);
    await expect(describeRemoteModel('not a model')).rejects.toThrow(/not a hub id org\/name/);
    await expect(describeRemoteModel('org/missing', { hubEndpoint: hubUrl() })).rejects.toThrow(/repository not found/);
  });
});
