// The typed message boundary between the UI thread and the engine worker: one union for requests
// (UI → worker) and one for events (worker → UI). Everything here is structured-clone safe.
import type { CacheListing } from '../../model/cache/model-cache.ts';
import type { ModelConfig } from '../../model/config.ts';
import { parseGpuOptions, type GpuOptions } from './gpu-options.ts';
import { inRange, PROMPT_TOKENS, TOKENS_PER_SUBMIT } from './limits.ts';
import type { ModelWaferPlan } from './plan-types.ts';
import type { BackendKind, GenerateStats, PathChoice, SamplingParams } from './types.ts';

/** One turn of a chat, for instruct models' chat templates. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/**
 * What to complete: plain text (complete after it), fill-in-the-middle, exact token ids, or chat
 * messages rendered by the model's chat template (tokenizer_config.json) with the generation prompt.
 */
export type PromptSpec =
  | { kind: 'plain'; text: string }
  | { kind: 'fim'; prefix: string; suffix: string }
  | { kind: 'ids'; ids: number[] }
  | { kind: 'chat'; messages: ChatMessage[] };

/** 'auto': WebGPU, falling back to the CPU reference with the reason; 'webgpu': WebGPU or an error. */
/** Which path runs a model: auto (the fastest, timed at load: backend-select.ts), or that one. */
export const BACKEND_PREFERENCES = ['auto', 'webgpu', 'cpu'] as const;
export type BackendPreference = typeof BACKEND_PREFERENCES[number];

export type ModelFilesMessage = Record<string, Uint8Array>;

export interface LoadMessage {
  type: 'load';
  /** Base URL of an HF-layout model directory; with `files`, just a label; with `file`, the file's name (*.gguf). */
  modelUrl: string;
  /** In-memory model directory (tests); buffers are transferred. */
  files?: ModelFilesMessage;
  /**
   * A local GGUF file (a File the user dropped or picked). A Blob structured-clones as a handle to
   * the file on disk, not its bytes, so the worker reads it from there and can read it again.
   */
  file?: Blob;
  /**
   * A local HF folder (config.json, tokenizer.json, *.safetensors ... by name), as Files the user
   * chose or dropped: handles to the files on disk, read by the worker as it loads.
   */
  folder?: Record<string, Blob>;
  /**
   * A remote model: a hub id org/name[@revision][:file.gguf] or an https URL of a .gguf file, as
   * model/model-source.ts parses it (the worker refuses anything else, local paths included).
   * `modelUrl` is then just its label.
   */
  source?: string;
  /** The hub a `source` repo id resolves against; default huggingface.co. */
  hubEndpoint?: string;
  backend?: BackendPreference;
  /** Passed to the WebGPU backend (e.g. a forced wafer grid for experiments). */
  gpuOptions?: GpuOptions;
}

export interface GenerateMessage {
  type: 'generate';
  /** Chosen by the client, increasing; a new generate cancels every earlier one. */
  id: number;
  prompt: PromptSpec;
  maxNewTokens: number;
  /** Default: greedy. */
  sampling?: SamplingParams;
  /** Tokens per GPU submit (N), in TOKENS_PER_SUBMIT's range; default the ready event's tokensPerSubmit (from the measured time per token). */
  tokensPerSubmit?: number;
  /** Prompt-lookup drafts verified in batch (output unchanged). Default false. */
  drafts?: boolean;
  /**
   * Text the output may copy: a rewrite's original window (speculative edits), or a completion's
   * copy candidate (what followed an earlier occurrence of the text before the cursor). With drafts
   * on, its tokens are the draft, from the first token on; output is unchanged, only faster, unless
   * draftTolerance is set.
   */
  draftText?: string;
  /**
   * Also score draftText as the answer (teacher-forced, ending as the answer ended): DoneEvent's
   * draftLogprobs. Edit compares it with the rewrite's own log-probabilities. Default false.
   */
  scoreDraft?: boolean;
  /**
   * Copy-aware drafting (with drafts on): a drafted token the model did not pick is still kept
   * when its log-probability is within this many nats of the token the model picked, so text the
   * document repeats can win over the model's own guess, never over one it finds much likelier.
   * 0 or absent: drafts are exact (output unchanged, only faster).
   */
  draftTolerance?: number;
  /**
   * Token healing for a FIM or plain prompt (worker/token-healing.ts): the prompt is cut back by its
   * last few prefix tokens and the model writes them again, as whole tokens; the text they spelled
   * is not streamed, and tokens that only respell it are not delivered (so the first delivered
   * token is the first with text of its own). Completions use it. Default false.
   */
  heal?: boolean;
  /** Token budget for the prompt (prefix/suffix are trimmed to fit). Default: promptBudget (what the context holds after maxNewTokens), and for a completion no more than the prompt window (worker/prompt-window.ts). */
  maxPromptTokens?: number;
  /** Generate exactly maxNewTokens, ignoring EOS and special tokens (benchmarks). Default false. */
  ignoreStopTokens?: boolean;
  /** Mark when the worker got, started, tokenized and first answered this request (the HUD's waterfall): WorkerTrace on the first tokens event. */
  trace?: boolean;
}

/** A traced request's moments in the worker, as performance.timeOrigin + performance.now() (comparable with the page's). */
export interface WorkerTrace {
  received: number;
  started: number;
  tokenized: number;
  /** The first tokens were sampled and detokenized, and this event is being posted. */
  firstToken: number;
  /** The prompt's tokens, and how many of them were prefilled (the rest came from the KV cache): what made the prefill long or short. */
  prompt: { promptTokens: number; prefilledTokens: number };
}

/** What a load that a newer load replaced fails with (the client says it; the worker then stays silent). */
export const LOAD_SUPERSEDED = 'superseded by another load';

export interface CancelMessage { type: 'cancel'; id: number }
/** Stops the load in flight (a download keeps what it stored, for the next load to resume); the working model stays. */
export interface CancelLoadMessage { type: 'cancelLoad' }
/** Asks for a CacheListEvent: the cached remote models, their sizes, and the storage quota. */
export interface CacheListMessage { type: 'cacheList' }
/** Deletes one cached model (a key from the listing), then answers with a CacheListEvent. */
export interface CacheDeleteMessage { type: 'cacheDelete'; key: string }
export interface SetProfilingMessage { type: 'setProfiling'; on: boolean }
/** Asks for a DiagnosticsEvent: what the engine holds now (a soak test watches it for leaks). */
export interface DiagnosticsMessage { type: 'diagnostics' }
export interface DisposeMessage { type: 'dispose' }

export type EngineRequest =
  | LoadMessage | GenerateMessage | CancelMessage | CancelLoadMessage | CacheListMessage | CacheDeleteMessage | SetProfilingMessage
  | DiagnosticsMessage | DisposeMessage;

export interface LoadProgressEvent {
  type: 'loadProgress';
  file: string;
  loadedBytes: number;
  totalBytes?: number;
  /** While a remote file downloads into the model cache: its speed, and the seconds left at that speed. */
  bytesPerSecond?: number;
  etaSeconds?: number;
  /** True when the file is read from the model cache; false while it downloads. Absent for local sources. */
  fromCache?: boolean;
}

export interface CacheListEvent {
  type: 'cacheList';
  listing: CacheListing;
  /** Why the request failed (a delete that could not run); the listing is then what is there now. */
  error?: string;
}

export interface ReadyEvent {
  type: 'ready';
  backend: BackendKind;
  /** Adapter vendor/architecture, or "CPU reference ...". */
  description: string;
  config: ModelConfig;
  /** Why the CPU fallback runs when WebGPU was wanted (absent when the CPU was asked for). */
  fallbackReason?: string;
  /** Which path runs and why (with auto: timed at load, or an earlier load's timing on this adapter and model). */
  path?: PathChoice;
  /** N for a request that names none: SUBMIT_BUDGET_MS of the running path's measured time per token (TOKENS_PER_SUBMIT.default if unmeasured). */
  tokensPerSubmit: number;
  /** Set when the engine reloaded by itself, not at a load request: what happened and what it did. */
  notice?: string;
  /** The GPU backend's wafer plan, when it has one. */
  plan?: ModelWaferPlan;
  loadMs: number;
  /** Special token ids the editor may care about. */
  specialTokens: { fimPrefix?: number; fimSuffix?: number; fimMiddle?: number; endOfText?: number };
  /**
   * Present when the model has a chat template (an instruct model): then 'chat' prompts work.
   * `error` says why the template cannot be used (chat prompts then fail with it).
   */
  chatTemplate?: { error?: string };
}

export interface TokensEvent {
  type: 'tokens';
  id: number;
  /** New text since the previous event (complete UTF-8 characters only). */
  text: string;
  /** New token ids since the previous event (may be empty on the final flush). */
  ids: number[];
  /** Each new id's log-probability under the model (log softmax of its logits at temperature 1). */
  logprobs: number[];
  /** On a traced request's first tokens event only. */
  trace?: WorkerTrace;
}

export type FinishReason = 'stop' | 'length' | 'cancelled';

export interface DoneEvent {
  type: 'done';
  id: number;
  finishReason: FinishReason;
  /** All text streamed for this request (the concatenation of its tokens events). */
  text: string;
  /** Every generated id (a stop id included; with heal, also those that only respelled the cut text, which no tokens event carries). */
  tokens: number[];
  /** The prompt as the model saw it, after budgeting. */
  promptTokenCount: number;
  stats: GenerateStats;
  /** With scoreDraft: the log-probability of each token of the draft (then the answer's stop token, if it had one). */
  draftLogprobs?: number[];
}

export interface ErrorEvent {
  type: 'error';
  /** The generate request that failed; absent for load and other failures. */
  id?: number;
  message: string;
  /** A load stopped by cancelLoad, not a failure (the client rejects with an AbortError). */
  cancelled?: boolean;
}

export interface DiagnosticsEvent {
  type: 'diagnostics';
  /** GPU buffers alive in the backend (0 on the CPU). */
  gpuBuffers: number;
  /** Tokens the KV cache holds. */
  cachedTokens: number;
  /** The completion prompt window (PromptWindow): most prompt tokens a completion gets now. */
  promptWindowTokens: number;
}

/**
 * A load's step as it starts (building a backend, timing a path): the choice of path can run for a
 * while with nothing else to say, and the supervisor's watchdog takes any event as a sign of life.
 * Steps come only with progress, so a step that hangs still lets the watchdog fire.
 */
export interface AliveEvent {
  type: 'alive';
  step: string;
}

export type EngineEvent = LoadProgressEvent | ReadyEvent | TokensEvent | DoneEvent | ErrorEvent | DiagnosticsEvent | CacheListEvent | AliveEvent;

/** A runtime check at the boundary: messages from other code are not trusted to be well-formed. */
export function parseEngineRequest(msg: unknown): EngineRequest {
  if (typeof msg !== 'object' || msg === null) throw new Error('engine: message is not an object');
  const m = msg as Record<string, unknown>;
  const int = (field: string, min: number) => {
    const v = m[field];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new Error(`engine: ${String(m['type'])}.${field} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  };
  switch (m['type']) {
    case 'load':
      if (typeof m['modelUrl'] !== 'string') throw new Error('engine: load.modelUrl must be a string');
      if (m['file'] !== undefined) {
        if (typeof Blob === 'undefined' || !(m['file'] instanceof Blob)) throw new Error('engine: load.file must be a Blob or File');
        if (m['files'] !== undefined || m['folder'] !== undefined) throw new Error('engine: load takes one of file, folder, files');
        if (!/\.gguf$/i.test(m['modelUrl'])) throw new Error(`engine: load.file is read as GGUF, so load.modelUrl must be its name ending in .gguf, got ${JSON.stringify(m['modelUrl'])}`);
      }
      if (m['folder'] !== undefined) {
        const folder = m['folder'];
        if (typeof folder !== 'object' || folder === null || Array.isArray(folder) || typeof Blob === 'undefined'
          || !Object.values(folder).every((f) => f instanceof Blob)) throw new Error('engine: load.folder must map file names to Blobs or Files');
        if (m['files'] !== undefined) throw new Error('engine: load takes one of file, folder, files');
      }
      if (m['source'] !== undefined) {
        if (typeof m['source'] !== 'string') throw new Error('engine: load.source must be a string (a hub id or an https URL)');
        if (m['file'] !== undefined || m['files'] !== undefined || m['folder'] !== undefined) throw new Error('engine: load takes one of source, file, folder, files');
      }
      if (m['hubEndpoint'] !== undefined && (typeof m['hubEndpoint'] !== 'string' || m['source'] === undefined)) {
        throw new Error('engine: load.hubEndpoint must be a string, and only comes with load.source');
      }
      if (m['backend'] !== undefined && !(BACKEND_PREFERENCES as readonly unknown[]).includes(m['backend'])) {
        throw new Error(`engine: load.backend must be ${BACKEND_PREFERENCES.join(', ')}, got ${JSON.stringify(m['backend'])}`);
      }
      if (m['gpuOptions'] !== undefined) parseGpuOptions(m['gpuOptions']);
      break;
    case 'generate': {
      int('id', 0);
      int('maxNewTokens', 0);
      if (m['tokensPerSubmit'] !== undefined && !inRange(m['tokensPerSubmit'], TOKENS_PER_SUBMIT)) {
        throw new Error(`engine: generate.tokensPerSubmit must be an integer in ${TOKENS_PER_SUBMIT.min}..${TOKENS_PER_SUBMIT.max}, got ${JSON.stringify(m['tokensPerSubmit'])}`);
      }
      if (m['maxPromptTokens'] !== undefined && !inRange(m['maxPromptTokens'], PROMPT_TOKENS)) {
        throw new Error(`engine: generate.maxPromptTokens must be an integer in ${PROMPT_TOKENS.min}..${PROMPT_TOKENS.max}, got ${JSON.stringify(m['maxPromptTokens'])}`);
      }
      if (m['draftText'] !== undefined && typeof m['draftText'] !== 'string') throw new Error('engine: generate.draftText must be a string');
      if (m['scoreDraft'] !== undefined && typeof m['scoreDraft'] !== 'boolean') throw new Error('engine: generate.scoreDraft must be true or false');
      if (m['trace'] !== undefined && typeof m['trace'] !== 'boolean') throw new Error('engine: generate.trace must be true or false');
      if (m['heal'] !== undefined && typeof m['heal'] !== 'boolean') throw new Error('engine: generate.heal must be true or false');
      const tolerance = m['draftTolerance'];
      if (tolerance !== undefined && !(typeof tolerance === 'number' && Number.isFinite(tolerance) && tolerance >= 0)) {
        throw new Error(`engine: generate.draftTolerance must be a finite number >= 0 (nats), got ${JSON.stringify(tolerance)}`);
      }
      const p = m['prompt'] as Record<string, unknown> | undefined;
      const isMessage = (x: unknown) => typeof x === 'object' && x !== null
        && ['system', 'user', 'assistant'].includes((x as ChatMessage).role) && typeof (x as ChatMessage).content === 'string';
      const ok = p && ((p['kind'] === 'plain' && typeof p['text'] === 'string')
        || (p['kind'] === 'fim' && typeof p['prefix'] === 'string' && typeof p['suffix'] === 'string')
        || (p['kind'] === 'ids' && Array.isArray(p['ids']))
        || (p['kind'] === 'chat' && Array.isArray(p['messages']) && p['messages'].length > 0 && p['messages'].every(isMessage)));
      if (!ok) {
        throw new Error('engine: generate.prompt must be {kind:"plain",text} | {kind:"fim",prefix,suffix} | {kind:"ids",ids} '
          + '| {kind:"chat",messages:[{role:"system"|"user"|"assistant",content}, ...]}');
      }
      break;
    }
    case 'cancel':
      int('id', 0);
      break;
    case 'diagnostics':
    case 'cancelLoad':
    case 'cacheList':
      break;
    case 'cacheDelete':
      if (typeof m['key'] !== 'string' || m['key'] === '') throw new Error('engine: cacheDelete.key must be a key from a cacheList listing');
      break;
    case 'setProfiling':
      if (typeof m['on'] !== 'boolean') throw new Error('engine: setProfiling.on must be a boolean');
      break;
    case 'dispose':
      break;
    default:
      throw new Error(`engine: unknown message type ${JSON.stringify(m['type'])}`);
  }
  return msg as EngineRequest;
}
