// The model cache's two browser stores against one contract, in real Chromium (the gpu project is
// the browser project; no GPU is used): chunks by index with their length checked, drop, and JSON
// records listed by prefix. In a page OPFS has no sync access handle, so this runs its
// createWritable path; the Worker path is timed by bench/cache-store.browser-bench.ts.
import { describe, expect, it } from 'vitest';
import { openCacheApiStore } from './cache-api-store.ts';
import type { ChunkStore } from './chunk-store.ts';
import { openOpfsStore } from './opfs-store.ts';

const CHUNK = 1024;

describe.each([
  ['cache-api', () => openCacheApiStore('spark-store-contract')],
  ['opfs', () => openOpfsStore('spark-store-contract', CHUNK)],
] as const)('%s store', (kind, open) => {
  it('keeps chunks and records, and drops them', async () => {
    const store: ChunkStore = await open();
    expect(store.kind).toBe(kind);
    await store.drop('e1');
    const a = new Uint8Array(CHUNK).fill(7);
    const b = new Uint8Array(100).fill(9);
    await store.put('e1', 0, a);
    await store.put('e1', 1, b);
    expect(await store.get('e1', 0, CHUNK)).toEqual(a);
    expect(await store.get('e1', 1, 100)).toEqual(b);
    expect(await store.get('e1', 2, 100)).toBeUndefined();
    expect(await store.get('absent', 0, 10)).toBeUndefined();

    await store.putRecord('file-e1', { v: 1, n: 2 });
    await store.putRecord('source-x', { s: 'org/name' });
    expect(await store.getRecord('file-e1')).toEqual({ v: 1, n: 2 });
    expect((await store.listRecords('file-')).sort()).toEqual(['file-e1']);
    await store.deleteRecord('file-e1');
    await store.deleteRecord('source-x');
    expect(await store.getRecord('file-e1')).toBeUndefined();
    expect(await store.listRecords('')).toEqual([]);

    await store.drop('e1');
    expect(await store.get('e1', 0, CHUNK)).toBeUndefined();
    await expect(store.put('../x', 0, a)).rejects.toThrow(/bad entry name/);
    await store.close();
  });
});
