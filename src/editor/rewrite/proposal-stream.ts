// Coalesces a streaming rewrite's updates: tokens arrive far more often than anyone can read a
// diff, and each diff costs UI-thread time. So the output is diffed at most once per `intervalMs`
// (the first update waits for nothing), and only the latest text: intermediate texts are never
// diffed. The final output is diffed once more, in full (minimalEdits), and that plan is the one
// shown and the one accept() applies. Monaco-free, so it is tested with a fake clock.

import type { Clock } from '../inline/completion-controller.ts';
import { realClock } from '../inline/completion-controller.ts';
import { diffEdits, streamingEdits, type DiffBounds, type EditPlan, type TextEdit } from './minimal-edits.ts';

/** ~10 updates a second: fast enough to watch the proposal grow, rare enough to cost nothing. */
export const PROPOSAL_UPDATE_INTERVAL_MS = 100;

export interface ProposalStreamOptions {
  original: string;
  /** Called with each coalesced update's edits (never after finish() or dispose()). */
  onEdits: (edits: TextEdit[]) => void;
  clock?: Clock;
  intervalMs?: number;
  bounds?: DiffBounds;
}

export class ProposalStream {
  private readonly clock: Clock;
  private readonly intervalMs: number;
  private latest: string | undefined;
  private timer: unknown;
  private lastDiffAt = -Infinity;
  private closed = false;
  /** How many diffs ran (updates and the final one), for tests. */
  diffs = 0;

  constructor(private readonly options: ProposalStreamOptions) {
    this.clock = options.clock ?? realClock;
    this.intervalMs = options.intervalMs ?? PROPOSAL_UPDATE_INTERVAL_MS;
  }

  /** The output so far. Cheap: it only schedules a diff if none is due yet. */
  push(text: string): void {
    if (this.closed) return;
    this.latest = text;
    if (this.timer !== undefined) return;
    const wait = Math.max(0, this.lastDiffAt + this.intervalMs - this.clock.now());
    this.timer = this.clock.setTimeout(() => this.update(), wait);
  }

  /** The output is complete: cancels any pending update and returns the final plan. */
  finish(text: string): EditPlan {
    this.dispose();
    this.diffs++;
    return diffEdits(this.options.original, text, this.options.bounds);
  }

  dispose(): void {
    this.closed = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private update(): void {
    this.timer = undefined;
    if (this.closed || this.latest === undefined) return;
    this.lastDiffAt = this.clock.now();
    this.diffs++;
    this.options.onEdits(streamingEdits(this.options.original, this.latest, this.options.bounds));
  }
}
