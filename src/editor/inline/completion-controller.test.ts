import { describe, expect, it, vi } from 'vitest';
import { CompletionController, type Clock, type CompletionEngine, type CompletionEvent, type CompletionRequest } from './completion-controller.ts';

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
  requests: { req: CompletionRequest; emit: (s: string) => void; finish: () => void; signal: AbortSignal }[] = [];
  complete(req: CompletionRequest, onText: (s: string) => void, signal: AbortSignal) {
    return new Promise<void>((resolve) => {
      this.requests.push({ req, emit: onText, finish: resolve, signal });
      signal.addEventListener('abort', () => resolve());
    });
  }
}

const setup = () => {
  const clock = new FakeClock();
  const engine = new ScriptedEngine();
  const events: CompletionEvent[] = [];
  const changed = vi.fn();
  const ctl = new CompletionController({ engine, clock, debounceMs: () => 5, onSuggestionChanged: changed, onEvent: (e) => events.push(e) });
  return { clock, engine, events, changed, ctl };
};
const flush = () => new Promise((r) => setTimeout(r, 0));

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
