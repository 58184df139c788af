// One model slot: an engine and the model it runs (a shipped folder by id, a local .gguf file, a
// local HF folder's files, or a remote hub id/URL). A load that fails keeps the model that worked; the slot reports what it
// runs as one status line. Two slots (ghost text, Edit) are paired in model-slots.ts.

import { pathSummary, type BackendPreference, type Engine, type LoadProgressEvent, type QuantizeFormat, type ReadyEvent } from '../engine/index.ts';
import type { SlotName } from '../settings.ts';
import { DisposableStore, type Disposable } from '../util/disposable.ts';
import { formatBytes } from '../util/format-bytes.ts';
import { canFillInMiddle } from './engine-adapters.ts';

export type { SlotName } from '../settings.ts';

/**
 * A remote model: a hub id or a .gguf URL (what the user typed), with its size when known, and
 * where it resolved (org/name@<commit>[:file]): what the load fetches, so it is the commit the user confirmed.
 */
export interface RemoteChoice { source: string; pinned?: string; bytes?: number }

/** A local model the user chose: its name and size, for the picker's note. */
export interface LocalModelInfo { name: string; size: number }

export type ModelChoice = { kind: 'folder'; id: string } | { kind: 'file'; file: File }
  | { kind: 'local-folder'; name: string; files: Readonly<Record<string, File>> } | ({ kind: 'remote' } & RemoteChoice);

const folderBytes = (files: Readonly<Record<string, File>>) => Object.values(files).reduce((sum, f) => sum + f.size, 0);

export type SlotState = 'loading' | 'ready' | 'fallback' | 'error';
export interface SlotStatus { text: string; state: SlotState }

export function choiceLabel(c: ModelChoice): string {
  switch (c.kind) {
    case 'folder': return c.id;
    case 'file': return `model file ${c.file.name}`;
    case 'local-folder': return c.name;
    case 'remote': return c.source;
  }
}

export function sameChoice(a: ModelChoice, b: ModelChoice | undefined): boolean {
  switch (a.kind) {
    case 'folder': return b?.kind === 'folder' && a.id === b.id;
    case 'file': return b?.kind === 'file' && a.file === b.file;
    case 'local-folder': return b?.kind === 'local-folder' && a.files === b.files;
    case 'remote': return b?.kind === 'remote' && (a.pinned ?? a.source) === (b.pinned ?? b.source);
  }
}

function loadingText(c: ModelChoice): string {
  switch (c.kind) {
    case 'folder': return `Loading model ${c.id}…`;
    case 'file': return `Loading model file ${c.file.name} (${formatBytes(c.file.size)})…`;
    case 'local-folder': return `Loading ${c.name} (${formatBytes(folderBytes(c.files))})…`;
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

export interface ModelSlotDeps {
  name: SlotName;
  engine: Engine;
  /** Where a folder model's files are served. */
  modelUrl: (id: string) => string;
  /** The hub that repo ids resolve against (default huggingface.co). */
  hubEndpoint?: string;
  /** The block type float weights are quantized to on load, read at each load (undefined: kept as floats). */
  quantize?: () => QuantizeFormat | undefined;
  /** The path the engine runs the model on, read at each load (default auto: timed at load). */
  enginePath?: () => BackendPreference;
  /** Every change of what the slot runs or is loading. */
  onStatus: (status: SlotStatus) => void;
  /** A load failed and the slot kept `kept` (the settings should name it again). */
  onKept?: (kept: ModelChoice) => void;
  /** A passing message (a failed load that kept the previous model). */
  notify?: (message: string, kind: 'info' | 'error') => void;
  /** Every progress event of the slot's loads (the download bar's). */
  onProgress?: (p: LoadProgressEvent) => void;
  /** After each ready (a load's, or the engine's own recovery), with what the slot now runs. */
  onReady?: (ready: ReadyEvent, choice: ModelChoice) => void;
}

export class ModelSlot implements Disposable {
  private readonly store = new DisposableStore();
  readonly engine: Engine;
  /** What the engine runs, or is loading. */
  private currentChoice: ModelChoice | undefined;
  /** What the engine has loaded: the model that answers now. */
  private running: { choice: ModelChoice; ready: ReadyEvent } | undefined;
  private loading: Promise<ReadyEvent> = new Promise(() => {});

  constructor(private readonly deps: ModelSlotDeps) {
    this.engine = this.store.add(deps.engine);
    this.store.add(this.engine.onError((message) => deps.onStatus({ text: `Engine: ${message}`, state: 'error' })));
    this.store.add(this.engine.onLoadProgress((p) => {
      const pct = p.totalBytes ? ` ${Math.round((100 * p.loadedBytes) / p.totalBytes)}%` : '';
      deps.onStatus({ text: `Loading ${p.file}${pct}`, state: 'loading' });
      deps.onProgress?.(p);
    }));
    // The engine may recover by itself (a lost GPU device, a restarted worker): show where it runs now.
    this.store.add(this.engine.onReady((ready) => {
      if (ready.notice && this.running) this.showReady({ choice: this.running.choice, ready });
    }));
  }

  get name(): SlotName { return this.deps.name; }
  /** What the slot runs or is loading. */
  get current(): ModelChoice | undefined { return this.currentChoice; }
  get ready(): ReadyEvent | undefined { return this.running?.ready; }
  /** What the slot runs now, once a model is ready. */
  get runningChoice(): ModelChoice | undefined { return this.running?.choice; }
  /** The name of the model that answers now ('' before any load finished). */
  get model(): string { return this.running ? choiceLabel(this.running.choice) : ''; }
  /** The local file the slot runs, if it runs one. */
  get modelFile(): LocalModelInfo | undefined {
    const choice = this.running?.choice;
    if (choice?.kind === 'file') return choice.file;
    return choice?.kind === 'local-folder' ? { name: choice.name, size: folderBytes(choice.files) } : undefined;
  }
  /** The latest load: resolves with its ready event, or the kept model's after a fallback; rejects if nothing runs. */
  get loaded(): Promise<ReadyEvent> { return this.loading; }

  /** Starts loading; the status line reports a failure, so the returned promise's rejection is handled here too. */
  load(choice: ModelChoice): Promise<ReadyEvent> {
    this.loading = this.loadModel(choice);
    this.loading.catch(() => {});
    return this.loading;
  }

  private async loadModel(choice: ModelChoice): Promise<ReadyEvent> {
    const previous = this.running;
    this.currentChoice = choice;
    const name = choiceLabel(choice);
    this.deps.onStatus({ text: loadingText(choice), state: 'loading' });
    try {
      const ready = await this.engine.load(...this.loadArgs(choice));
      if (this.currentChoice === choice) this.showReady({ choice, ready });
      return ready;
    } catch (err) {
      // A newer load superseded this one: that one reports for itself.
      if (this.currentChoice !== choice) throw err;
      if (err instanceof Error && err.name === 'AbortError' && previous) {
        // Cancelled by the user: not a failure, so no error toast.
        this.currentChoice = previous.choice;
        this.showReady(previous);
        this.deps.onStatus({ text: `Stopped loading ${name}; what it downloaded is kept, and loading it again resumes there · still using ${choiceLabel(previous.choice)}`, state: 'fallback' });
        return previous.ready;
      }
      const why = err instanceof Error ? err.message : String(err);
      if (!previous || sameChoice(previous.choice, choice)) {
        this.deps.onStatus({ text: `Model ${name} failed to load: ${why}`, state: 'error' });
        throw err;
      }
      // The engine keeps the model that worked (it disposes the old backend only once a new one is ready).
      this.currentChoice = previous.choice;
      const still = choiceLabel(previous.choice);
      this.deps.onKept?.(previous.choice);
      this.deps.onStatus({ text: `Model ${name} failed to load (${why}); still using ${still}`, state: 'fallback' });
      this.deps.notify?.(`Model ${name} failed to load; still using ${still}.`, 'error');
      return previous.ready;
    }
  }

  private loadArgs(choice: ModelChoice): Parameters<Engine['load']> {
    const quantizeFloats = this.deps.quantize?.();
    const common = { backend: this.deps.enginePath?.() ?? 'auto', gpuOptions: { planCache: 'indexeddb', ...(quantizeFloats ? { quantizeFloats } : {}) } } as const;
    switch (choice.kind) {
      case 'folder': return [this.deps.modelUrl(choice.id), common];
      case 'file': return [engineFileName(choice.file), { ...common, file: choice.file }];
      // The engine reads a label ending in .gguf as one GGUF file.
      case 'local-folder': return [choice.name.replace(/\.gguf$/i, '_gguf'), { ...common, folder: choice.files }];
      case 'remote': return [choice.pinned ?? choice.source, {
        ...common, source: choice.pinned ?? choice.source, ...(this.deps.hubEndpoint !== undefined ? { hubEndpoint: this.deps.hubEndpoint } : {}),
      }];
    }
  }

  private showReady(running: { choice: ModelChoice; ready: ReadyEvent }): void {
    this.running = running;
    const { ready } = running;
    // A CPU backend's description may carry why it runs ("CPU reference (requested)"): the path summary says that.
    const device = ready.backend === 'cpu' && ready.description.startsWith('CPU reference') ? 'CPU reference' : ready.description;
    const where = ready.fallbackReason !== undefined ? `CPU fallback (${ready.fallbackReason})`
      : ready.path && ready.path.how !== 'only' ? `${device} · ${pathSummary(ready.path)}` : device;
    const why = ready.notice ? ` · ${ready.notice}` : '';
    const prefixOnly = canFillInMiddle(ready) ? '' : ' · completes from the prefix only (the model has no FIM tokens)';
    const state: SlotState = ready.fallbackReason === undefined && !ready.notice ? 'ready' : 'fallback';
    this.deps.onStatus({ text: `${choiceLabel(running.choice)} · ${where}${why}${prefixOnly}`, state });
    this.deps.onReady?.(ready, running.choice);
  }

  dispose(): void {
    this.store.dispose();
  }
}
