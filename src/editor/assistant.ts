// The edit loop as the page runs it: the engine worker and its model, inline completions, the
// "Edit" rewrite with its accept/reject keys, and the HUD's feed. main.ts creates one; disposing
// it terminates the worker and unregisters everything.

import * as monaco from 'monaco-editor';
import { createWorkerEngine, type DoneEvent, type Engine, type ReadyEvent } from '../engine/index.ts';
import type { Hud } from '../hud/hud.ts';
import type { PerfHub } from '../hud/perf-hub.ts';
import type { SettingsModel } from '../settings.ts';
import { DisposableStore, toDisposable, type Disposable } from '../util/disposable.ts';
import { formatBytes } from '../util/format-bytes.ts';
import { canFillInMiddle, engineCompletions, engineRewrites, type EngineAdapterDeps } from './engine-adapters.ts';
import { registerInlineCompletions } from './inline/inline-provider.ts';
import type { CompletionEvent } from './inline/completion-controller.ts';
import { RewriteSession, type RewriteState } from './rewrite/rewrite-session.ts';

export interface AssistantDeps {
  editor: monaco.editor.IStandaloneCodeEditor;
  settings: SettingsModel;
  hub: PerfHub;
  hud: Hud;
  /** One line of engine status for the status bar. */
  showStatus: (text: string, state: 'loading' | 'ready' | 'fallback' | 'error') => void;
  /** Rewrite bar: shown while an Edit streams or waits for accept/reject. */
  showRewrite: (state: RewriteState, editCount: number) => void;
  /** A passing message (a failed Edit); without it, the status line shows it. */
  notify?: (message: string, kind: 'info' | 'error') => void;
  /** After each ready: the local model file the engine now runs, or undefined for a folder model. */
  onModel?: (file: File | undefined) => void;
  /** The hub that repo ids resolve against (default huggingface.co). */
  hubEndpoint?: string;
}

/** Where a model id's files are served: public/models/<id>/ under the app's base URL. */
export const modelUrl = (id: string) => new URL(`${import.meta.env.BASE_URL}models/${id}/`, location.href).href;

/** A remote model: a hub id or a .gguf URL (what the user typed), with its size when known. */
export interface RemoteChoice { source: string; bytes?: number }

type ModelChoice = { kind: 'folder'; id: string } | { kind: 'file'; file: File } | ({ kind: 'remote' } & RemoteChoice);

function choiceLabel(c: ModelChoice): string {
  switch (c.kind) {
    case 'folder': return c.id;
    case 'file': return `model file ${c.file.name}`;
    case 'remote': return c.source;
  }
}

function sameChoice(a: ModelChoice, b: ModelChoice): boolean {
  switch (a.kind) {
    case 'folder': return b.kind === 'folder' && a.id === b.id;
    case 'file': return b.kind === 'file' && a.file === b.file;
    case 'remote': return b.kind === 'remote' && a.source === b.source;
  }
}

function loadingText(c: ModelChoice): string {
  switch (c.kind) {
    case 'folder': return `Loading model ${c.id}…`;
    case 'file': return `Loading model file ${c.file.name} (${formatBytes(c.file.size)})…`;
    case 'remote': return `Downloading model ${c.source}${c.bytes !== undefined ? ` (${formatBytes(c.bytes)})` : ''}…`;
  }
}

/**
 * The name the engine loads a file under: it reads a source as GGUF by its ".gguf" ending, and takes
 * the part after any "/", "?" or "#" as the name, so those are replaced.
 */
function engineFileName(file: File): string {
  const name = file.name.replace(/[/\\?#]/g, '_');
  return /\.gguf$/i.test(name) ? name : `${name}.gguf`;
}

export class Assistant implements Disposable {
  private readonly store = new DisposableStore();
  readonly client: Engine;
  readonly rewrite: RewriteSession;
  private readyEvent: ReadyEvent | undefined;
  private loaded: Promise<ReadyEvent>;
  private lastDone: { done: DoneEvent; kind: 'completion' | 'rewrite' } | undefined;
  private readonly completionEvents = new Set<(e: CompletionEvent) => void>();
  /** What the engine runs, or is loading: a shipped/folder model by id, or a local file. */
  private current: ModelChoice | undefined;
  /** settings.modelId as last seen: only a change of it loads a folder model (a file leaves it alone). */
  private settingsModelId: string;
  /** Set while accept() applies the edits, so our own change doesn't reject the proposal. */
  private applyingRewrite = false;
  readonly completions: ReturnType<typeof registerInlineCompletions>;

  constructor(private readonly deps: AssistantDeps) {
    const { editor, settings, hub } = deps;
    this.client = this.store.add(createWorkerEngine());
    this.store.add(this.client.onError((message) => deps.showStatus(`Engine: ${message}`, 'error')));
    this.store.add(this.client.onLoadProgress((p) => {
      const pct = p.totalBytes ? ` ${Math.round((100 * p.loadedBytes) / p.totalBytes)}%` : '';
      deps.showStatus(`Loading ${p.file}${pct}`, 'loading');
    }));
    this.store.add(hub.onDidChangeWatched((on) => this.client.setProfiling(on)));
    // The engine may recover by itself (a lost GPU device, a restarted worker): show where it runs now.
    this.store.add(this.client.onReady((ready) => { if (ready.notice) this.showReady(ready); }));
    this.settingsModelId = settings.value.modelId;
    this.loaded = this.load({ kind: 'folder', id: this.settingsModelId });
    this.store.add(settings.onDidChange((s) => {
      if (s.modelId === this.settingsModelId) return;
      this.settingsModelId = s.modelId;
      this.loaded = this.load({ kind: 'folder', id: s.modelId });
    }));

    const adapterDeps: EngineAdapterDeps = {
      client: this.client,
      settings: () => settings.value,
      perf: () => hub.emitter(),
      onDone: (done, kind) => { this.lastDone = { done, kind }; },
    };
    this.completions = this.store.add(registerInlineCompletions({
      monaco, editor,
      engine: engineCompletions(adapterDeps),
      debounceMs: () => settings.value.debounceMs,
      perf: () => hub.emitter(),
      onEvent: (e) => { for (const l of this.completionEvents) l(e); },
    }));

    this.rewrite = this.store.add(new RewriteSession(monaco, editor, engineRewrites(adapterDeps), (state, edits) => {
      rewriteActive.set(state !== 'idle');
      rewriteReady.set(state === 'ready');
      deps.showRewrite(state, edits.length);
    }));
    const rewriteActive = editor.createContextKey<boolean>('sparkRewriteActive', false);
    const rewriteReady = editor.createContextKey<boolean>('sparkRewriteReady', false);
    this.store.add(editor.addAction({
      id: 'spark.edit', label: 'Spark: Edit selection or block (rewrite)',
      keybindings: [monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyK],
      run: () => { this.startRewrite('').catch(() => {}); }, // startRewrite already reported it
    }));
    this.store.add(editor.addAction({
      id: 'spark.edit.accept', label: 'Spark: Accept edit', precondition: 'sparkRewriteReady',
      keybindings: [monaco.KeyCode.Tab, monaco.KeyMod.CtrlCmd | monaco.KeyCode.Enter],
      run: () => { this.acceptRewrite(); },
    }));
    this.store.add(editor.addAction({
      id: 'spark.edit.reject', label: 'Spark: Reject edit', precondition: 'sparkRewriteActive',
      keybindings: [monaco.KeyCode.Escape],
      run: () => this.rewrite.reject(),
    }));
    // Any edit by the user makes a pending proposal stale.
    this.store.add(editor.onDidChangeModelContent((e) => {
      if (this.rewrite.state !== 'idle' && !e.isFlush && e.changes.length > 0 && !this.applyingRewrite) this.rewrite.reject();
    }));
  }

  /**
   * Runs a local .gguf file (picked or dropped). It is not persisted: settings.modelId keeps naming
   * the folder model, which is what a page reload runs. A file that fails to load leaves the working
   * model in place; the returned promise then resolves with that model's ready event.
   */
  loadFile(file: File): Promise<ReadyEvent> {
    this.loaded = this.load({ kind: 'file', file });
    return this.loaded;
  }

  /**
   * Runs a remote model (a hub id or .gguf URL the user confirmed). Like a file, it is not
   * persisted, and a failed load keeps the working model.
   */
  loadRemote(choice: RemoteChoice): Promise<ReadyEvent> {
    this.loaded = this.load({ kind: 'remote', ...choice });
    return this.loaded;
  }

  /** The local file the engine runs, if it runs one. */
  get modelFile(): File | undefined {
    return this.current?.kind === 'file' && this.readyEvent ? this.current.file : undefined;
  }

  /** Starts loading; the status bar reports failure, so the promise's rejection is handled here too. */
  private load(choice: ModelChoice): Promise<ReadyEvent> {
    const loading = this.loadModel(choice);
    loading.catch(() => {});
    return loading;
  }

  private async loadModel(choice: ModelChoice): Promise<ReadyEvent> {
    const previous = this.readyEvent && this.current ? { choice: this.current, ready: this.readyEvent } : undefined;
    this.current = choice;
    const name = choiceLabel(choice);
    this.deps.showStatus(loadingText(choice), 'loading');
    try {
      const ready = await this.client.load(...this.loadArgs(choice));
      if (this.current === choice) this.showReady(ready);
      return ready;
    } catch (err) {
      // A newer load superseded this one: that one reports for itself.
      if (this.current !== choice) throw err;
      if (err instanceof Error && err.name === 'AbortError' && previous) {
        // Cancelled by the user: not a failure, so no error toast.
        this.current = previous.choice;
        this.showReady(previous.ready);
        this.deps.showStatus(`Stopped loading ${name}; what it downloaded is kept, and loading it again resumes there · still using ${choiceLabel(previous.choice)}`, 'fallback');
        return previous.ready;
      }
      const why = err instanceof Error ? err.message : String(err);
      if (!previous || sameChoice(previous.choice, choice)) {
        this.deps.showStatus(`Model ${name} failed to load: ${why}`, 'error');
        throw err;
      }
      // The engine keeps the model that worked; so do the settings, so that they say what runs.
      this.current = previous.choice;
      if (choice.kind === 'folder' && previous.choice.kind === 'folder') {
        this.settingsModelId = previous.choice.id;
        this.deps.settings.set({ ...this.deps.settings.value, modelId: previous.choice.id });
      }
      const still = choiceLabel(previous.choice);
      this.deps.showStatus(`Model ${name} failed to load (${why}); still using ${still}`, 'fallback');
      this.deps.notify?.(`Model ${name} failed to load; still using ${still}.`, 'error');
      this.deps.onModel?.(this.modelFile);
      return previous.ready;
    }
  }

  private loadArgs(choice: ModelChoice): Parameters<Engine['load']> {
    const common = { backend: 'auto', gpuOptions: { planCache: 'indexeddb' } } as const;
    switch (choice.kind) {
      case 'folder': return [modelUrl(choice.id), common];
      case 'file': return [engineFileName(choice.file), { ...common, file: choice.file }];
      case 'remote': return [choice.source, {
        ...common, source: choice.source, ...(this.deps.hubEndpoint !== undefined ? { hubEndpoint: this.deps.hubEndpoint } : {}),
      }];
    }
  }

  private showReady(ready: ReadyEvent): void {
    this.readyEvent = ready;
    this.deps.hud.setBackend(ready.backend, ready.description);
    this.deps.hud.setPlan(ready.plan);
    const where = ready.backend === 'webgpu' ? ready.description : `CPU fallback (${ready.fallbackReason ?? 'requested'})`;
    const why = ready.notice ? ` · ${ready.notice}` : '';
    const what = this.current ? choiceLabel(this.current) : '';
    const prefixOnly = canFillInMiddle(ready) ? '' : ' · completes from the prefix only (the model has no FIM tokens)';
    this.deps.showStatus(`${what} · ${where}${why}${prefixOnly}`, ready.backend === 'webgpu' && !ready.notice ? 'ready' : 'fallback');
    this.deps.onModel?.(this.modelFile);
  }
  /** Resolves when the current model is loaded (rejects if it failed). */
  whenReady(): Promise<ReadyEvent> { return this.loaded; }

  get ready(): ReadyEvent | undefined { return this.readyEvent; }

  /** The last finished request's outcome (text, tokens, stats). */
  get lastRequest(): { done: DoneEvent; kind: 'completion' | 'rewrite' } | undefined { return this.lastDone; }

  onCompletionEvent(listener: (e: CompletionEvent) => void): Disposable {
    this.completionEvents.add(listener);
    return toDisposable(() => this.completionEvents.delete(listener));
  }

  /** Starts an Edit; a failure (e.g. a broken chat template) is shown to the user and rethrown. */
  async startRewrite(instruction: string): Promise<void> {
    try {
      await this.rewrite.start(instruction);
    } catch (err) {
      const message = `Edit failed: ${err instanceof Error ? err.message : String(err)}. Your code is unchanged.`;
      if (this.deps.notify) this.deps.notify(message, 'error');
      else this.deps.showStatus(message, 'error');
      throw err;
    }
  }

  acceptRewrite(): boolean {
    this.applyingRewrite = true;
    try {
      return this.rewrite.accept();
    } finally {
      this.applyingRewrite = false;
    }
  }

  /** Disposables this assistant holds (a soak test checks they do not grow with use). */
  get disposableCount(): number {
    return this.store.disposableCount;
  }

  dispose(): void {
    this.store.dispose();
  }
}
