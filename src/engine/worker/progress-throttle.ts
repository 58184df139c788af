// Load progress as the worker posts it: per file at most once per interval, plus the first and the
// last, and the latest of those held back once the interval has passed, so a download that stalls
// shows where it stalled instead of where the last post happened to fall.
import type { LoadProgress } from '../../model/load.ts';
import type { Disposable } from '../../util/disposable.ts';

export class ProgressThrottle implements Disposable {
  private readonly lastPost = new Map<string, number>();
  private readonly held = new Map<string, { progress: LoadProgress; timer: ReturnType<typeof setTimeout> }>();

  constructor(private readonly intervalMs: number, private readonly send: (progress: LoadProgress) => void) {}

  readonly report = (progress: LoadProgress): void => {
    const now = performance.now();
    const last = this.lastPost.get(progress.file);
    const held = this.held.get(progress.file);
    if (last === undefined || now - last >= this.intervalMs || progress.loadedBytes === progress.totalBytes) {
      if (held) clearTimeout(held.timer);
      this.held.delete(progress.file);
      this.post(progress);
      return;
    }
    if (held) {
      held.progress = progress;
      return;
    }
    const entry = {
      progress,
      timer: setTimeout(() => {
        this.held.delete(progress.file);
        this.post(entry.progress);
      }, this.intervalMs - (now - last)),
    };
    this.held.set(progress.file, entry);
  };

  private post(progress: LoadProgress): void {
    this.lastPost.set(progress.file, performance.now());
    this.send(progress);
  }

  /** Drops what is held (the load ended: its ready or error says the rest). */
  dispose(): void {
    for (const { timer } of this.held.values()) clearTimeout(timer);
    this.held.clear();
  }
}
