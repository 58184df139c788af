import { deflateSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, SettingsModel } from '../settings.ts';
import { encodeBase64Url } from './base64url.ts';
import { encodeShareHash } from './link-codec.ts';
import { WorkspaceSession, type SessionDeps } from './session.ts';
import type { EditorSnapshot } from '../document/snapshot.ts';
import type { ShareState } from './share-state.ts';
import { readWorkspace, revisionOf, workspaceRecord, type SaveResult, type Workspace, type WorkspaceStore } from './workspace.ts';
import { addToRing, readRing, type RecoveryEntry } from './recovery.ts';
import type { NoticeAction, NoticeKey, RunningModel, SessionModels } from './session-ui.ts';
import { until } from '../testing/poll.ts';
import { Emitter } from '../util/emitter.ts';
import type { TabPeers } from './tabs.ts';

const at1 = [{ anchorLine: 1, anchorColumn: 1, activeLine: 1, activeColumn: 1 }];
const snap = (text: string, language = 'typescript'): EditorSnapshot => ({ text, language, selections: at1 });

/** IndexedDB's part, in memory: the same compare-and-swap and ring, with failures on demand. */
class MemoryStore implements WorkspaceStore {
  record: unknown;
  ring: unknown;
  /** Successful workspace writes. */
  writes = 0;
  loadError: unknown;
  saveErrors: unknown[] = [];
  /** While set, load() waits for it (a slow first read). */
  loadGate: Promise<void> | undefined;

  constructor(saved?: Workspace) {
    this.record = saved ? structuredClone(workspaceRecord(saved, 1)) : undefined;
  }

  load = async () => {
    if (this.loadGate) await this.loadGate;
    if (this.loadError !== undefined) throw this.loadError;
    return structuredClone(this.record);
  };

  save = async (workspace: Workspace, expected: number): Promise<SaveResult> => {
    if (this.saveErrors.length > 0) throw this.saveErrors.shift();
    const revision = revisionOf(this.record);
    if (revision !== expected) return { ok: false, revision, current: structuredClone(this.record) };
    this.writes++;
    this.record = structuredClone(workspaceRecord(workspace, expected + 1));
    return { ok: true, revision: expected + 1 };
  };

  loadRecovery = async () => structuredClone(this.ring);

  addRecovery = async (entries: RecoveryEntry[]) => {
    let ring = readRing(this.ring);
    for (const entry of entries) ring = addToRing(ring, entry);
    this.ring = structuredClone(ring);
  };

  stored = () => readWorkspace(this.record);
  recoverable = () => readRing(this.ring);
}

/** The session with every page dependency replaced by a double that records what happened. */
function harness(saved: Workspace | MemoryStore | undefined, hash = '', peers?: TabPeers, models?: SessionModels) {
  const store = saved instanceof MemoryStore ? saved : new MemoryStore(saved);
  const log = {
    toasts: [] as Array<[string, string]>, banner: 0, hashes: [] as string[], copied: [] as string[],
    notices: new Map<NoticeKey, { text: string; actions: NoticeAction[] }>(), downloads: [] as string[],
  };
  let screen: EditorSnapshot = snap('');
  let currentHash = hash;
  let choose: ((c: 'keep-shared' | 'back-to-workspace') => void) | undefined;
  const settings = new SettingsModel();
  const deps: SessionDeps = {
    editor: { getSnapshot: () => structuredClone(screen), setSnapshot: (s) => { screen = structuredClone(s); } },
    settings,
    store,
    location: {
      hash: () => currentHash,
      replaceHash: (h) => { currentHash = h; log.hashes.push(h); },
      href: () => `http://127.0.0.1/${currentHash}`,
    },
    ui: {
      toast: (m, k) => log.toasts.push([k, m]),
      showBanner: (onChoice) => { log.banner++; choose = onChoice; },
      hideBanner: () => { choose = undefined; },
      saveState: () => {},
      notice: (key, text, actions = []) => {
        if (text === undefined) log.notices.delete(key);
        else log.notices.set(key, { text, actions });
      },
      download: (_name, text) => log.downloads.push(text),
    },
    copyToClipboard: async (t) => { log.copied.push(t); },
    welcome: snap('welcome'),
    saverDebounceMs: 1,
    saverRetryMs: 5,
    ...(peers ? { peers } : {}),
    ...(models ? { models } : {}),
  };
  const session = new WorkspaceSession(deps);
  return {
    session, settings, log, store,
    screen: () => screen,
    type: (text: string) => { screen = { ...screen, text }; session.onEditorChange('content'); },
    moveCursor: () => { session.onEditorChange('selection'); },
    stored: () => store.stored(),
    choose: (c: 'keep-shared' | 'back-to-workspace') => choose?.(c),
    setHash: (h: string) => { currentHash = h; },
  };
}

const linkTo = (state: ShareState): string => {
  const r = encodeShareHash(state);
  if (!r.ok) throw new Error(r.message);
  return r.hash;
};
const mine: Workspace = { ...snap('my work'), settings: { ...DEFAULT_SETTINGS } };
const theirs: ShareState = { ...snap('their snippet', 'python'), settings: { ...DEFAULT_SETTINGS, temperature: 1 } };

describe('WorkspaceSession', () => {
  it('opens the welcome text when there is nothing saved and no link', async () => {
    const h = harness(undefined);
    await h.session.start();
    expect(h.screen().text).toBe('welcome');
    expect(h.session.mode).toBe('workspace');
  });

  it('restores the saved workspace', async () => {
    const h = harness(mine);
    await h.session.start();
    expect(h.screen()).toMatchObject(snap('my work'));
  });

  it('a link over a saved workspace opens in shared mode, asks, and saves nothing until asked', async () => {
    const h = harness(mine, linkTo(theirs));
    await h.session.start();
    expect(h.session.mode).toBe('shared');
    expect(h.log.banner).toBe(1);
    expect(h.screen().text).toBe('their snippet');
    expect(h.settings.value.temperature).toBe(1);
    h.type('their snippet, edited');
    await h.session.flush();
    expect(h.stored()?.text).toBe('my work');

    h.choose('back-to-workspace');
    await until(() => h.session.mode === 'workspace', 'back to the workspace', 5000);
    expect(h.screen().text).toBe('my work');
    expect(h.settings.value.temperature).toBe(0);
    expect(h.session.mode).toBe('workspace');
  });

  it('"keep shared" makes the snippet the workspace', async () => {
    const h = harness(mine, linkTo(theirs));
    await h.session.start();
    await h.session.keepShared();
    expect(h.stored()).toMatchObject({ text: 'their snippet', language: 'python' });
    expect(h.stored()?.settings.temperature).toBe(1);
    expect(h.session.mode).toBe('workspace');
  });

  it('a link identical to the saved workspace opens without asking', async () => {
    const h = harness(mine, linkTo(mine));
    await h.session.start();
    expect(h.session.mode).toBe('workspace');
    expect(h.log.banner).toBe(0);
  });

  it('a bad link shows an error and opens the saved workspace untouched', async () => {
    const h = harness(mine, '#v9.AAAA');
    await h.session.start();
    expect(h.log.toasts).toEqual([['error', expect.stringMatching(/newer version/)]]);
    expect(h.screen().text).toBe('my work');
    expect(h.stored()?.text).toBe('my work');
  });

  it.each([
    ['a language object that cannot be turned into text', '{"toString":1}'],
    ['a language nested 100,000 lists deep', '['.repeat(100_000) + ']'.repeat(100_000)],
  ])('a hostile link (%s) shows an error and opens the saved workspace, which stays saved', async (_name, language) => {
    const json = JSON.stringify({ text: 'x', language: 'typescript', selections: [[1, 1, 1, 1]], settings: DEFAULT_SETTINGS })
      .replace('"typescript"', language);
    const h = harness(mine, `#v1.${encodeBase64Url(deflateSync(new TextEncoder().encode(json)))}`);
    await h.session.start();
    expect(h.log.toasts).toEqual([['error', expect.stringMatching(/holds invalid data \((language must be text|its data is nested)/)]]);
    expect(h.screen().text).toBe('my work');
    h.type('my work, edited');
    await h.session.flush();
    expect(h.stored()?.text).toBe('my work, edited');
  });

  it('share() writes the hash, copies the URL and says so; the next edit drops the stale hash', async () => {
    const h = harness(mine);
    await h.session.start();
    const outcome = await h.session.share();
    expect(outcome).toMatchObject({ ok: true, copied: true });
    expect(h.log.copied[0]).toMatch(/^http:\/\/127\.0\.0\.1\/#v1\./);
    expect(h.log.toasts.at(-1)).toEqual(['info', expect.stringMatching(/Link copied/)]);
    h.type('changed');
    expect(h.log.hashes.at(-1)).toBe('');
  });

  it('a link arriving by hashchange first saves pending keystrokes of the workspace', async () => {
    const h = harness(mine);
    await h.session.start();
    h.type('my work, one more line');
    h.setHash(linkTo(theirs));
    await h.session.onHashChange();
    expect(h.stored()?.text).toBe('my work, one more line');
    expect(h.session.mode).toBe('shared');
    await h.session.backToWorkspace();
    expect(h.screen().text).toBe('my work, one more line');
  });

  describe('no lost work', () => {
    it('a save over a revision another tab moved on is refused: the newer text stays stored and both texts are recoverable', async () => {
      const store = new MemoryStore(mine);
      const a = harness(store);
      const b = harness(store);
      await a.session.start();
      await b.session.start();
      a.type('newer, from tab A');
      await a.session.flush();
      b.moveCursor(); // a cursor move in the stale tab used to write its old text over A's
      b.type('stale tab B typing');
      await b.session.flush();
      expect(store.stored()?.text).toBe('newer, from tab A');
      expect(b.session.mode).toBe('conflict');
      expect(b.log.notices.get('conflict')?.text).toMatch(/Another tab saved this workspace/);
      expect(store.recoverable().map((e) => [e.reason, e.text])).toEqual(expect.arrayContaining([
        ['other-tab', 'newer, from tab A'], ['this-tab', 'stale tab B typing'],
      ]));

      // Typing on in the stale tab keeps its draft up to date, still never over A's text.
      b.type('stale tab B typing, more');
      await b.session.flush();
      expect(store.stored()?.text).toBe('newer, from tab A');
      expect(store.recoverable().filter((e) => e.reason === 'this-tab').map((e) => e.text)).toEqual(['stale tab B typing, more']);

      // Choosing this tab's version saves it; A's stays recoverable.
      await b.session.resolveConflict('mine');
      expect(store.stored()?.text).toBe('stale tab B typing, more');
      expect(b.session.mode).toBe('workspace');
      expect(store.recoverable().some((e) => e.text === 'newer, from tab A')).toBe(true);
    });

    it('"use the other tab\'s version" shows it and saves on top of it from then on; this tab\'s text stays recoverable', async () => {
      const store = new MemoryStore(mine);
      const a = harness(store);
      const b = harness(store);
      await a.session.start();
      await b.session.start();
      a.type('from tab A');
      await a.session.flush();
      b.type('from tab B');
      await b.session.flush();
      await b.session.resolveConflict('theirs');
      expect(b.screen().text).toBe('from tab A');
      expect(b.session.mode).toBe('workspace');
      expect(b.log.notices.has('conflict')).toBe(false);
      b.type('from tab A, continued in B');
      await b.session.flush();
      expect(store.stored()?.text).toBe('from tab A, continued in B');
      expect(store.recoverable().some((e) => e.text === 'from tab B')).toBe(true);
    });

    it('another tab on the workspace is announced with a notice', async () => {
      const found = new Emitter<void>();
      const saved = new Emitter<number>();
      const peers: TabPeers = {
        onDidFindOther: found.event, onDidSaveElsewhere: saved.event,
        start: async () => found.fire(), announceSaved: () => {}, dispose: () => {},
      };
      const h = harness(mine, '', peers);
      await h.session.start();
      expect(h.log.notices.get('other-tab')?.text).toMatch(/^This workspace is open in another tab/);
    });

    it('a failed read never leads to a write: the failure is shown, export offered, edits kept in the ring', async () => {
      const store = new MemoryStore(mine);
      store.loadError = new DOMException('the disk is unhappy', 'UnknownError');
      const h = harness(store);
      await h.session.start();
      expect(h.session.mode).toBe('unreadable');
      const notice = h.log.notices.get('load-error');
      expect(notice?.text).toMatch(/could not be read \(UnknownError: the disk is unhappy\)/);
      expect(notice?.actions.map((a) => a.testId)).toEqual(['export-download', 'export-copy']);
      h.moveCursor();
      h.settings.update({ temperature: 0.5 });
      h.type('typed while unreadable');
      await h.session.flush();
      expect(store.writes).toBe(0);
      expect(store.stored()?.text).toBe('my work');
      expect(store.recoverable().map((e) => [e.reason, e.text])).toEqual([['unreadable-edits', 'typed while unreadable']]);
      notice!.actions[0]!.run();
      expect(h.log.downloads).toEqual(['typed while unreadable']);
    });

    it('a stored record this build does not recognise is never written over either', async () => {
      const store = new MemoryStore();
      store.record = { format: 'from the future', body: [1, 2, 3] };
      const h = harness(store);
      await h.session.start();
      h.type('typed');
      await h.session.flush();
      expect(store.record).toEqual({ format: 'from the future', body: [1, 2, 3] });
      expect(h.log.notices.get('load-error')?.text).toMatch(/does not recognise/);
    });

    it('a cursor move, a settings change or typing while the load is pending writes nothing (not the welcome text); typing is kept for recovery', async () => {
      const store = new MemoryStore(mine);
      let finishLoad!: () => void;
      store.loadGate = new Promise((resolve) => { finishLoad = resolve; });
      const h = harness(store);
      const started = h.session.start();
      h.moveCursor();
      h.settings.update({ seed: 3 });
      await h.session.flush();
      await new Promise((resolve) => setTimeout(resolve, 20)); // past the debounce
      expect(store.writes).toBe(0);
      h.type('typed into the welcome text before the load finished');
      await h.session.flush();
      expect(store.writes).toBe(0);
      finishLoad();
      await started;
      expect(h.screen().text).toBe('my work');
      expect(store.recoverable().map((e) => [e.reason, e.text]))
        .toEqual([['typed-while-loading', 'typed into the welcome text before the load finished']]);
      await h.session.flush();
      expect(store.stored()?.text).toBe('my work');
      h.type('my work, edited');
      await h.session.flush();
      expect(store.stored()?.text).toBe('my work, edited');
    });

    it('"keep shared" puts the workspace it replaces in the ring', async () => {
      const h = harness(mine, linkTo(theirs));
      await h.session.start();
      await h.session.keepShared();
      expect(h.stored()?.text).toBe('their snippet');
      expect(h.store.recoverable().find((e) => e.reason === 'replaced-by-link')?.text).toBe('my work');
    });

    it('edits made to an opened link are saved as their own entry; leaving the link keeps it there (one entry)', async () => {
      const h = harness(mine, linkTo(theirs));
      await h.session.start();
      h.type('their snippet, edited');
      await h.session.flush();
      expect(h.stored()?.text).toBe('my work');
      expect(h.store.recoverable().map((e) => [e.reason, e.text])).toEqual([['link-edits', 'their snippet, edited']]);
      await h.session.backToWorkspace();
      expect(h.screen().text).toBe('my work');
      expect(h.store.recoverable().map((e) => [e.reason, e.text])).toEqual([['left-link', 'their snippet, edited']]);
    });

    it('a link\'s model id is not applied (nothing loads) until the user keeps the link', async () => {
      const other: ShareState = { ...theirs, settings: { ...theirs.settings, modelId: 'another-model' } };
      const back = harness(mine, linkTo(other));
      await back.session.start();
      expect(back.session.mode).toBe('shared');
      expect(back.settings.value.modelId).toBe(DEFAULT_SETTINGS.modelId);
      expect(back.session.snapshot().settings.modelId).toBe('another-model'); // a share from here keeps it
      await back.session.backToWorkspace();
      expect(back.settings.value.modelId).toBe(DEFAULT_SETTINGS.modelId);

      // Even with no saved workspace, a link naming another model asks first.
      const keep = harness(undefined, linkTo(other));
      await keep.session.start();
      expect(keep.session.mode).toBe('shared');
      expect(keep.settings.value.modelId).toBe(DEFAULT_SETTINGS.modelId);
      await keep.session.keepShared();
      expect(keep.settings.value.modelId).toBe('another-model');
      expect(keep.stored()?.settings.modelId).toBe('another-model');
    });

    it('a link\'s Edit model id is held back the same way until the user keeps the link', async () => {
      const other: ShareState = { ...theirs, settings: { ...theirs.settings, editModelId: 'another-model' } };
      const h = harness(undefined, linkTo(other));
      await h.session.start();
      expect(h.session.mode).toBe('shared');
      expect(h.settings.value.editModelId).toBe(DEFAULT_SETTINGS.editModelId);
      expect(h.session.snapshot().settings.editModelId).toBe('another-model');
      await h.session.keepShared();
      expect(h.settings.value.editModelId).toBe('another-model');
    });

    it('a quota error shows a warning with export, and the save is retried without another keystroke', async () => {
      const h = harness(mine);
      await h.session.start();
      h.store.saveErrors.push(new DOMException('full', 'QuotaExceededError'));
      h.type('after the quota error');
      await h.session.flush();
      expect(h.log.notices.get('save-error')?.text).toMatch(/storage for this site is full.*Your text is still here/);
      expect(h.log.notices.get('save-error')?.actions.map((a) => a.label)).toEqual(['Download', 'Copy']);
      await until(() => h.stored()?.text === 'after the quota error', 'the retried save', 5000);
      expect(h.log.notices.has('save-error')).toBe(false);
    });

    it('recovering an entry puts what was on screen in the ring first, then saves the entry as the workspace', async () => {
      const h = harness(mine, linkTo(theirs));
      await h.session.start();
      await h.session.backToWorkspace();
      const [left] = await h.session.recoveryEntries();
      expect(left?.text).toBe('their snippet');
      expect(await h.session.recover(left!.id)).toBe(true);
      expect(h.screen().text).toBe('their snippet');
      await h.session.flush();
      expect(h.stored()?.text).toBe('their snippet');
      expect(h.store.recoverable().find((e) => e.reason === 'before-recover')?.text).toBe('my work');
    });
  });
});

describe('links and the model', () => {
  const SHA = 'b'.repeat(40);
  const models = (running: RunningModel) => {
    const offers: string[] = [];
    const value: SessionModels = { running: () => running, offer: (source) => offers.push(source), hosts: ['https://huggingface.co'] };
    return { value, offers };
  };

  it('a shared remote model travels in the link; opening it offers the model and loads nothing', async () => {
    const sender = models({ kind: 'remote', source: `org/coder@${SHA}` });
    const a = harness(mine, '', undefined, sender.value);
    await a.session.start();
    const shared = await a.session.share();
    expect(shared.ok).toBe(true);
    const hash = a.log.hashes.at(-1)!;

    const receiver = models({ kind: 'shipped' });
    const b = harness(undefined, hash, undefined, receiver.value);
    await b.session.start();
    expect(b.screen().text).toBe('my work');
    expect(receiver.offers).toEqual([`org/coder@${SHA}`]);
    // Already running it: nothing to ask.
    const same = models({ kind: 'remote', source: `org/coder@${SHA}` });
    const c = harness(undefined, hash, undefined, same.value);
    await c.session.start();
    expect(same.offers).toEqual([]);
  });

  it('a link whose model is on a host the page may not fetch from is refused whole, and the workspace stays', async () => {
    const receiver = models({ kind: 'shipped' });
    const hash = linkTo({ ...theirs, model: 'https://evil.example.com/m.gguf' });
    const h = harness(mine, hash, undefined, receiver.value);
    await h.session.start();
    expect(h.screen().text).toBe('my work');
    expect(receiver.offers).toEqual([]);
    expect(h.log.toasts.at(-1)).toEqual(['error', expect.stringMatching(/model: evil\.example\.com is not a host this page may download models from.*Nothing from it was opened\./)]);
  });

  it('sharing while a local model file runs says the file cannot travel and which model the link names', async () => {
    const h = harness(mine, '', undefined, models({ kind: 'file', name: 'coder-q4.gguf' }).value);
    await h.session.start();
    await h.session.share();
    expect(h.log.toasts.at(-1)?.[1]).toMatch(/The model file coder-q4\.gguf runs only here: a local file can't be shared, so the link names spark-nano\./);
  });
});
