// The model cache's chunk store in memory, for unit tests (Node has neither the Cache API nor
// OPFS). It can also damage a stored chunk, as a disk or a browser bug might.
import type { ChunkStore } from '../model/cache/chunk-store.ts';

export class MemoryChunkStore implements ChunkStore {
  readonly kind = 'memory' as const;
  readonly chunks = new Map<string, Uint8Array>();
  readonly records = new Map<string, string>();
  /** put() calls so far: a test checks what a resume wrote. */
  writes = 0;

  async put(entry: string, index: number, bytes: Uint8Array): Promise<void> {
    this.writes++;
    this.chunks.set(`${entry}/${index}`, bytes.slice());
  }

  async get(entry: string, index: number, length: number): Promise<Uint8Array | undefined> {
    const bytes = this.chunks.get(`${entry}/${index}`);
    return bytes && bytes.byteLength === length ? bytes.slice() : undefined;
  }

  async drop(entry: string): Promise<void> {
    for (const key of [...this.chunks.keys()]) if (key.startsWith(`${entry}/`)) this.chunks.delete(key);
  }

  async putRecord(name: string, value: unknown): Promise<void> {
    this.records.set(name, JSON.stringify(value));
  }

  async getRecord(name: string): Promise<unknown> {
    const text = this.records.get(name);
    return text === undefined ? undefined : JSON.parse(text) as unknown;
  }

  async deleteRecord(name: string): Promise<void> {
    this.records.delete(name);
  }

  async listRecords(prefix: string): Promise<string[]> {
    return [...this.records.keys()].filter((n) => n.startsWith(prefix));
  }

  async close(): Promise<void> {}

  /** Flips one byte of the first stored chunk of any entry; returns its key. */
  corruptOneChunk(): string {
    const [key, bytes] = [...this.chunks].find(([, b]) => b.byteLength > 0) ?? [];
    if (!key || !bytes) throw new Error('memory store: no chunk to corrupt');
    bytes[0] = bytes[0]! ^ 0xff;
    return key;
  }
}
