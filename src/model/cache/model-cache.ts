// The model cache as the engine holds it: which store backs it (chosen by measurement, see
// ARCHITECTURE.md "The model cache"), and the cache manager's view: every cached source with its
// size, deleting one, and the origin's usage against its quota.
import { CACHE_CHUNK_BYTES } from '../limits.ts';
import { openCacheApiStore } from './cache-api-store.ts';
import type { ChunkStore, ChunkStoreKind } from './chunk-store.ts';
import { isSourceRecord, fileIdentity, SOURCE_PREFIX, type SourceRecord } from './cached-source.ts';
import { dropEntry, hashText, isFileEntry, recordOfFile } from './file-cache.ts';
import { openOpfsStore } from './opfs-store.ts';

const CACHE_NAME = 'spark-models-v1';

/**
 * The stores in order of preference: the faster one measured in this machine's Chromium first
 * (bench/cache-store.browser-bench.ts: the Cache API wrote 256 MiB in 1.15–1.33 s and read it in
 * 0.39–0.43 s, OPFS through a sync access handle in 1.33–1.50 s and 0.46–0.48 s), the other where
 * the first is unavailable.
 */
export const STORE_PREFERENCE: readonly ChunkStoreKind[] = ['cache-api', 'opfs'];

/** Opens the preferred store this context has; undefined where it has none (Node, a sandboxed frame). */
export async function openModelCacheStore(preference: readonly ChunkStoreKind[] = STORE_PREFERENCE): Promise<ChunkStore | undefined> {
  for (const kind of preference) {
    try {
      if (kind === 'opfs' && typeof navigator !== 'undefined' && typeof navigator.storage?.getDirectory === 'function') {
        return await openOpfsStore(CACHE_NAME, CACHE_CHUNK_BYTES);
      }
      if (kind === 'cache-api' && typeof caches !== 'undefined') return await openCacheApiStore(CACHE_NAME);
    } catch {
      // Unavailable here (a private window may refuse OPFS): the next one.
    }
  }
  return undefined;
}

/** One cached source as the cache manager lists it. */
export interface CachedModel {
  /** What deleteCachedModel takes. */
  key: string;
  /** The string it was loaded by, and where that resolved. */
  source: string;
  label: string;
  /** Bytes stored for it, and whether every file it downloaded is complete. */
  bytes: number;
  complete: boolean;
  savedAt: number;
}

export interface CacheListing {
  store: ChunkStoreKind | undefined;
  models: CachedModel[];
  /** navigator.storage.estimate(), where there is one. */
  usage?: number;
  quota?: number;
}

const fileNames = (record: SourceRecord) => (record.files ? record.files.map(([name]) => name) : [record.ggufFile ?? '']);
const entryIds = (record: SourceRecord) => new Set(fileNames(record).map((name) => hashText(fileIdentity(record, name))));

async function sourceRecords(store: ChunkStore): Promise<[string, SourceRecord][]> {
  const out: [string, SourceRecord][] = [];
  for (const name of await store.listRecords(SOURCE_PREFIX)) {
    const record = await store.getRecord(name);
    if (isSourceRecord(record)) out.push([name, record]);
  }
  return out;
}

export async function listCachedModels(store: ChunkStore | undefined): Promise<CacheListing> {
  const models: CachedModel[] = [];
  for (const [key, record] of store ? await sourceRecords(store) : []) {
    let bytes = 0;
    let complete = true;
    let any = false;
    for (const id of entryIds(record)) {
      const entry = await store!.getRecord(recordOfFile(id));
      if (!isFileEntry(entry)) continue;
      any = true;
      bytes += entry.storedBytes;
      complete &&= entry.complete;
    }
    models.push({ key, source: record.source, label: record.label, bytes, complete: any && complete, savedAt: record.savedAt });
  }
  const estimate = typeof navigator !== 'undefined' ? await navigator.storage?.estimate?.().catch(() => undefined) : undefined;
  return {
    store: store?.kind, models: models.sort((a, b) => b.savedAt - a.savedAt),
    ...(estimate?.usage !== undefined ? { usage: estimate.usage } : {}), ...(estimate?.quota !== undefined ? { quota: estimate.quota } : {}),
  };
}

/** Deletes a cached source and the files only it uses (two sources can name the same commit's files). */
export async function deleteCachedModel(store: ChunkStore, key: string): Promise<void> {
  const records = await sourceRecords(store);
  const target = records.find(([name]) => name === key)?.[1];
  if (!target) throw new Error('model cache: no such cached model (it was deleted already?)');
  const kept = new Set(records.filter(([name]) => name !== key).flatMap(([, r]) => [...entryIds(r)]));
  await store.deleteRecord(key);
  for (const id of entryIds(target)) {
    if (kept.has(id)) continue;
    const entry = await store.getRecord(recordOfFile(id));
    if (isFileEntry(entry)) await dropEntry(store, entry);
    else await store.drop(id);
  }
}
