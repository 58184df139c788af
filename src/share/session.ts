// The workspace session: decides what the editor shows at start (the saved workspace, or a
// playground link), saves what the user types, makes share links, and keeps every text that
// something replaces recoverable.
//
// Modes decide where a save goes:
//   'loading'    — nothing is decided yet: nothing is saved (a save now would write over a record
//                  that was never read).
//   'workspace'  — the workspace is on screen: saved by compare-and-swap on the record's revision.
//   'shared'     — a link is on screen and the user hasn't chosen: its edits are saved as a
//                  recovery entry of their own; the saved workspace is untouched.
//   'conflict'   — another tab saved a newer revision: this tab's text is saved as a recovery
//                  entry and never over the other tab's, until the user picks one.
//   'unreadable' — the saved workspace could not be read: it is never written over; edits are
//                  saved as a recovery entry.

import { sameModels, withModelsOf, type Settings, type SettingsModel } from '../settings.ts';
import { DisposableStore, type Disposable } from '../util/disposable.ts';
import { Emitter } from '../util/emitter.ts';
import { decodeShareHash, encodeShareHash, hasShareHash } from './link-codec.ts';
import { collapsedSelection, type EditorSnapshot } from '../document/snapshot.ts';
import type { ShareState } from './share-state.ts';
import { WorkspaceSaver, readWorkspace, revisionOf, NO_REVISION, type SaveResult, type Workspace, type WorkspaceStore } from './workspace.ts';
import { DEFAULT_LANGUAGE } from '../document/languages.ts';
import { entryState, newEntryId, readRing, recoveryEntry, type RecoveryEntry, type RecoveryReason } from './recovery.ts';
import type { TabPeers } from './tabs.ts';
import { describeError, type SessionModels, type SessionUi } from './session-ui.ts';

export type { NoticeAction, NoticeKey, RunningModel, SessionModels, SessionUi } from './session-ui.ts';

export type SessionMode = 'loading' | 'workspace' | 'shared' | 'conflict' | 'unreadable';

/** The parts of the editor the session needs (EditorHost implements it). */
export interface SessionEditor {
  getSnapshot(): EditorSnapshot;
  setSnapshot(snapshot: EditorSnapshot): void;
}

/** The page's address bar: read the hash, replace it without navigation, read the full URL. */
export interface SessionLocation {
  hash(): string;
  replaceHash(hash: string): void;
  href(): string;
}

export interface SessionDeps {
  editor: SessionEditor;
  settings: SettingsModel;
  store: WorkspaceStore;
  location: SessionLocation;
  ui: SessionUi;
  copyToClipboard(text: string): Promise<void>;
  /** Remote models in links (absent: links carry settings.modelId only). */
  models?: SessionModels;
  /** Other tabs on this workspace (absent: this tab is alone, as in unit tests). */
  peers?: TabPeers;
  /** Shown when there is neither a saved workspace nor a link. */
  welcome: EditorSnapshot;
  saverDebounceMs?: number;
  saverRetryMs?: number;
}

export type ShareOutcome = { ok: true; url: string; copied: boolean } | { ok: false; message: string };

/** Where edits go while the workspace itself is not what is saved. */
interface Draft {
  id: string;
  reason: RecoveryReason;
}

export class WorkspaceSession implements Disposable {
  private readonly store = new DisposableStore();
  private readonly saver: WorkspaceSaver;
  private readonly modeChanges = this.store.add(new Emitter<SessionMode>());
  readonly onDidChangeMode = this.modeChanges.event;
  private currentMode: SessionMode = 'loading';
  /** The stored revision this tab last read or wrote: the one its next save expects. */
  private revision = NO_REVISION;
  /** The workspace as last read or written: where "Back to my workspace" returns. */
  private savedWorkspace: Workspace | undefined;
  /** The open link, settings included (its model id is applied only if the user keeps it). */
  private link: ShareState | undefined;
  private draft: Draft | undefined;
  /** True while the session itself is changing the editor, so those changes aren't taken as edits. */
  private applying = false;
  private typedWhileLoading = false;

  constructor(private readonly deps: SessionDeps) {
    this.saver = this.store.add(new WorkspaceSaver(() => this.prepareWrite(), {
      debounceMs: deps.saverDebounceMs ?? 300,
      ...(deps.saverRetryMs !== undefined ? { retryMs: deps.saverRetryMs } : {}),
      onSaved: () => {
        deps.ui.notice('save-error', undefined);
        deps.ui.saveState(this.currentMode === 'workspace' ? 'Saved' : 'Kept under Recover…');
      },
      onError: (err, retryInMs) => this.onSaveError(err, retryInMs),
    }));
    this.store.add(deps.settings.onDidChange(() => this.onEdit(false)));
    if (deps.peers) {
      const other = () => deps.ui.notice('other-tab', 'This workspace is open in another tab. Saves never overwrite each other: '
        + 'a text that would replace a newer one is kept under Recover… instead.');
      this.store.add(deps.peers.onDidFindOther(other));
      this.store.add(deps.peers.onDidSaveElsewhere(other));
    }
  }

  get mode(): SessionMode {
    return this.currentMode;
  }

  /** The state on screen, as it would be saved or shared (an open link keeps its own model id). */
  snapshot(): ShareState {
    const settings = this.link ? withModelsOf(this.deps.settings.value, this.link.settings) : { ...this.deps.settings.value };
    const running = this.deps.models?.running();
    const model = this.link ? this.link.model : running?.kind === 'remote' ? running.source : undefined;
    return { ...this.deps.editor.getSnapshot(), settings, ...(model !== undefined ? { model } : {}) };
  }

  private decode(hash: string) {
    return decodeShareHash(hash, this.deps.models ? { modelHosts: this.deps.models.hosts } : {});
  }

  /** A link's model that is not the one running is offered, never loaded: the user decides. */
  private offerModel(state: ShareState): void {
    const models = this.deps.models;
    if (state.model === undefined || !models) return;
    const running = models.running();
    if (running.kind === 'remote' && running.source === state.model) return;
    models.offer(state.model);
  }

  /** Reads the saved workspace, then opens the link in the address bar if there is one. */
  async start(): Promise<void> {
    void this.deps.peers?.start().catch(() => {});
    let raw: unknown;
    let failure: string | undefined;
    try {
      raw = await this.deps.store.load();
    } catch (err) {
      failure = describeError(err);
    }
    if (this.store.isDisposed) return;
    if (this.typedWhileLoading) {
      await this.keep([recoveryEntry(newEntryId(), 'typed-while-loading', this.snapshot())]);
      if (this.store.isDisposed) return;
    }
    const saved = readWorkspace(raw);
    if (failure === undefined && raw !== undefined && saved === undefined) failure = 'it holds data this version of Spark does not recognise';
    if (failure !== undefined) return this.startUnreadable(failure);
    this.savedWorkspace = saved;
    this.revision = revisionOf(raw);
    const hash = this.deps.location.hash();
    if (hasShareHash(hash) && this.openLink(hash)) return;
    this.apply(this.savedWorkspace ?? this.welcome());
    this.setMode('workspace');
  }

  private startUnreadable(reason: string): void {
    this.draft = { id: newEntryId(), reason: 'unreadable-edits' };
    this.deps.ui.notice('load-error', `Your saved workspace could not be read (${reason}). It is left as it is and nothing `
      + 'will be saved over it; what you type here is kept under Recover…. Reload the page to try reading it again.',
    this.exportActions());
    const hash = this.deps.location.hash();
    const decoded = hasShareHash(hash) ? this.decode(hash) : undefined;
    if (decoded && !decoded.ok) this.deps.ui.toast(decoded.message, 'error');
    this.apply(decoded?.ok ? this.withLiveModel(decoded.state) : this.welcome());
    this.setMode('unreadable');
    if (decoded?.ok) this.offerModel(decoded.state);
  }

  /** Tells the session the document, cursor or language changed (the editor's change event). */
  onEditorChange(kind: 'content' | 'selection' | 'language'): void {
    if (this.applying) return;
    this.onEdit(kind !== 'selection');
  }

  private onEdit(changesDocument: boolean): void {
    if (this.applying) return;
    if (this.currentMode === 'loading') {
      // Not saved now (that could write over the unread workspace), but kept once the page has decided.
      if (changesDocument) this.typedWhileLoading = true;
      return;
    }
    // The link in the address bar no longer describes what's on screen once the document changes.
    if (changesDocument && this.currentMode === 'workspace' && hasShareHash(this.deps.location.hash())) this.deps.location.replaceHash('');
    this.deps.ui.saveState('Editing…');
    this.saver.schedule();
  }

  /** The write for what is on screen now, to wherever the mode says; undefined while loading. */
  private prepareWrite(): (() => Promise<void>) | undefined {
    if (this.currentMode === 'loading') return undefined;
    const state = this.snapshot();
    const draft = this.draft;
    if (this.currentMode === 'workspace') return () => this.writeWorkspace(state);
    return draft ? () => this.deps.store.addRecovery([recoveryEntry(draft.id, draft.reason, state)]) : undefined;
  }

  private async writeWorkspace(state: Workspace): Promise<void> {
    if (this.currentMode === 'conflict' && this.draft) {
      // An earlier save in the queue found the conflict: this one goes where the conflict's edits go.
      await this.deps.store.addRecovery([recoveryEntry(this.draft.id, this.draft.reason, state)]);
      return;
    }
    const result = await this.deps.store.save(state, this.revision);
    if (result.ok) {
      this.revision = result.revision;
      this.savedWorkspace = state;
      this.deps.peers?.announceSaved(result.revision);
      return;
    }
    await this.onConflict(state, result);
  }

  private async onConflict(mine: Workspace, result: Extract<SaveResult, { ok: false }>): Promise<void> {
    const draft: Draft = { id: newEntryId(), reason: 'this-tab' };
    const entries = [recoveryEntry(draft.id, draft.reason, mine)];
    const theirs = readWorkspace(result.current);
    if (theirs) entries.unshift(recoveryEntry(newEntryId(), 'other-tab', theirs));
    await this.deps.store.addRecovery(entries);
    this.draft = draft;
    this.setMode('conflict');
    this.deps.ui.notice('conflict', 'Another tab saved this workspace since this tab read it. Your text here was not '
      + 'saved over it: both versions are under Recover….', [
      { label: 'Use the other tab’s version', testId: 'conflict-use-theirs', run: () => void this.resolveConflict('theirs') },
      { label: 'Save this tab’s version', testId: 'conflict-keep-mine', run: () => void this.resolveConflict('mine') },
    ]);
  }

  /** Ends a conflict: either the stored version comes on screen, or this tab's replaces it (the other kept for recovery). */
  async resolveConflict(choice: 'theirs' | 'mine'): Promise<void> {
    await this.saver.flush();
    let raw: unknown;
    try {
      raw = await this.deps.store.load();
    } catch (err) {
      this.deps.ui.toast(`Could not read the other tab's version: ${describeError(err)}`, 'error');
      return;
    }
    const theirs = readWorkspace(raw);
    if (choice === 'theirs') {
      if (theirs) this.apply(this.withLiveModel(theirs));
    } else if (theirs) {
      await this.deps.store.addRecovery([recoveryEntry(newEntryId(), 'other-tab', theirs)]);
    }
    this.revision = revisionOf(raw);
    this.savedWorkspace = theirs;
    this.draft = undefined;
    this.deps.ui.notice('conflict', undefined);
    this.setMode('workspace');
    if (choice === 'mine') await this.saver.saveNow();
  }

  /** The address bar's hash changed (a link pasted into this tab). */
  async onHashChange(): Promise<void> {
    const hash = this.deps.location.hash();
    if (!hasShareHash(hash) || this.currentMode === 'loading') return;
    await this.flush();
    this.openLink(hash);
  }

  /**
   * Decodes and opens a link. Returns false (and shows why) when the link is bad: the editor and the
   * saved workspace are then untouched.
   */
  private openLink(hash: string): boolean {
    const decoded = this.decode(hash);
    if (!decoded.ok) {
      this.deps.ui.toast(decoded.message, 'error');
      return false;
    }
    const shared = decoded.state;
    this.offerModel(shared);
    if (this.currentMode === 'unreadable') {
      this.draft = { id: newEntryId(), reason: 'unreadable-edits' };
      this.apply(this.withLiveModel(shared));
      return true;
    }
    const sameModel = sameModels(shared.settings, this.deps.settings.value);
    if (sameModel && (this.savedWorkspace === undefined || sameDocument(this.savedWorkspace, shared))) {
      // Nothing would be overwritten and nothing else loads: no need to ask.
      this.apply(shared);
      this.setMode('workspace');
      this.deps.location.replaceHash('');
      this.saver.schedule();
      return true;
    }
    // A link may name another model: it is not loaded (no fetches, no GPU work) until the user keeps the link.
    this.apply(this.withLiveModel(shared));
    this.link = shared;
    this.draft = { id: newEntryId(), reason: 'link-edits' };
    this.setMode('shared');
    this.deps.ui.showBanner((choice) => void (choice === 'keep-shared' ? this.keepShared() : this.backToWorkspace()));
    return true;
  }

  /** The shared snippet becomes the workspace; the workspace it replaces goes to the recovery ring first. */
  async keepShared(): Promise<void> {
    if (this.currentMode !== 'shared') return;
    this.deps.ui.hideBanner();
    await this.saver.flush();
    if (this.savedWorkspace && !(await this.keep([recoveryEntry(newEntryId(), 'replaced-by-link', this.savedWorkspace)]))) return;
    const state = this.snapshot();
    this.link = undefined;
    this.draft = undefined;
    this.deps.location.replaceHash('');
    this.apply(state);
    this.setMode('workspace');
    await this.saver.saveNow();
  }

  /** Drops the shared snippet (kept in the recovery ring) and shows the saved workspace again. */
  async backToWorkspace(): Promise<void> {
    if (this.currentMode !== 'shared') return;
    this.deps.ui.hideBanner();
    await this.saver.flush();
    if (!(await this.keep([recoveryEntry(this.draft?.id ?? newEntryId(), 'left-link', this.snapshot())]))) return;
    this.deps.location.replaceHash('');
    this.link = undefined;
    this.draft = undefined;
    this.saver.drop();
    this.apply(this.savedWorkspace ?? this.welcome());
    this.setMode('workspace');
  }

  /** The recovery ring, newest first. */
  async recoveryEntries(): Promise<RecoveryEntry[]> {
    return readRing(await this.deps.store.loadRecovery());
  }

  /** Opens a recovery entry in the editor; what was on screen goes into the ring first. */
  async recover(id: string): Promise<boolean> {
    if (this.currentMode === 'loading') return false;
    const entry = (await this.recoveryEntries()).find((e) => e.id === id);
    if (!entry) {
      this.deps.ui.toast('That entry is no longer in the recovery list.', 'error');
      return false;
    }
    await this.saver.flush();
    if (!(await this.keep([recoveryEntry(newEntryId(), 'before-recover', this.snapshot())]))) return false;
    this.apply({ ...entryState(entry), settings: { ...this.deps.settings.value } });
    this.onEdit(true);
    return true;
  }

  /** Adds entries to the ring; false (and says why) when it could not, so nothing is then replaced. */
  private async keep(entries: RecoveryEntry[]): Promise<boolean> {
    try {
      await this.deps.store.addRecovery(entries);
      return true;
    } catch (err) {
      this.deps.ui.toast(`Nothing was replaced: the current text could not be kept for recovery (${describeError(err)}).`, 'error');
      return false;
    }
  }

  /** Share button / Ctrl+S: puts the state in the hash, copies the URL, says so. */
  async share(): Promise<ShareOutcome> {
    const encoded = encodeShareHash(this.snapshot());
    if (!encoded.ok) {
      this.deps.ui.toast(encoded.message, 'error');
      return { ok: false, message: encoded.message };
    }
    this.deps.location.replaceHash(encoded.hash);
    const url = this.deps.location.href();
    let copied = true;
    try {
      await this.deps.copyToClipboard(url);
    } catch {
      copied = false;
    }
    const running = this.deps.models?.running();
    // A file on this computer cannot be fetched by whoever opens the link: say which model it names instead.
    const fileNote = running?.kind === 'file'
      ? ` The model file ${running.name} runs only here: a local file can't be shared, so the link names ${this.snapshot().settings.modelId}.`
      : '';
    this.deps.ui.toast((copied
      ? `Link copied to the clipboard (${url.length.toLocaleString('en-US')} characters).`
      : 'Link is in the address bar (copying to the clipboard was not allowed).') + fileNote, 'info');
    return { ok: true, url, copied };
  }

  /** Saves pending changes now (pagehide, visibilitychange, tests). */
  flush(): Promise<void> {
    return this.saver.flush();
  }

  private onSaveError(err: unknown, retryInMs: number): void {
    const quota = err instanceof Error && err.name === 'QuotaExceededError';
    const why = quota ? 'the browser’s storage for this site is full' : describeError(err);
    this.deps.ui.saveState('Not saved');
    this.deps.ui.notice('save-error', `Not saved: ${why}. Your text is still here in this page; trying again in `
      + `${Math.round(retryInMs / 1000)} s. Download or copy it to keep it safe.`, this.exportActions());
  }

  private exportActions() {
    const text = () => this.deps.editor.getSnapshot().text;
    return [
      { label: 'Download', testId: 'export-download', run: () => this.deps.ui.download('spark-workspace.txt', text()) },
      {
        label: 'Copy', testId: 'export-copy', run: () => void this.deps.copyToClipboard(text()).then(
          () => this.deps.ui.toast('Copied the text to the clipboard.', 'info'),
          (err: unknown) => this.deps.ui.toast(`Copying was not allowed: ${describeError(err)}`, 'error')),
      },
    ];
  }

  private welcome(): ShareState {
    return { ...this.deps.welcome, settings: { ...this.deps.settings.value } };
  }

  private withLiveModel(state: ShareState): ShareState {
    return { ...state, settings: withModelsOf(state.settings, this.deps.settings.value) };
  }

  private apply(state: ShareState): void {
    this.applying = true;
    try {
      this.deps.editor.setSnapshot(state);
      this.deps.settings.set(state.settings);
    } finally {
      this.applying = false;
    }
  }

  private setMode(mode: SessionMode): void {
    if (mode === this.currentMode) return;
    this.currentMode = mode;
    this.deps.ui.saveState(mode === 'shared' ? 'Shared snippet: your edits are kept under Recover…' : '');
    this.modeChanges.fire(mode);
  }

  dispose(): void {
    this.store.dispose();
  }
}

function sameDocument(a: ShareState, b: ShareState): boolean {
  return a.text === b.text && a.language === b.language && settingsJson(a.settings) === settingsJson(b.settings);
}

const settingsJson = (settings: Settings) => JSON.stringify(Object.entries(settings).sort());

export const WELCOME_TEXT = `// Welcome to Spark: a code editor that thinks as fast as you type.
// Everything runs in this page (WebGPU when the browser has it). Share = Ctrl/Cmd+S.

function fibonacci(n: number): number {
  return n < 2 ? n : fibonacci(n - 1) + fibonacci(n - 2);
}

console.log(fibonacci(10));
`;

export const WELCOME: EditorSnapshot = {
  text: WELCOME_TEXT,
  language: DEFAULT_LANGUAGE,
  selections: [collapsedSelection(1, 1)],
};
