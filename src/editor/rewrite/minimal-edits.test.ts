import { describe, expect, it } from 'vitest';
import { applyEdits, minimalEdits, streamingEdits } from './minimal-edits.ts';

/** Renders edits like a reviewer sees them: `{-removed-}{+added+}`. */
const show = (original: string, rewritten: string) => {
  const edits = minimalEdits(original, rewritten);
  let out = '', at = 0;
  for (const e of edits) {
    out += original.slice(at, e.start) + (e.end > e.start ? `{-${original.slice(e.start, e.end)}-}` : '') + (e.text ? `{+${e.text}+}` : '');
    at = e.end;
  }
  return out + original.slice(at);
};

describe('minimalEdits', () => {
  it('touches only the words that changed', () => {
    expect(show('const total = a + b;\nreturn total;', 'const sum = a + b;\nreturn sum;'))
      .toBe('const {-total-}{+sum+} = a + b;\nreturn {-total-}{+sum+};');
  });
  it('keeps indentation changes exact', () => {
    expect(show('if (x) {\n  y();\n}', 'if (x) {\n    y();\n}')).toBe('if (x) {\n{-  -}{+    +}y();\n}');
  });
  it('round-trips: applying the edits gives the rewrite', () => {
    const rng = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const next = rng(7);
    const words = ['foo', 'bar', ' ', '\n', '(', ')', '\t', '=', 'x1', '  '];
    const text = () => Array.from({ length: Math.floor(next() * 30) }, () => words[Math.floor(next() * words.length)]).join('');
    for (let i = 0; i < 200; i++) {
      const a = text(), b = text();
      expect(applyEdits(a, minimalEdits(a, b))).toBe(b);
    }
  });
  it('while streaming, the unreached tail of the original is not deleted', () => {
    const original = 'let a = 1;\nlet b = 2;\n';
    expect(streamingEdits(original, 'let a = 10;')).toEqual([{ start: 8, end: 9, text: '10' }]);
    expect(applyEdits(original, streamingEdits(original, 'let a = 10;'))).toBe('let a = 10;\nlet b = 2;\n');
  });
  it('rejects overlapping edits', () => {
    expect(() => applyEdits('abc', [{ start: 0, end: 2, text: '' }, { start: 1, end: 3, text: '' }])).toThrow(/overlapping/);
  });
});
