import { describe, expect, it } from 'vitest';
import { describePrompt, waterfallStages } from './waterfall.ts';

describe('the ghost waterfall', () => {
  it('turns marks into consecutive stages that add up to keydown → rendered', () => {
    const w = waterfallStages({ keydown: 100, provider: 104, context: 105, sent: 116, received: 117, started: 117, tokenized: 119, firstToken: 131, tokensBack: 132, postprocessed: 140, rendered: 150 })!;
    expect(w.stages.map((s) => [s.name, s.ms])).toEqual([
      ['keydown → asked', 4], ['context extraction', 1], ['debounce + request', 11], ['postMessage', 1], ['queue in the worker', 0],
      ['tokenize', 2], ['prefill + first decode', 12], ['detokenize + postMessage back', 1], ['more tokens + post-process', 8], ['render', 10],
    ]);
    expect(w.totalMs).toBe(50);
    expect(w.stages.reduce((a, s) => a + s.ms, 0)).toBe(w.totalMs);
  });

  it('merges a missing mark into the next stage, and clamps a worker clock that runs a hair behind', () => {
    const w = waterfallStages({ keydown: 0, provider: 2, sent: 5, received: 4.9, started: 6, tokenized: 7, firstToken: 9, tokensBack: 10, postprocessed: 11, rendered: 20 })!;
    expect(w.stages.slice(0, 3)).toEqual([{ name: 'keydown → asked', ms: 2 }, { name: 'context extraction + debounce + request', ms: 3 }, { name: 'postMessage', ms: 0 }]);
    expect(w.totalMs).toBe(20);
  });

  it("starts at a keydown later than the request's first marks: what ran before it counts 0", () => {
    const w = waterfallStages({ keydown: 30, provider: 2, context: 3, sent: 14, received: 15, started: 15, tokenized: 20, firstToken: 36, tokensBack: 37, postprocessed: 38, rendered: 44 })!;
    expect(w.totalMs).toBe(14);
    expect(w.stages.filter((s) => s.ms > 0).map((s) => s.name)).toEqual(['prefill + first decode', 'detokenize + postMessage back', 'more tokens + post-process', 'render']);
    expect(w.stages.reduce((a, s) => a + s.ms, 0)).toBe(14);
  });

  it('ends at the render even when marks come after it (the editor showed a ghost first): those stages count 0', () => {
    const w = waterfallStages({ keydown: 0, provider: 3, context: 3, sent: 14, received: 15, started: 15, tokenized: 20, firstToken: 40, tokensBack: 41, postprocessed: 42, rendered: 30 })!;
    expect(w.totalMs).toBe(30);
    expect(w.stages.reduce((a, s) => a + s.ms, 0)).toBe(30);
    expect(w.stages.filter((s) => s.ms > 0).at(-1)).toEqual({ name: 'prefill + first decode', ms: 10 });
  });

  it('a ghost served from the suggestion in flight (typed through) has no request stages, nor prompt counts', () => {
    const w = waterfallStages({ keydown: 10, provider: 14, context: 14.5, typedThrough: 15, rendered: 22, prompt: { promptTokens: 9, prefilledTokens: 9 } })!;
    expect(w.stages).toEqual([{ name: 'keydown → asked', ms: 4 }, { name: 'context extraction', ms: 0.5 }, { name: 'typed through (no request)', ms: 0.5 }, { name: 'render', ms: 7 }]);
    expect(w.prompt).toBeUndefined();
  });

  it("carries the request's prompt counts, which say why its prefill took what it took", () => {
    const w = waterfallStages({ keydown: 0, provider: 2, sent: 5, received: 6, started: 6, tokenized: 7, firstToken: 300, tokensBack: 301, postprocessed: 302, rendered: 320, prompt: { promptTokens: 530, prefilledTokens: 412 } })!;
    expect(w.prompt).toEqual({ promptTokens: 530, prefilledTokens: 412 });
    expect(describePrompt(w.prompt!)).toBe('prefilled 412 of 530 prompt tokens');
  });

  it('has no waterfall without its ends', () => {
    expect(waterfallStages({ keydown: 1, provider: 2 })).toBeUndefined();
    expect(waterfallStages({ rendered: 9 })).toBeUndefined();
  });
});
