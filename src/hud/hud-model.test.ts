import { describe, expect, it } from 'vitest';
import type { GenerateStats } from '../engine/index.ts';
import { HudModel } from './hud-model.ts';

const stats = (over: Partial<GenerateStats> = {}): GenerateStats => ({
  promptTokens: 100, prefillTokens: 3, reusedTokens: 97, droppedTokens: 0, decodeTokens: 16, ttftMs: 12,
  prefillMs: 5, decodeMs: 80, submits: 2, dispatches: 320, readbacks: 2, draftedTokens: 10, acceptedDraftTokens: 6, ...over,
});

describe('HudModel', () => {
  it('folds request stats into per-token figures', () => {
    const m = new HudModel();
    m.apply({ type: 'request-done', stats: stats(), role: 'completion', slot: 'ghost', model: 'spark-nano' });
    const s = m.snapshot();
    expect(s.lastRequest).toMatchObject({ prefillTokens: 3, reusedTokens: 97, decodeTokensPerSecond: 200, readbacksPerToken: 2 / 16, dispatchesPerToken: 20 });
    expect(s.drafts).toEqual({ drafted: 10, accepted: 6, acceptance: 0.6 });
    expect(s.ttftMs.p50).toBe(12);
  });
  it('keeps each slot\'s last answer: its model, time to first token and decode speed', () => {
    const m = new HudModel();
    expect(m.snapshot().slots).toEqual({});
    m.apply({ type: 'request-done', stats: stats(), role: 'completion', slot: 'ghost', model: 'fast' });
    m.apply({ type: 'request-done', stats: stats({ ttftMs: 40, decodeMs: 160 }), role: 'rewrite', slot: 'edit', model: 'strong' });
    m.apply({ type: 'request-done', stats: stats({ ttftMs: 8 }), role: 'completion', slot: 'ghost', model: 'fast' });
    expect(m.snapshot().slots).toEqual({
      ghost: { model: 'fast', role: 'completion', ttftMs: 8, decodeTokensPerSecond: 200, requests: 2 },
      edit: { model: 'strong', role: 'rewrite', ttftMs: 40, decodeTokensPerSecond: 100, requests: 1 },
    });
  });
  it('counts accepts in full and in part against suggestions shown, and the ones the gate held back', () => {
    const m = new HudModel();
    for (let i = 0; i < 4; i++) m.apply({ type: 'suggestion-shown' });
    m.apply({ type: 'suggestion-accepted', part: 'full' });
    m.apply({ type: 'suggestion-accepted', part: 'partial' });
    m.apply({ type: 'suggestion-gated' });
    expect(m.snapshot().suggestions).toEqual({ shown: 4, gated: 1, acceptedFull: 1, acceptedPartial: 1, acceptRate: 0.5 });
  });
  it('reports keystroke-to-ghost percentiles', () => {
    const m = new HudModel();
    [10, 20, 30, 40].forEach((ms) => m.apply({ type: 'keystroke-to-ghost', ms }));
    expect(m.snapshot().keystrokeToGhostMs).toMatchObject({ p50: 20, p95: 40, count: 4 });
  });
});
