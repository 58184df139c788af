import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_SETTINGS } from '../settings.ts';
import { NO_REVISION, WorkspaceSaver, readWorkspace, revisionOf, workspaceRecord, type Workspace } from './workspace.ts';
import { RECOVERY_MAX_BYTES, RECOVERY_MAX_ENTRIES, addToRing, readRing, recoveryEntry, type RecoveryEntry } from './recovery.ts';

const doc = (text: string): Workspace => ({
  text, language: 'typescript', settings: { ...DEFAULT_SETTINGS },
  selections: [{ anchorLine: 1, anchorColumn: 1, activeLine: 1, activeColumn: 1 }],
});

describe('WorkspaceSaver', () => {
  let saved: string[];
  let failures: unknown[];
  let text: string;
  let saver: WorkspaceSaver;
  const writeText = () => { const t = text; return async () => { if (failures.length > 0) throw failures.shift(); saved.push(t); }; };

  beforeEach(() => {
    vi.useFakeTimers();
    saved = [];
    failures = [];
    text = '';
    saver = new WorkspaceSaver(writeText, { debounceMs: 300, maxWaitMs: 500 });
  });
  afterEach(() => {
    saver.dispose();
    vi.useRealTimers();
  });

  it('saves once, 300 ms after the last change', async () => {
    text = 'a';
    saver.schedule();
    text = 'ab';
    await vi.advanceTimersByTimeAsync(100);
    saver.schedule();
    await vi.advanceTimersByTimeAsync(299);
    expect(saved).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(saved).toEqual(['ab']);
  });

  it('never lets continuous typing go unsaved for more than half a second', async () => {
    for (let i = 1; i <= 30; i++) {
      text = 'x'.repeat(i);
      saver.schedule();
      await vi.advanceTimersByTimeAsync(100); // a keystroke every 100 ms: the debounce alone would never fire
    }
    expect(saved.length).toBeGreaterThanOrEqual(5);
    expect(30 - saved.at(-1)!.length).toBeLessThanOrEqual(5); // at most half a second (5 keystrokes) behind
  });

  it('flush() saves a pending change at once (visibilitychange/pagehide), and nothing when idle', async () => {
    text = 'typed';
    saver.schedule();
    await saver.flush();
    expect(saved).toEqual(['typed']);
    await saver.flush();
    await vi.advanceTimersByTimeAsync(2000);
    expect(saved).toHaveLength(1);
  });

  it('saves in order: an older snapshot never lands after a newer one', async () => {
    const slow: string[] = [];
    const s = new WorkspaceSaver(() => {
      const t = text;
      return () => new Promise((resolve) => setTimeout(() => { slow.push(t); resolve(); }, t === 'first' ? 500 : 10));
    });
    text = 'first';
    void s.saveNow();
    text = 'second';
    const done = s.saveNow();
    await vi.advanceTimersByTimeAsync(600);
    await done;
    expect(slow).toEqual(['first', 'second']);
  });

  it('writes nothing while the owner has nothing to write (prepare returns undefined)', async () => {
    const s = new WorkspaceSaver(() => undefined);
    s.schedule();
    await s.flush();
    await vi.advanceTimersByTimeAsync(2000);
    expect(saved).toHaveLength(0);
  });

  it('retries a failed save with backoff, without waiting for another change, and reports each failure', async () => {
    const errors: Array<[string, number]> = [];
    const s = new WorkspaceSaver(writeText, {
      retryMs: 1000, onError: (e, wait) => errors.push([(e as Error).name, wait]), onSaved: () => errors.push(['saved', 0]),
    });
    const quota = new DOMException('quota', 'QuotaExceededError');
    failures.push(quota, quota);
    text = 'one';
    s.schedule();
    await vi.advanceTimersByTimeAsync(300);
    expect(errors).toEqual([['QuotaExceededError', 1000]]);
    text = 'one, and more';
    await vi.advanceTimersByTimeAsync(1000);
    expect(errors).toEqual([['QuotaExceededError', 1000], ['QuotaExceededError', 2000]]);
    expect(s.failing).toBe(true);
    await vi.advanceTimersByTimeAsync(2000);
    expect(saved).toEqual(['one, and more']);
    expect(errors.at(-1)).toEqual(['saved', 0]);
    expect(s.failing).toBe(false);
    s.dispose();
  });

  it('stops its timer when disposed', async () => {
    text = 'late';
    saver.schedule();
    saver.dispose();
    await vi.advanceTimersByTimeAsync(2000);
    expect(saved).toHaveLength(0);
    saver.schedule();
    await vi.advanceTimersByTimeAsync(2000);
    expect(saved).toHaveLength(0);
  });
});

describe('revisionOf', () => {
  it('reads the record\'s revision; records from before revisions count as none', () => {
    expect(revisionOf(workspaceRecord(doc('a'), 7))).toBe(7);
    expect(revisionOf({ text: 'old build' })).toBe(NO_REVISION);
    expect(revisionOf(undefined)).toBe(NO_REVISION);
    expect(revisionOf({ text: 'x', revision: -3 })).toBe(NO_REVISION);
  });
});

describe('the recovery ring', () => {
  const entry = (id: string, text: string) => recoveryEntry(id, 'left-link', doc(text), 1);

  it('puts the newest first, replaces an entry by id, and keeps at most 20', () => {
    let ring: RecoveryEntry[] = [];
    for (let i = 0; i < 25; i++) ring = addToRing(ring, entry(`e${i}`, `text ${i}`));
    expect(ring).toHaveLength(RECOVERY_MAX_ENTRIES);
    expect(ring[0]!.id).toBe('e24');
    ring = addToRing(ring, entry('e10', 'text 10, edited'));
    expect(ring.map((e) => e.id).filter((id) => id === 'e10')).toEqual(['e10']);
    expect(ring[0]!.text).toBe('text 10, edited');
  });

  it('drops the oldest beyond the byte bound, but always keeps the newest', () => {
    const big = 'x'.repeat(RECOVERY_MAX_BYTES / 4 - 10); // 2 bytes a character: two fit, three don't
    let ring = addToRing([], entry('a', big));
    ring = addToRing(ring, entry('b', big));
    ring = addToRing(ring, entry('c', big));
    expect(ring.map((e) => e.id)).toEqual(['c', 'b']);
    expect(addToRing(ring, entry('huge', big + big + big)).map((e) => e.id)).toEqual(['huge']);
  });

  it('reads back what it stores, and skips what is not an entry', () => {
    const stored = structuredClone([entry('a', 'hello'), { id: 5 }, 'junk', { id: 'b', text: 'no fields' }]);
    const ring = readRing(stored);
    expect(ring.map((e) => e.id)).toEqual(['a', 'b']);
    expect(ring[0]).toEqual(entry('a', 'hello'));
    expect(readRing('junk')).toEqual([]);
  });
});

describe('readWorkspace', () => {
  it('reads back exactly what workspaceRecord stores', () => {
    const w: Workspace = {
      ...doc('hello\r\nworld\tx'),
      language: 'rust',
      selections: [
        { anchorLine: 2, anchorColumn: 3, activeLine: 1, activeColumn: 2 },
        { anchorLine: 2, anchorColumn: 8, activeLine: 2, activeColumn: 8 },
      ],
      settings: { ...DEFAULT_SETTINGS, temperature: 0.3, seed: 99 },
    };
    const record = structuredClone(workspaceRecord(w, 1, 1)); // what IndexedDB hands back
    expect(record.selections).toEqual([[2, 3, 1, 2], [2, 8, 2, 8]]);
    expect(readWorkspace(record)).toEqual(w);
  });

  it('treats records without text as no workspace', () => {
    expect(readWorkspace(undefined)).toBeUndefined();
    expect(readWorkspace({ language: 'go' })).toBeUndefined();
    expect(readWorkspace('text')).toBeUndefined();
  });

  it('repairs bad parts instead of discarding the text', () => {
    const repaired = readWorkspace({ text: 'abc', language: 'cobol', selections: [[9, 9, 9, 9]], settings: { temperature: 7, topK: 5 } });
    expect(repaired).toEqual({
      text: 'abc', language: 'typescript',
      selections: [{ anchorLine: 1, anchorColumn: 1, activeLine: 1, activeColumn: 1 }],
      settings: { ...DEFAULT_SETTINGS, topK: 5 },
    });
  });
});
