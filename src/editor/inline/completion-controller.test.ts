import { describe, expect, it, vi } from 'vitest';
import { CompletionController, type Clock, type CompletionEngine, type CompletionEvent, type CompletionRequest } from './completion-controller.ts';
import { firstTokenGate } from '../../testing/first-token-gate.ts';

/** A manual clock: timers fire only when the test advances time. */
class FakeClock implements Clock {
  time = 0;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 1;
  now() { return this.time; }
  setTimeout(fn: () => void, ms: number) { const id = this.nextId++; this.timers.push({ at: this.time + ms, fn, id }); return id; }
  clearTimeout(id: unknown) { this.timers = this.timers.filter((t) => t.id !== id); }
  advance(ms: number) {
    this.time += ms;
    const due = this.timers.filter((t) => t.at <= this.time);
    this.timers = this.timers.filter((t) => t.at > this.time);
    due.forEach((t) => t.fn());
  }
}

/** An engine double whose streams the test drives by hand. */
class ScriptedEngine implements CompletionEngine {
  requests: { req: CompletionRequest; emit: (s: string, firstLogprob?: number) => void; finish: () => void; fail: (err: Error) => void; signal: AbortSignal }[] = [];
  complete(req: CompletionRequest, onText: (s: string, firstLogprob?: number) => void, signal: AbortSignal) {
    return new Promise<void>((resolve, reject) => {
      this.requests.push({ req, emit: onText, finish: resolve, fail: reject, signal });
      signal.addEventListener('abort', () => resolve());
    });
  }
}

const setup = (gateThreshold = 0) => {
  const clock = new FakeClock();
  const engine = new ScriptedEngine();
  const events: CompletionEvent[] = [];
  const changed = vi.fn();
  const ctl = new CompletionController({
    engine, clock, debounceMs: () => 5, onSuggestionChanged: changed, onEvent: (e) => events.push(e), alternatives: 3, gateThreshold: () => gateThreshold,
    // p = σ(4·p(first token) − 2): 0.5 at a first-token probability of 0.5.
    gateCalibration: firstTokenGate(4, -2, 0.5),
  });
  return { clock, engine, events, changed, ctl };
};
const flush = () => new Promise((r) => setTimeout(r, 0));

describe('CompletionController: the confidence gate', () => {
  const ctx = { prefix: 'const total = ', suffix: '' };

  it('holds back a suggestion whose first token is unlikely, stops its work, and does not ask again for the same context', () => {
    const { clock, engine, ctl, events } = setup(0.5);
    ctl.suggest(ctx);
    clock.advance(5);
    engine.requests[0]!.emit('foo(1)', Math.log(0.001));
    expect(ctl.suggest(ctx)).toBeUndefined();
    expect(engine.requests[0]!.signal.aborted).toBe(true);
    expect(ctl.isPending(ctx)).toBe(false);
    expect(events.filter((e) => e.type === 'gated')).toHaveLength(1);
    expect(events.some((e) => e.type === 'first-ghost')).toBe(false);
    clock.advance(50);
    expect(engine.requests).toHaveLength(1); // the same context: no new request
    ctl.suggest({ prefix: 'const total = f', suffix: '' }); // typing on asks anew
    clock.advance(5);
    expect(engine.requests).toHaveLength(2);
  });

  it('shows a likely one, and every one when the threshold is 0 or no log-probability came with it', () => {
    for (const [threshold, logprob] of [[0.5, Math.log(0.99)], [0, Math.log(0.001)], [0.5, undefined]] as const) {
      const { clock, engine, ctl, events } = setup(threshold);
      ctl.suggest(ctx);
      clock.advance(5);
      engine.requests[0]!.emit('foo(1)', logprob);
      expect(ctl.suggest(ctx)).toBe('foo(1)');
      expect(events.some((e) => e.type === 'gated')).toBe(false);
    }
  });
});

describe('CompletionController', () => {
  it('debounces, then streams a growing suggestion', () => {
    const { clock, engine, ctl, changed } = setup();
    const ctx = { prefix: 'const x = ', suffix: '' };
    expect(ctl.suggest(ctx)).toBeUndefined();
    expect(engine.requests).toHaveLength(0);
    clock.advance(5);
    expect(engine.requests).toHaveLength(1);
    engine.requests[0]!.emit('fo');
    expect(changed).toHaveBeenCalledTimes(1);
    expect(ctl.suggest(ctx)).toBe('fo');
    engine.requests[0]!.emit('foo(1)');
    expect(ctl.suggest(ctx)).toBe('foo(1)');
  });

  it('a new keystroke cancels the request in flight and its tokens never show', () => {
    const { clock, engine, ctl } = setup();
    ctl.suggest({ prefix: 'a', suffix: '' });
    clock.advance(5);
    const first = engine.requests[0]!;
    ctl.suggest({ prefix: 'ab', suffix: '' }); // typed 'b', which the (empty) suggestion did not predict
    expect(first.signal.aborted).toBe(true);
    first.emit('STALE');
    expect(ctl.suggest({ prefix: 'ab', suffix: '' })).toBeUndefined();
    clock.advance(5);
    engine.requests[1]!.emit('c');
    expect(ctl.suggest({ prefix: 'ab', suffix: '' })).toBe('c');
  });

  it('typing the suggested characters makes no new request and shrinks the ghost', () => {
    const { clock, engine, ctl, events } = setup();
    ctl.suggest({ prefix: 'x = ', suffix: '' });
    clock.advance(5);
    engine.requests[0]!.emit('value + 1');
    expect(ctl.suggest({ prefix: 'x = ', suffix: '' })).toBe('value + 1');
    expect(ctl.suggest({ prefix: 'x = val', suffix: '' })).toBe('ue + 1');
    clock.advance(50);
    expect(engine.requests).toHaveLength(1);
    expect(events.some((e) => e.type === 'typed-through' && e.chars === 3)).toBe(true);
  });

  it('says when a key types through a ghost on screen with more left, without touching anything', () => {
    const { clock, engine, ctl, events } = setup();
    ctl.suggest({ prefix: 'x = ', suffix: '' });
    clock.advance(5);
    engine.requests[0]!.emit('value');
    expect(ctl.showsTypedThrough({ prefix: 'x = va', suffix: '' })).toBe(false); // not shown yet
    ctl.suggest({ prefix: 'x = ', suffix: '' });
    const seen = events.length;
    expect(ctl.showsTypedThrough({ prefix: 'x = va', suffix: '' })).toBe(true);
    expect(ctl.showsTypedThrough({ prefix: 'x = value', suffix: '' })).toBe(false); // nothing left
    expect(ctl.showsTypedThrough({ prefix: 'x = vb', suffix: '' })).toBe(false); // diverged
    expect(events.length).toBe(seen);
    expect(engine.requests).toHaveLength(1);
  });

  it('stops the engine once the suggestion is final', () => {
    const { clock, engine, ctl } = setup();
    ctl.suggest({ prefix: 'y = ', suffix: '' });
    clock.advance(5);
    engine.requests[0]!.emit('2\nz = 3');
    expect(engine.requests[0]!.signal.aborted).toBe(true);
    expect(ctl.suggest({ prefix: 'y = ', suffix: '' })).toBe('2');
  });

  it('does not offer a dismissed suggestion again for the same context', async () => {
    const { clock, engine, ctl } = setup();
    const ctx = { prefix: 'q = ', suffix: '' };
    ctl.suggest(ctx);
    clock.advance(5);
    engine.requests[0]!.emit('1');
    ctl.dismiss(ctx);
    expect(ctl.suggest(ctx)).toBeUndefined();
    clock.advance(50);
    expect(engine.requests).toHaveLength(1);
    await flush();
  });

  it('measures keystroke → first ghost character on the injected clock', () => {
    const { clock, engine, ctl, events } = setup();
    const ctx = { prefix: 'n = ', suffix: '' };
    ctl.suggest(ctx);
    clock.advance(5);
    clock.advance(20);
    engine.requests[0]!.emit('7');
    ctl.suggest(ctx);
    expect(events.find((e) => e.type === 'first-ghost')).toMatchObject({ keystrokeToGhostMs: 25 });
  });

  it('prefetch starts the request as the edit lands; the editor asking for the same context then finds it, and a typed-through key starts nothing', async () => {
    const { clock, engine, ctl, events } = setup();
    const ctx = { prefix: 'n = ', suffix: '' };
    ctl.prefetch(ctx);
    expect(ctl.suggest(ctx)).toBeUndefined(); // Monaco asks during the debounce: the same request
    clock.advance(5);
    expect(engine.requests).toHaveLength(1);
    engine.requests[0]!.emit('72');
    const typed = { prefix: 'n = 7', suffix: '' };
    ctl.prefetch(typed); // the key matched the suggestion: served from the flight
    clock.advance(5);
    expect(engine.requests).toHaveLength(1);
    expect(events.filter((e) => e.type === 'typed-through')).toHaveLength(0); // prefetch has no side effects
    expect(ctl.suggest(typed)).toBe('2');
    ctl.prefetch({ prefix: 'n = 9', suffix: '' }); // a key the suggestion did not predict: a new request
    clock.advance(5);
    expect(engine.requests).toHaveLength(2);
    await flush();
  });

  it("carries a ghost's trace (while the HUD watches) to the engine, and marks when the ghost is ready to show", () => {
    const { clock, engine, ctl, events } = setup();
    const ctx = { prefix: 'n = ', suffix: '' };
    const trace = { keydown: 1, provider: 2, context: 3 };
    ctl.suggest(ctx, trace);
    clock.advance(5);
    expect(engine.requests[0]!.req.trace).toBe(trace);
    engine.requests[0]!.emit('7');
    ctl.suggest(ctx);
    const ghost = events.find((e) => e.type === 'first-ghost');
    expect(ghost).toMatchObject({ trace });
    expect(trace).toHaveProperty('postprocessed');
    // Untraced (nobody watching): nothing is marked and the request carries no trace.
    ctl.suggest({ prefix: 'm = ', suffix: '' });
    clock.advance(5);
    expect(engine.requests.at(-1)!.req.trace).toBeUndefined();
  });

  it('asking again for the same context during the debounce does not push the request back', () => {
    const { clock, engine, ctl } = setup();
    const ctx = { prefix: 'k = ', suffix: '' };
    ctl.suggest(ctx);
    clock.advance(3);
    ctl.suggest(ctx);
    clock.advance(2);
    expect(engine.requests).toHaveLength(1);
  });

  it('a whitespace-only first chunk shows nothing yet and does not restart the request', () => {
    const { clock, engine, ctl } = setup();
    const ctx = { prefix: 'return a +', suffix: '' };
    ctl.suggest(ctx);
    clock.advance(5);
    engine.requests[0]!.emit(' ');
    expect(ctl.suggest(ctx)).toBeUndefined();
    expect(engine.requests[0]!.signal.aborted).toBe(false);
    engine.requests[0]!.emit(' b');
    expect(ctl.suggest(ctx)).toBe(' b');
    expect(engine.requests).toHaveLength(1);
  });

  it('peek never starts or cancels a request', () => {
    const { clock, engine, ctl } = setup();
    ctl.suggest({ prefix: 'a = ', suffix: '' });
    clock.advance(5);
    engine.requests[0]!.emit('1');
    expect(ctl.peek({ prefix: 'b = ', suffix: '' })).toBeUndefined(); // a stale or foreign context
    clock.advance(50);
    expect(engine.requests).toHaveLength(1);
    expect(engine.requests[0]!.signal.aborted).toBe(false);
    expect(ctl.peek({ prefix: 'a = ', suffix: '' })).toBe('1');
  });

  it('asks nothing mid-line before real text', () => {
    const { clock, engine, ctl } = setup();
    ctl.suggest({ prefix: 'foo(', suffix: 'bar)' });
    clock.advance(50);
    expect(engine.requests).toHaveLength(0);
  });
});

describe('CompletionController alternatives (Alt+] / Alt+[)', () => {
  const ctx = { prefix: 'const x = ', suffix: '' };
  /** The main suggestion 'foo(1)' streamed and finished. */
  const shown = async () => {
    const t = setup();
    t.ctl.suggest(ctx);
    t.clock.advance(5);
    t.engine.requests[0]!.emit('foo(1)');
    t.engine.requests[0]!.finish();
    await flush();
    return t;
  };
  /** Answers alternative request i with text and lets the controller move on. */
  const answer = async (engine: ScriptedEngine, i: number, text: string) => {
    engine.requests[i]!.emit(text);
    engine.requests[i]!.finish();
    await flush();
  };

  it('samples K alternatives one after another, post-processed and de-duplicated, main first', async () => {
    const { engine, ctl, events, changed } = await shown();
    const changedBefore = changed.mock.calls.length;
    expect(ctl.alternativesPending(ctx)).toBe(false);
    ctl.requestAlternatives(ctx);
    expect(ctl.alternativesPending(ctx)).toBe(true);
    expect(engine.requests).toHaveLength(2); // one at a time: a second would cancel the first
    expect(engine.requests[1]!.req).toMatchObject({ ...ctx, mode: 'single-line', alternative: 1 });
    await answer(engine, 1, 'bar(2)');
    expect(engine.requests[2]!.req.alternative).toBe(2);
    await answer(engine, 2, 'foo(1)'); // the main suggestion again: not an alternative
    expect(engine.requests[3]!.req.alternative).toBe(3);
    engine.requests[3]!.emit('bar(2)\nmore'); // single-line: cut at the newline, so final ...
    expect(engine.requests[3]!.signal.aborted).toBe(true); // ... and the sample is stopped early
    await flush();
    expect(engine.requests).toHaveLength(4);
    expect(ctl.alternativesPending(ctx)).toBe(false);
    expect(ctl.alternativesFor(ctx, 'foo(1)')).toEqual(['bar(2)']);
    expect(events.find((e) => e.type === 'alternatives')).toMatchObject({ sampled: 3, distinct: 1, prefixChars: ctx.prefix.length });
    // Alternatives never refresh what is shown: Monaco would lose the user's place in the cycle.
    expect(changed.mock.calls.length).toBe(changedBefore);
    ctl.requestAlternatives(ctx); // once per suggestion
    expect(engine.requests).toHaveLength(4);
  });

  it('waits for the main request to finish before sampling', async () => {
    const { clock, engine, ctl } = setup();
    ctl.suggest(ctx);
    clock.advance(5);
    engine.requests[0]!.emit('foo(');
    ctl.requestAlternatives(ctx);
    expect(engine.requests).toHaveLength(1);
    expect(engine.requests[0]!.signal.aborted).toBe(false);
    engine.requests[0]!.emit('foo(1)');
    engine.requests[0]!.finish();
    await flush();
    expect(engine.requests).toHaveLength(2);
    expect(engine.requests[1]!.req.alternative).toBe(1);
  });

  it('a keystroke cancels the alternatives; their text is never offered', async () => {
    const { clock, engine, ctl } = await shown();
    ctl.requestAlternatives(ctx);
    const alt = engine.requests[1]!;
    const next = { prefix: 'const x = q', suffix: '' }; // not what the suggestion predicted
    expect(ctl.suggest(next)).toBeUndefined();
    expect(alt.signal.aborted).toBe(true);
    alt.emit('STALE');
    alt.finish();
    await flush();
    clock.advance(5);
    expect(engine.requests).toHaveLength(3); // the new context's main request, no second alternative
    expect(engine.requests[2]!.req.alternative).toBeUndefined();
    expect(ctl.alternativesPending(ctx)).toBe(false);
    expect(ctl.alternativesFor(ctx, 'foo(1)')).toEqual([]);
    expect(ctl.alternativesFor(next, 'x')).toEqual([]);
  });

  it('typing through keeps the alternatives that still match, minus what was typed', async () => {
    const { engine, ctl } = await shown();
    ctl.requestAlternatives(ctx);
    await answer(engine, 1, 'fob(2)');
    await answer(engine, 2, 'bar');
    await answer(engine, 3, 'fo');
    const typed = { prefix: 'const x = fo', suffix: '' };
    expect(ctl.suggest(typed)).toBe('o(1)');
    // 'fo' is all typed: nothing left to offer; 'bar' no longer matches.
    expect(ctl.alternativesFor(typed, 'o(1)')).toEqual(['b(2)']);
  });

  it('cancel and dismiss abort the alternatives in flight', async () => {
    const a = await shown();
    a.ctl.requestAlternatives(ctx);
    a.ctl.cancel();
    expect(a.engine.requests[1]!.signal.aborted).toBe(true);
    const b = await shown();
    b.ctl.requestAlternatives(ctx);
    b.ctl.dismiss(ctx);
    expect(b.engine.requests[1]!.signal.aborted).toBe(true);
    expect(b.ctl.alternativesFor(ctx, 'foo(1)')).toEqual([]);
  });

  it('a failing sample ends the run with an error, keeping what was sampled', async () => {
    const { engine, ctl, events } = await shown();
    ctl.requestAlternatives(ctx);
    await answer(engine, 1, 'bar(2)');
    engine.requests[2]!.fail(new Error('GPU lost'));
    await flush();
    expect(engine.requests).toHaveLength(3);
    expect(ctl.alternativesPending(ctx)).toBe(false);
    expect(ctl.alternativesFor(ctx, 'foo(1)')).toEqual(['bar(2)']);
    expect(events.some((e) => e.type === 'error' && e.message === 'GPU lost')).toBe(true);
  });

  it('is only for the suggestion in flight: another context gets none', async () => {
    const { engine, ctl } = await shown();
    ctl.requestAlternatives({ prefix: 'let y = ', suffix: '' });
    expect(engine.requests).toHaveLength(1);
    expect(ctl.alternativesPending(ctx)).toBe(false);
  });

  it('stays pending after typing through everything streamed so far, so the rest can arrive', () => {
    const { clock, engine, ctl } = setup();
    ctl.suggest(ctx);
    clock.advance(5);
    engine.requests[0]!.emit('fo');
    const typed = { prefix: 'const x = fo', suffix: '' };
    expect(ctl.suggest(typed)).toBeUndefined();
    expect(ctl.isPending(typed)).toBe(true);
    engine.requests[0]!.emit('foo(1)');
    expect(ctl.peek(typed)).toBe('o(1)');
    expect(engine.requests).toHaveLength(1);
  });
});
