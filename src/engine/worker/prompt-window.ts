// How much of the file a completion prompt holds: all that the context has room for, unless a
// prefill of that much, with nothing cached, would take longer than COLD_PREFILL_MS at the rate this
// device and model were measured to prefill. A fast GPU then gets a real model's whole window; a
// slow one keeps the first ghost after opening a file (or jumping in it) quick.
//
// Why the window moves in powers of two, and only on a clear change: its size sets where the
// prompt's kept prefix starts (prompt.ts), so every change re-prefills everything once. Rates that
// wobble around a boundary must not flip it back and forth.
import { COLD_PREFILL_MS, PROMPT_WINDOW } from '../api/limits.ts';
import type { GenerateStats } from '../api/types.ts';

/** Prefills shorter than this are mostly fixed cost (a submit and a readback): they say little about the rate. */
const MIN_MEASURED_TOKENS = 64;
/** Weight of the newest measurement in the running rate. */
const SMOOTHING = 0.3;
/** The window grows when the rate allows this many times its size, and shrinks below this share of it. */
const GROW_AT = 2.5;
const SHRINK_AT = 0.75;

export class PromptWindow {
  private tokensPerMs: number | undefined;
  private size: number = PROMPT_WINDOW.initial;

  /** `tokensPerSecond`: a rate already measured on this device and model (the path choice's probe). */
  constructor(private readonly budgetMs = COLD_PREFILL_MS, tokensPerSecond?: number) {
    if (tokensPerSecond !== undefined && tokensPerSecond > 0) this.learn(tokensPerSecond / 1000);
  }

  /** The prompt budget for a completion, given what the context holds (promptBudget). */
  budget(contextBudget: number): number {
    return Math.min(contextBudget, this.size);
  }

  /** The window's size now, in tokens (before the context's own limit). */
  get tokens(): number {
    return this.size;
  }

  /**
   * Learns from a generation's prefill, also one cancelled after its prefill (while typing, most
   * long prefills belong to requests that the next key cancels).
   */
  observe(stats: Pick<GenerateStats, 'prefillTokens' | 'prefillMs'>): void {
    if (stats.prefillTokens < MIN_MEASURED_TOKENS || !(stats.prefillMs > 0)) return;
    this.learn(stats.prefillTokens / stats.prefillMs);
  }

  private learn(rate: number): void {
    this.tokensPerMs = this.tokensPerMs === undefined ? rate : this.tokensPerMs + SMOOTHING * (rate - this.tokensPerMs);
    const fits = this.tokensPerMs * this.budgetMs;
    if (fits >= GROW_AT * this.size || fits < SHRINK_AT * this.size) {
      this.size = Math.max(PROMPT_WINDOW.min, 2 ** Math.floor(Math.log2(Math.max(1, fits))));
    }
  }
}
