import { describe, expect, it } from 'vitest';
import { parseGpuOptions } from './gpu-options.ts';
import { SUBMIT_BUDGET_MS, TOKENS_PER_SUBMIT, tokensPerSubmitFor } from './limits.ts';
import { parseEngineRequest } from './protocol.ts';

describe('GPU options and generate limits at the boundary', () => {
  it('accepts what createGpuBackend takes across postMessage', () => {
    const ok = {
      forceGrid: { qkv: { tileRows: 64, colTiles: 2, reduce: 'tree' } }, weightFormat: 'f16', maxContext: 512, maxBatch: 64,
      maxDraftTokens: 4, maxTokensPerSubmit: 64, autotune: { budgetMs: 500 }, planCache: 'indexeddb', firstTokenAlone: false, description: 'x',
    };
    expect(parseGpuOptions(ok)).toEqual(ok);
    expect(parseGpuOptions({ forceGrid: { tileRows: 32, colTiles: 1, reduce: 'chain' }, autotune: false })).toBeTruthy();
    expect(parseGpuOptions({ forceGrid: { qkv: { tileRows: 32, colTiles: 2, reduce: 'tree', normPrologue: true } } })).toBeTruthy();
    expect(parseGpuOptions({ forceGrid: { lm_head: { tileRows: 32, colTiles: 1, reduce: 'chain', kernel: 'subgroup', lanes: 8 }, o: { tileRows: 64, colTiles: 1, reduce: 'chain', kernel: 'interleaved' } } })).toBeTruthy();
  });

  it.each([
    [[1], /must be an object/],
    [{ device: {} }, /device is not a GPU option/],
    [{ forceGrid: { tileRows: 0, colTiles: 1, reduce: 'chain' } }, /forceGrid/],
    [{ forceGrid: { attention: { tileRows: 32, colTiles: 1, reduce: 'chain' } } }, /forceGrid/],
    [{ forceGrid: { tileRows: 32, colTiles: 1, reduce: 'chain', kernel: 'warp' } }, /forceGrid/],
    [{ forceGrid: { tileRows: 32, colTiles: 1, reduce: 'chain', kernel: 'subgroup', lanes: 0 } }, /forceGrid/],
    [{ forceGrid: { tileRows: 32, colTiles: 1, reduce: 'chain', extra: 1 } }, /forceGrid/],
    [{ forceGrid: { tileRows: 32, colTiles: 1, reduce: 'chain', normPrologue: 'yes' } }, /forceGrid.*normPrologue/],
    [{ weightFormat: 'q4' }, /weightFormat/],
    [{ maxContext: 1 }, /maxContext/],
    [{ maxTokensPerSubmit: 65 }, /maxTokensPerSubmit must be an integer in 1\.\.64/],
    [{ autotune: { candidates: 1 } }, /autotune/],
    [{ planCache: 'localStorage' }, /planCache/],
    [{ firstTokenAlone: 'yes' }, /firstTokenAlone/],
  ])('refuses %j with a message that names the field', (input, message) => {
    expect(() => parseGpuOptions(input)).toThrow(message);
    expect(() => parseEngineRequest({ type: 'load', modelUrl: 'm', gpuOptions: input })).toThrow(message);
  });

  it('a generate request takes exactly the tokens-per-submit range the settings offer', () => {
    const generate = (tokensPerSubmit: number) => ({ type: 'generate', id: 1, prompt: { kind: 'plain', text: 'x' }, maxNewTokens: 4, tokensPerSubmit });
    expect(() => parseEngineRequest(generate(TOKENS_PER_SUBMIT.min))).not.toThrow();
    expect(() => parseEngineRequest(generate(TOKENS_PER_SUBMIT.max))).not.toThrow();
    expect(() => parseEngineRequest(generate(TOKENS_PER_SUBMIT.max + 1))).toThrow(/tokensPerSubmit must be an integer in 1\.\.64/);
    expect(() => parseEngineRequest(generate(0))).toThrow(/tokensPerSubmit/);
  });

  it('a generate request\'s draft tolerance is a finite number of nats, at least 0', () => {
    const generate = (draftTolerance: unknown) => ({ type: 'generate', id: 1, prompt: { kind: 'plain', text: 'x' }, maxNewTokens: 4, drafts: true, draftTolerance });
    expect(() => parseEngineRequest(generate(0))).not.toThrow();
    expect(() => parseEngineRequest(generate(1.5))).not.toThrow();
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, '1']) expect(() => parseEngineRequest(generate(bad))).toThrow(/draftTolerance must be a finite number >= 0/);
  });
});

describe('tokens per submit from the measured time per token', () => {
  it('fits SUBMIT_BUDGET_MS of decoding in one submit, within the range, and keeps the default when unmeasured', () => {
    expect(tokensPerSubmitFor(SUBMIT_BUDGET_MS / 16)).toBe(16); // a fast GPU: 1/16 readbacks per token
    expect(tokensPerSubmitFor(0.01)).toBe(TOKENS_PER_SUBMIT.max);
    expect(tokensPerSubmitFor(26)).toBe(TOKENS_PER_SUBMIT.min); // SwiftShader's 26 ms per token: one token per submit
    expect(tokensPerSubmitFor(undefined)).toBe(TOKENS_PER_SUBMIT.default);
  });
});
