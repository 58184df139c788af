import { describe, expect, it } from 'vitest';
import { PROMPT_WINDOW } from '../api/limits.ts';
import { PromptWindow } from './prompt-window.ts';

describe('PromptWindow', () => {
  it('starts at its initial size, and never exceeds what the context holds', () => {
    const w = new PromptWindow(250);
    expect(w.tokens).toBe(PROMPT_WINDOW.initial);
    expect(w.budget(100_000)).toBe(PROMPT_WINDOW.initial);
    expect(w.budget(300)).toBe(300);
  });

  it('grows to the power of two a cold prefill fits in the budget on a fast device', () => {
    const w = new PromptWindow(250);
    w.observe({ prefillTokens: 2000, prefillMs: 10 }); // 200 tokens/ms: 50,000 in 250 ms
    expect(w.tokens).toBe(32768);
    expect(w.budget(21_000)).toBe(21_000);
  });

  it('shrinks on a slow device, but not below its floor', () => {
    const w = new PromptWindow(250);
    w.observe({ prefillTokens: 1000, prefillMs: 1000 }); // 1 token/ms: 250 in 250 ms
    expect(w.tokens).toBe(PROMPT_WINDOW.min);
    const slower = new PromptWindow(250);
    slower.observe({ prefillTokens: 2000, prefillMs: 500 }); // 4 tokens/ms: 1000 in 250 ms
    expect(slower.tokens).toBe(512);
  });

  it('ignores short prefills (mostly fixed cost) and unfinished timings', () => {
    const w = new PromptWindow(250);
    w.observe({ prefillTokens: 3, prefillMs: 100 });
    w.observe({ prefillTokens: 500, prefillMs: 0 });
    expect(w.tokens).toBe(PROMPT_WINDOW.initial);
  });

  it('holds its size while the rate wobbles around a boundary, so the cached prompt is kept', () => {
    const w = new PromptWindow(250);
    w.observe({ prefillTokens: 1000, prefillMs: 1000 / 32 }); // 32 tokens/ms: 8000 fit, so 4096
    expect(w.tokens).toBe(4096);
    const sizes = new Set<number>();
    for (let i = 0; i < 50; i++) {
      const rate = i % 2 === 0 ? 30 : 36; // 7,500 and 9,000 fit: either side of 8192
      w.observe({ prefillTokens: 1000, prefillMs: 1000 / rate });
      sizes.add(w.tokens);
    }
    expect([...sizes]).toEqual([4096]);
  });

  it('starts from a rate measured at load (the path probe) instead of the guess', () => {
    expect(new PromptWindow(250, 443).tokens).toBe(PROMPT_WINDOW.min); // 110 tokens fit: the floor
    expect(new PromptWindow(250, 40_000).tokens).toBe(8192); // 10,000 fit
    expect(new PromptWindow(250, undefined).tokens).toBe(PROMPT_WINDOW.initial);
  });
});
