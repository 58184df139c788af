// VS Code–style lifetimes: whatever allocates or subscribes returns a Disposable, and whoever
// created it puts it in a DisposableStore that is disposed once, in reverse order of creation
// (later things may depend on earlier ones).

export interface Disposable {
  dispose(): void;
}

/** Wraps a cleanup function; calling dispose() more than once runs it only once. */
export function toDisposable(cleanup: () => void): Disposable {
  let done = false;
  return {
    dispose() {
      if (done) return;
      done = true;
      cleanup();
    },
  };
}

/** Subscribes to a DOM event and returns the unsubscription. */
export function listen<K extends keyof WindowEventMap>(
  target: Window, type: K, handler: (event: WindowEventMap[K]) => void, options?: AddEventListenerOptions,
): Disposable;
export function listen<K extends keyof DocumentEventMap>(
  target: Document, type: K, handler: (event: DocumentEventMap[K]) => void, options?: AddEventListenerOptions,
): Disposable;
export function listen<K extends keyof HTMLElementEventMap>(
  target: HTMLElement, type: K, handler: (event: HTMLElementEventMap[K]) => void, options?: AddEventListenerOptions,
): Disposable;
export function listen(
  target: EventTarget, type: string, handler: (event: Event) => void, options?: AddEventListenerOptions,
): Disposable {
  target.addEventListener(type, handler, options);
  return toDisposable(() => target.removeEventListener(type, handler, options));
}

/** Something that can say how many disposables it holds (a soak test's leak check). */
export interface CountsDisposables {
  readonly disposableCount: number;
}

const countOf = (item: Disposable): number => {
  const n = (item as Partial<CountsDisposables>).disposableCount;
  return typeof n === 'number' ? n : 1;
};

export class DisposableStore implements Disposable, CountsDisposables {
  private readonly items: Disposable[] = [];
  private disposed = false;

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Disposables held, counting inside those that count their own (nested stores, the Assistant). */
  get disposableCount(): number {
    let n = 0;
    for (const item of this.items) n += countOf(item);
    return n;
  }

  /** Adds a disposable and returns it. Adding to a disposed store disposes the item at once (no leak). */
  add<T extends Disposable>(item: T): T {
    if (this.disposed) {
      item.dispose();
    } else {
      this.items.push(item);
    }
    return item;
  }

  /** Disposes everything added so far, newest first; errors are collected so one failure doesn't leak the rest. */
  clear(): void {
    const errors: unknown[] = [];
    while (this.items.length > 0) {
      const item = this.items.pop()!;
      try {
        item.dispose();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, 'several disposables failed');
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.clear();
  }
}
