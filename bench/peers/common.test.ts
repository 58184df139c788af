import { describe, expect, it } from 'vitest';
import {
  byteLevelInverse,
  bytesKey,
  compareTokens,
  errorMessage,
  failedRow,
  gpt2ByteAlphabet,
  medianRow,
  okRow,
  suppressedIds,
  timingFigures,
  type TokenizerJson,
} from './common.ts';
import { DEFAULT_PROMPT_TEXT, parseArgs, parseIdList, PEER_NAMES } from './args.ts';

describe('timingFigures', () => {
  it('charges the first token to prefill and rates only the later ones as decode', () => {
    const f = timingFigures({ start: 100, firstToken: 300, end: 1300, tokens: 11 });
    expect(f.prefillMs).toBe(200);
    expect(f.decodeTokensPerSecond).toBe(10); // 10 tokens in 1000 ms
  });

  it('gives no rate, with the reason, rather than 0, Infinity or NaN when the timing cannot give one', () => {
    const one = timingFigures({ start: 0, firstToken: 5, end: 5, tokens: 1 });
    expect(one.decodeTokensPerSecond).toBeUndefined();
    expect(one.unusable).toMatch(/none after the first/);
    // Two requests timed apart (wllama): polling jitter can put the longer one's end before the shorter's.
    const noisy = timingFigures({ start: 0, firstToken: 130, end: 125, tokens: 16 });
    expect(noisy.decodeTokensPerSecond).toBeUndefined();
    expect(noisy.unusable).toMatch(/15 tokens after the first took -5.0 ms/);
  });
});

describe('compareTokens', () => {
  it('is silent without a reference', () => {
    expect(compareTokens([1, 2], undefined)).toEqual({});
  });
  it('finds the first mismatch, including a length difference', () => {
    expect(compareTokens([1, 2, 3], [1, 2, 3])).toEqual({ sameTokens: true });
    expect(compareTokens([1, 9, 3], [1, 2, 3])).toEqual({ sameTokens: false, firstMismatch: 1 });
    expect(compareTokens([1, 2], [1, 2, 3])).toEqual({ sameTokens: false, firstMismatch: 2 });
  });
});

describe('rows', () => {
  it('keeps the exact error text of Errors, causes, strings and objects', () => {
    expect(errorMessage(new TypeError('bad'))).toBe('TypeError: bad');
    expect(errorMessage(new Error('outer', { cause: new Error('inner') }))).toBe('Error: outer (cause: Error: inner)');
    expect(errorMessage('plain')).toBe('plain');
    expect(errorMessage({ code: 7 })).toBe('{"code":7}');
    expect(failedRow('x', new Error('boom'))).toEqual({ name: 'x', status: 'failed', error: 'Error: boom' });
  });

  it('builds an ok row with rounded figures and the token comparison', () => {
    const row = okRow('p', [4, 5, 6], { start: 0, firstToken: 10.123, end: 1010.123, tokens: 3 }, [4, 5, 6]);
    expect(row).toMatchObject({ name: 'p', status: 'ok', prefillMs: 10.12, decodeTokensPerSecond: 2, sameTokens: true });
  });

  it('leaves the rate out of an ok row, and says why, when the timing gives none', () => {
    const row = okRow('p', [4, 5], { start: 0, firstToken: 130, end: 125, tokens: 2 }, [4, 5], { threads: 1 });
    expect(row).not.toHaveProperty('decodeTokensPerSecond');
    expect(row.detail).toMatchObject({ threads: 1, decodeTiming: expect.stringMatching(/^no wall-clock rate: /) });
  });
});

describe('medianRow', () => {
  const run = (ids: number[], decodeMs: number) => ({ ids, timing: { start: 0, firstToken: 10, end: 10 + decodeMs, tokens: 11 } });

  it('reports the median run and lists every run', () => {
    const row = medianRow('p', [run([1], 1000), run([1], 500), run([1], 2000)], [1]);
    expect(row.decodeTokensPerSecond).toBe(10); // 10 tokens over 1000 ms: the middle rate
    expect(row.detail).toMatchObject({ runs: 3, decodeTokensPerSecondRuns: '10,20,5' });
    expect(row.sameTokens).toBe(true);
  });

  it('reports the median of the peer\'s own figures beside the wall clock, and marks runs without a rate', () => {
    const own = (r: ReturnType<typeof run>, v: number) => ({ ...r, ownDecodeTokensPerSecond: v });
    const noisy = { ids: [1], timing: { start: 0, firstToken: 10, end: 5, tokens: 11 }, ownDecodeTokensPerSecond: 40 };
    const row = medianRow('p', [own(run([1], 1000), 12), noisy, own(run([1], 500), 25)], [1]);
    expect(row.decodeTokensPerSecond).toBe(10); // the measured runs are the majority
    expect(row.ownDecodeTokensPerSecond).toBe(25);
    expect(row.detail).toMatchObject({ decodeTokensPerSecondRuns: '10,–,20' });
  });

  it('is not sameTokens when any run differs', () => {
    const row = medianRow('p', [run([1, 2], 1000), run([1, 3], 1000), run([1, 2], 1000)], [1, 2]);
    expect(row).toMatchObject({ sameTokens: false, firstMismatch: 1 });
  });
});

describe('byte-level vocabulary helpers', () => {
  it('has 256 distinct printable characters, identity on printable ASCII', () => {
    const a = gpt2ByteAlphabet();
    expect(new Set(a).size).toBe(256);
    expect(a[0x41]).toBe('A');
    expect(a[0x20]).toBe('Ġ'); // space maps to U+0120, as in GPT-2 / HF ByteLevel
    expect(a[0x0a]).toBe('Ċ');
  });

  it('maps reported byte strings back to ids', () => {
    const inv = byteLevelInverse({ 'Ġdef': 7, 'Ċ': 8, 'ab': 9 });
    expect(inv.get(bytesKey([0x20, 0x64, 0x65, 0x66]))).toBe(7);
    expect(inv.get(bytesKey([0x0a]))).toBe(8);
    expect(inv.get(bytesKey([0x61, 0x62]))).toBe(9);
  });

  it('suppresses special tokens and, by default, tokens holding non-ASCII bytes', () => {
    const hi = gpt2ByteAlphabet()[0xc3]!;
    const tok: TokenizerJson = {
      model: { vocab: { a: 5, ['Ġ' + hi]: 6, b: 7 } },
      added_tokens: [
        { id: 0, content: '<|endoftext|>', special: true },
        { id: 1, content: '<fim_prefix>', special: true },
        { id: 2, content: 'plain-added', special: false },
      ],
    };
    expect(suppressedIds(tok)).toEqual([0, 1, 6]);
    expect(suppressedIds(tok, false)).toEqual([0, 1]);
  });
});

describe('args', () => {
  it('parses id lists strictly', () => {
    expect(parseIdList('1, 2,3')).toEqual([1, 2, 3]);
    expect(() => parseIdList('1,x')).toThrow('not a token id: "x"');
  });

  it('defaults to every peer and parses the flags', () => {
    expect(parseArgs([]).peers).toEqual([...PEER_NAMES]);
    const a = parseArgs(['--n', '8', '--peers', 'wllama:wasm', '--no-isolate', '--prompt', '5,6']);
    expect(a).toMatchObject({ maxNewTokens: 8, peers: ['wllama:wasm'], isolate: false, prompt: [5, 6] });
    expect(() => parseArgs(['--peers', 'llama.cpp'])).toThrow('unknown peer');
    expect(() => parseArgs(['--n', '0'])).toThrow('positive integer');
  });

  it('keeps the default prompt free of what llama.cpp tokenizes differently', () => {
    expect(DEFAULT_PROMPT_TEXT).not.toMatch(/'/);
  });
});
