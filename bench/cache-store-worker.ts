// The model cache's two stores timed where the cache runs, in a dedicated Worker: write then read
// back `totalBytes` in CACHE_CHUNK_BYTES chunks through each ChunkStore, and post the seconds.
// Run by cache-store.browser-bench.ts (`npx vitest run --project cache-bench`).
import { sha256 } from '@noble/hashes/sha2.js';
import { openCacheApiStore } from '../src/model/cache/cache-api-store.ts';
import type { ChunkStore } from '../src/model/cache/chunk-store.ts';
import { openOpfsStore } from '../src/model/cache/opfs-store.ts';
import { CACHE_CHUNK_BYTES } from '../src/model/limits.ts';

export interface StoreTiming { store: string; megabytes: number; writeSeconds: number; readSeconds: number }

async function time(store: ChunkStore, totalBytes: number): Promise<StoreTiming> {
  const chunks = Math.ceil(totalBytes / CACHE_CHUNK_BYTES);
  const data = new Uint8Array(CACHE_CHUNK_BYTES);
  for (let i = 0; i < data.length; i += 4096) data[i] = i & 0xff;
  await store.drop('bench');
  const t0 = performance.now();
  for (let i = 0; i < chunks; i++) {
    data[0] = i;
    await store.put('bench', i, data);
  }
  const t1 = performance.now();
  let check = 0;
  for (let i = 0; i < chunks; i++) check += (await store.get('bench', i, CACHE_CHUNK_BYTES))![0]!;
  const t2 = performance.now();
  if (check !== (chunks * (chunks - 1)) / 2) throw new Error(`${store.kind}: read back the wrong bytes`);
  await store.drop('bench');
  await store.close();
  return { store: store.kind, megabytes: (chunks * CACHE_CHUNK_BYTES) / 2 ** 20, writeSeconds: (t1 - t0) / 1000, readSeconds: (t2 - t1) / 1000 };
}

/** What verification costs: WebCrypto's one-shot SHA-256 (per chunk, on every read) and the incremental JS one (the whole file, while it downloads). */
async function timeHashes(totalBytes: number): Promise<StoreTiming[]> {
  const chunks = Math.ceil(totalBytes / CACHE_CHUNK_BYTES);
  const data = new Uint8Array(CACHE_CHUNK_BYTES).map((_, i) => i & 0xff);
  const t0 = performance.now();
  for (let i = 0; i < chunks; i++) await crypto.subtle.digest('SHA-256', data);
  const t1 = performance.now();
  const h = sha256.create();
  for (let i = 0; i < chunks; i++) h.update(data);
  h.digest();
  const t2 = performance.now();
  const megabytes = (chunks * CACHE_CHUNK_BYTES) / 2 ** 20;
  return [
    { store: 'sha256 WebCrypto per chunk', megabytes, writeSeconds: 0, readSeconds: (t1 - t0) / 1000 },
    { store: 'sha256 @noble/hashes incremental', megabytes, writeSeconds: 0, readSeconds: (t2 - t1) / 1000 },
  ];
}

self.addEventListener('message', (event: MessageEvent<{ totalBytes: number; rounds: number }>) => {
  void (async () => {
    const results: StoreTiming[] = [];
    try {
      for (let round = 0; round < event.data.rounds; round++) {
        results.push(await time(await openOpfsStore('spark-cache-bench', CACHE_CHUNK_BYTES), event.data.totalBytes));
        results.push(await time(await openCacheApiStore('spark-cache-bench'), event.data.totalBytes));
      }
      results.push(...await timeHashes(event.data.totalBytes));
      self.postMessage({ results });
    } catch (err) {
      self.postMessage({ error: err instanceof Error ? err.message : String(err) });
    }
  })();
});
