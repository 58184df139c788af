// The autosaved workspace: what the user was working on, kept in IndexedDB (idb-keyval) so a
// reload, a closed tab or a crashed tab comes back to it. Saving is debounced while typing, but
// never postponed for more than a second, and flushed when the page is hidden or unloaded.

import { get, set } from 'idb-keyval';
import { DEFAULT_LANGUAGE, isSupportedLanguage } from '../document/languages.ts';
import { settingsWithDefaults, type Settings } from '../settings.ts';
import type { Disposable } from '../util/disposable.ts';
import { collapsedSelection } from '../document/snapshot.ts';
import { selectionsToWire, validateSelections, type ShareState } from './share-state.ts';

export type Workspace = ShareState;

/** Where the workspace lives. The real one is IndexedDB; tests pass a double. */
export interface WorkspaceStore {
  load(): Promise<unknown>;
  save(workspace: Workspace): Promise<void>;
}

/** The IndexedDB key; the suffix is the record's format version. */
export const WORKSPACE_KEY = 'spark.workspace.v1';

/** The stored record: selections as [anchorLine, anchorColumn, activeLine, activeColumn], like links. */
export function workspaceRecord(workspace: Workspace, savedAt = Date.now()) {
  return {
    text: workspace.text,
    language: workspace.language,
    selections: selectionsToWire(workspace.selections),
    settings: { ...workspace.settings },
    savedAt,
  };
}

export function idbWorkspaceStore(key = WORKSPACE_KEY): WorkspaceStore {
  return {
    load: () => get(key),
    save: (workspace) => set(key, workspaceRecord(workspace)),
  };
}

/**
 * Reads a stored record leniently: it is our own data, possibly from an older build, so each bad
 * part falls back to a default instead of throwing the whole workspace away. Only a record
 * without any text is treated as no workspace.
 */
export function readWorkspace(raw: unknown): Workspace | undefined {
  // (Reads what workspaceRecord wrote.)
  if (typeof raw !== 'object' || raw === null) return undefined;
  const record = raw as Record<string, unknown>;
  if (typeof record['text'] !== 'string') return undefined;
  const text = record['text'];
  const language = isSupportedLanguage(record['language']) ? record['language'] : DEFAULT_LANGUAGE;
  const selections = validateSelections(record['selections'], text);
  const settings: Settings = settingsWithDefaults(record['settings']);
  return { text, language, selections: selections.ok ? selections.value : [collapsedSelection(1, 1)], settings };
}

export interface WorkspaceSaverOptions {
  /** Quiet time after the last change before saving. */
  debounceMs?: number;
  /** Longest a change may wait while changes keep coming (the "at most a second lost" promise). */
  maxWaitMs?: number;
  onSaved?: () => void;
  onError?: (error: unknown) => void;
}

/**
 * Debounced saver. `schedule()` on every change; `flush()` saves now if anything is pending.
 * While suspended (a shared link is open and the user hasn't chosen to keep it) changes are
 * not saved; `resume()` decides whether what's on screen becomes the workspace.
 */
export class WorkspaceSaver implements Disposable {
  private readonly debounceMs: number;
  private readonly maxWaitMs: number;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private firstPendingAt: number | undefined;
  private suspended = false;
  private disposed = false;
  /** Saves run one after another so an older snapshot never lands after a newer one. */
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: WorkspaceStore,
    private readonly snapshot: () => Workspace,
    private readonly options: WorkspaceSaverOptions = {},
  ) {
    this.debounceMs = options.debounceMs ?? 300;
    this.maxWaitMs = options.maxWaitMs ?? 1000;
  }

  get isSuspended(): boolean {
    return this.suspended;
  }

  get hasPending(): boolean {
    return this.firstPendingAt !== undefined;
  }

  schedule(): void {
    if (this.disposed || this.suspended) return;
    const now = Date.now();
    this.firstPendingAt ??= now;
    if (this.timer !== undefined) clearTimeout(this.timer);
    const waited = now - this.firstPendingAt;
    const delay = Math.max(0, Math.min(this.debounceMs, this.maxWaitMs - waited));
    this.timer = setTimeout(() => void this.flush(), delay);
  }

  /** Saves the current snapshot now if a change is pending. Resolves when it is stored. */
  flush(): Promise<void> {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.firstPendingAt === undefined || this.suspended) return this.chain;
    this.firstPendingAt = undefined;
    return this.saveNow();
  }

  /** Saves the current snapshot unconditionally (e.g. when the user keeps a shared snippet). */
  saveNow(): Promise<void> {
    const workspace = this.snapshot(); // taken now, not when the previous save finishes
    this.chain = this.chain.then(async () => {
      try {
        await this.store.save(workspace);
        this.options.onSaved?.();
      } catch (err) {
        this.options.onError?.(err);
      }
    });
    return this.chain;
  }

  /** Stops saving; pending changes are dropped (they belong to what is no longer the workspace). */
  suspend(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.firstPendingAt = undefined;
    this.suspended = true;
  }

  resume(): void {
    this.suspended = false;
  }

  dispose(): void {
    if (this.disposed) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.disposed = true;
  }
}
