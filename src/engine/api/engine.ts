// The one engine interface the UI, the bench and the scripts program against, whether the engine
// runs in its Worker (the app) or in the calling thread (a page that has no second thread to spare,
// a test). Both are an EngineClient over a transport: a real Worker, or an in-page host.
import type { ModelConfig } from '../../model/config.ts';
import type { Disposable } from '../../util/disposable.ts';
import type { GenerateOptions, Generation, LoadOptions } from './client.ts';
import type { CacheListing } from '../../model/cache/model-cache.ts';
import type { DiagnosticsEvent, LoadProgressEvent, ReadyEvent, TokensEvent } from './protocol.ts';

export interface Engine extends Disposable {
  /** Load progress of model files. */
  readonly onLoadProgress: (listener: (event: LoadProgressEvent) => void) => Disposable;
  /** Errors not tied to a request (a crashed worker, a bad message). */
  readonly onError: (listener: (message: string) => void) => Disposable;
  /**
   * Every ready event: a load's, and one the engine sends when it recovered by itself (a lost
   * GPU device, a restarted worker); then `notice` says what happened.
   */
  readonly onReady: (listener: (event: ReadyEvent) => void) => Disposable;
  /** The backend and model once loaded. */
  readonly readyInfo: ReadyEvent | undefined;
  readonly config: ModelConfig | undefined;
  /** Loads a model (by base URL, from in-memory files, or from a local .gguf File); resolves when the backend is ready. */
  load(modelUrl: string, options?: LoadOptions): Promise<ReadyEvent>;
  /** Starts a generation, cancelling the current one. onTokens gets this request's deltas only. */
  generate(options: GenerateOptions, onTokens?: (event: TokensEvent) => void): Generation;
  cancel(id: number): void;
  /**
   * Stops the load in flight: its promise rejects, the working model stays, and a download keeps
   * what it stored, so loading the same source again resumes it.
   */
  cancelLoad(): void;
  /** The model cache: each cached remote model with its size, and the storage used against the quota. */
  listCache(): Promise<CacheListing>;
  /** Deletes one cached model (a key from listCache) and answers with the listing after it. */
  deleteCached(key: string): Promise<CacheListing>;
  setProfiling(on: boolean): void;
  /** What the engine holds now (GPU buffers alive, cached tokens): a soak test's leak check. */
  diagnostics(): Promise<DiagnosticsEvent>;
}
