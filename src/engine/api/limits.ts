// Every range and default of a generation knob, defined once. The settings panel and links
// (src/settings.ts), the message validator (protocol.ts) and both backends read these, so a value
// one layer accepts is a value every layer runs.

export interface Bounds {
  readonly min: number;
  readonly max: number;
}

export interface Range extends Bounds {
  readonly default: number;
}

/**
 * Tokens decoded per GPU submit (N): one readback per submit. The GPU backend sizes its id
 * staging buffers for `max`, so every value in range runs on every backend.
 */
export const TOKENS_PER_SUBMIT: Range = Object.freeze({ min: 1, max: 64, default: 4 });

/**
 * GPU time one submit may take when a request names no N: a key that arrives waits for the submit
 * in flight, so this bounds that wait, while a fast GPU gets a large N (few readbacks per token).
 */
export const SUBMIT_BUDGET_MS = 8;

/** N for a path that decodes a token in `msPerToken` (undefined: not measured, the default N). */
export const tokensPerSubmitFor = (msPerToken: number | undefined): number =>
  msPerToken === undefined || !(msPerToken > 0) ? TOKENS_PER_SUBMIT.default
    : Math.max(TOKENS_PER_SUBMIT.min, Math.min(TOKENS_PER_SUBMIT.max, Math.floor(SUBMIT_BUDGET_MS / msPerToken)));

/** Most tokens one suggestion may have (the editor's "Max tokens" setting). */
export const MAX_TOKENS: Range = Object.freeze({ min: 1, max: 1024, default: 64 });

/**
 * Prompt budget in tokens, when a request names one: prefix and suffix are trimmed to fit it.
 * Without one the budget is what the context holds after the generation (promptBudget).
 */
export const PROMPT_TOKENS: Bounds = Object.freeze({ min: 4, max: 1 << 20 });

/**
 * The prompt budget of a request that names none: every position the backend's context has left
 * after the generation, so a real model's long context is used, and the prompt is never cut by the
 * drop-oldest window (which would take a FIM prompt's leading special tokens with it).
 */
export const promptBudget = (contextTokens: number, maxNewTokens: number): number =>
  Math.max(PROMPT_TOKENS.min, Math.min(PROMPT_TOKENS.max, contextTokens - maxNewTokens));

/** KV-cache positions a backend may hold (and never more than the model's max_position_embeddings). */
export const CONTEXT_TOKENS: Bounds = Object.freeze({ min: 2, max: 1 << 20 });

/**
 * Bytes the KV cache may take when the caller gives no memory budget. WebGPU does not say how much
 * memory a GPU has; 512 MiB of f32 K and V is Qwen2.5-Coder-0.5B's 21,845 positions, 1.5B's 9,362.
 */
export const KV_CACHE_BYTES = 512 * 2 ** 20;

/**
 * The context a backend holds when the caller does not say: all of the model's positions, as many
 * as `kvBudgetBytes` of K and V hold (a model with a 32k window gets what memory allows, not a
 * fixed 2k or 4k).
 */
export const defaultContext = (maxPositionEmbeddings: number, kvBytesPerPosition: number, kvBudgetBytes = KV_CACHE_BYTES): number =>
  Math.max(CONTEXT_TOKENS.min, Math.min(maxPositionEmbeddings, CONTEXT_TOKENS.max, Math.floor(kvBudgetBytes / kvBytesPerPosition)));

/**
 * Prompt tokens one prefill pass takes at most. Activations grow with the batch (about 35 KB a token
 * for Qwen2.5-Coder-0.5B, so 70 MB at 2048), and each pass is one submit and readback, so a long
 * prompt prefills in passes of this many rather than in one pass the size of the context.
 */
export const PREFILL_CHUNK_TOKENS = 2048;

/**
 * Milliseconds a completion's prefill may take when none of its prompt is cached (a file just
 * opened, a jump, a new model): the completion prompt window is sized from the measured prefill
 * rate so that such a prefill fits. Typing at the cursor then re-prefills only a few tokens.
 */
export const COLD_PREFILL_MS = 250;

/**
 * Milliseconds without a request after which the engine prefills a completion prompt's stepped
 * window (worker/idle-recut.ts): longer than the gap between a quick typist's keys, so the prefill
 * runs while the user reads the ghost rather than between keystrokes.
 */
export const IDLE_RECUT_MS = 300;

/**
 * The completion prompt window in tokens (see PromptWindow): its size before any prefill was
 * measured (small, so the first request on a slow device is not the slowest; a fast one grows the
 * window after it), and the least it shrinks to (a prompt needs some context to be useful).
 */
export const PROMPT_WINDOW = Object.freeze({ initial: 512, min: 256 });

/** Draft tokens verified in one batched pass. */
export const MAX_DRAFT_TOKENS = 8;

/** Whether `value` is an integer inside `range`. */
export const inRange = (value: unknown, range: Bounds): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= range.min && value <= range.max;
