// Where the model cache keeps its bytes: one interface over the Cache API, OPFS and (in tests) memory.
// A store holds numbered chunks per entry (one model file) and small JSON records (what each entry
// and each cached source is). It checks nothing: file-cache.ts hashes what it writes and reads.

/** Which store backs the cache (the cache manager shows it). */
export type ChunkStoreKind = 'cache-api' | 'opfs' | 'memory';

export interface ChunkStore {
  readonly kind: ChunkStoreKind;
  /** Writes chunk `index` of `entry` (replacing any chunk of that index). */
  put(entry: string, index: number, bytes: Uint8Array): Promise<void>;
  /** Chunk `index` of `entry`, `length` bytes long as written; undefined when absent. */
  get(entry: string, index: number, length: number): Promise<Uint8Array | undefined>;
  /** Deletes every chunk of `entry`. */
  drop(entry: string): Promise<void>;
  putRecord(name: string, value: unknown): Promise<void>;
  getRecord(name: string): Promise<unknown>;
  deleteRecord(name: string): Promise<void>;
  /** Names of the records starting with `prefix`. */
  listRecords(prefix: string): Promise<string[]>;
  /** Releases open handles (OPFS); the data stays. */
  close(): Promise<void>;
}

/** Entry and record names are lowercase hex and dashes, so every store can use them as file names. */
export function checkName(name: string): string {
  if (!/^[a-z0-9-]{1,128}$/.test(name)) throw new Error(`model cache: bad entry name ${JSON.stringify(name)}`);
  return name;
}
