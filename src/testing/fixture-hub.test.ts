// The fixture hub answers what @huggingface/hub asks, in the shapes it parses: if these pass, code
// that works against the fixture talks to huggingface.co the same way.
import { downloadFile, fileDownloadInfo, listFiles, modelInfo } from '@huggingface/hub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FixtureHub, parseRange } from './fixture-hub.ts';

const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
const main = { 'config.json': new TextEncoder().encode('{"a":1}'), 'model.safetensors': bytes(5000), 'sub/dir/notes.txt': bytes(10, 7) };
const v1 = { 'config.json': new TextEncoder().encode('{"a":2}'), 'model.gguf': bytes(3000, 3) };

describe('fixture hub', () => {
  let hub: FixtureHub;
  let shas: Record<string, string>;
  beforeAll(async () => {
    hub = await FixtureHub.start({}, { pageSize: 2 });
    shas = hub.addRepo('spark-test/tiny', { main, v1 });
  });
  afterAll(() => hub.dispose());
  const params = () => ({ repo: 'spark-test/tiny', hubUrl: hub.url });

  it('listens on loopback only', () => {
    expect(hub.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('listFiles: every file, recursively, over pages, with sizes and LFS hashes', async () => {
    const entries = [];
    for await (const e of listFiles({ ...params(), recursive: true })) entries.push(e);
    expect(entries.map((e) => [e.path, e.size])).toEqual([['config.json', 7], ['model.safetensors', 5000], ['sub/dir/notes.txt', 10]]);
    expect(entries[1]!.lfs?.oid).toMatch(/^[0-9a-f]{64}$/);
    expect(entries[0]!.lfs).toBeUndefined();
    expect(hub.requests.filter((r) => r.url.includes('/tree/')).length).toBe(2); // followed the Link header
    const top = [];
    for await (const e of listFiles({ ...params(), revision: 'v1' })) top.push(e.path);
    expect(top).toEqual(['config.json', 'model.gguf']);
    const shallow = [];
    for await (const e of listFiles({ ...params() })) shallow.push(`${e.type}:${e.path}`);
    expect(shallow).toEqual(['file:config.json', 'file:model.safetensors', 'directory:sub']);
  });

  it('modelInfo pins a branch to its commit; the commit works as a revision', async () => {
    const info = await modelInfo({ name: 'spark-test/tiny', hubUrl: hub.url, revision: 'v1', additionalFields: ['sha'] });
    expect(info.sha).toBe(shas['v1']);
    expect(info.name).toBe('spark-test/tiny');
    expect((await modelInfo({ name: 'spark-test/tiny', hubUrl: hub.url, additionalFields: ['sha'] })).sha).toBe(shas['main']);
    const blob = await downloadFile({ ...params(), path: 'config.json', revision: shas['v1']! });
    expect(await blob?.text()).toBe('{"a":2}');
  });

  it('fileDownloadInfo and downloadFile: size, ETag, whole files and ranges', async () => {
    const info = await fileDownloadInfo({ ...params(), path: 'model.safetensors' });
    expect(info?.size).toBe(5000);
    expect(info?.etag).toMatch(/^"[0-9a-f]{64}"$/);
    const blob = await downloadFile({ ...params(), path: 'model.safetensors' });
    expect(new Uint8Array(await blob!.arrayBuffer())).toEqual(main['model.safetensors']);
    expect(new Uint8Array(await blob!.slice(100, 110).arrayBuffer())).toEqual(main['model.safetensors'].subarray(100, 110));
    expect(await fileDownloadInfo({ ...params(), path: 'missing.bin' })).toBeNull();
  });

  it('resolve: Range → 206 + Content-Range, 416 past the end, HEAD without a body', async () => {
    const url = `${hub.url}/spark-test/tiny/resolve/main/model.safetensors`;
    const part = await fetch(url, { headers: { range: 'bytes=10-19' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 10-19/5000');
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(main['model.safetensors'].subarray(10, 20));
    const tail = await fetch(url, { headers: { range: 'bytes=4990-99999' } });
    expect(tail.headers.get('content-range')).toBe('bytes 4990-4999/5000');
    expect((await tail.arrayBuffer()).byteLength).toBe(10);
    const past = await fetch(url, { headers: { range: 'bytes=5000-5001' } });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe('bytes */5000');
    const head = await fetch(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('5000');
    expect(head.headers.get('etag')).toBeTruthy();
    expect(head.headers.get('x-repo-commit')).toBe(shas['main']);
  });

  it('unknown repo, revision and file: 404 with the hub error code', async () => {
    const code = async (path: string) => {
      const res = await fetch(hub.url + path);
      return [res.status, res.headers.get('x-error-code')];
    };
    expect(await code('/nobody/nothing/resolve/main/config.json')).toEqual([404, 'RepoNotFound']);
    expect(await code('/spark-test/tiny/resolve/v9/config.json')).toEqual([404, 'RevisionNotFound']);
    expect(await code('/spark-test/tiny/resolve/main/nope.json')).toEqual([404, 'EntryNotFound']);
    expect(await code('/api/models/spark-test/tiny/revision/v9')).toEqual([404, 'RevisionNotFound']);
    expect((await fetch(`${hub.url}/spark-test/tiny/resolve/main/config.json`, { method: 'POST', body: 'x' })).status).toBe(405);
    await expect(modelInfo({ name: 'nobody/nothing', hubUrl: hub.url })).rejects.toThrow(/Repository not found/);
  });

  it('parseRange follows RFC 9110 for single ranges', () => {
    expect(parseRange(undefined, 10)).toBeUndefined();
    expect(parseRange('bytes=0-0', 10)).toEqual([0, 1]);
    expect(parseRange('bytes=5-', 10)).toEqual([5, 10]);
    expect(parseRange('bytes=-3', 10)).toEqual([7, 10]);
    expect(parseRange('bytes=-30', 10)).toEqual([0, 10]);
    expect(parseRange('bytes=10-12', 10)).toBe('unsatisfiable');
    expect(parseRange('bytes=0-1,4-5', 10)).toBeUndefined(); // several ranges: the whole file
    expect(parseRange('items=0-1', 10)).toBeUndefined();
    expect(parseRange('bytes=5-2', 10)).toBeUndefined();
  });

  it('dispose closes the server', async () => {
    const other = await FixtureHub.start({ 'a/b': { main } });
    await other.dispose();
    await other.dispose(); // twice is fine
    await expect(fetch(`${other.url}/a/b/resolve/main/config.json`)).rejects.toThrow();
  });
});
