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

/**
 * KV-cache positions a backend holds (capped by the model's max_position_embeddings). The
 * default bounds the cache's memory; a caller may ask for more up to the model's limit.
 */
export const CONTEXT_TOKENS: Range = Object.freeze({ min: 2, max: 1 << 20, default: 4096 });

/** The context a backend holds for a model when the caller does not say. */
export const defaultContext = (maxPositionEmbeddings: number): number => Math.min(maxPositionEmbeddings, CONTEXT_TOKENS.default);

/** Draft tokens verified in one batched pass. */
export const MAX_DRAFT_TOKENS = 8;

/** Whether `value` is an integer inside `range`. */
export const inRange = (value: unknown, range: Bounds): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= range.min && value <= range.max;
