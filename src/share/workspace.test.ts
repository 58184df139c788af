import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_SETTINGS } from '../settings.ts';
import { WorkspaceSaver, readWorkspace, workspaceRecord, type Workspace, type WorkspaceStore } from './workspace.ts';

/** An in-memory store that records every save, standing in for IndexedDB. */
class StoreDouble implements WorkspaceStore {
  saved: Workspace[] = [];
  failNext = false;
  load = async () => this.saved.at(-1);
  save = async (workspace: Workspace) => {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('quota exceeded');
    }
    this.saved.push(structuredClone(workspace));
  };
}

const doc = (text: string): Workspace => ({
  text, language: 'typescript', settings: { ...DEFAULT_SETTINGS },
  selections: [{ anchorLine: 1, anchorColumn: 1, activeLine: 1, activeColumn: 1 }],
});

describe('WorkspaceSaver', () => {
  let store: StoreDouble;
  let text: string;
  let saver: WorkspaceSaver;

  beforeEach(() => {
    vi.useFakeTimers();
    store = new StoreDouble();
    text = '';
    saver = new WorkspaceSaver(store, () => doc(text), { debounceMs: 300, maxWaitMs: 1000 });
  });
  afterEach(() => {
    saver.dispose();
    vi.useRealTimers();
  });

  it('saves once, 300 ms after the last change', async () => {
    text = 'a';
    saver.schedule();
    text = 'ab';
    await vi.advanceTimersByTimeAsync(200);
    saver.schedule();
    await vi.advanceTimersByTimeAsync(299);
    expect(store.saved).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(store.saved.map((w) => w.text)).toEqual(['ab']);
  });

  it('never lets continuous typing go unsaved for more than a second', async () => {
    for (let i = 1; i <= 30; i++) {
      text = 'x'.repeat(i);
      saver.schedule();
      await vi.advanceTimersByTimeAsync(100); // a keystroke every 100 ms: the debounce alone would never fire
    }
    // 3 s of typing: saved at ~1 s, ~2 s and ~3 s.
    expect(store.saved.length).toBeGreaterThanOrEqual(2);
    expect(store.saved.length).toBeLessThanOrEqual(3);
    const lastSaved = store.saved.at(-1)!.text.length;
    expect(30 - lastSaved).toBeLessThanOrEqual(10); // at most one second (10 keystrokes) behind
  });

  it('flush() saves a pending change at once (visibilitychange/pagehide), and nothing when idle', async () => {
    text = 'typed';
    saver.schedule();
    await saver.flush();
    expect(store.saved.map((w) => w.text)).toEqual(['typed']);
    await saver.flush();
    await vi.advanceTimersByTimeAsync(2000);
    expect(store.saved).toHaveLength(1);
  });

  it('saves in order: an older snapshot never lands after a newer one', async () => {
    const slow: Workspace[] = [];
    const slowStore: WorkspaceStore = {
      load: async () => undefined,
      save: (w) => new Promise((resolve) => setTimeout(() => { slow.push(w); resolve(); }, w.text === 'first' ? 500 : 10)),
    };
    const s = new WorkspaceSaver(slowStore, () => doc(text));
    text = 'first';
    void s.saveNow();
    text = 'second';
    const done = s.saveNow();
    await vi.advanceTimersByTimeAsync(600);
    await done;
    expect(slow.map((w) => w.text)).toEqual(['first', 'second']);
  });

  it('does not save while suspended, and drops what was pending at suspension', async () => {
    text = 'workspace edit';
    saver.schedule();
    saver.suspend();
    text = 'shared snippet edit';
    saver.schedule();
    await saver.flush();
    await vi.advanceTimersByTimeAsync(2000);
    expect(store.saved).toHaveLength(0);
    saver.resume();
    saver.schedule();
    await vi.advanceTimersByTimeAsync(300);
    expect(store.saved.map((w) => w.text)).toEqual(['shared snippet edit']);
  });

  it('reports a failed save and keeps working', async () => {
    const errors: unknown[] = [];
    const s = new WorkspaceSaver(store, () => doc(text), { onError: (e) => errors.push(e) });
    store.failNext = true;
    text = 'one';
    s.schedule();
    await vi.advanceTimersByTimeAsync(300);
    expect(errors).toHaveLength(1);
    text = 'two';
    s.schedule();
    await vi.advanceTimersByTimeAsync(300);
    expect(store.saved.map((w) => w.text)).toEqual(['two']);
  });

  it('stops its timer when disposed', async () => {
    text = 'late';
    saver.schedule();
    saver.dispose();
    await vi.advanceTimersByTimeAsync(2000);
    expect(store.saved).toHaveLength(0);
    saver.schedule();
    await vi.advanceTimersByTimeAsync(2000);
    expect(store.saved).toHaveLength(0);
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
    const record = structuredClone(workspaceRecord(w, 1)); // what IndexedDB hands back
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
