// One model file in the cache: downloaded in chunks as its body arrives, resumed with a Range
// request after an interruption, verified whole against the hub's hash when it completes, and read
// back chunk by chunk, each chunk checked against the sha256 stored when it was written.
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { contentRange, type ByteRange } from '../model-source.ts';
import type { ChunkStore } from './chunk-store.ts';

/** What the cache knows of one file, stored as the record `file-<id>`. */
export interface FileEntry {
  v: 1;
  /** Hex sha256 of `identity`: the store's entry name. */
  id: string;
  /** Source and content: hub:<endpoint>/<repo>@<commit>/<path>#<sha256 or git oid>, or url:<url>. */
  identity: string;
  /** The file's size, when the listing or a response said. */
  size?: number;
  /** The server's ETag, which a resume must see again. */
  etag?: string;
  /** What the whole file must hash to: the hub's LFS sha256, or a git blob oid (sha1). */
  expect?: { sha256: string } | { gitOid: string };
  chunkBytes: number;
  /** Hex sha256 of each stored chunk (the last may be partial while incomplete). */
  chunks: string[];
  storedBytes: number;
  complete: boolean;
}

/** A cached chunk that does not hash to what was stored. */
export class CorruptChunkError extends Error {}

export const recordOfFile = (id: string) => `file-${id}`;
export const hashText = (text: string) => bytesToHex(sha256(utf8ToBytes(text)));

/** Hex sha256 of one chunk: WebCrypto where there is one (native speed), else the JS hash. */
async function chunkHash(bytes: Uint8Array): Promise<string> {
  if (globalThis.crypto?.subtle) return bytesToHex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)));
  return bytesToHex(sha256(bytes));
}

export function newEntry(identity: string, chunkBytes: number, known: Pick<FileEntry, 'size' | 'expect'>): FileEntry {
  return { v: 1, id: hashText(identity), identity, ...known, chunkBytes, chunks: [], storedBytes: 0, complete: false };
}

export function isFileEntry(value: unknown): value is FileEntry {
  const e = value as FileEntry | null;
  return typeof e === 'object' && e !== null && e.v === 1 && typeof e.id === 'string' && Array.isArray(e.chunks)
    && typeof e.storedBytes === 'number' && typeof e.chunkBytes === 'number';
}

const chunkLength = (entry: FileEntry, index: number) => Math.min(entry.chunkBytes, entry.storedBytes - index * entry.chunkBytes);

/** Chunk `index`, checked against its stored hash. */
export async function readChunk(store: ChunkStore, entry: FileEntry, index: number): Promise<Uint8Array> {
  const expected = entry.chunks[index];
  const bytes = expected === undefined ? undefined : await store.get(entry.id, index, chunkLength(entry, index));
  if (!bytes || (await chunkHash(bytes)) !== expected) {
    throw new CorruptChunkError(`chunk ${index} ${bytes ? 'does not match its sha256' : 'is missing'}`);
  }
  return bytes;
}

/** The last chunk a reader verified: the GGUF loader reads tensor after tensor, many per chunk. */
export interface ChunkMemo { entry?: FileEntry; index?: number; bytes?: Uint8Array }

/**
 * Bytes [start, end) of a complete entry, from the chunks that hold them. With a memo, a chunk read
 * (and hashed) for one range serves the next ranges in it too, so reading a file in order reads and
 * hashes each chunk once.
 */
export async function readEntryRange(store: ChunkStore, entry: FileEntry, range: ByteRange, memo?: ChunkMemo): Promise<Uint8Array> {
  const out = new Uint8Array(range.end - range.start);
  for (let i = Math.floor(range.start / entry.chunkBytes); i * entry.chunkBytes < range.end; i++) {
    let chunk = memo?.entry === entry && memo.index === i ? memo.bytes : undefined;
    if (!chunk) {
      chunk = await readChunk(store, entry, i);
      if (memo) Object.assign(memo, { entry, index: i, bytes: chunk });
    }
    const at = i * entry.chunkBytes;
    const from = Math.max(range.start, at);
    const to = Math.min(range.end, at + chunk.byteLength);
    out.set(chunk.subarray(from - at, to - at), from - range.start);
  }
  return out;
}

export async function dropEntry(store: ChunkStore, entry: FileEntry): Promise<void> {
  await store.deleteRecord(recordOfFile(entry.id));
  await store.drop(entry.id);
}

export interface DownloadOptions {
  /** Fetches the file from `start` on (an open-ended Range when start > 0). */
  fetchFrom: (start: number, signal?: AbortSignal) => Promise<Response>;
  signal?: AbortSignal;
  /** Bytes stored so far, and how many of them this call downloaded. */
  onProgress?: (storedBytes: number, totalBytes: number | undefined) => void;
  /** What the download is called in errors. */
  label: string;
}

/**
 * Downloads what `entry` lacks, appending chunks as the body arrives; returns the completed entry.
 * An interrupted or cancelled download keeps every byte it stored (a partial last chunk included),
 * so the next call resumes there with a Range request; a server that answers 200 to it, or a file
 * whose ETag or size changed, starts over. The finished file must hash to `entry.expect`.
 */
export async function downloadEntry(store: ChunkStore, start: FileEntry, options: DownloadOptions): Promise<FileEntry> {
  let entry = start;
  const restart = async () => {
    await store.drop(entry.id);
    entry = { ...entry, chunks: [], storedBytes: 0, complete: false };
    delete entry.etag;
  };
  // The whole-file hash covers the stored bytes too: read them back (checking each chunk as read).
  let whole = wholeHasher(entry);
  if (entry.storedBytes > 0) {
    try {
      for (let i = 0; i < entry.chunks.length; i++) whole?.update(await readChunk(store, entry, i));
    } catch (err) {
      if (!(err instanceof CorruptChunkError)) throw err;
      await restart();
      whole = wholeHasher(entry);
    }
  }
  const res = await options.fetchFrom(entry.storedBytes, options.signal);
  if (!res.ok) throw new Error(`${options.label}: HTTP ${res.status} ${res.statusText}`.trimEnd());
  const etag = res.headers.get('etag') ?? undefined;
  let total = entry.size;
  if (entry.storedBytes > 0) {
    const resumed = contentRange(res);
    const from = resumed ? resumed.start : -1;
    const size = resumed?.total;
    const changed = (entry.etag !== undefined && etag !== undefined && etag !== entry.etag) || (size !== undefined && total !== undefined && size !== total);
    if (from !== entry.storedBytes || changed) {
      // The server sent the whole file (no Range support), another range, or another file.
      await restart();
      whole = wholeHasher(entry);
      if (res.status === 206) {
        await res.body?.cancel();
        return downloadEntry(store, entry, options);
      }
    }
    total ??= size;
  }
  if (res.status === 200) {
    const length = res.headers.get('content-length');
    const identity = (res.headers.get('content-encoding') ?? 'identity') === 'identity';
    if (total === undefined && identity && length !== null && /^\d+$/.test(length)) total = Number(length);
  }
  entry = { ...entry, ...(etag !== undefined ? { etag } : {}), ...(total !== undefined ? { size: total } : {}) };
  await store.putRecord(recordOfFile(entry.id), entry);

  // The chunk being filled: on resume, the partial last chunk is read back and continued.
  let index = Math.floor(entry.storedBytes / entry.chunkBytes);
  let buffer = new Uint8Array(entry.chunkBytes);
  let fill = entry.storedBytes - index * entry.chunkBytes;
  if (fill > 0) buffer.set(await readChunk(store, entry, index));
  let flushed = fill; // bytes of the current chunk already stored
  const flush = async () => {
    if (fill === flushed) return;
    const bytes = buffer.subarray(0, fill);
    await store.put(entry.id, index, bytes);
    const chunks = entry.chunks.slice(0, index);
    chunks[index] = await chunkHash(bytes);
    entry = { ...entry, chunks, storedBytes: index * entry.chunkBytes + fill };
    await store.putRecord(recordOfFile(entry.id), entry);
    flushed = fill;
    if (fill === entry.chunkBytes) {
      index++;
      buffer = new Uint8Array(entry.chunkBytes);
      fill = flushed = 0;
    }
  };

  const reader = res.body?.getReader();
  try {
    options.onProgress?.(entry.storedBytes, total);
    let received = entry.storedBytes;
    for (;;) {
      const next = reader ? await reader.read() : { done: true as const, value: undefined };
      if (next.done) break;
      let piece = next.value;
      if (total !== undefined && received + piece.byteLength > total) throw new Error(`${options.label}: the server sent more than the file's ${total} bytes`);
      received += piece.byteLength;
      whole?.update(piece);
      while (piece.byteLength > 0) {
        const n = Math.min(piece.byteLength, entry.chunkBytes - fill);
        buffer.set(piece.subarray(0, n), fill);
        fill += n;
        piece = piece.subarray(n);
        if (fill === entry.chunkBytes) await flush();
      }
      options.onProgress?.(received, total);
    }
  } finally {
    // Interrupted, cancelled or done: what arrived is kept.
    await flush();
    reader?.releaseLock();
  }
  if (total !== undefined && entry.storedBytes !== total) {
    throw new Error(`${options.label}: the download stopped at ${entry.storedBytes} of ${total} bytes; loading it again resumes there`);
  }
  const digest = whole?.digest();
  const want = entry.expect && ('sha256' in entry.expect ? entry.expect.sha256 : entry.expect.gitOid);
  if (digest !== undefined && digest !== want) {
    await dropEntry(store, entry);
    throw new Error(`${options.label}: the downloaded file does not match the hub's hash (${want}); the download was discarded`);
  }
  entry = { ...entry, size: entry.storedBytes, complete: true };
  await store.putRecord(recordOfFile(entry.id), entry);
  return entry;
}

/** An incremental hash of the whole file matching `entry.expect`, or undefined when nothing is expected. */
function wholeHasher(entry: FileEntry): { update(bytes: Uint8Array): void; digest(): string } | undefined {
  if (!entry.expect) return undefined;
  if ('sha256' in entry.expect) {
    const h = sha256.create();
    return { update: (b) => void h.update(b), digest: () => bytesToHex(h.digest()) };
  }
  // A git blob id hashes a header with the size first, so it needs the size up front.
  if (entry.size === undefined) return undefined;
  const h = sha1.create().update(utf8ToBytes(`blob ${entry.size}\0`));
  return { update: (b) => void h.update(b), digest: () => bytesToHex(h.digest()) };
}
