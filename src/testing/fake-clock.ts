// A manual clock for timing logic (debounce, coalescing): timers fire only when the test advances
// time, in due order. Implements the editor's Clock (src/editor/inline/completion-controller.ts).

export class FakeClock {
  time = 0;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 1;
  now(): number { return this.time; }
  setTimeout(fn: () => void, ms: number): number {
    const id = this.nextId++;
    this.timers.push({ at: this.time + Math.max(0, ms), fn, id });
    return id;
  }
  clearTimeout(id: unknown): void { this.timers = this.timers.filter((t) => t.id !== id); }
  /** Timers not yet fired. */
  get pending(): number { return this.timers.length; }
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const next = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.time = next.at;
      next.fn();
    }
    this.time = end;
  }
}
