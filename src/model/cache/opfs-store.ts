// OPFS (the origin private file system) as a chunk store: one file per entry, chunk i at byte
// i × chunkBytes, and one small JSON file per record. In a Worker the entry files are written and
// read through a sync access handle (no copy through a stream, no promise per call), kept open
// while the store is; where there is none (a page) through createWritable and File.slice.
import { checkName, type ChunkStore } from './chunk-store.ts';

interface SyncHandle {
  read(buffer: Uint8Array, options: { at: number }): number;
  write(buffer: Uint8Array, options: { at: number }): number;
  flush(): void;
  close(): void;
}
type SyncCapable = FileSystemFileHandle & { createSyncAccessHandle?: () => Promise<SyncHandle> };

const isNotFound = (err: unknown) => (err as { name?: unknown } | null)?.name === 'NotFoundError';

export async function openOpfsStore(folder: string, chunkBytes: number): Promise<ChunkStore> {
  const root = await navigator.storage.getDirectory();
  const dir = await root.getDirectoryHandle(folder, { create: true });
  const records = await dir.getDirectoryHandle('records', { create: true });
  const chunks = await dir.getDirectoryHandle('entries', { create: true });
  /** Open sync handles by entry: a sync handle locks its file, so one per file, reused. */
  const handles = new Map<string, Promise<SyncHandle | undefined>>();

  const fileOf = (entry: string, create: boolean) => chunks.getFileHandle(`${checkName(entry)}.bin`, { create });
  const syncHandle = (entry: string, file: SyncCapable): Promise<SyncHandle | undefined> => {
    let handle = handles.get(entry);
    if (!handle) {
      handle = file.createSyncAccessHandle ? file.createSyncAccessHandle() : Promise.resolve(undefined);
      handles.set(entry, handle);
    }
    return handle;
  };
  const closeHandle = async (entry: string) => {
    const handle = handles.get(entry);
    handles.delete(entry);
    (await handle?.catch(() => undefined))?.close();
  };

  return {
    kind: 'opfs',
    async put(entry, index, bytes) {
      const file = await fileOf(entry, true);
      const sync = await syncHandle(entry, file);
      const at = index * chunkBytes;
      if (sync) {
        if (sync.write(bytes, { at }) !== bytes.byteLength) throw new Error(`OPFS: short write of chunk ${index}`);
        sync.flush();
        return;
      }
      const writable = await file.createWritable({ keepExistingData: true });
      await writable.write({ type: 'write', position: at, data: bytes as Uint8Array<ArrayBuffer> });
      await writable.close();
    },
    async get(entry, index, length) {
      let file: SyncCapable;
      try {
        file = await fileOf(entry, false);
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
      const at = index * chunkBytes;
      const sync = await syncHandle(entry, file);
      if (sync) {
        const out = new Uint8Array(length);
        return sync.read(out, { at }) === length ? out : undefined;
      }
      const blob = await file.getFile();
      if (blob.size < at + length) return undefined;
      return new Uint8Array(await blob.slice(at, at + length).arrayBuffer());
    },
    async drop(entry) {
      await closeHandle(entry);
      await chunks.removeEntry(`${checkName(entry)}.bin`).catch((err: unknown) => { if (!isNotFound(err)) throw err; });
    },
    async putRecord(name, value) {
      const writable = await (await records.getFileHandle(`${checkName(name)}.json`, { create: true })).createWritable();
      await writable.write(JSON.stringify(value));
      await writable.close();
    },
    async getRecord(name) {
      try {
        return JSON.parse(await (await (await records.getFileHandle(`${checkName(name)}.json`)).getFile()).text()) as unknown;
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    async deleteRecord(name) {
      await records.removeEntry(`${checkName(name)}.json`).catch((err: unknown) => { if (!isNotFound(err)) throw err; });
    },
    async listRecords(prefix) {
      const names: string[] = [];
      for await (const key of (records as unknown as { keys(): AsyncIterable<string> }).keys()) {
        if (key.endsWith('.json') && key.startsWith(prefix)) names.push(key.slice(0, -'.json'.length));
      }
      return names;
    },
    async close() {
      await Promise.all([...handles.keys()].map(closeHandle));
    },
  };
}
