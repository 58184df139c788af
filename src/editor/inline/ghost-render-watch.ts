// When a ghost reaches the screen, for the HUD's waterfall: the frame that paints Monaco's ghost-text
// nodes (`.ghost-text`, `.ghost-text-decoration`) with new, non-empty text. Monaco changes its view
// in an animation-frame callback, and that frame is painted right after it: the change's own time is
// the ghost's. A change made outside a frame's rendering step waits for the next frame: its time is
// that frame's. That is the definition the outside probe uses (bench/pause-latency.ts), so the
// waterfall's total and the outside figure measure one moment. The MutationObserver runs only
// while someone is watching (`watching()`): a key or a waiting trace starts it, and the first
// change seen with nobody watching stops it.
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

/**
 * Whether the page is inside a frame's rendering step: set by an animation-frame callback, cleared
 * by a message that can only arrive once the frame is done. The callback registers itself again
 * during each frame, so it runs before the callbacks registered after that frame (Monaco schedules
 * its render when its view changes). A view change that ran before it would count from the next
 * frame: one frame late, never early.
 */
class RenderingStep implements Disposable {
  private inStep = false;
  private frame: number;
  private readonly frameDone = new MessageChannel();

  constructor() {
    this.frameDone.port1.onmessage = () => { this.inStep = false; };
    const onFrame = () => {
      this.inStep = true;
      this.frameDone.port2.postMessage(0);
      this.frame = requestAnimationFrame(onFrame);
    };
    this.frame = requestAnimationFrame(onFrame);
  }

  get active(): boolean { return this.inStep; }

  dispose(): void {
    cancelAnimationFrame(this.frame);
    this.frameDone.port1.close();
  }
}

export class GhostRenderWatch implements Disposable {
  private observer: MutationObserver | undefined;
  private step: RenderingStep | undefined;
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
    this.step = new RenderingStep();
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
      if (this.step?.active) this.rendered(this.options.now());
      else requestAnimationFrame(() => this.rendered(this.options.now()));
    }
    this.shown = text;
  }

  private rendered(at: number): void {
    this.renders.push(at);
    if (this.renders.length > KEEP) this.renders.shift();
    for (const w of [...this.waiting]) {
      if (at < w.after) continue;
      clearTimeout(w.timer);
      this.waiting.delete(w);
      w.done(at);
    }
  }

  private stop(): void {
    this.observer?.disconnect();
    this.observer = undefined;
    this.step?.dispose();
    this.step = undefined;
    this.renders.length = 0;
    for (const w of this.waiting) clearTimeout(w.timer);
    this.waiting.clear();
  }

  dispose(): void { this.stop(); }
}
