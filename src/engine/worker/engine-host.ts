// Everything the engine worker does, independent of the Worker global so it can be tested in
// Node: load a model, pick a backend, turn prompts into ids, run one generation at a time, stream
// text deltas, and cancel. Policy: a new generate cancels every earlier one at its next submit
// boundary; ids of a cancelled request are never posted after the cancel.
import { IncrementalDetokenizer } from '../../model/detokenizer.ts';
import { loadModel, type LoadedModel } from '../../model/load.ts';
import { blobReader } from '../../model/byte-reader.ts';
import { loadGguf } from '../../model/gguf.ts';
import { blobFetcher, memoryFetcher, urlFetcher } from '../../model/model-files.ts';
import { loadModelFrom, openRemoteSource } from '../../model/model-source.ts';
import { cacheRecordName, openCachedSource } from '../../model/cache/cached-source.ts';
import type { ChunkStore } from '../../model/cache/chunk-store.ts';
import { deleteCachedModel, listCachedModels, openModelCacheStore } from '../../model/cache/model-cache.ts';
import { CACHE_CHUNK_BYTES } from '../../model/limits.ts';
import type { Disposable } from '../../util/disposable.ts';
import { traceNow } from '../../util/trace-clock.ts';
import { type Backend } from '../backends/backend.ts';
import { emptyStats, GREEDY } from '../api/types.ts';
import { errorMessage, selectBackend, type SelectOptions } from './backend-select.ts';
import { loadChatTemplate, type LoadedChatTemplate } from './chat-template.ts';
import { documentLookupDraft, promptLookupDraft } from './draft/prompt-lookup.ts';
import { speculativeEditDraft } from './draft/speculative-edit.ts';
import { ProgressThrottle } from './progress-throttle.ts';
import { promptTokenizer } from './line-chunk-encoder.ts';
import { buildPrompt, type PromptTokenizer } from './prompt.ts';
import { IDLE_RECUT_MS, promptBudget, TOKENS_PER_SUBMIT, tokensPerSubmitFor } from '../api/limits.ts';
import { DownloadStalledError } from '../../model/stall-guard.ts';
import { PromptWindow } from './prompt-window.ts';
import { IdleRecut } from './idle-recut.ts';
import { healPrompt, HealedText, TokenSpellings } from './token-healing.ts';
import type { ModelWaferPlan } from '../api/plan-types.ts';
import { LOAD_SUPERSEDED, parseEngineRequest, type CacheListEvent, type EngineEvent, type FinishReason, type GenerateMessage, type LoadMessage } from '../api/protocol.ts';

export type PostEvent = (event: EngineEvent) => void;

/** Progress events per file at most this often (plus the first and the last). */
const PROGRESS_INTERVAL_MS = 100;

/**
 * A request's draft source: its draft text first (a rewrite's original, a completion's copy
 * candidate), where the output has got to in it; else prompt lookup, over the document for a FIM
 * prompt (whose own tokens end in control tokens).
 */
function drafts(reference: readonly number[] | undefined, lookupIds: readonly number[] | undefined, promptLength: number) {
  const lookup = lookupIds ? documentLookupDraft(lookupIds, promptLength) : promptLookupDraft;
  return reference ? speculativeEditDraft(reference, promptLength, lookup) : lookup;
}

export class EngineHost implements Disposable {
  /** What generation needs of the loaded model; the weights themselves live only in the backend. */
  private model: (Pick<LoadedModel, 'config' | 'tokenizer'> & { chat: LoadedChatTemplate | undefined; prompts: PromptTokenizer; spellings: TokenSpellings }) | undefined;
  private backend: Backend | undefined;
  /** The completion prompt window of the loaded model on its backend (learned from its prefills). */
  private window = new PromptWindow();
  /** Prefills a completion prompt's stepped window once the user stops typing (idle-recut.ts). */
  private readonly recut = new IdleRecut(IDLE_RECUT_MS, (ids, signal) => this.prefillWhenIdle(ids, signal));
  /** N for requests that name none: from the running path's measured decode rate. */
  private tokensPerSubmit = TOKENS_PER_SUBMIT.default;
  private active: { id: number; controller: AbortController } | undefined;
  /** Highest generate id seen: anything older is superseded. */
  private latestId = -1;
  /** Generations waiting on the chain, and those of them cancelled before they started. */
  private readonly queued = new Set<number>();
  private readonly cancelled = new Set<number>();
  /** Bumped by every load. */
  private loadEpoch = 0;
  /** Loads and generations run one after another on this chain. */
  private chain: Promise<void> = Promise.resolve();
  private profiling = false;
  private disposed = false;
  /** The load in flight or queued last: cancelLoad and a newer load abort it. */
  private loadController: AbortController | undefined;
  /** The cache record of the remote source loading now: the cache manager may not delete it mid-download. */
  private loadingRecord: string | undefined;
  /** The model cache's store, opened on first use; undefined where there is none (Node). */
  private cacheStore: Promise<ChunkStore | undefined> | undefined;

  constructor(
    private readonly post: PostEvent,
    /** Tests inject backend selection (e.g. a fake GPU factory). */
    private readonly selectOverrides: Partial<SelectOptions> = {},
    /** Tests inject the model cache's store (an in-memory one). */
    private readonly openCacheStore: () => Promise<ChunkStore | undefined> = openModelCacheStore,
  ) {}

  private cache(): Promise<ChunkStore | undefined> {
    this.cacheStore ??= this.openCacheStore().catch(() => undefined);
    return this.cacheStore;
  }

  /** Handles one message from the UI. Never throws: failures become error events. */
  handle(raw: unknown): void {
    let msg;
    try {
      if (this.disposed) throw new Error('engine: disposed');
      msg = parseEngineRequest(raw);
    } catch (err) {
      const id = (raw as { id?: unknown } | null)?.id;
      this.post({ type: 'error', ...(typeof id === 'number' ? { id } : {}), message: errorMessage(err) });
      return;
    }
    switch (msg.type) {
      case 'load': {
        this.recut.cancel();
        this.active?.controller.abort();
        this.loadEpoch++; // generations queued before this load are stale
        this.loadController?.abort(new Error(LOAD_SUPERSEDED));
        const controller = new AbortController();
        this.loadController = controller;
        this.enqueue(() => this.load(msg, controller.signal));
        break;
      }
      case 'cancelLoad':
        this.loadController?.abort(new Error('cancelled'));
        break;
      case 'cacheList':
      case 'cacheDelete':
        // Beside the chain, not on it: the cache manager answers while a model downloads.
        void this.cacheRequest(msg.type === 'cacheDelete' ? msg.key : undefined).then((event) => this.post(event));
        break;
      case 'generate':
        if (msg.id <= this.latestId) {
          this.post({ type: 'error', id: msg.id, message: `engine: generate id ${msg.id} is not newer than ${this.latestId}` });
          return;
        }
        this.latestId = msg.id;
        this.recut.cancel();
        this.active?.controller.abort(); // cancel the running request at its next submit boundary
        {
          const epoch = this.loadEpoch;
          const received = msg.trace ? traceNow() : undefined;
          this.queued.add(msg.id);
          this.enqueue(() => this.generate(msg, epoch, received));
        }
        break;
      case 'cancel':
        if (this.active?.id === msg.id) this.active.controller.abort();
        else if (this.queued.has(msg.id)) this.cancelled.add(msg.id);
        break;
      case 'diagnostics':
        this.post({ type: 'diagnostics', ...(this.backend?.diagnostics() ?? { gpuBuffers: 0, cachedTokens: 0 }), promptWindowTokens: this.window.tokens });
        break;
      case 'setProfiling':
        this.profiling = msg.on;
        this.backend?.setProfiling(msg.on);
        break;
      case 'dispose':
        this.dispose();
        break;
    }
  }

  private enqueue(task: () => Promise<void>): void {
    this.chain = this.chain.then(task).catch((err: unknown) => this.post({ type: 'error', message: errorMessage(err) }));
  }

  /**
   * The backend's device was lost (a driver reset, another tab's load, our GPU test's destroy()):
   * load the same model again, which gets a new device or falls back to the CPU, and say so (a local
   * file is read from disk again). A model that came as in-memory files cannot be read again: ask for it.
   */
  private recover(backend: Backend, msg: LoadMessage, reason: string): void {
    if (this.disposed || this.backend !== backend) return;
    const what = `WebGPU device ${reason}`;
    if (msg.files) {
      this.backend.dispose();
      this.backend = undefined;
      this.post({ type: 'error', message: `${what}; load the model again` });
      return;
    }
    this.loadEpoch++;
    const controller = new AbortController();
    this.loadController = controller;
    this.enqueue(() => this.load(msg, controller.signal, what));
  }

  /** The cache manager's listing, after deleting `key` if given; never an error event (that would fail a load). */
  private async cacheRequest(key: string | undefined): Promise<CacheListEvent> {
    const store = await this.cache();
    let error: string | undefined;
    try {
      if (key !== undefined) {
        if (!store) throw new Error('there is no model cache here');
        if (key === this.loadingRecord) throw new Error('that model is loading now; cancel its download first');
        await deleteCachedModel(store, key);
      }
    } catch (err) {
      error = `model cache: ${errorMessage(err)}`;
    }
    const listing = await listCachedModels(store).catch(() => ({ store: store?.kind, models: [] }));
    return { type: 'cacheList', listing, ...(error !== undefined ? { error } : {}) };
  }

  private async load(msg: LoadMessage, signal: AbortSignal, notice?: string): Promise<void> {
    const started = performance.now();
    /** What the load has to say besides its result (a damaged cache entry fetched again). */
    const notices: string[] = [];
    const throttle = new ProgressThrottle(PROGRESS_INTERVAL_MS, (p) => this.post({ type: 'loadProgress', ...p }));
    const onProgress = throttle.report;
    try {
      let model: LoadedModel;
      signal.throwIfAborted();
      if (msg.source !== undefined) {
        // A remote model goes through the model cache where this context has one.
        const options = { ...(msg.hubEndpoint !== undefined ? { endpoint: msg.hubEndpoint } : {}), signal };
        const store = await this.cache();
        if (store) this.loadingRecord = cacheRecordName(msg.source, msg.hubEndpoint);
        const remote = store
          ? await openCachedSource(msg.source, { ...options, store, chunkBytes: CACHE_CHUNK_BYTES, onProgress, onNotice: (text) => notices.push(text) })
          : await openRemoteSource(msg.source, options);
        model = await loadModelFrom(remote, { onProgress, signal });
      } else if (msg.file) {
        model = await loadGguf(blobReader(msg.file, msg.modelUrl), { onProgress, label: msg.modelUrl, fileName: msg.modelUrl, signal });
      } else {
        const fetcher = msg.folder ? blobFetcher(msg.folder) : msg.files ? memoryFetcher(msg.files) : urlFetcher(msg.modelUrl);
        model = await loadModel(fetcher, { onProgress, label: msg.modelUrl, signal });
      }
      signal.throwIfAborted();
      const chat = await loadChatTemplate(model.tokenizerConfig);
      const { backend, fallbackReason, path } = await selectBackend(model, {
        preference: msg.backend ?? 'auto', ...(msg.gpuOptions ? { gpuOptions: msg.gpuOptions } : {}), signal,
        onStep: (step) => this.post({ type: 'alive', step }), ...this.selectOverrides,
      });
      if (this.disposed || signal.aborted) {
        backend.dispose();
        if (this.disposed) return;
        signal.throwIfAborted();
      }
      backend.setProfiling(this.profiling);
      // The working model goes only now that its successor is ready: a load that fails keeps it.
      this.backend?.dispose();
      this.model = { config: model.config, tokenizer: model.tokenizer, chat, prompts: promptTokenizer(model.tokenizer), spellings: new TokenSpellings(model.tokenizer) }; // let the file buffers go
      this.backend = backend;
      const measured = path.measurements.find((m) => m.path === path.chosen);
      this.window = new PromptWindow(undefined, measured?.prefillTokensPerSecond);
      this.tokensPerSubmit = tokensPerSubmitFor(measured?.decodeTokensPerSecond ? 1000 / measured.decodeTokensPerSecond : undefined);
      void backend.lost?.then((reason) => this.recover(backend, msg, reason));
      const { fimPrefix, fimSuffix, fimMiddle, endOfText } = model.tokenizer.specials;
      const plan = cloneablePlan(backend.plan);
      this.post({
        type: 'ready', backend: backend.kind, description: backend.description, config: model.config,
        ...(fallbackReason ? { fallbackReason } : {}), path, tokensPerSubmit: this.tokensPerSubmit, ...(plan !== undefined ? { plan } : {}),
        ...(notice || notices.length > 0 ? {
          notice: [...(notice ? [`${notice}; reloaded on ${backend.kind === 'webgpu' ? 'a new WebGPU device' : 'the CPU'}`] : []), ...notices].join('; '),
        } : {}),
        loadMs: performance.now() - started,
        specialTokens: { fimPrefix, fimSuffix, fimMiddle, endOfText },
        ...(chat ? { chatTemplate: chat.ok ? {} : { error: chat.error } } : {}),
      });
    } catch (err) {
      const kept = this.backend ? ' (the model loaded before stays in use)' : '';
      // The client stopped waiting for a superseded load: an answer now would be taken for its successor's.
      if (signal.aborted && errorMessage(signal.reason) === LOAD_SUPERSEDED) return;
      const partial = msg.source !== undefined ? '; what it downloaded is kept, and loading it again resumes there' : '';
      this.post(signal.aborted
        ? { type: 'error', cancelled: true, message: `loading ${msg.modelUrl} ${errorMessage(signal.reason)}${partial}${kept}` }
        : { type: 'error', message: `loading ${msg.modelUrl} failed: ${errorMessage(err)}${err instanceof DownloadStalledError ? partial : ''}${kept}` });
    } finally {
      this.loadingRecord = undefined;
      throttle.dispose();
      if (this.loadController?.signal === signal) this.loadController = undefined;
    }
  }

  private async generate(msg: GenerateMessage, epoch: number, received?: number): Promise<void> {
    const { id } = msg;
    const started = received !== undefined ? traceNow() : undefined;
    this.queued.delete(id);
    if (id < this.latestId || epoch !== this.loadEpoch || this.cancelled.delete(id)) {
      this.post({ type: 'done', id, finishReason: 'cancelled', text: '', tokens: [], promptTokenCount: 0, stats: emptyStats() });
      return;
    }
    const { model, backend } = this;
    if (!model || !backend) {
      this.post({ type: 'error', id, message: 'engine: no model loaded (send load first, and wait for ready)' });
      return;
    }
    const tokenizer = model.tokenizer;
    const controller = new AbortController();
    this.active = { id, controller };
    const delivered: number[] = [];
    const detokenizer = new IncrementalDetokenizer((ids) => tokenizer.decode(ids, { skipSpecialTokens: true }));
    try {
      // A chat prompt is never cut (prompt.ts), so only completions get the latency-sized window,
      // which may run a step over to reuse the cache (the context's room is the hard limit).
      const contextBudget = promptBudget(backend.contextTokens, msg.maxNewTokens);
      const window = this.window;
      const windowed = msg.maxPromptTokens === undefined && msg.prompt.kind !== 'chat';
      const maxPromptTokens = msg.maxPromptTokens ?? (windowed ? window.budget(contextBudget) : contextBudget);
      const cache = windowed ? { cache: { ids: backend.cachedTokens, maxTokens: contextBudget } } : {};
      const prompt = buildPrompt(model.prompts, msg.prompt, { maxPromptTokens, ...cache },
        { chat: model.chat, fimOrder: model.config.fimOrder, ...(tokenizer.promptBos !== undefined ? { bos: tokenizer.promptBos } : {}) });
      const prefixText = msg.prompt.kind === 'fim' ? msg.prompt.prefix : msg.prompt.kind === 'plain' ? msg.prompt.text : undefined;
      const { ids: promptIds, healing } = msg.heal && prefixText !== undefined ? healPrompt(prompt, prefixText, tokenizer, model.spellings) : { ids: prompt.ids };
      const tokenized = started !== undefined ? traceNow() : undefined;
      const stopIds = msg.ignoreStopTokens ? [] : [...new Set([
        ...tokenizer.specials.all, ...model.config.eosTokenIds, ...(tokenizer.specials.eos !== undefined ? [tokenizer.specials.eos] : []),
      ])];
      const healed = healing ? new HealedText(healing.text) : undefined;
      // The text the output may copy starts where the output does: at the healed cut.
      const draftText = msg.draftText !== undefined && healing ? healing.text + msg.draftText : msg.draftText;
      let posted = false;
      let streamed = '';
      /** Text for these ids, and the ids and log-probabilities to deliver with it (a healed stream's respellings left out). */
      const textOf = (ids: number[], logprobs: number[]) => {
        if (!healed || healed.visible) return { text: detokenizer.push(ids), ids, logprobs };
        let text = '';
        let i = 0;
        while (i < ids.length && !healed.visible) text += healed.push(detokenizer.push([ids[i++]!]));
        const from = healed.visible ? i - 1 : ids.length; // the token that showed the first character
        return { text: text + detokenizer.push(ids.slice(i)), ids: ids.slice(from), logprobs: logprobs.slice(from) };
      };
      const stats = await backend.generate({
        promptIds,
        maxNewTokens: msg.maxNewTokens,
        stopIds,
        sampling: msg.sampling ?? GREEDY,
        tokensPerSubmit: msg.tokensPerSubmit ?? this.tokensPerSubmit,
        ...(msg.drafts ? { draft: drafts(draftText !== undefined ? tokenizer.encode(draftText) : undefined, prompt.lookupIds?.slice(0, prompt.lookupIds.length - (healing?.cut ?? 0)), promptIds.length) } : {}),
        ...(msg.drafts && msg.draftTolerance ? { draftTolerance: msg.draftTolerance } : {}),
        ...(healing ? { constrain: healing.allowed } : {}),
      }, (ids, logprobs, progress) => {
        if (controller.signal.aborted) return; // stale: never posted after a cancel
        delivered.push(...ids);
        const out = textOf(ids, logprobs);
        // A decoder that respelled the healed text: nothing of this stream can be trusted to fit the document.
        if (healed?.broken) return controller.abort();
        if (out.ids.length === 0 && out.text === '') return;
        const trace = !posted && tokenized !== undefined
          ? { received: received!, started: started!, tokenized, firstToken: traceNow(), prompt: { promptTokens: progress.promptTokens, prefilledTokens: progress.prefillTokens } }
          : undefined;
        posted = true;
        streamed += out.text;
        this.post({ type: 'tokens', id, text: out.text, ids: out.ids, logprobs: out.logprobs, ...(trace ? { trace } : {}) });
      }, controller.signal);
      let finishReason: FinishReason;
      window.observe(stats);
      if (controller.signal.aborted) {
        finishReason = 'cancelled';
      } else {
        const tail = healed ? healed.push(detokenizer.flush()) : detokenizer.flush();
        streamed += tail;
        if (tail) this.post({ type: 'tokens', id, text: tail, ids: [], logprobs: [] });
        finishReason = delivered.length > 0 && stopIds.includes(delivered.at(-1)!) ? 'stop' : 'length';
      }
      // The draft scored as if it were the answer, ending the way the answer did (with its stop
      // token, if any), so the two log-likelihoods compare: Edit's never-worse check.
      let draftLogprobs: number[] | undefined;
      if (msg.scoreDraft && draftText !== undefined && finishReason !== 'cancelled') {
        const ending = finishReason === 'stop' ? [delivered.at(-1)!] : [];
        draftLogprobs = await backend.score(promptIds, [...tokenizer.encode(draftText), ...ending], controller.signal);
        if (controller.signal.aborted) { finishReason = 'cancelled'; draftLogprobs = undefined; }
      }
      this.post({
        type: 'done', id, finishReason, text: streamed, tokens: delivered, promptTokenCount: promptIds.length, stats,
        ...(draftLogprobs ? { draftLogprobs } : {}),
      });
      if (prompt.recut && finishReason !== 'cancelled' && id === this.latestId) this.recut.schedule(prompt.recut);
    } catch (err) {
      this.post({ type: 'error', id, message: errorMessage(err) });
    } finally {
      if (this.active?.id === id) this.active = undefined;
      this.cancelled.delete(id);
    }
  }

  /**
   * Prefills `ids` for the requests after a pause (IdleRecut), unless a newer request or load came
   * first. A failure is not reported here: it resets the cache, and the next request meets it too.
   */
  private prefillWhenIdle(ids: number[], signal: AbortSignal): void {
    const epoch = this.loadEpoch;
    const latest = this.latestId;
    this.enqueue(async () => {
      const { backend } = this;
      if (signal.aborted || !backend || epoch !== this.loadEpoch || latest !== this.latestId) return;
      try {
        // Not measured for the window: its size must not change while the user pauses on this prompt.
        await backend.generate({ promptIds: ids, maxNewTokens: 1, stopIds: [], sampling: GREEDY, tokensPerSubmit: 1 }, () => {}, signal);
      } catch {
        // See above.
      }
    });
  }

  /** Resolves when every queued load and generation has finished (used before closing the worker). */
  whenIdle(): Promise<void> {
    return this.chain.then(() => undefined);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.recut.dispose();
    this.active?.controller.abort();
    this.loadController?.abort(new Error('the engine was disposed'));
    void this.cacheStore?.then((store) => store?.close());
    // Let a running generate reach its abort point before the backend's buffers go away.
    this.chain = this.chain.finally(() => {
      this.backend?.dispose();
      this.backend = undefined;
      this.model = undefined;
    });
  }
}

/** The backend's plan as plain data, or undefined if it has none or it cannot cross postMessage. */
function cloneablePlan(plan: ModelWaferPlan | undefined): ModelWaferPlan | undefined {
  if (plan === undefined) return undefined;
  try {
    return structuredClone(plan);
  } catch {
    return undefined;
  }
}
