import { describe, expect, it } from 'vitest';
import { DisposableStore, toDisposable } from './disposable.ts';
import { Emitter } from './emitter.ts';

describe('DisposableStore', () => {
  it('disposes newest first, once', () => {
    const order: string[] = [];
    const store = new DisposableStore();
    store.add(toDisposable(() => order.push('first')));
    store.add(toDisposable(() => order.push('second')));
    store.dispose();
    store.dispose();
    expect(order).toEqual(['second', 'first']);
  });

  it('disposes items added after it was disposed at once', () => {
    const store = new DisposableStore();
    store.dispose();
    let disposed = false;
    store.add(toDisposable(() => { disposed = true; }));
    expect(disposed).toBe(true);
  });

  it('disposes everything even when one item throws, then reports the error', () => {
    const store = new DisposableStore();
    let later = false;
    store.add(toDisposable(() => { later = true; }));
    store.add(toDisposable(() => { throw new Error('boom'); }));
    expect(() => store.dispose()).toThrow('boom');
    expect(later).toBe(true);
  });
});

describe('Emitter', () => {
  it('stops delivering to a disposed subscription', () => {
    const emitter = new Emitter<number>();
    const seen: number[] = [];
    const sub = emitter.event((n) => seen.push(n));
    emitter.fire(1);
    sub.dispose();
    emitter.fire(2);
    expect(seen).toEqual([1]);
  });
});

describe('DisposableStore.disposableCount', () => {
  it('counts what it holds, inside nested stores too, and nothing once cleared', () => {
    const outer = new DisposableStore();
    const inner = outer.add(new DisposableStore());
    inner.add(toDisposable(() => {}));
    inner.add(toDisposable(() => {}));
    outer.add(toDisposable(() => {}));
    expect(outer.disposableCount).toBe(3);
    outer.clear();
    expect(outer.disposableCount).toBe(0);
  });
});
