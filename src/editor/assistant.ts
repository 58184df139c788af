// The edit loop as the page runs it: the engine worker and its model, inline completions, the
// "Edit" rewrite with its accept/reject keys, and the HUD's feed. main.ts creates one; disposing
// it terminates the worker and unregisters everything.

import * as monaco from 'monaco-editor';
import { createWorkerEngine, type DoneEvent, type Engine, type ReadyEvent } from '../engine/index.ts';
import type { Hud } from '../hud/hud.ts';
import type { PerfHub } from '../hud/perf-hub.ts';
import type { SettingsModel } from '../settings.ts';
import { DisposableStore, toDisposable, type Disposable } from '../util/disposable.ts';
import { engineCompletions, engineRewrites, type EngineAdapterDeps } from './engine-adapters.ts';
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
}

/** Where a model id's files are served: public/models/<id>/ under the app's base URL. */
export const modelUrl = (id: string) => new URL(`${import.meta.env.BASE_URL}models/${id}/`, location.href).href;

export class Assistant implements Disposable {
  private readonly store = new DisposableStore();
  readonly client: Engine;
  readonly rewrite: RewriteSession;
  private readyEvent: ReadyEvent | undefined;
  private loaded: Promise<ReadyEvent>;
  private lastDone: { done: DoneEvent; kind: 'completion' | 'rewrite' } | undefined;
  private readonly completionEvents = new Set<(e: CompletionEvent) => void>();
  private modelId: string | undefined;
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
    this.loaded = this.load(settings.value.modelId);
    this.store.add(settings.onDidChange((s) => {
      if (s.modelId !== this.modelId) this.loaded = this.load(s.modelId);
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

  /** Starts loading; the status bar reports failure, so the promise's rejection is handled here too. */
  private load(id: string): Promise<ReadyEvent> {
    const loading = this.loadModel(id);
    loading.catch(() => {});
    return loading;
  }

  private async loadModel(id: string): Promise<ReadyEvent> {
    const previous = this.readyEvent ? { id: this.modelId, ready: this.readyEvent } : undefined;
    this.modelId = id;
    this.deps.showStatus(`Loading model ${id}…`, 'loading');
    try {
      const ready = await this.client.load(modelUrl(id), { backend: 'auto', gpuOptions: { planCache: 'indexeddb' } });
      this.showReady(ready);
      return ready;
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      if (!previous?.id || previous.id === id) {
        this.deps.showStatus(`Model ${id} failed to load: ${why}`, 'error');
        throw err;
      }
      // The engine keeps the model that worked; so do the settings, so that they say what runs.
      this.modelId = previous.id;
      this.deps.settings.set({ ...this.deps.settings.value, modelId: previous.id });
      this.deps.showStatus(`Model ${id} failed to load (${why}); still using ${previous.id}`, 'fallback');
      this.deps.notify?.(`Model ${id} failed to load; still using ${previous.id}.`, 'error');
      return previous.ready;
    }
  }

  private showReady(ready: ReadyEvent): void {
    this.readyEvent = ready;
    this.deps.hud.setBackend(ready.backend, ready.description);
    this.deps.hud.setPlan(ready.plan);
    const where = ready.backend === 'webgpu' ? ready.description : `CPU fallback (${ready.fallbackReason ?? 'requested'})`;
    const why = ready.notice ? ` · ${ready.notice}` : '';
    this.deps.showStatus(`${this.modelId ?? ''} · ${where}${why}`, ready.backend === 'webgpu' && !ready.notice ? 'ready' : 'fallback');
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
