// Lazy instrumentation: producers call `hub.emitter()` and get undefined unless someone watches
// (the expanded HUD, or a demo script through the automation handle), so hidden instrumentation
// builds no events and asks the engine for no timestamps.

import { toDisposable, type Disposable } from '../util/disposable.ts';
import { Emitter } from '../util/emitter.ts';
import type { PerfEvent } from './perf-events.ts';

export class PerfHub implements Disposable {
  private readonly watchers = new Set<(e: PerfEvent) => void>();
  private readonly emit = (e: PerfEvent) => { for (const w of [...this.watchers]) w(e); };
  private readonly watchedChanges = new Emitter<boolean>();
  /** Fires true when the first watcher arrives and false when the last leaves (engine profiling follows it). */
  readonly onDidChangeWatched = this.watchedChanges.event;

  get watched(): boolean { return this.watchers.size > 0; }

  /** The function to emit with, or undefined when nobody watches. */
  emitter(): ((e: PerfEvent) => void) | undefined {
    return this.watchers.size > 0 ? this.emit : undefined;
  }

  watch(watcher: (e: PerfEvent) => void): Disposable {
    this.watchers.add(watcher);
    if (this.watchers.size === 1) this.watchedChanges.fire(true);
    return toDisposable(() => {
      if (this.watchers.delete(watcher) && this.watchers.size === 0) this.watchedChanges.fire(false);
    });
  }

  dispose(): void {
    if (this.watchers.size > 0) this.watchedChanges.fire(false);
    this.watchers.clear();
    this.watchedChanges.dispose();
  }
}
