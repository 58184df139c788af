// The edit loop's brain, free of Monaco: decides when to ask the engine, streams its text into a
// growing suggestion, cancels stale work, and serves typed-through characters without asking
// again. The Monaco provider (inline-provider.ts) is a thin adapter over this, so every rule here
// is tested with a fake clock and a fake engine.

import type { Disposable } from '../../util/disposable.ts';
import { traceNow, type GhostTrace } from '../../hud/waterfall.ts';
import { acceptProbability, gateFeatures, shippedGateCalibration, type GateCalibration } from './confidence-gate.ts';
import { completionMode, isSuggestionFinal, shouldSuggestHere, trimCompletion, type CompletionMode, type CursorContext } from './postprocess.ts';

export interface CompletionRequest extends CursorContext {
  mode: CompletionMode;
  /**
   * 0 or absent: the main suggestion (the user's sampling settings). k >= 1: the k-th alternative,
   * which the engine samples with temperature and a seed of its own, so each k gives a new sample.
   */
  alternative?: number;
  /** The ghost's waterfall marks, while the HUD watches: the engine adds its own (sent … tokensBack). */
  trace?: GhostTrace;
}

/** Alternatives sampled when the user asks for more (Alt+] / Alt+[). */
export const DEFAULT_ALTERNATIVES = 3;

/**
 * What the controller needs from the engine: stream the raw completion text, stop on abort. With
 * the text comes the first generated token's log-probability, when a model produced it (the gate).
 */
export interface CompletionEngine {
  complete(req: CompletionRequest, onText: (rawSoFar: string, firstLogprob?: number) => void, signal: AbortSignal): Promise<void>;
}

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** Typed perf events, for the HUD and the bench; nothing is built when nobody listens. */
export type CompletionEvent =
  // prefixChars: where the cursor is (characters before it) in the context the event is about,
  // so a reader can tell which keystroke a ghost belongs to.
  | { type: 'request'; at: number; mode: CompletionMode; prefixChars: number }
  | { type: 'first-ghost'; at: number; keystrokeToGhostMs: number; prefixChars: number; trace?: GhostTrace }
  | { type: 'typed-through'; at: number; chars: number }
  | { type: 'cancelled'; at: number }
  // Not shown: the estimated chance of it being taken was under the threshold (confidence-gate.ts).
  | { type: 'gated'; at: number; probability: number; prefixChars: number }
  | { type: 'error'; at: number; message: string }
  // The alternatives for one context are complete: `sampled` engine requests gave `distinct` new texts.
  | { type: 'alternatives'; at: number; prefixChars: number; sampled: number; distinct: number };

interface InFlight {
  ctx: CursorContext;
  mode: CompletionMode;
  raw: string;
  done: boolean;
  keystrokeAt: number;
  trace: GhostTrace | undefined;
  shownFirstGhost: boolean;
  abort: AbortController;
  /** The engine call has returned (the engine runs one generation at a time: alternatives wait for this). */
  settled: boolean;
  /** Asked for by the user (explicit request); they belong to this flight and die with it. */
  alternatives?: AlternativesRun;
  /** The first generated token's log-probability, once the engine has reported it. */
  firstLogprob?: number;
  /** The gate held it back: it is never shown. */
  gated: boolean;
}

interface AlternativesRun {
  /** Distinct post-processed samples (never the main suggestion's text), in sampling order. */
  texts: string[];
  /** Every sample has been taken (or the run failed). */
  finished: boolean;
  /** Separate from the flight's: that one is aborted early when the main text is final. */
  abort: AbortController;
}

export interface CompletionControllerOptions {
  engine: CompletionEngine;
  clock?: Clock;
  debounceMs: () => number;
  /** Called when a suggestion grew or changed, so the editor asks for it again. */
  onSuggestionChanged: () => void;
  onEvent?: (e: CompletionEvent) => void;
  /** How many alternatives to sample on request (default DEFAULT_ALTERNATIVES). */
  alternatives?: number;
  /** The least estimated chance of being taken a suggestion needs to be shown (0 or absent: all are shown). */
  gateThreshold?: () => number;
  /** The gate's model (default: the shipped calibration). */
  gateCalibration?: Readonly<GateCalibration>;
}

const contextKey = (ctx: CursorContext) => `${ctx.prefix.length}:${ctx.prefix.slice(-200)}\u0000${ctx.suffix.slice(0, 200)}`;

export class CompletionController implements Disposable {
  private readonly clock: Clock;
  private current: InFlight | undefined;
  private pendingTimer: unknown;
  private pendingKey: string | undefined;
  private readonly dismissed = new Set<string>();
  private readonly changeWaiters = new Set<() => void>();

  constructor(private readonly options: CompletionControllerOptions) {
    this.clock = options.clock ?? realClock;
  }

  /**
   * The suggestion to show for this cursor context right now (undefined for none). Starts a new
   * engine request, after the debounce, only when the context is not a typed-through
   * continuation of the one in flight.
   */
  suggest(ctx: CursorContext, trace?: GhostTrace): string | undefined {
    if (this.dismissed.has(contextKey(ctx))) return undefined;
    const continuation = this.typedThrough(ctx);
    if (continuation) return continuation.text;
    // The editor may ask again for the same context while we wait out the debounce: keep waiting.
    if (this.pendingTimer !== undefined && this.pendingKey === contextKey(ctx)) return undefined;
    this.restart(ctx, trace);
    return undefined;
  }

  /**
   * What suggest(ctx) would show, without ever starting or cancelling a request: for an editor
   * request that waited and may since have been superseded by a newer context.
   */
  peek(ctx: CursorContext): string | undefined {
    if (this.dismissed.has(contextKey(ctx))) return undefined;
    return this.typedThrough(ctx)?.text;
  }

  /**
   * True while a suggestion for ctx is on its way (debouncing, or streaming with nothing to show
   * yet, also after typing through all of it so far): the editor may wait for nextChange()
   * instead of showing nothing, so a grown suggestion reaches it without a refetch.
   */
  isPending(ctx: CursorContext): boolean {
    if (this.pendingTimer !== undefined) return this.pendingKey === contextKey(ctx);
    const cur = this.current;
    return !!cur && !cur.done && this.typedSince(cur, ctx) !== undefined;
  }

  /**
   * The user asked for alternatives (Alt+] / Alt+[) while ctx's suggestion is shown: sample them,
   * once per suggestion, after the main request has finished (the engine runs one generation at a
   * time, and a new one would cancel it). They are cancelled with the suggestion they belong to.
   */
  requestAlternatives(ctx: CursorContext): void {
    const cur = this.current;
    if (!cur || cur.alternatives || this.dismissed.has(contextKey(ctx)) || this.typedSince(cur, ctx) === undefined) return;
    const run: AlternativesRun = { texts: [], finished: false, abort: new AbortController() };
    cur.alternatives = run;
    if (cur.settled) void this.sampleAlternatives(cur, run);
  }

  /**
   * True while the alternatives for ctx are being sampled: the editor holds an explicit request
   * until they are all there, because Monaco caches an explicit answer and cycles through it
   * without asking again.
   */
  alternativesPending(ctx: CursorContext): boolean {
    const cur = this.current;
    return !!cur?.alternatives && !cur.alternatives.finished && this.typedSince(cur, ctx) !== undefined;
  }

  /**
   * The alternatives to offer after `main` (what suggest/peek shows for ctx): distinct, minus what
   * was typed through, never equal to main. Never starts or cancels a request.
   */
  alternativesFor(ctx: CursorContext, main: string): string[] {
    const cur = this.current;
    const run = cur?.alternatives;
    const typed = cur && this.typedSince(cur, ctx);
    if (!run || typed === undefined || this.dismissed.has(contextKey(ctx))) return [];
    const seen = new Set([main]);
    const out: string[] = [];
    for (const text of run.texts) {
      if (!text.startsWith(typed)) continue;
      const rest = text.slice(typed.length);
      if (rest.trim() === '' || seen.has(rest)) continue;
      seen.add(rest);
      out.push(rest);
    }
    return out;
  }

  /** Resolves at the next change of the suggestion in flight (text, completion, or cancellation). */
  nextChange(): Promise<void> {
    return new Promise((resolve) => this.changeWaiters.add(resolve));
  }

  private notifyChange(): void {
    const waiters = [...this.changeWaiters];
    this.changeWaiters.clear();
    for (const w of waiters) w();
  }

  /** The user dismissed the suggestion (Esc): don't offer it again for the same context. */
  dismiss(ctx: CursorContext): void {
    this.dismissed.add(contextKey(ctx));
    if (this.dismissed.size > 500) this.dismissed.delete(this.dismissed.values().next().value!);
    this.cancel();
  }

  cancel(): void {
    if (this.pendingTimer !== undefined) this.clock.clearTimeout(this.pendingTimer);
    this.pendingTimer = undefined;
    this.current?.alternatives?.abort.abort();
    if (this.current && !this.current.done) {
      this.current.abort.abort();
      this.options.onEvent?.({ type: 'cancelled', at: this.clock.now() });
    }
    this.current = undefined;
    this.notifyChange();
  }

  dispose(): void {
    this.cancel();
    this.dismissed.clear();
  }

  /**
   * If ctx is the in-flight context plus characters the suggestion predicted, what to show now:
   * the rest of the suggestion, or nothing yet while it streams. Undefined when ctx is not such
   * a continuation (then a new request is due).
   */
  private typedThrough(ctx: CursorContext): { text: string | undefined } | undefined {
    if (!this.continues(ctx)) return undefined;
    const cur = this.current!;
    const typed = this.typedSince(cur, ctx)!;
    if (cur.gated) return { text: undefined };
    const full = trimCompletion(cur.raw, cur.ctx, cur.mode) ?? '';
    if (typed.length > 0) this.options.onEvent?.({ type: 'typed-through', at: this.clock.now(), chars: typed.length });
    const rest = full.slice(typed.length);
    if (rest === '') return { text: undefined }; // still streaming (or nothing worth showing yet)
    if (!cur.shownFirstGhost) {
      if (this.gate(cur, full)) return typed === '' ? { text: undefined } : undefined;
      cur.shownFirstGhost = true;
      const at = this.clock.now();
      if (cur.trace) cur.trace.postprocessed = traceNow();
      this.options.onEvent?.({ type: 'first-ghost', at, keystrokeToGhostMs: at - cur.keystrokeAt, prefixChars: ctx.prefix.length, ...(cur.trace ? { trace: cur.trace } : {}) });
    }
    return { text: rest };
  }

  /** Whether ctx is served from the flight (typed through so far, or still streaming): no new request. */
  private continues(ctx: CursorContext): boolean {
    const cur = this.current;
    const typed = cur && this.typedSince(cur, ctx);
    if (!cur || typed === undefined) return false;
    if (cur.gated) return typed === ''; // held back; typing on asks anew
    const full = trimCompletion(cur.raw, cur.ctx, cur.mode) ?? '';
    if (!full.startsWith(typed)) return false;
    return !(typed.length > 0 && typed.length === full.length && cur.done); // all typed: ask anew
  }

  /**
   * Whether ctx types through a ghost already on screen with more of it left to show: the editor
   * then updates the ghost itself, without asking (the HUD traces that ghost from the edit). No
   * side effects.
   */
  showsTypedThrough(ctx: CursorContext): boolean {
    const cur = this.current;
    if (!cur || cur.gated || !cur.shownFirstGhost || !this.continues(ctx)) return false;
    const full = trimCompletion(cur.raw, cur.ctx, cur.mode) ?? '';
    return full.length > this.typedSince(cur, ctx)!.length;
  }

  /**
   * Starts ctx's request now if suggest(ctx) would start one, and does nothing else: the editor
   * calls it as an edit lands, before Monaco gets round to asking (its request then finds this one
   * debouncing or in flight for the same context).
   */
  prefetch(ctx: CursorContext, trace?: GhostTrace): void {
    if (this.dismissed.has(contextKey(ctx)) || this.continues(ctx)) return;
    if (this.pendingTimer !== undefined && this.pendingKey === contextKey(ctx)) return;
    this.restart(ctx, trace);
  }

  /**
   * Decides, once, when a suggestion first has text to show, whether the gate holds it back; a
   * held-back suggestion's engine work stops at once. True when gated.
   */
  private gate(flight: InFlight, text: string): boolean {
    const threshold = this.options.gateThreshold?.() ?? 0;
    if (!(threshold > 0) || flight.firstLogprob === undefined) return false;
    const probability = acceptProbability(gateFeatures(flight.ctx, flight.mode, text, flight.firstLogprob), this.options.gateCalibration ?? shippedGateCalibration());
    if (probability >= threshold) return false;
    flight.gated = true;
    flight.done = true;
    flight.abort.abort();
    this.options.onEvent?.({ type: 'gated', at: this.clock.now(), probability, prefixChars: flight.ctx.prefix.length });
    this.notifyChange();
    return true;
  }

  /** The characters typed since flight's context, if ctx continues it (same suffix); else undefined. */
  private typedSince(flight: InFlight, ctx: CursorContext): string | undefined {
    if (ctx.suffix !== flight.ctx.suffix || !ctx.prefix.startsWith(flight.ctx.prefix)) return undefined;
    return ctx.prefix.slice(flight.ctx.prefix.length);
  }

  private restart(ctx: CursorContext, trace: GhostTrace | undefined): void {
    this.cancel();
    if (!shouldSuggestHere(ctx)) return;
    const keystrokeAt = this.clock.now();
    this.pendingKey = contextKey(ctx);
    this.pendingTimer = this.clock.setTimeout(() => {
      this.pendingTimer = undefined;
      this.start(ctx, keystrokeAt, trace);
    }, Math.max(0, this.options.debounceMs()));
  }

  private start(ctx: CursorContext, keystrokeAt: number, trace: GhostTrace | undefined): void {
    const mode = completionMode(ctx);
    const flight: InFlight = { ctx, mode, raw: '', done: false, keystrokeAt, trace, shownFirstGhost: false, abort: new AbortController(), settled: false, gated: false };
    this.current = flight;
    this.options.onEvent?.({ type: 'request', at: this.clock.now(), mode, prefixChars: ctx.prefix.length });
    const isCurrent = () => this.current === flight && !flight.abort.signal.aborted;
    this.options.engine
      .complete({ ...ctx, mode, ...(trace ? { trace } : {}) }, (raw, firstLogprob) => {
        if (!isCurrent()) return; // stale: a newer keystroke owns the screen
        flight.raw = raw;
        flight.firstLogprob ??= firstLogprob;
        // The post-processor already cut the text: the rest of the stream is wasted work.
        if (isSuggestionFinal(raw, ctx, mode)) {
          flight.done = true;
          flight.abort.abort();
        }
        this.notifyChange();
        this.options.onSuggestionChanged();
      }, flight.abort.signal)
      .then(() => {
        flight.settled = true;
        if (this.current !== flight) return;
        flight.done = true;
        if (flight.alternatives) void this.sampleAlternatives(flight, flight.alternatives);
        this.notifyChange();
        this.options.onSuggestionChanged();
      }, (err: unknown) => {
        flight.settled = true;
        if (flight.alternatives) flight.alternatives.finished = true; // no main suggestion: nothing to vary
        if (this.current !== flight || flight.abort.signal.aborted) return;
        flight.done = true;
        this.notifyChange();
        this.emitError(err);
      });
  }

  /**
   * Samples the alternatives one after another (each request would cancel a concurrent one),
   * post-processed like the main suggestion and kept only when new. Nothing of a cancelled run is
   * kept: every write checks that the flight is still current and the run not aborted.
   */
  private async sampleAlternatives(flight: InFlight, run: AlternativesRun): Promise<void> {
    const { ctx, mode } = flight;
    const main = trimCompletion(flight.raw, ctx, mode);
    const live = () => this.current === flight && !run.abort.signal.aborted;
    const count = Math.max(0, this.options.alternatives ?? DEFAULT_ALTERNATIVES);
    let sampled = 0;
    for (let k = 1; k <= count && live(); k++) {
      const sample = new AbortController();
      const stop = () => sample.abort();
      run.abort.signal.addEventListener('abort', stop, { once: true });
      let raw = '';
      try {
        await this.options.engine.complete({ ...ctx, mode, alternative: k }, (text) => {
          if (!live()) return;
          raw = text;
          if (isSuggestionFinal(text, ctx, mode)) sample.abort(); // cut already: stop this sample early
        }, sample.signal);
      } catch (err) {
        if (live()) this.emitError(err);
        break;
      } finally {
        run.abort.signal.removeEventListener('abort', stop);
      }
      if (!live()) return;
      sampled++;
      const text = trimCompletion(raw, ctx, mode);
      if (text !== undefined && text !== main && !run.texts.includes(text)) {
        run.texts.push(text);
        this.notifyChange();
      }
    }
    if (!live()) return;
    run.finished = true;
    this.options.onEvent?.({ type: 'alternatives', at: this.clock.now(), prefixChars: ctx.prefix.length, sampled, distinct: run.texts.length });
    this.notifyChange();
  }

  private emitError(err: unknown): void {
    this.options.onEvent?.({ type: 'error', at: this.clock.now(), message: err instanceof Error ? err.message : String(err) });
  }
}
