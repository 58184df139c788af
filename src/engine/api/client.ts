// The UI side of the engine: wraps the Worker with typed promises and events. One generation is
// current at a time; starting another cancels the previous one, and its tokens are dropped here
// too (a second guard behind the worker's), so stale text can never reach the editor.
import type { CacheListing } from '../../model/cache/model-cache.ts';
import type { ModelConfig } from '../../model/config.ts';
import type { Engine } from './engine.ts';
import type { GpuOptions } from './gpu-options.ts';
import { Emitter } from '../../util/emitter.ts';
import { LOAD_SUPERSEDED } from './protocol.ts';
import type {
  BackendPreference, CacheListEvent, DiagnosticsEvent, DoneEvent, EngineEvent, EngineRequest, GenerateMessage, LoadProgressEvent, ModelFilesMessage,
  ReadyEvent, TokensEvent,
} from './protocol.ts';

/** The part of Worker the client uses (tests pass a fake). */
export interface WorkerLike {
  postMessage(message: EngineRequest, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<EngineEvent>) => void): void;
  addEventListener(type: 'error', listener: (event: ErrorEvent) => void): void;
  removeEventListener(type: 'message', listener: (event: MessageEvent<EngineEvent>) => void): void;
  removeEventListener(type: 'error', listener: (event: ErrorEvent) => void): void;
  terminate(): void;
}

export type GenerateOptions = Omit<GenerateMessage, 'type' | 'id'>;

export interface Generation {
  readonly id: number;
  /** Resolves when the worker finishes the request (finishReason 'cancelled' if superseded). */
  readonly done: Promise<DoneEvent>;
  cancel(): void;
}

export interface LoadOptions {
  backend?: BackendPreference;
  /** In-memory model files; their buffers are transferred to the worker (the arrays become empty). */
  files?: ModelFilesMessage;
  /**
   * A local .gguf file (a File from a picker or a drop); `modelUrl` is then its name. It is not
   * copied: the worker reads it from disk, and reads it again after a restart.
   */
  file?: Blob;
  /** A local HF folder's files by name (Files from a picker or a drop); read from disk like `file`. */
  folder?: Record<string, Blob>;
  /**
   * A remote model: a hub id org/name[@revision][:file.gguf] or an https URL of a .gguf file;
   * `modelUrl` is then its label. The worker downloads it, and again after a restart.
   */
  source?: string;
  /** The hub `source` resolves against; default huggingface.co. */
  hubEndpoint?: string;
  gpuOptions?: GpuOptions;
}

interface Pending {
  onTokens: ((event: TokensEvent) => void) | undefined;
  resolve: (event: DoneEvent) => void;
  reject: (err: Error) => void;
}

export class EngineClient implements Engine {
  private readonly progress = new Emitter<LoadProgressEvent>();
  private readonly errors = new Emitter<string>();
  private readonly readies = new Emitter<ReadyEvent>();
  private readonly crashes = new Emitter<string>();
  private readonly activity = new Emitter<void>();
  /** Load progress of model files. */
  readonly onLoadProgress = this.progress.event;
  /** Errors not tied to a request (a crashed worker, a bad message). */
  readonly onError = this.errors.event;
  /** Every ready event: a load's, and one the engine sends after it recovered by itself. */
  readonly onReady = this.readies.event;
  /** The worker died (its 'error' event); every pending request has failed. */
  readonly onDidCrash = this.crashes.event;
  /** Any message from the worker: the supervisor's sign of life. */
  readonly onActivity = this.activity.event;

  private readonly pending = new Map<number, Pending>();
  private readonly diagnosing: ((event: DiagnosticsEvent) => void)[] = [];
  /** Cache requests in the order sent; the worker answers them in that order. */
  private readonly caching: { resolve: (listing: CacheListing) => void; reject: (err: Error) => void }[] = [];
  private loading: { resolve: (e: ReadyEvent) => void; reject: (err: Error) => void } | undefined;
  private nextId = 1;
  private currentId = 0;
  private ready: ReadyEvent | undefined;
  private disposed = false;

  constructor(private readonly worker: WorkerLike) {
    worker.addEventListener('message', this.onMessage);
    worker.addEventListener('error', this.onWorkerError);
  }

  /** Starts the real engine worker (Vite bundles worker.ts as a module worker). */
  static create(): EngineClient {
    return new EngineClient(new Worker(new URL('../worker/worker.ts', import.meta.url), { type: 'module', name: 'spark-engine' }));
  }

  /** The backend and model once loaded. */
  get readyInfo(): ReadyEvent | undefined {
    return this.ready;
  }

  get config(): ModelConfig | undefined {
    return this.ready?.config;
  }

  /** Loads a model (by base URL, from in-memory files, or from a local .gguf file); resolves when the backend is ready. */
  load(modelUrl: string, options: LoadOptions = {}): Promise<ReadyEvent> {
    this.assertLive();
    this.loading?.reject(new Error(LOAD_SUPERSEDED));
    this.ready = undefined;
    return new Promise<ReadyEvent>((resolve, reject) => {
      this.loading = { resolve, reject };
      const transfer = options.files ? [...new Set(Object.values(options.files).map((b) => b.buffer as ArrayBuffer))] : [];
      this.worker.postMessage({
        type: 'load', modelUrl,
        ...(options.files ? { files: options.files } : {}),
        ...(options.file ? { file: options.file } : {}),
        ...(options.folder ? { folder: options.folder } : {}),
        ...(options.source !== undefined ? { source: options.source } : {}),
        ...(options.hubEndpoint !== undefined ? { hubEndpoint: options.hubEndpoint } : {}),
        ...(options.backend ? { backend: options.backend } : {}),
        ...(options.gpuOptions ? { gpuOptions: options.gpuOptions } : {}),
      }, transfer);
    });
  }

  /** Starts a generation, cancelling the current one. onTokens gets this request's deltas only. */
  generate(options: GenerateOptions, onTokens?: (event: TokensEvent) => void): Generation {
    this.assertLive();
    const id = this.nextId++;
    this.currentId = id;
    const done = new Promise<DoneEvent>((resolve, reject) => this.pending.set(id, { onTokens, resolve, reject }));
    this.worker.postMessage({ type: 'generate', id, ...options });
    return { id, done, cancel: () => this.cancel(id) };
  }

  cancel(id: number): void {
    if (this.disposed || !this.pending.has(id)) return;
    if (this.currentId === id) this.currentId = 0; // drop its tokens from now on
    this.worker.postMessage({ type: 'cancel', id });
  }

  cancelLoad(): void {
    if (this.disposed || !this.loading) return;
    this.worker.postMessage({ type: 'cancelLoad' });
  }

  listCache(): Promise<CacheListing> {
    return this.cacheRequest({ type: 'cacheList' });
  }

  deleteCached(key: string): Promise<CacheListing> {
    return this.cacheRequest({ type: 'cacheDelete', key });
  }

  private cacheRequest(message: { type: 'cacheList' } | { type: 'cacheDelete'; key: string }): Promise<CacheListing> {
    this.assertLive();
    return new Promise((resolve, reject) => {
      this.caching.push({ resolve, reject });
      this.worker.postMessage(message);
    });
  }

  private onCacheList(e: CacheListEvent): void {
    const waiting = this.caching.shift();
    if (e.error !== undefined) waiting?.reject(new Error(e.error));
    else waiting?.resolve(e.listing);
  }

  setProfiling(on: boolean): void {
    this.assertLive();
    this.worker.postMessage({ type: 'setProfiling', on });
  }

  /** What the engine holds now (GPU buffers, cached tokens); answered even while a request runs. */
  diagnostics(): Promise<DiagnosticsEvent> {
    this.assertLive();
    return new Promise((resolve) => {
      this.diagnosing.push(resolve);
      this.worker.postMessage({ type: 'diagnostics' });
    });
  }

  /** Requests still waiting for their done event. */
  get pendingCount(): number {
    return this.pending.size + (this.loading ? 1 : 0);
  }

  private readonly onMessage = (event: MessageEvent<EngineEvent>): void => {
    const e = event.data;
    this.activity.fire();
    switch (e.type) {
      case 'loadProgress':
        this.progress.fire(e);
        break;
      case 'ready':
        this.ready = e;
        this.loading?.resolve(e);
        this.loading = undefined;
        this.readies.fire(e);
        break;
      case 'diagnostics':
        this.diagnosing.shift()?.(e);
        break;
      case 'alive': // activity (above) is all it says
        break;
      case 'cacheList':
        this.onCacheList(e);
        break;
      case 'tokens':
        // Only the current request streams; anything else is stale.
        if (e.id === this.currentId) this.pending.get(e.id)?.onTokens?.(e);
        break;
      case 'done': {
        const p = this.pending.get(e.id);
        this.pending.delete(e.id);
        p?.resolve(e);
        break;
      }
      case 'error': {
        const err = new Error(e.message);
        if (e.cancelled) err.name = 'AbortError';
        if (e.id !== undefined && this.pending.has(e.id)) {
          this.pending.get(e.id)!.reject(err);
          this.pending.delete(e.id);
        } else if (this.loading) {
          this.loading.reject(err);
          this.loading = undefined;
        } else {
          this.errors.fire(e.message);
        }
        break;
      }
    }
  };

  private readonly onWorkerError = (event: ErrorEvent): void => {
    const err = new Error(`engine worker crashed: ${event.message || 'unknown error'}`);
    this.failAll(err);
    this.errors.fire(err.message);
    this.crashes.fire(err.message);
  };

  private failAll(err: Error): void {
    this.loading?.reject(err);
    this.loading = undefined;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    for (const c of this.caching.splice(0)) c.reject(err);
  }

  private assertLive(): void {
    if (this.disposed) throw new Error('EngineClient: disposed');
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.failAll(new Error('EngineClient: disposed'));
    this.worker.postMessage({ type: 'dispose' });
    this.worker.removeEventListener('message', this.onMessage);
    this.worker.removeEventListener('error', this.onWorkerError);
    // The worker closes itself after releasing its backend; terminate is the backstop.
    setTimeout(() => this.worker.terminate(), 1000);
    this.progress.dispose();
    this.errors.dispose();
    this.readies.dispose();
    this.crashes.dispose();
    this.activity.dispose();
  }
}
