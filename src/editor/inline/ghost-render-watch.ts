// When a ghost reaches the screen, for the HUD's waterfall: the frame after Monaco's ghost-text
// nodes (`.ghost-text`, `.ghost-text-decoration`) show new, non-empty text. That is the definition
// the outside probe uses (bench/pause-latency.ts), so the waterfall's total and the outside figure
// measure one moment. The MutationObserver runs only while someone is watching (`watching()`):
// a key or a waiting trace starts it, and the first change seen with nobody watching stops it.
import type { Disposable } from '../../util/disposable.ts';

const GHOST_NODES = '.ghost-text-decoration, .ghost-text';
/** Renders and keys remembered, to answer for a ghost whose trace finishes after it was drawn. */
const KEEP = 8;

export interface GhostRenderWatchOptions {
  node: HTMLElement;
  /** The traces' clock (traceNow). */
  now: () => number;
  watching: () => boolean;
  /** A trace still waiting after this long is given up (Monaco showed nothing new for it). */
  timeoutMs?: number;
}

export class GhostRenderWatch implements Disposable {
  private observer: MutationObserver | undefined;
  private shown = '';
  private readonly renders: number[] = [];
  private readonly keys: number[] = [];
  private readonly waiting = new Set<{ after: number; done: (at: number) => void; timer: ReturnType<typeof setTimeout> }>();

  constructor(private readonly options: GhostRenderWatchOptions) {}

  /** A key was pressed at `at` (the traces' clock): observe from now on while someone watches. */
  key(at: number): void {
    if (!this.options.watching()) return;
    this.keys.push(at);
    if (this.keys.length > KEEP) this.keys.shift();
    this.start();
  }

  /** The last key pressed at or before `at`, if one is remembered. */
  lastKeyBefore(at: number): number | undefined {
    return this.keys.filter((k) => k <= at).at(-1);
  }

  /**
   * Calls `done` with the first render at or after `after`: one already seen, or the next. Nothing
   * is called when none comes within the timeout.
   */
  whenRendered(after: number, done: (at: number) => void): void {
    const seen = this.renders.find((r) => r >= after);
    if (seen !== undefined) { done(seen); return; }
    const entry = { after, done, timer: setTimeout(() => this.waiting.delete(entry), this.options.timeoutMs ?? 2000) };
    this.waiting.add(entry);
    this.start(); // the HUD may have opened after the last key
  }

  /** Traces still waiting for a render. */
  get pending(): number { return this.waiting.size; }

  private start(): void {
    if (this.observer || !this.options.watching()) return;
    this.shown = this.ghostText();
    this.observer = new MutationObserver(() => this.look());
    this.observer.observe(this.options.node, { subtree: true, childList: true, characterData: true });
  }

  private ghostText(): string {
    return [...this.options.node.querySelectorAll(GHOST_NODES)].map((e) => e.textContent ?? '').join('');
  }

  private look(): void {
    if (!this.options.watching()) { this.stop(); return; }
    const text = this.ghostText();
    if (text !== '' && text !== this.shown) {
      requestAnimationFrame(() => {
        const at = this.options.now();
        this.renders.push(at);
        if (this.renders.length > KEEP) this.renders.shift();
        for (const w of [...this.waiting]) {
          if (at < w.after) continue;
          clearTimeout(w.timer);
          this.waiting.delete(w);
          w.done(at);
        }
      });
    }
    this.shown = text;
  }

  private stop(): void {
    this.observer?.disconnect();
    this.observer = undefined;
    this.renders.length = 0;
    for (const w of this.waiting) clearTimeout(w.timer);
    this.waiting.clear();
  }

  dispose(): void { this.stop(); }
}
