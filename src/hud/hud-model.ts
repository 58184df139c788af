// Folds perf events into the figures the HUD shows. Pure: no DOM, no clock.

import { decodeTokensPerSecond, type BackendKind, type GenerateStats } from '../engine/index.ts';
import type { SlotName } from '../settings.ts';
import { RollingPercentiles } from './percentiles.ts';
import type { PerfEvent, RequestRole } from './perf-events.ts';
import type { GhostWaterfall } from './waterfall.ts';

/** Rolling window: enough samples for a stable p95, short enough to follow a change of file. */
const WINDOW = 200;

/** The last request one model slot answered: which model, how soon, how fast. */
export interface SlotFigures {
  model: string;
  role: RequestRole;
  ttftMs: number;
  decodeTokensPerSecond?: number;
  /** Requests this slot answered since measuring began. */
  requests: number;
}

export interface HudSnapshot {
  /** path: which path runs and why, with the numbers (the engine's path choice). */
  backend?: { kind: BackendKind; description: string; path?: string };
  keystrokeToGhostMs: { p50?: number; p95?: number; p99?: number; count: number; recent: readonly number[] };
  ttftMs: { p50?: number; p95?: number; count: number };
  lastRequest?: {
    prefillTokens: number;
    reusedTokens: number;
    droppedTokens: number;
    decodeTokensPerSecond?: number;
    dispatchesPerToken?: number;
    submitsPerToken?: number;
    readbacksPerToken?: number;
    phases?: Record<string, number>;
    phaseClock?: string;
  };
  drafts: { drafted: number; accepted: number; acceptance?: number };
  /** Per slot: ghost text (completions) and Edit (rewrites, alternatives). */
  slots: Partial<Record<SlotName, SlotFigures>>;
  suggestions: { shown: number; gated: number; acceptedFull: number; acceptedPartial: number; acceptRate?: number };
  /** The latest ghosts' waterfalls, newest last (at most WATERFALLS). */
  waterfalls: GhostWaterfall[];
}

/** Waterfalls kept: the view draws the newest, the automation handle reads them all. */
const WATERFALLS = 50;

const perToken = (n: number, tokens: number) => (tokens > 0 ? n / tokens : undefined);

export class HudModel {
  private readonly ghost = new RollingPercentiles(WINDOW);
  private readonly ttft = new RollingPercentiles(WINDOW);
  private backend: HudSnapshot['backend'];
  private last: GenerateStats | undefined;
  private readonly slots: Partial<Record<SlotName, SlotFigures>> = {};
  private drafted = 0;
  private acceptedDrafts = 0;
  private shown = 0;
  private gated = 0;
  private acceptedFull = 0;
  private acceptedPartial = 0;
  private readonly waterfalls: HudSnapshot['waterfalls'] = [];

  apply(e: PerfEvent): void {
    switch (e.type) {
      case 'backend': this.backend = { kind: e.kind, description: e.description, ...(e.path !== undefined ? { path: e.path } : {}) }; break;
      case 'keystroke-to-ghost': this.ghost.add(e.ms); break;
      case 'ghost-waterfall': {
        const { type: _type, ...waterfall } = e;
        this.waterfalls.push(waterfall);
        if (this.waterfalls.length > WATERFALLS) this.waterfalls.shift();
        break;
      }
      case 'request-done':
        this.last = e.stats;
        if (e.stats.decodeTokens > 0 || e.stats.prefillTokens > 0) this.ttft.add(e.stats.ttftMs);
        this.drafted += e.stats.draftedTokens;
        this.acceptedDrafts += e.stats.acceptedDraftTokens;
        this.slots[e.slot] = {
          model: e.model, role: e.role, ttftMs: e.stats.ttftMs, decodeTokensPerSecond: decodeTokensPerSecond(e.stats),
          requests: (this.slots[e.slot]?.requests ?? 0) + 1,
        };
        break;
      case 'suggestion-shown': this.shown++; break;
      case 'suggestion-gated': this.gated++; break;
      case 'suggestion-accepted': if (e.part === 'full') this.acceptedFull++; else this.acceptedPartial++; break;
      case 'rewrite-done': break;
    }
  }

  snapshot(): HudSnapshot {
    const s = this.last;
    const tokens = s ? s.decodeTokens : 0;
    return {
      backend: this.backend,
      keystrokeToGhostMs: { ...this.ghost.summary(), recent: this.ghost.values() },
      ttftMs: { p50: this.ttft.percentile(50), p95: this.ttft.percentile(95), count: this.ttft.count },
      lastRequest: s && {
        prefillTokens: s.prefillTokens,
        reusedTokens: s.reusedTokens,
        droppedTokens: s.droppedTokens,
        decodeTokensPerSecond: decodeTokensPerSecond(s),
        dispatchesPerToken: perToken(s.dispatches, tokens),
        submitsPerToken: perToken(s.submits, tokens),
        readbacksPerToken: perToken(s.readbacks, tokens),
        phases: s.phases,
        phaseClock: s.phaseClock,
      },
      slots: { ...this.slots },
      waterfalls: [...this.waterfalls],
      drafts: { drafted: this.drafted, accepted: this.acceptedDrafts, acceptance: this.drafted > 0 ? this.acceptedDrafts / this.drafted : undefined },
      suggestions: {
        shown: this.shown, gated: this.gated, acceptedFull: this.acceptedFull, acceptedPartial: this.acceptedPartial,
        acceptRate: this.shown > 0 ? (this.acceptedFull + this.acceptedPartial) / this.shown : undefined,
      },
    };
  }
}
