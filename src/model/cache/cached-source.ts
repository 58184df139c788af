// A remote model (hub id or https .gguf URL) served from the model cache. The first load resolves
// the source (the hub's commit and listing) and stores that under the string the user gave, so a
// later load of the same string makes no network request at all; each file downloads into the
// cache the first time it is read (resuming a partial download), and is then read from the chunks:
// a byte range as a 206 of just that range, a whole file as a stream, chunk by chunk. A chunk that
// fails its hash is evicted with its file, which is fetched again, and `onNotice` says so.
import type { LoadProgress } from '../load.ts';
import { stallGuard } from '../stall-guard.ts';
import { hubEndpoint, hubFileUrl, openRemoteSource, rangeHeaders, parseModelSource, type ModelFileSource, type RemoteFileInfo, type RemoteSourceOptions } from '../model-source.ts';
import type { ChunkStore } from './chunk-store.ts';
import {
  CorruptChunkError, downloadEntry, dropEntry, hashText, isFileEntry, newEntry, readChunk, readEntryRange, recordOfFile, type ChunkMemo, type FileEntry,
} from './file-cache.ts';

/** What a source string resolved to, stored as the record `source-<hash>`. */
export interface SourceRecord {
  v: 1;
  /** The string the user gave (trimmed), and the hub it resolved against ('' for a URL). */
  source: string;
  endpoint: string;
  label: string;
  layout: 'hf' | 'gguf';
  ggufFile?: string;
  /** A hub repo at a commit, with its listing; or a URL. */
  repo?: string;
  commit?: string;
  files?: [string, RemoteFileInfo][];
  url?: string;
  savedAt: number;
}

export const SOURCE_PREFIX = 'source-';
export const sourceRecordName = (endpoint: string, source: string) => `${SOURCE_PREFIX}${hashText(`${endpoint}\n${source}`)}`;

/** The record a source string is cached under (what the cache manager's keys are); undefined for a string that is no remote source. */
export function cacheRecordName(text: string, endpoint?: string): string | undefined {
  try {
    const spec = parseModelSource(text.trim());
    if (spec.kind !== 'hub' && spec.kind !== 'url') return undefined;
    return sourceRecordName(spec.kind === 'hub' ? hubEndpoint(endpoint) : '', text.trim());
  } catch {
    return undefined;
  }
}

export function isSourceRecord(value: unknown): value is SourceRecord {
  const r = value as SourceRecord | null;
  return typeof r === 'object' && r !== null && r.v === 1 && typeof r.source === 'string' && typeof r.label === 'string'
    && (r.layout === 'hf' || r.layout === 'gguf') && (r.url !== undefined || (r.repo !== undefined && r.commit !== undefined && Array.isArray(r.files)));
}

/** Names of a record's files as the cache keys them (source and content). */
export function fileIdentity(record: SourceRecord, name: string): string {
  if (record.url !== undefined) return `url:${record.url}`;
  const info = new Map(record.files).get(name);
  return `hub:${record.endpoint}/${record.repo}@${record.commit}/${name}#${info?.sha256 ?? info?.oid ?? `size-${info?.size}`}`;
}

export interface CachedSourceOptions extends RemoteSourceOptions {
  store: ChunkStore;
  chunkBytes: number;
  onProgress?: (p: LoadProgress) => void;
  /** Things the user should hear about that do not fail the load (an evicted corrupt entry). */
  onNotice?: (text: string) => void;
}

/** Opens `text` (a hub id or URL) through the cache; a source stored before needs no network. */
export async function openCachedSource(text: string, options: CachedSourceOptions): Promise<ModelFileSource> {
  const source = text.trim();
  const spec = parseModelSource(source);
  if (spec.kind !== 'hub' && spec.kind !== 'url') return openRemoteSource(source, options); // refused there, with the reason
  const name = cacheRecordName(source, options.endpoint)!;
  const stored = await options.store.getRecord(name);
  let record: SourceRecord;
  if (isSourceRecord(stored)) {
    record = stored;
  } else {
    const remote = await openRemoteSource(source, options);
    record = {
      v: 1, source, endpoint: spec.kind === 'hub' ? hubEndpoint(options.endpoint) : '', label: remote.label, layout: remote.layout, savedAt: Date.now(),
      ...(remote.ggufFile !== undefined ? { ggufFile: remote.ggufFile } : {}),
      ...(spec.kind === 'hub' ? { repo: spec.repo, commit: remote.commit!, files: [...remote.files ?? []] } : { url: spec.url }),
    };
    await options.store.putRecord(name, record);
  }
  return cachedSource(record, options);
}

const notFound = () => new Response(null, { status: 404, statusText: 'Not Found' });

function cachedSource(record: SourceRecord, options: CachedSourceOptions): ModelFileSource {
  const { store, chunkBytes } = options;
  const fetchImpl = stallGuard(options.fetch ?? globalThis.fetch);
  const files = record.files ? new Map(record.files) : undefined;
  const has = (name: string) => (files ? files.has(name) : name === record.ggufFile);
  const urlOf = (name: string) => record.url ?? hubFileUrl(record.endpoint, record.repo!, record.commit!, name);
  /** Each file's entry once complete, and the download in flight per file. */
  const ready = new Map<string, Promise<FileEntry>>();

  const download = async (name: string, signal?: AbortSignal): Promise<FileEntry> => {
    const identity = fileIdentity(record, name);
    const info = files?.get(name);
    const fresh = newEntry(identity, chunkBytes, {
      ...(info ? { size: info.size } : {}),
      ...(info?.sha256 !== undefined ? { expect: { sha256: info.sha256 } } : info?.oid !== undefined ? { expect: { gitOid: info.oid } } : {}),
    });
    const stored = await store.getRecord(recordOfFile(fresh.id));
    const usable = isFileEntry(stored) && stored.id === fresh.id && stored.chunkBytes === chunkBytes;
    if (!usable && stored !== undefined) await store.drop(fresh.id); // another chunk size: its chunks do not line up
    const entry = usable ? stored : fresh;
    if (entry.complete) {
      options.onProgress?.({ file: name, loadedBytes: entry.storedBytes, totalBytes: entry.storedBytes, fromCache: true });
      return entry;
    }
    const started = performance.now();
    const resumedAt = entry.storedBytes;
    return downloadEntry(store, entry, {
      label: `${record.label}: ${name}`,
      ...(signal ? { signal } : {}),
      // no-store: the file goes into our cache, not a second time into the browser's HTTP cache.
      fetchFrom: (start, s) => fetchImpl(urlOf(name), { signal: s ?? null, cache: 'no-store', headers: start > 0 ? rangeHeaders({ start, end: Infinity }) : {} }),
      onProgress: (loadedBytes, totalBytes) => {
        const seconds = (performance.now() - started) / 1000;
        const bytesPerSecond = seconds > 0 ? (loadedBytes - resumedAt) / seconds : 0;
        const etaSeconds = totalBytes !== undefined && bytesPerSecond > 0 ? (totalBytes - loadedBytes) / bytesPerSecond : undefined;
        options.onProgress?.({
          file: name, loadedBytes, fromCache: false, bytesPerSecond,
          ...(totalBytes !== undefined ? { totalBytes } : {}), ...(etaSeconds !== undefined ? { etaSeconds } : {}),
        });
      },
    });
  };
  const ensure = (name: string, signal?: AbortSignal): Promise<FileEntry> => {
    let entry = ready.get(name);
    if (!entry) {
      entry = download(name, signal);
      ready.set(name, entry);
      entry.catch(() => ready.delete(name));
    }
    return entry;
  };
  /** Reads through `read`; a corrupt chunk evicts the file, which is fetched again and read once more. */
  const verified = async <T>(name: string, signal: AbortSignal | undefined, read: (entry: FileEntry) => Promise<T>): Promise<T> => {
    const entry = await ensure(name, signal);
    try {
      return await read(entry);
    } catch (err) {
      if (!(err instanceof CorruptChunkError)) throw err;
      options.onNotice?.(`${record.label}: ${name}: the cached copy was damaged (${err.message}); it was evicted and downloaded again`);
      ready.delete(name);
      await dropEntry(store, entry);
      const again = await ensure(name, signal);
      if (again.storedBytes !== entry.storedBytes) throw new Error(`${record.label}: ${name}: the file changed size on the server while it was read`, { cause: err });
      return read(again);
    }
  };

  const memos = new Map<string, ChunkMemo>();
  return {
    label: record.label,
    layout: record.layout,
    ...(record.ggufFile !== undefined ? { ggufFile: record.ggufFile } : {}),
    ...(files ? { files } : {}),
    ...(record.commit !== undefined ? { commit: record.commit } : {}),
    async fetch(name, request = {}) {
      const { signal, range } = request;
      signal?.throwIfAborted();
      if (!has(name)) return notFound();
      const size = (await ensure(name, signal)).storedBytes;
      if (range) {
        if (range.start >= size) return new Response(null, { status: 416, headers: { 'content-range': `bytes */${size}` } });
        const r = { start: range.start, end: Math.min(range.end, size) };
        const memo = memos.get(name) ?? {};
        memos.set(name, memo);
        const bytes = await verified(name, signal, (entry) => readEntryRange(store, entry, r, memo));
        return new Response(bytes as Uint8Array<ArrayBuffer>, {
          status: 206, headers: { 'content-range': `bytes ${r.start}-${r.end - 1}/${size}`, 'content-length': String(bytes.byteLength) },
        });
      }
      let index = 0;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (index * chunkBytes >= size) { controller.close(); return; }
          signal?.throwIfAborted();
          controller.enqueue(await verified(name, signal, (entry) => readChunk(store, entry, index)));
          index++;
        },
      });
      return new Response(body as ReadableStream<Uint8Array<ArrayBuffer>>, { status: 200, headers: { 'content-length': String(size) } });
    },
  };
}
