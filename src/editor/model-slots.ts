// The two model slots, the "dual mode": a fast model for ghost text and a stronger one for Edit
// and the alternatives. By default the Edit slot is "same as ghost text" and uses the one engine
// (no second worker, no second copy of the weights); a different Edit model gets its own engine.
// Each slot loads, fails and recovers on its own: an Edit model that fails to load leaves ghost
// text running, and the Edit slot goes back to the ghost text model.

import type { Engine, LoadProgressEvent, ReadyEvent } from '../engine/index.ts';
import { quantizeFormatOf, SAME_AS_GHOST, type SettingsModel } from '../settings.ts';
import { DisposableStore, type Disposable } from '../util/disposable.ts';
import { Emitter } from '../util/emitter.ts';
import type { RequestRole, SlotEngine } from './engine-adapters.ts';
import { choiceLabel, ModelSlot, sameChoice, type LocalModelInfo, type ModelChoice, type SlotName, type SlotState, type SlotStatus } from './model-slot.ts';

export interface ModelSlotsDeps {
  settings: SettingsModel;
  /** A new engine (the app's: a supervised worker); called once per slot that needs its own. */
  createEngine: () => Engine;
  /** Where a folder model's files are served. */
  modelUrl: (id: string) => string;
  hubEndpoint?: string;
  /** Whether the engines should profile now, and when that changes (the HUD watching). */
  profiling: { readonly watched: boolean; onDidChangeWatched: (listener: (on: boolean) => void) => Disposable };
  /** The status line: the ghost text slot's, and the Edit slot's model when it differs. */
  showStatus: (text: string, state: SlotState) => void;
  notify?: (message: string, kind: 'info' | 'error') => void;
  /** After each ready of the ghost text slot (the HUD's backend and wafer plan are its model's). */
  onGhostReady?: (ready: ReadyEvent) => void;
  /** After each load of either slot: the local file the ghost text slot runs (undefined: none). */
  onModel?: (local: LocalModelInfo | undefined) => void;
  /** After each ready of either slot: what it now runs (the picker's recents). */
  onRunning?: (choice: ModelChoice) => void;
}

const STATE_ORDER: readonly SlotState[] = ['error', 'loading', 'fallback', 'ready'];

export class ModelSlots implements Disposable {
  private readonly store = new DisposableStore();
  private readonly progress = this.store.add(new Emitter<LoadProgressEvent>());
  private readonly readies = this.store.add(new Emitter<ReadyEvent>());
  /**
   * Either slot's load progress and readies: what the download bar follows, whichever slot a model
   * downloads into (with cancelLoad).
   */
  readonly onLoadProgress = this.progress.event;
  readonly onReady = this.readies.event;
  readonly ghost: ModelSlot;
  private editSlot: ModelSlot | undefined;
  private ghostStatus: SlotStatus = { text: '', state: 'loading' };
  private editStatus: SlotStatus = { text: '', state: 'loading' };
  /** Why the Edit slot went back to the ghost text model, shown until the next Edit model. */
  private editFailure: string | undefined;
  /**
   * The settings' model fields as last seen: only a change of a model id loads a folder model (a file
   * leaves them alone); a change of quantizeOnLoad or enginePath loads again what each slot runs.
   */
  private seen: { modelId: string; editModelId: string; quantizeOnLoad: string; enginePath: string };

  constructor(private readonly deps: ModelSlotsDeps) {
    const { settings } = deps;
    this.ghost = this.store.add(this.createSlot('ghost'));
    const { modelId, editModelId, quantizeOnLoad, enginePath } = settings.value;
    this.seen = { modelId, editModelId, quantizeOnLoad, enginePath };
    this.load('ghost', { kind: 'folder', id: this.seen.modelId });
    if (this.seen.editModelId !== SAME_AS_GHOST) this.load('edit', { kind: 'folder', id: this.seen.editModelId });
    this.store.add(settings.onDidChange((s) => {
      const ghostChanged = s.modelId !== this.seen.modelId;
      const editChanged = s.editModelId !== this.seen.editModelId;
      const hadEdit = this.editSlot !== undefined;
      if (ghostChanged) {
        this.seen.modelId = s.modelId;
        this.load('ghost', { kind: 'folder', id: s.modelId });
      }
      if (editChanged) {
        this.seen.editModelId = s.editModelId;
        if (s.editModelId === SAME_AS_GHOST) this.closeEdit();
        else this.load('edit', { kind: 'folder', id: s.editModelId });
      } else if (ghostChanged && !this.editSlot && s.editModelId !== SAME_AS_GHOST) {
        // The Edit model was the ghost text model and shared its engine: it stays where it was.
        this.load('edit', { kind: 'folder', id: s.editModelId });
      }
      if (s.quantizeOnLoad !== this.seen.quantizeOnLoad || s.enginePath !== this.seen.enginePath) {
        // Weights are quantized on upload, and the path is chosen at load: what each slot runs is
        // loaded again (a load above already reads the new values).
        this.seen.quantizeOnLoad = s.quantizeOnLoad;
        this.seen.enginePath = s.enginePath;
        if (!ghostChanged && this.ghost.current) this.load('ghost', this.ghost.current);
        if (hadEdit && !editChanged && this.editSlot?.current) this.load('edit', this.editSlot.current);
      }
    }));
    this.store.add(deps.profiling.onDidChangeWatched((on) => {
      for (const slot of this.slots()) slot.engine.setProfiling(on);
    }));
  }

  /** The Edit slot's own engine, or undefined while it is "same as ghost text". */
  get edit(): ModelSlot | undefined { return this.editSlot; }

  /**
   * Loads a model into a slot. A failed load keeps the slot's working model; the returned promise
   * then resolves with that model's ready event. An Edit model equal to the ghost text model closes
   * the Edit slot's engine (one engine serves both).
   */
  load(slot: SlotName, choice: ModelChoice): Promise<ReadyEvent> {
    if (slot === 'ghost') return this.settled(this.ghost.load(choice));
    if (sameChoice(choice, this.ghost.current)) {
      this.closeEdit(); // the setting keeps naming the model: that one engine runs it
      return this.ghost.loaded;
    }
    const edit = this.editSlot ?? this.openEdit();
    const loading = edit.load(choice);
    loading.catch((err: unknown) => {
      // Nothing runs in the Edit slot: Edit and the alternatives go back to the ghost text model.
      if (this.editSlot !== edit || edit.current !== choice || edit.ready) return;
      const why = err instanceof Error ? err.message : String(err);
      this.editFailure = `${choiceLabel(choice)} failed to load (${why}); Edit uses the ghost text model`;
      this.closeEdit();
      this.followInSettings('edit', SAME_AS_GHOST);
      this.deps.notify?.(`Edit: ${this.editFailure}.`, 'error');
    });
    return this.settled(loading);
  }

  /** Resolves when the slot's model is loaded (rejects if none could be). */
  whenReady(slot: SlotName): Promise<ReadyEvent> {
    return (slot === 'edit' && this.editSlot ? this.editSlot : this.ghost).loaded;
  }

  /** The engine for a request: the Edit slot's when it has one, else the ghost text slot's. */
  engineFor(role: RequestRole): SlotEngine {
    const edit = role === 'completion' ? undefined : this.editSlot;
    const slot = edit ?? this.ghost;
    return { engine: slot.engine, slot: role === 'completion' ? 'ghost' : 'edit', model: slot.model };
  }

  /** Whether the Edit slot runs on the ghost text slot's engine. */
  get shared(): boolean { return this.editSlot === undefined; }

  /** Stops whichever slot is loading (the working models stay; what was downloaded is kept). */
  cancelLoad(): void {
    for (const slot of this.slots()) slot.engine.cancelLoad();
  }

  private slots(): ModelSlot[] {
    return this.editSlot ? [this.ghost, this.editSlot] : [this.ghost];
  }

  private createSlot(name: SlotName): ModelSlot {
    const engine = this.deps.createEngine();
    engine.setProfiling(this.deps.profiling.watched);
    return new ModelSlot({
      name, engine, modelUrl: this.deps.modelUrl,
      quantize: () => quantizeFormatOf(this.deps.settings.value),
      enginePath: () => this.deps.settings.value.enginePath,
      ...(this.deps.hubEndpoint !== undefined ? { hubEndpoint: this.deps.hubEndpoint } : {}),
      ...(this.deps.notify ? { notify: this.deps.notify } : {}),
      onStatus: (status) => {
        if (name === 'ghost') this.ghostStatus = status;
        else this.editStatus = status;
        this.showStatus();
      },
      // The settings say what runs: a folder that failed gives way to the folder that still runs.
      onKept: (kept) => { if (kept.kind === 'folder') this.followInSettings(name, kept.id); },
      onProgress: (p) => this.progress.fire(p),
      onReady: (ready, choice) => {
        if (name === 'ghost') this.deps.onGhostReady?.(ready);
        this.deps.onRunning?.(choice);
        this.readies.fire(ready);
      },
    });
  }

  private openEdit(): ModelSlot {
    this.editStatus = { text: '', state: 'loading' };
    this.editFailure = undefined;
    this.editSlot = this.createSlot('edit');
    return this.editSlot;
  }

  /** Disposes the Edit slot's engine (its worker and weights); Edit uses the ghost text slot again. */
  private closeEdit(): void {
    if (!this.editSlot) return;
    this.editSlot.dispose();
    this.editSlot = undefined;
    this.showStatus();
  }

  private followInSettings(slot: SlotName, id: string): void {
    const key = slot === 'ghost' ? 'modelId' : 'editModelId';
    this.seen[key] = id;
    if (this.deps.settings.value[key] !== id) this.deps.settings.update({ [key]: id });
  }

  private settled(loading: Promise<ReadyEvent>): Promise<ReadyEvent> {
    const report = () => this.deps.onModel?.(this.ghost.modelFile);
    loading.then(report, report);
    return loading;
  }

  private showStatus(): void {
    const edit = this.editSlot;
    if (!edit) {
      if (this.editFailure) this.deps.showStatus(`${this.ghostStatus.text} | Edit: ${this.editFailure}`, 'fallback');
      else this.deps.showStatus(this.ghostStatus.text, this.ghostStatus.state);
      return;
    }
    const e = this.editStatus;
    const editText = e.state === 'ready' && edit.model ? edit.model : e.text;
    const state = STATE_ORDER.find((s) => s === this.ghostStatus.state || s === e.state) ?? 'ready';
    this.deps.showStatus(`${this.ghostStatus.text} | Edit: ${editText}`, state);
  }

  dispose(): void {
    this.editSlot?.dispose();
    this.editSlot = undefined;
    this.store.dispose();
  }
}
