// The workspace session: decides what the editor shows at start (the saved workspace, or a
// playground link), autosaves the workspace, makes share links, and keeps a shared snippet
// apart from the saved workspace until the user chooses.
//
// Modes: 'workspace' — what's on screen is the workspace and is autosaved.
//        'shared'    — a link is on screen; autosave is suspended and a banner offers the choice.

import type { Settings, SettingsModel } from '../settings.ts';
import { DisposableStore, type Disposable } from '../util/disposable.ts';
import { Emitter } from '../util/emitter.ts';
import { decodeShareHash, encodeShareHash, hasShareHash } from './link-codec.ts';
import { collapsedSelection, type EditorSnapshot } from '../document/snapshot.ts';
import type { ShareState } from './share-state.ts';
import { WorkspaceSaver, readWorkspace, type Workspace, type WorkspaceStore } from './workspace.ts';
import { DEFAULT_LANGUAGE } from '../document/languages.ts';

export type SessionMode = 'workspace' | 'shared';

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

export interface SessionUi {
  toast(message: string, kind: 'info' | 'error'): void;
  showBanner(onChoice: (choice: 'keep-shared' | 'back-to-workspace') => void): void;
  hideBanner(): void;
  saveState(text: string): void;
}

export interface SessionDeps {
  editor: SessionEditor;
  settings: SettingsModel;
  store: WorkspaceStore;
  location: SessionLocation;
  ui: SessionUi;
  copyToClipboard(text: string): Promise<void>;
  /** Shown when there is neither a saved workspace nor a link. */
  welcome: EditorSnapshot;
  saverDebounceMs?: number;
}

export type ShareOutcome = { ok: true; url: string; copied: boolean } | { ok: false; message: string };

export class WorkspaceSession implements Disposable {
  private readonly store = new DisposableStore();
  private readonly saver: WorkspaceSaver;
  private readonly modeChanges = this.store.add(new Emitter<SessionMode>());
  readonly onDidChangeMode = this.modeChanges.event;
  private currentMode: SessionMode = 'workspace';
  /** The last workspace read from or written to the store: where "Back to my workspace" returns. */
  private savedWorkspace: Workspace | undefined;
  /** True while the session itself is changing the editor, so those changes aren't taken as edits. */
  private applying = false;

  constructor(private readonly deps: SessionDeps) {
    this.saver = this.store.add(new WorkspaceSaver(deps.store, () => this.snapshot(), {
      debounceMs: deps.saverDebounceMs ?? 300,
      onSaved: () => deps.ui.saveState('Saved'),
      onError: (err) => {
        deps.ui.saveState('Not saved');
        deps.ui.toast(`Autosave failed: ${String(err)}`, 'error');
      },
    }));
    this.store.add(deps.settings.onDidChange(() => this.onEdit(false)));
  }

  get mode(): SessionMode {
    return this.currentMode;
  }

  /** The state on screen, as it would be saved or shared. */
  snapshot(): ShareState {
    return { ...this.deps.editor.getSnapshot(), settings: { ...this.deps.settings.value } };
  }

  /** Loads the saved workspace, then opens the link in the address bar if there is one. */
  async start(): Promise<void> {
    let raw: unknown;
    try {
      raw = await this.deps.store.load();
    } catch (err) {
      this.deps.ui.toast(`Could not read the saved workspace: ${String(err)}`, 'error');
    }
    this.savedWorkspace = readWorkspace(raw);
    const hash = this.deps.location.hash();
    if (hasShareHash(hash) && this.openLink(hash)) return;
    this.apply(this.savedWorkspace ?? { ...this.deps.welcome, settings: { ...this.deps.settings.value } });
    this.setMode('workspace');
  }

  /** Tells the session the document, cursor or language changed (the editor's change event). */
  onEditorChange(kind: 'content' | 'selection' | 'language'): void {
    if (this.applying) return;
    this.onEdit(kind !== 'selection');
  }

  private onEdit(changesDocument: boolean): void {
    if (this.applying) return;
    if (this.currentMode === 'workspace') {
      // The link in the address bar no longer describes what's on screen once the document changes.
      if (changesDocument && hasShareHash(this.deps.location.hash())) this.deps.location.replaceHash('');
      this.deps.ui.saveState('Editing…');
      this.saver.schedule();
    }
  }

  /** The address bar's hash changed (a link pasted into this tab). */
  async onHashChange(): Promise<void> {
    const hash = this.deps.location.hash();
    if (!hasShareHash(hash)) return;
    await this.flush();
    this.openLink(hash);
  }

  /**
   * Decodes and opens a link. Returns false (and shows why) when the link is bad: the editor and the
   * saved workspace are then untouched.
   */
  private openLink(hash: string): boolean {
    const decoded = decodeShareHash(hash);
    if (!decoded.ok) {
      this.deps.ui.toast(decoded.message, 'error');
      return false;
    }
    const shared = decoded.state;
    this.apply(shared);
    if (this.savedWorkspace === undefined || sameDocument(this.savedWorkspace, shared)) {
      // Nothing would be overwritten (no workspace yet, or the link is the workspace): no need to ask.
      this.setMode('workspace');
      this.deps.location.replaceHash('');
      this.saver.schedule();
      return true;
    }
    this.saver.suspend();
    this.setMode('shared');
    this.deps.ui.showBanner((choice) => void (choice === 'keep-shared' ? this.keepShared() : this.backToWorkspace()));
    return true;
  }

  /** The shared snippet becomes the workspace (saved now). */
  async keepShared(): Promise<void> {
    this.deps.ui.hideBanner();
    this.saver.resume();
    this.setMode('workspace');
    this.deps.location.replaceHash('');
    await this.saver.saveNow();
    this.savedWorkspace = this.snapshot();
  }

  /** Drops the shared snippet and shows the saved workspace again. */
  async backToWorkspace(): Promise<void> {
    this.deps.ui.hideBanner();
    this.deps.location.replaceHash('');
    if (this.savedWorkspace) this.apply(this.savedWorkspace);
    this.saver.resume();
    this.setMode('workspace');
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
    this.deps.ui.toast(copied
      ? `Link copied to the clipboard (${url.length.toLocaleString('en-US')} characters).`
      : 'Link is in the address bar (copying to the clipboard was not allowed).', 'info');
    return { ok: true, url, copied };
  }

  /** Saves pending workspace changes now (pagehide, visibilitychange, tests). */
  async flush(): Promise<void> {
    await this.saver.flush();
    // The page may have been torn down while the save ran (pagehide).
    if (!this.store.isDisposed && this.currentMode === 'workspace') this.savedWorkspace = this.snapshot();
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
    this.deps.ui.saveState(mode === 'shared' ? 'Shared snippet (not saved)' : '');
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
