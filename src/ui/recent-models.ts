// The models used recently, for the "Model…" picker: hub ids and URLs (reopened through the same
// size-and-fit confirmation), and local files by name only (a page cannot reopen a file without the
// user picking it). Newest first, at most MAX_RECENT_MODELS, in localStorage. What is read back is
// checked entry by entry: an entry that is not what this code writes is dropped, never trusted.

import type { ModelChoice } from '../editor/assistant.ts';
import { MAX_MODEL_SOURCE_CHARS } from '../model/source-spec.ts';
import type { RunningModel } from '../share/session-ui.ts';

/** How many models the list keeps. */
export const MAX_RECENT_MODELS = 8;
const STORAGE_KEY = 'spark.models.recent.v1';
/** Longest file name kept (file systems allow 255 bytes). */
const MAX_FILE_NAME_CHARS = 255;

export type RecentModel =
  /** `source` is what a load fetches (org/name@<commit>[:file], or the URL); `name` what the user typed. */
  | { kind: 'remote'; source: string; name: string; bytes?: number; usedAt: number }
  | { kind: 'file'; name: string; bytes?: number; usedAt: number };

export const recentKey = (m: RecentModel): string => (m.kind === 'remote' ? `remote:${m.source}` : `file:${m.name}`);

type Store = Pick<Storage, 'getItem' | 'setItem'>;

export class RecentModels {
  constructor(private readonly storage: Store, private readonly now: () => number = Date.now) {}

  /** The valid entries, newest first. Storage that cannot be read gives an empty list. */
  list(): RecentModel[] {
    let raw: unknown;
    try {
      raw = JSON.parse(this.storage.getItem(STORAGE_KEY) ?? '[]');
    } catch {
      return [];
    }
    if (!Array.isArray(raw)) return [];
    const seen = new Set<string>();
    const valid: RecentModel[] = [];
    for (const item of raw.slice(0, 4 * MAX_RECENT_MODELS)) {
      const entry = readEntry(item);
      if (!entry || seen.has(recentKey(entry))) continue;
      seen.add(recentKey(entry));
      valid.push(entry);
    }
    return valid.sort((a, b) => b.usedAt - a.usedAt).slice(0, MAX_RECENT_MODELS);
  }

  /** Records a model as used now. */
  add(entry: Omit<RemoteEntry, 'usedAt'> | Omit<FileEntry, 'usedAt'>): RecentModel[] {
    const used = { ...entry, usedAt: this.now() } as RecentModel;
    return this.write([used, ...this.list().filter((m) => recentKey(m) !== recentKey(used))]);
  }

  /** Records what the engine runs after a load: a remote model, a file or a folder by name (the shipped model is not listed). */
  record(choice: ModelChoice): void {
    if (choice.kind === 'remote') {
      this.add({ kind: 'remote', source: choice.pinned ?? choice.source, name: choice.source, ...(choice.bytes !== undefined ? { bytes: choice.bytes } : {}) });
    } else if (choice.kind === 'file') {
      this.add({ kind: 'file', name: choice.file.name.slice(0, MAX_FILE_NAME_CHARS), bytes: choice.file.size });
    } else if (choice.kind === 'local-folder') {
      const bytes = Object.values(choice.files).reduce((sum, f) => sum + f.size, 0);
      this.add({ kind: 'file', name: choice.name.slice(0, MAX_FILE_NAME_CHARS), bytes });
    }
  }

  remove(key: string): RecentModel[] {
    return this.write(this.list().filter((m) => recentKey(m) !== key));
  }

  private write(entries: RecentModel[]): RecentModel[] {
    const kept = entries.slice(0, MAX_RECENT_MODELS);
    try {
      this.storage.setItem(STORAGE_KEY, JSON.stringify(kept));
    } catch {
      // Storage full or blocked: the list is a convenience, the load itself is unaffected.
    }
    return kept;
  }
}

type RemoteEntry = Extract<RecentModel, { kind: 'remote' }>;
type FileEntry = Extract<RecentModel, { kind: 'file' }>;

const isText = (v: unknown, max: number): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;
const isBytes = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function readEntry(item: unknown): RecentModel | undefined {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return undefined;
  const r = item as Record<string, unknown>;
  const usedAt = r['usedAt'];
  if (typeof usedAt !== 'number' || !Number.isFinite(usedAt) || usedAt < 0) return undefined;
  const bytes = r['bytes'] === undefined ? {} : isBytes(r['bytes']) ? { bytes: r['bytes'] } : undefined;
  if (!bytes) return undefined;
  if (r['kind'] === 'remote' && isText(r['source'], MAX_MODEL_SOURCE_CHARS) && isText(r['name'], MAX_MODEL_SOURCE_CHARS)) {
    return { kind: 'remote', source: r['source'], name: r['name'], ...bytes, usedAt };
  }
  if (r['kind'] === 'file' && isText(r['name'], MAX_FILE_NAME_CHARS)) return { kind: 'file', name: r['name'], ...bytes, usedAt };
  return undefined;
}

/** The running model as the share session sees it (only a remote one travels in a link). */
export function runningModel(choice: ModelChoice | undefined): RunningModel {
  if (choice?.kind === 'remote') return { kind: 'remote', source: choice.pinned ?? choice.source };
  if (choice?.kind === 'file') return { kind: 'file', name: choice.file.name };
  if (choice?.kind === 'local-folder') return { kind: 'file', name: choice.name };
  return { kind: 'shipped' };
}

/** "just now", "5 min ago", "3 h ago", "2 days ago". */
export function usedAgo(usedAt: number, now: number): string {
  const minutes = Math.max(0, Math.round((now - usedAt) / 60_000));
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.round(hours / 24)} days ago`;
}
