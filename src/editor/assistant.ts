// The edit loop as the page runs it: the model slots (ghost text, Edit) and their engine workers,
// inline completions, the "Edit" rewrite with its accept/reject keys, and the HUD's feed. main.ts
// creates one; disposing it terminates the workers and unregisters everything.

import * as monaco from 'monaco-editor';
import { createWorkerEngine, pathSummary, type DoneEvent, type Engine, type ReadyEvent } from '../engine/index.ts';
import type { Hud } from '../hud/hud.ts';
import type { PerfHub } from '../hud/perf-hub.ts';
import type { SettingsModel } from '../settings.ts';
import { DisposableStore, toDisposable, type Disposable } from '../util/disposable.ts';
import { engineCompletions, engineRewrites, type EngineAdapterDeps, type SlotEngine } from './engine-adapters.ts';
import type { LocalModelInfo, ModelChoice, RemoteChoice, SlotName } from './model-slot.ts';
import { ModelSlots } from './model-slots.ts';
import { registerInlineCompletions } from './inline/inline-provider.ts';
import type { CompletionEvent } from './inline/completion-controller.ts';
import { NoConfidentEditError } from './rewrite/never-worse.ts';
import { RewriteSession, type RewriteState } from './rewrite/rewrite-session.ts';

export interface AssistantDeps {
  editor: monaco.editor.IStandaloneCodeEditor;
  settings: SettingsModel;
  hub: PerfHub;
  hud: Hud;
  /** One line of engine status for the status bar. */
  showStatus: (text: string, state: 'loading' | 'ready' | 'fallback' | 'error') => void;
  /** Rewrite bar: shown while an Edit streams or waits for accept/reject. */
  /** The rewrite bar: the session's state, or 'declined' with the reason (Edit's never-worse guard said no). */
  showRewrite: (state: RewriteState | 'declined', editCount: number, message?: string) => void;
  /** A passing message (a failed Edit); without it, the status line shows it. */
  notify?: (message: string, kind: 'info' | 'error') => void;
  /** After each load: the local model file the ghost text slot runs, or undefined for a folder model. */
  onModel?: (local: LocalModelInfo | undefined) => void;
  /** After each ready of either slot: what it now runs. */
  onRunning?: (choice: ModelChoice) => void;
  /** The hub that repo ids resolve against (default huggingface.co). */
  hubEndpoint?: string;
}

export type { ModelChoice, RemoteChoice, SlotName } from './model-slot.ts';

/** The last finished main request (not an alternative), and the slot and model that answered it. */
export interface LastRequest extends Omit<SlotEngine, 'engine'> { done: DoneEvent; kind: 'completion' | 'rewrite' }

/** Where a model id's files are served: public/models/<id>/ under the app's base URL. */
export const modelUrl = (id: string) => new URL(`${import.meta.env.BASE_URL}models/${id}/`, location.href).href;

export class Assistant implements Disposable {
  private readonly store = new DisposableStore();
  /** The ghost text slot, and the Edit slot when it runs a model of its own. */
  readonly slots: ModelSlots;
  readonly rewrite: RewriteSession;
  private lastDone: LastRequest | undefined;
  private readonly completionEvents = new Set<(e: CompletionEvent) => void>();
  /** Set while accept() applies the edits, so our own change doesn't reject the proposal. */
  private applyingRewrite = false;
  /** The rewrite bar says why the last Edit was declined; the next edit to the document clears it. */
  private declineShown = false;
  readonly completions: ReturnType<typeof registerInlineCompletions>;

  constructor(private readonly deps: AssistantDeps) {
    const { editor, settings, hub } = deps;
    this.slots = this.store.add(new ModelSlots({
      settings,
      createEngine: () => createWorkerEngine(),
      modelUrl,
      ...(deps.hubEndpoint !== undefined ? { hubEndpoint: deps.hubEndpoint } : {}),
      profiling: hub,
      showStatus: deps.showStatus,
      ...(deps.notify ? { notify: deps.notify } : {}),
      onGhostReady: (ready) => {
        // N matters on the GPU only (the CPU decodes a token per call).
        const n = ready.backend === 'webgpu' ? ` · ${ready.tokensPerSubmit} tokens per submit unless Settings name N` : '';
        deps.hud.setBackend(ready.backend, ready.description, ready.path ? pathSummary(ready.path) + n : undefined);
        deps.hud.setPlan(ready.plan);
      },
      ...(deps.onModel ? { onModel: deps.onModel } : {}),
      ...(deps.onRunning ? { onRunning: deps.onRunning } : {}),
    }));

    const adapterDeps: EngineAdapterDeps = {
      engineFor: (role) => this.slots.engineFor(role),
      settings: () => settings.value,
      perf: () => hub.emitter(),
      onDone: (done, kind, by) => { this.lastDone = { done, kind, ...by }; },
    };
    this.completions = this.store.add(registerInlineCompletions({
      monaco, editor,
      engine: engineCompletions(adapterDeps),
      debounceMs: () => settings.value.debounceMs,
      gateThreshold: () => settings.value.gateThreshold,
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
      if (this.declineShown && this.rewrite.state === 'idle') {
        this.declineShown = false;
        deps.showRewrite('idle', 0);
      }
    }));
  }

  /**
   * Runs a local .gguf file (picked or dropped) in a slot. It is not persisted: the settings keep
   * naming the folder models, which is what a page reload runs. A file that fails to load leaves the
   * slot's working model in place; the returned promise then resolves with that model's ready event.
   */
  loadFile(file: File, slot: SlotName = 'ghost'): Promise<ReadyEvent> {
    return this.slots.load(slot, { kind: 'file', file });
  }

  /** Runs a local HF folder's files (chosen or dropped together) in a slot; like a file, not persisted. */
  loadFolder(name: string, files: Readonly<Record<string, File>>, slot: SlotName = 'ghost'): Promise<ReadyEvent> {
    return this.slots.load(slot, { kind: 'local-folder', name, files });
  }

  /**
   * Runs a remote model (a hub id or .gguf URL the user confirmed) in a slot. Like a file, it is not
   * persisted, and a failed load keeps the slot's working model.
   */
  loadRemote(choice: RemoteChoice, slot: SlotName = 'ghost'): Promise<ReadyEvent> {
    return this.slots.load(slot, { kind: 'remote', ...choice });
  }

  /** What the ghost text slot runs (what a share link carries), once a model is ready. */
  get running(): ModelChoice | undefined { return this.slots.ghost.runningChoice; }

  /** The ghost text slot's engine (the Edit slot's is `slots.edit?.engine`). */
  get client(): Engine { return this.slots.ghost.engine; }

  /** The local model (a file, or a folder's files) the ghost text slot runs, if it runs one. */
  get modelFile(): LocalModelInfo | undefined { return this.slots.ghost.modelFile; }

  /** Resolves when the slot's model is loaded (rejects if it failed). */
  whenReady(slot: SlotName = 'ghost'): Promise<ReadyEvent> { return this.slots.whenReady(slot); }

  get ready(): ReadyEvent | undefined { return this.slots.ghost.ready; }

  /** The last finished request's outcome (text, tokens, stats) and who answered it. */
  get lastRequest(): LastRequest | undefined { return this.lastDone; }

  onCompletionEvent(listener: (e: CompletionEvent) => void): Disposable {
    this.completionEvents.add(listener);
    return toDisposable(() => this.completionEvents.delete(listener));
  }

  /** Starts an Edit; a failure (e.g. a broken chat template) is shown to the user and rethrown. */
  async startRewrite(instruction: string): Promise<void> {
    try {
      await this.rewrite.start(instruction);
    } catch (err) {
      if (err instanceof NoConfidentEditError) { // a decision, not a failure: the bar says it
        this.declineShown = true;
        this.deps.showRewrite('declined', 0, `Edit: no confident edit — ${err.message.replace(/^no confident edit: /, '')}. Your code is unchanged.`);
        return;
      }
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
