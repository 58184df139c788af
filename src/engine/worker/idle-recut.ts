// A completion prompt that kept its window's earlier start to reuse the KV cache (prompt.ts) is up
// to one step over its window, and typing on would re-prefill it at some keystroke: in SPM order the
// whole prefix, about 200 ms on a CPU. Once no request has come for IDLE_RECUT_MS (the user is
// reading the ghost, not typing), the engine prefills the stepped prompt instead, so the requests
// after the pause find it cached. A request that comes while it runs cancels it at its next prefill
// chunk, keeping what it prefilled (that request's own prompt starts with it).
import type { Disposable } from '../../util/disposable.ts';

/** The timer functions IdleRecut uses (a test passes a fake clock). */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export class IdleRecut implements Disposable {
  private timer: unknown;
  private controller: AbortController | undefined;

  constructor(
    private readonly delayMs: number,
    /** Starts the prefill; it stops at its next chunk once the signal aborts. */
    private readonly prefill: (ids: number[], signal: AbortSignal) => void,
    private readonly timers: Timers = realTimers,
  ) {}

  /** Prefills `ids` after delayMs unless cancel() comes first; replaces one scheduled earlier. */
  schedule(ids: number[]): void {
    this.cancel();
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      this.controller = new AbortController();
      this.prefill(ids, this.controller.signal);
    }, this.delayMs);
  }

  /** Drops the scheduled prefill, and stops the running one. */
  cancel(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.controller?.abort();
    this.controller = undefined;
  }

  dispose(): void {
    this.cancel();
  }
}
