// The Cache API as a chunk store: one Response per chunk, under URLs of a private origin-less
// namespace (the Cache API keys on http(s) URLs; nothing is ever fetched from them).
import { checkName, type ChunkStore } from './chunk-store.ts';

const BASE = 'https://spark-model-cache.invalid/';
const chunkUrl = (entry: string, index: number) => `${BASE}chunk/${checkName(entry)}/${index}`;
const recordUrl = (name: string) => `${BASE}record/${checkName(name)}`;

export async function openCacheApiStore(cacheName: string): Promise<ChunkStore> {
  const cache = await caches.open(cacheName);
  const keysUnder = async (prefix: string) => (await cache.keys()).filter((req) => req.url.startsWith(prefix));
  return {
    kind: 'cache-api',
    async put(entry, index, bytes) {
      await cache.put(chunkUrl(entry, index), new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { 'content-length': String(bytes.byteLength) } }));
    },
    async get(entry, index, length) {
      const res = await cache.match(chunkUrl(entry, index));
      if (!res) return undefined;
      const bytes = new Uint8Array(await res.arrayBuffer());
      return bytes.byteLength === length ? bytes : undefined;
    },
    async drop(entry) {
      await Promise.all((await keysUnder(`${BASE}chunk/${checkName(entry)}/`)).map((req) => cache.delete(req)));
    },
    async putRecord(name, value) {
      await cache.put(recordUrl(name), new Response(JSON.stringify(value), { headers: { 'content-type': 'application/json' } }));
    },
    async getRecord(name) {
      const res = await cache.match(recordUrl(name));
      return res ? (await res.json() as unknown) : undefined;
    },
    async deleteRecord(name) {
      await cache.delete(recordUrl(name));
    },
    async listRecords(prefix) {
      const under = `${BASE}record/`;
      return (await keysUnder(under)).map((req) => req.url.slice(under.length)).filter((n) => n.startsWith(prefix));
    },
    async close() {},
  };
}
