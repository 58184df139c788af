// The recovery ring: recent texts kept apart from the live workspace, so that whatever replaces
// the text on screen (a kept link, going back to the workspace, another tab's save, a recovered
// entry) leaves the replaced text one click away. Entries are plain data; the ring is bounded
// in count and in size, oldest dropped first.

import { DEFAULT_LANGUAGE, isSupportedLanguage } from '../document/languages.ts';
import { collapsedSelection } from '../document/snapshot.ts';
import { selectionsToWire, validateSelections, type ShareState, type WireSelection } from './share-state.ts';
import { settingsWithDefaults, type Settings } from '../settings.ts';

/** The IndexedDB key of the ring; the suffix is the record's format version. */
export const RECOVERY_KEY = 'spark.recovery.v1';
export const RECOVERY_MAX_ENTRIES = 20;
/** Counted as UTF-16 code units × 2, which is how the text sits in memory. */
export const RECOVERY_MAX_BYTES = 8 * 1024 * 1024;

/** Why an entry exists, shown in the list. */
export type RecoveryReason =
  | 'replaced-by-link' // "Keep shared" replaced the workspace
  | 'link-edits' // a shared link as it was edited (saved while the link was open)
  | 'left-link' // the link on screen when the user went back to the workspace
  | 'other-tab' // another tab's version, found when this tab's save conflicted
  | 'this-tab' // this tab's text, not written over the other tab's newer one
  | 'unreadable-edits' // typed while the saved workspace could not be read
  | 'before-recover' // what was on screen when an entry was opened
  | 'typed-while-loading'; // typed before the page had read the saved workspace

export const REASON_LABELS: Record<RecoveryReason, string> = {
  'replaced-by-link': 'Workspace replaced by a shared link',
  'link-edits': 'Shared link (with your edits)',
  'left-link': 'Shared link you left',
  'other-tab': 'Version saved by another tab',
  'this-tab': 'This tab’s text (not saved over the other tab)',
  'unreadable-edits': 'Typed while the workspace could not be read',
  'before-recover': 'Replaced by a recovered text',
  'typed-while-loading': 'Typed before the saved workspace was read',
};

export interface RecoveryEntry {
  /** Stable for a draft that is rewritten as the user types (link edits, conflict edits). */
  id: string;
  reason: RecoveryReason;
  savedAt: number;
  text: string;
  language: string;
  selections: WireSelection[];
  settings: Settings;
}

export function recoveryEntry(id: string, reason: RecoveryReason, state: ShareState, savedAt = Date.now()): RecoveryEntry {
  return {
    id, reason, savedAt, text: state.text, language: state.language,
    selections: selectionsToWire(state.selections), settings: { ...state.settings },
  };
}

export function entryBytes(entry: RecoveryEntry): number {
  return entry.text.length * 2;
}

/** Puts the entry first (replacing the one with its id), then drops the oldest beyond the bounds. */
export function addToRing(ring: readonly RecoveryEntry[], entry: RecoveryEntry): RecoveryEntry[] {
  const next = [entry, ...ring.filter((e) => e.id !== entry.id)];
  let bytes = 0;
  const kept: RecoveryEntry[] = [];
  for (const e of next) {
    bytes += entryBytes(e);
    // The newest entry is always kept, however big: it is the one being saved right now.
    if (kept.length > 0 && (kept.length >= RECOVERY_MAX_ENTRIES || bytes > RECOVERY_MAX_BYTES)) break;
    kept.push(e);
  }
  return kept;
}

/** Reads the stored ring leniently: entries that aren't ours are skipped, never thrown over. */
export function readRing(raw: unknown): RecoveryEntry[] {
  if (!Array.isArray(raw)) return [];
  const entries: RecoveryEntry[] = [];
  for (const item of raw as unknown[]) {
    if (typeof item !== 'object' || item === null) continue;
    const r = item as Record<string, unknown>;
    if (typeof r['id'] !== 'string' || typeof r['text'] !== 'string') continue;
    const reason = typeof r['reason'] === 'string' && Object.hasOwn(REASON_LABELS, r['reason']) ? r['reason'] as RecoveryReason : 'before-recover';
    const selections = validateSelections(r['selections'], r['text']);
    entries.push({
      id: r['id'], reason, text: r['text'],
      savedAt: typeof r['savedAt'] === 'number' ? r['savedAt'] : 0,
      language: isSupportedLanguage(r['language']) ? r['language'] : DEFAULT_LANGUAGE,
      selections: selectionsToWire(selections.ok ? selections.value : [collapsedSelection(1, 1)]),
      settings: settingsWithDefaults(r['settings']),
    });
  }
  return entries;
}

/** The entry as editor state. */
export function entryState(entry: RecoveryEntry): ShareState {
  const selections = validateSelections(entry.selections, entry.text);
  return {
    text: entry.text, language: entry.language, settings: { ...entry.settings },
    selections: selections.ok ? selections.value : [collapsedSelection(1, 1)],
  };
}

/** A fresh id for an entry (time + randomness: two tabs may add at the same millisecond). */
export function newEntryId(now = Date.now()): string {
  return `${now.toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}
