import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildNgram, ngramNext, parseNgram, serializeNgram } from './ngram.ts';

describe('n-gram baseline', () => {
  // 1 2 3 4 twice, 1 2 3 5 once; 7 8 only once.
  const docs = [Uint32Array.of(1, 2, 3, 4, 1, 2, 3, 4), Uint32Array.of(1, 2, 3, 5, 9), Uint32Array.of(7, 8)];

  it('keeps the most frequent next token of each context, longest context first', () => {
    const t = buildNgram(docs, 16, 1);
    expect(ngramNext(t, [1, 2, 3])).toBe(4); // 2 × 4 against 1 × 5
    expect(ngramNext(t, [0, 2, 3])).toBe(4); // backs off to (2 3)
    expect(ngramNext(t, [3, 5])).toBe(9);
    expect(ngramNext(t, [7])).toBe(8);
    expect(ngramNext(t, [9])).toBeUndefined(); // 9 ends its document: nothing follows it
    expect(ngramNext(t, [])).toBeUndefined();
  });

  it('drops contexts seen fewer than minCount times', () => {
    const t = buildNgram(docs, 16, 2);
    expect(ngramNext(t, [1, 2, 3])).toBe(4);
    expect(ngramNext(t, [7])).toBeUndefined();
  });

  it('round-trips through its file format, and refuses anything else', () => {
    const t = buildNgram(docs, 16, 1);
    const back = parseNgram(serializeNgram(t, { from: 'test' }));
    expect(back.best).toEqual(t.best);
    expect(back.provenance).toEqual({ from: 'test' });
    expect(() => parseNgram(new Uint8Array([31, 139, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0]))).toThrow(/n-gram/);
  });
});

describe('n-gram pruning', () => {
  /** The table's definition, by brute force: the longest context seen ≥ minCount times; its most frequent next (the lowest id on a tie). */
  function reference(docs: readonly Uint32Array[], ids: readonly number[], minCount: number): number | undefined {
    for (const n of [3, 2, 1]) {
      if (ids.length < n) continue;
      const counts = new Map<number, number>();
      for (const d of docs) {
        for (let end = n; end < d.length; end++) {
          if (ids.slice(-n).every((id, j) => d[end - n + j] === id)) counts.set(d[end]!, (counts.get(d[end]!) ?? 0) + 1);
        }
      }
      const total = [...counts.values()].reduce((a, b) => a + b, 0);
      if (total < minCount) continue;
      return [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]![0];
    }
    return undefined;
  }

  it('dropping what backoff predicts anyway changes no prediction', () => {
    fc.assert(fc.property(
      fc.array(fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 0, maxLength: 40 }), { minLength: 1, maxLength: 5 }),
      fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 4 }),
      fc.integer({ min: 1, max: 3 }),
      (raw, ids, minCount) => {
        const docs = raw.map((d) => Uint32Array.from(d));
        expect(ngramNext(buildNgram(docs, 6, minCount), ids)).toBe(reference(docs, ids, minCount));
      },
    ), { numRuns: 300 });
  });
});
