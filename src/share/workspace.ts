// The autosaved workspace: what the user was working on, kept in IndexedDB so a reload, a closed
// tab or a crashed tab comes back to it. The record carries a revision number: every save is a
// compare-and-swap on it, so a tab that read revision N never writes over revision N+1 written
// by another tab. Saving is debounced while typing, never postponed for more than half a second,
// flushed when the page is hidden or unloaded, and retried with backoff when it fails.

import { DEFAULT_LANGUAGE, isSupportedLanguage } from '../document/languages.ts';
import { settingsWithDefaults, type Settings } from '../settings.ts';
import type { Disposable } from '../util/disposable.ts';
import { collapsedSelection } from '../document/snapshot.ts';
import { selectionsToWire, validateSelections, type ShareState } from './share-state.ts';
import type { RecoveryEntry } from './recovery.ts';

export type Workspace = ShareState;

/** The stored revision before the first save (no record, or one from a build without revisions). */
export const NO_REVISION = 0;

export type SaveResult =
  | { ok: true; revision: number }
  /** The stored revision moved on: nothing was written; `current` is what is stored now. */
  | { ok: false; revision: number; current: unknown };

/** Where the workspace and the recovery ring live. The real one is IndexedDB; tests pass a double. */
export interface WorkspaceStore {
  /** The stored record as it is (undefined when there is none); rejects when it cannot be read. */
  load(): Promise<unknown>;
  /** Writes the workspace as revision expected+1 if the stored revision is still `expected`, in one transaction. */
  save(workspace: Workspace, expected: number): Promise<SaveResult>;
  /** The stored ring, newest first. */
  loadRecovery(): Promise<unknown>;
  /** Adds (or replaces, by id) entries in the ring, in one transaction. */
  addRecovery(entries: RecoveryEntry[]): Promise<void>;
}

/** The IndexedDB key; the suffix is the record's format version. */
export const WORKSPACE_KEY = 'spark.workspace.v1';

/** The stored record: selections as [anchorLine, anchorColumn, activeLine, activeColumn], like links. */
export function workspaceRecord(workspace: Workspace, revision = NO_REVISION + 1, savedAt = Date.now()) {
  return {
    text: workspace.text,
    language: workspace.language,
    selections: selectionsToWire(workspace.selections),
    settings: { ...workspace.settings },
    revision,
    savedAt,
  };
}

/** The record's revision; records written before revisions existed count as NO_REVISION. */
export function revisionOf(raw: unknown): number {
  if (typeof raw !== 'object' || raw === null) return NO_REVISION;
  const revision = (raw as Record<string, unknown>)['revision'];
  return typeof revision === 'number' && Number.isSafeInteger(revision) && revision > 0 ? revision : NO_REVISION;
}

/**
 * Reads a stored record leniently: it is our own data, possibly from an older build, so each bad
 * part falls back to a default instead of throwing the whole workspace away. A record without
 * any text is not a workspace (the caller decides whether that means "none" or "unreadable").
 */
export function readWorkspace(raw: unknown): Workspace | undefined {
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
  /** First wait before retrying a failed save; doubles per failure up to maxRetryMs. */
  retryMs?: number;
  maxRetryMs?: number;
  onSaved?: () => void;
  onError?: (error: unknown, retryInMs: number) => void;
}

/**
 * Debounced, serialised saver. `schedule()` on every change; `flush()` saves now if anything is
 * pending. What to write, and where, is the owner's: `prepare()` is called when a save starts and
 * returns the write (taken then, so it holds the latest text), or undefined for nothing to write.
 * A write that throws is retried after a backoff without waiting for the next change.
 */
export class WorkspaceSaver implements Disposable {
  private readonly debounceMs: number;
  private readonly maxWaitMs: number;
  private readonly retryMs: number;
  private readonly maxRetryMs: number;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private firstPendingAt: number | undefined;
  private failures = 0;
  private disposed = false;
  /** Saves run one after another so an older snapshot never lands after a newer one. */
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly prepare: () => (() => Promise<void>) | undefined,
    private readonly options: WorkspaceSaverOptions = {},
  ) {
    this.debounceMs = options.debounceMs ?? 300;
    this.maxWaitMs = options.maxWaitMs ?? 500;
    this.retryMs = options.retryMs ?? 1000;
    this.maxRetryMs = options.maxRetryMs ?? 30_000;
  }

  get hasPending(): boolean {
    return this.firstPendingAt !== undefined;
  }

  get failing(): boolean {
    return this.failures > 0;
  }

  schedule(): void {
    if (this.disposed) return;
    const now = Date.now();
    this.firstPendingAt ??= now;
    // While saves fail, keystrokes don't hammer the store: the retry timer already covers them.
    if (this.failures > 0 && this.timer !== undefined) return;
    this.clearTimer();
    const waited = now - this.firstPendingAt;
    const delay = Math.max(0, Math.min(this.debounceMs, this.maxWaitMs - waited));
    this.timer = setTimeout(() => void this.flush(), delay);
  }

  /** Saves now if a change is pending. Resolves when that save (and any before it) finished. */
  flush(): Promise<void> {
    this.clearTimer();
    if (this.firstPendingAt === undefined || this.disposed) return this.chain;
    this.firstPendingAt = undefined;
    return this.saveNow();
  }

  /** Saves unconditionally (a choice the user made, such as keeping a shared snippet). */
  saveNow(): Promise<void> {
    const write = this.prepare(); // taken now, not when the previous save finishes
    if (!write) return this.chain;
    this.chain = this.chain.then(async () => {
      try {
        await write();
        this.failures = 0;
        this.options.onSaved?.();
      } catch (err) {
        this.failures++;
        const wait = Math.min(this.maxRetryMs, this.retryMs * 2 ** (this.failures - 1));
        this.options.onError?.(err, wait);
        if (this.disposed) return;
        // The text that failed is still on screen: mark it pending and try again later.
        this.firstPendingAt ??= Date.now();
        this.clearTimer();
        this.timer = setTimeout(() => void this.flush(), wait);
      }
    });
    return this.chain;
  }

  /** Forgets what was pending (it belongs to a text that is no longer on screen). */
  drop(): void {
    this.clearTimer();
    this.firstPendingAt = undefined;
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  dispose(): void {
    if (this.disposed) return;
    this.clearTimer();
    this.disposed = true;
  }
}
