// The workspace store in IndexedDB (idb-keyval's database and object store, so records written by
// earlier builds are found where they were). The compare-and-swap and the ring update each run
// inside one readwrite transaction: two tabs' saves are serialised by IndexedDB itself, and a
// read-check-write can never interleave with another tab's write.

import { createStore, type UseStore } from 'idb-keyval';
import { RECOVERY_KEY, addToRing, readRing } from './recovery.ts';
import { WORKSPACE_KEY, revisionOf, workspaceRecord, type SaveResult, type WorkspaceStore } from './workspace.ts';

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function committed(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = tx.onerror = () => reject(tx.error ?? new DOMException('the save was aborted', 'AbortError'));
  });
}

export function idbWorkspaceStore(
  keys = { workspace: WORKSPACE_KEY, recovery: RECOVERY_KEY },
  use: UseStore = createStore('keyval-store', 'keyval'),
): WorkspaceStore {
  return {
    load: () => use('readonly', (store) => request(store.get(keys.workspace))),
    save: (workspace, expected) => use('readwrite', async (store): Promise<SaveResult> => {
      const done = committed(store.transaction);
      const current = await request(store.get(keys.workspace));
      const stored = revisionOf(current);
      if (stored !== expected) {
        await done;
        return { ok: false, revision: stored, current };
      }
      // This runs in the get's success microtask, while the transaction is still active.
      store.put(workspaceRecord(workspace, expected + 1), keys.workspace);
      await done;
      return { ok: true, revision: expected + 1 };
    }),
    loadRecovery: () => use('readonly', (store) => request(store.get(keys.recovery))),
    addRecovery: (entries) => use('readwrite', async (store) => {
      const done = committed(store.transaction);
      let ring = readRing(await request(store.get(keys.recovery)));
      for (const entry of entries) ring = addToRing(ring, entry);
      store.put(ring, keys.recovery);
      await done;
    }),
  };
}
