import { describe, expect, it } from 'vitest';
import { pauseSummary, type PauseLatency } from './pause-report.ts';

const result: PauseLatency = {
  path: 'CPU SIMD: 9 ms per keystroke', p50: 30, p95: 120, ghostShare: 0.75, typedChars: 8, keyGapMs: 90, gateThreshold: 0,
  languages: [{ language: 'python', file: 'a.py', pauses: 4, ghosts: 3, latenciesMs: [30, 40, 120] }],
  waterfall: {
    pairs: [[30, 30], [40, 41], [120, 120]], unpaired: 1, worstShare: 0.025, stages: { render: 18, tokenize: 7.9 },
    prompts: { ghosts: 2, promptTokensP50: 300, prefilledP50: 1, prefilledMax: 280 },
    slowest: { outsideMs: 120, stages: [{ name: 'debounce + request', ms: 90.04 }, { name: 'postMessage', ms: 0.01 }, { name: 'render', ms: 29.96 }], prompt: { promptTokens: 300, prefilledTokens: 280 } },
  },
};

describe('pauseSummary', () => {
  it('says the figures, the path, the gate the run set, each language, and where the slowest ghost spent its time', () => {
    const text = pauseSummary(result);
    expect(text).toContain('p50 30 ms, p95 120 ms, a ghost at 75 % of pauses');
    expect(text).toContain('Path: CPU SIMD: 9 ms per keystroke. Gate threshold: 0.');
    expect(text).toContain('- python (a.py): ghost at 3/4 pauses; ms: 30, 40, 120');
    expect(text).toContain('1 ghost(s) had no waterfall');
    expect(text).toContain('Prompts of the 2 ghosts from a request: median 300 tokens; prefilled median 1, most 280 (the rest from the KV cache).');
    expect(text).toContain('The slowest ghost (120 ms): debounce + request 90.0 · render 30.0; prefilled 280 of 300 prompt tokens.');
  });

  it('leaves out the gate and the waterfall when the run had neither', () => {
    const { gateThreshold: _g, waterfall: _w, ...plain } = result;
    const text = pauseSummary(plain);
    expect(text).not.toMatch(/Gate threshold|waterfall|slowest/);
  });
});
