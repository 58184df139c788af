// Which store backs the model cache, measured: OPFS (a sync access handle in a Worker) against the
// Cache API (a Response per chunk), each writing and reading back 256 MiB in the cache's chunks,
// in real Chromium. Not part of `npm test`; run it with
//   flock /tmp/spark-browser.lock npx vitest run --project cache-bench
// and copy the printed table into ARCHITECTURE.md "The model cache".
import { expect, it } from 'vitest';
import type { StoreTiming } from './cache-store-worker.ts';

const TOTAL_BYTES = 256 << 20;
const ROUNDS = 3;

it('OPFS vs the Cache API: write and read 256 MiB in chunks, in a Worker', async () => {
  const worker = new Worker(new URL('./cache-store-worker.ts', import.meta.url), { type: 'module' });
  const reply = await new Promise<{ results?: StoreTiming[]; error?: string }>((resolve) => {
    worker.addEventListener('message', (e: MessageEvent<{ results?: StoreTiming[]; error?: string }>) => resolve(e.data));
    worker.addEventListener('error', (e) => resolve({ error: e.message }));
    worker.postMessage({ totalBytes: TOTAL_BYTES, rounds: ROUNDS });
  });
  worker.terminate();
  expect(reply.error).toBeUndefined();
  const rows = reply.results!;
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const lines = ['| store | MiB | write s (median of 3) | read s | write MB/s | read MB/s |', '|---|---|---|---|---|---|'];
  for (const store of ['opfs', 'cache-api']) {
    const mine = rows.filter((r) => r.store === store);
    const w = median(mine.map((r) => r.writeSeconds));
    const r = median(mine.map((x) => x.readSeconds));
    const mb = mine[0]!.megabytes * 1.048576;
    lines.push(`| ${store} | ${mine[0]!.megabytes} | ${w.toFixed(2)} | ${r.toFixed(2)} | ${(mb / w).toFixed(0)} | ${(mb / r).toFixed(0)} |`);
  }
  for (const hash of rows.filter((r) => r.store.startsWith('sha256'))) {
    lines.push(`| ${hash.store} | ${hash.megabytes} | | ${hash.readSeconds.toFixed(2)} | | ${(hash.megabytes * 1.048576 / hash.readSeconds).toFixed(0)} |`);
  }
  console.log(`cache store bench\n${lines.join('\n')}\nall rounds: ${JSON.stringify(rows)}`);
  expect(rows.length).toBe(2 * ROUNDS + 2);
});
