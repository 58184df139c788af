// The engine as the app holds it: one EngineClient at a time over a Worker that can be replaced.
// A worker that crashes, or stops answering while a request waits, is terminated and a new one
// starts (after a backoff) and loads the last model again; a hang moves the engine to the CPU,
// since a backend that never answers is most likely the GPU's. Requests in flight fail with the
// reason, so the editor leaves the document as it is.
import type { CacheListing } from '../../model/cache/model-cache.ts';
import type { ModelConfig } from '../../model/config.ts';
import { DisposableStore } from '../../util/disposable.ts';
import { Emitter } from '../../util/emitter.ts';
import type { EngineClient, GenerateOptions, Generation, LoadOptions } from './client.ts';
import type { Engine } from './engine.ts';
import type { DiagnosticsEvent, DoneEvent, LoadProgressEvent, ReadyEvent, TokensEvent } from './protocol.ts';

export interface SupervisorOptions {
  /** A request waiting this long with no message from the worker means the worker is stuck. */
  watchdogMs?: number;
  /** Delay before the first restart; doubles with each restart inside `restartWindowMs`. */
  backoffMs?: number;
  /** More than `maxRestarts` restarts inside this window: give up and say so. */
  restartWindowMs?: number;
  maxRestarts?: number;
}

/**
 * Defaults. The watchdog is generous: on a software adapter a 2,000-token prefill takes tens of
 * seconds, and a long silence that is not a hang must not cost the user a restart.
 */
export const SUPERVISOR_DEFAULTS: Required<SupervisorOptions> = Object.freeze({
  watchdogMs: 90_000, backoffMs: 250, restartWindowMs: 60_000, maxRestarts: 3,
});

export class SupervisedEngine implements Engine {
  private readonly progress = new Emitter<LoadProgressEvent>();
  private readonly errors = new Emitter<string>();
  private readonly readies = new Emitter<ReadyEvent>();
  readonly onLoadProgress = this.progress.event;
  readonly onError = this.errors.event;
  readonly onReady = this.readies.event;
  private readonly o: Required<SupervisorOptions>;
  private client: EngineClient;
  private clientStore = new DisposableStore();
  /**
   * The last load that can be repeated: a URL, or a local file (its Blob is a handle to the file on
   * disk, still readable). In-memory files were transferred away and cannot.
   */
  private lastLoad: { modelUrl: string; options: LoadOptions } | undefined;
  private profiling = false;
  private readonly restarts: number[] = [];
  private lastActivity = performance.now();
  private watchdog: ReturnType<typeof setInterval> | undefined;
  /** Why the current client was replaced: what the requests it failed are told. */
  private failure: string | undefined;
  private restarting = false;
  /** While a restart loads the model again: its ready is announced with the reason instead. */
  private reloading = false;
  private disposed = false;

  constructor(private readonly createClient: () => EngineClient, options: SupervisorOptions = {}) {
    this.o = { ...SUPERVISOR_DEFAULTS, ...options };
    this.client = this.attach(createClient());
  }

  get readyInfo(): ReadyEvent | undefined { return this.client.readyInfo; }
  get config(): ModelConfig | undefined { return this.client.config; }

  load(modelUrl: string, options: LoadOptions = {}): Promise<ReadyEvent> {
    this.assertLive();
    if (this.failure) return Promise.reject(new Error(this.failure));
    // Remembered once loaded: a load that fails leaves the engine on the model before it.
    return this.guard(this.client.load(modelUrl, options)).then((ready) => {
      this.lastLoad = options.files ? undefined : { modelUrl, options };
      return ready;
    });
  }

  generate(options: GenerateOptions, onTokens?: (event: TokensEvent) => void): Generation {
    this.assertLive();
    if (this.failure) return { id: -1, done: Promise.reject(new Error(this.failure)), cancel: () => {} };
    const gen = this.client.generate(options, onTokens);
    return { id: gen.id, done: this.guard<DoneEvent>(gen.done), cancel: gen.cancel };
  }

  cancel(id: number): void {
    this.client.cancel(id);
  }

  cancelLoad(): void {
    this.client.cancelLoad();
  }

  listCache(): Promise<CacheListing> {
    return this.guard(this.client.listCache());
  }

  deleteCached(key: string): Promise<CacheListing> {
    return this.guard(this.client.deleteCached(key));
  }

  setProfiling(on: boolean): void {
    this.profiling = on;
    this.client.setProfiling(on);
  }

  diagnostics(): Promise<DiagnosticsEvent> {
    return this.client.diagnostics();
  }

  /** A failure caused by a restart carries the restart's reason, not "disposed". */
  private guard<T>(p: Promise<T>): Promise<T> {
    this.startWatchdog();
    const client = this.client;
    return p.catch((err: unknown) => {
      if (client !== this.client || this.failure) throw new Error(this.failure ?? 'the engine restarted');
      throw err;
    });
  }

  private attach(client: EngineClient): EngineClient {
    this.clientStore = new DisposableStore();
    this.clientStore.add(client);
    this.clientStore.add(client.onLoadProgress((p) => this.progress.fire(p)));
    this.clientStore.add(client.onError((m) => this.errors.fire(m)));
    this.clientStore.add(client.onReady((r) => { if (!this.reloading) this.readies.fire(r); }));
    this.clientStore.add(client.onActivity(() => { this.lastActivity = performance.now(); }));
    this.clientStore.add(client.onDidCrash((reason) => { void this.restart(reason, undefined); }));
    return client;
  }

  private startWatchdog(): void {
    this.lastActivity = performance.now();
    if (this.watchdog !== undefined) return;
    this.watchdog = setInterval(() => {
      if (this.client.pendingCount === 0) {
        clearInterval(this.watchdog);
        this.watchdog = undefined;
        return;
      }
      const silent = performance.now() - this.lastActivity;
      if (silent > this.o.watchdogMs && !this.restarting) {
        void this.restart(`the engine stopped answering for ${Math.round(silent / 1000)} s`, 'cpu');
      }
    }, Math.max(10, Math.min(1000, this.o.watchdogMs / 4)));
  }

  /** Replaces the worker and loads the last model again, on `backend` if given. */
  private async restart(reason: string, backend: LoadOptions['backend']): Promise<void> {
    if (this.disposed || this.restarting) return;
    this.restarting = true;
    const now = performance.now();
    while (this.restarts.length > 0 && now - this.restarts[0]! > this.o.restartWindowMs) this.restarts.shift();
    this.restarts.push(now);
    const attempt = this.restarts.length;
    this.failure = `${reason}; the engine was restarted`;
    const old = this.clientStore;
    old.dispose(); // terminates the worker; pending requests fail with `failure`
    if (attempt > this.o.maxRestarts) {
      this.failure = `${reason}, ${attempt} times in ${Math.round(this.o.restartWindowMs / 1000)} s: the engine is stopped. Reload the page to try again; your text is kept.`;
      this.errors.fire(this.failure);
      this.restarting = false;
      return;
    }
    this.errors.fire(`${reason}; restarting it (attempt ${attempt})`);
    await new Promise((resolve) => setTimeout(resolve, this.o.backoffMs * 2 ** (attempt - 1)));
    if (this.disposed) return;
    this.client = this.attach(this.createClient());
    this.failure = undefined;
    this.restarting = false;
    if (this.profiling) this.client.setProfiling(true);
    const last = this.lastLoad;
    if (!last) return;
    this.reloading = true;
    try {
      const ready = await this.guard(this.client.load(last.modelUrl, { ...last.options, ...(backend ? { backend } : {}) }));
      this.reloading = false;
      // The client already fired this ready; say once more, with why, for the status bar.
      this.readies.fire({ ...ready, notice: `${reason}; restarted on ${ready.backend === 'webgpu' ? 'WebGPU' : 'the CPU'}` });
    } catch (err) {
      this.reloading = false;
      this.errors.fire(`the engine restarted but the model did not load: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private assertLive(): void {
    if (this.disposed) throw new Error('engine: disposed');
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.watchdog !== undefined) clearInterval(this.watchdog);
    this.clientStore.dispose();
    this.progress.dispose();
    this.errors.dispose();
    this.readies.dispose();
  }
}
