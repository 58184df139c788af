import { describe, expect, it } from 'vitest';
import { completionMode, isSuggestionFinal, shouldSuggestHere, trimCompletion, type CursorContext } from './postprocess.ts';

/** `before|after` → context; the cursor is at `|`. */
const at = (doc: string): CursorContext => {
  const i = doc.indexOf('|');
  return { prefix: doc.slice(0, i), suffix: doc.slice(i + 1) };
};
/** Renders a suggestion the way it looks in the editor: `before[ghost]after`. */
const ghost = (doc: string, raw: string): string => {
  const ctx = at(doc);
  const text = trimCompletion(raw, ctx, completionMode(ctx));
  return text === undefined ? `${ctx.prefix}${ctx.suffix}` : `${ctx.prefix}[${text}]${ctx.suffix}`;
};

describe('completionMode', () => {
  it('is multi-line on an empty line after a block opener', () => {
    expect(completionMode(at('function f(a) {\n  |\n}'))).toBe('multi-line');
    expect(completionMode(at('def f(a):\n    |'))).toBe('multi-line');
  });
  it('is single-line inside a line or after a plain statement', () => {
    expect(completionMode(at('const x = |'))).toBe('single-line');
    expect(completionMode(at('x = 1\n|'))).toBe('single-line');
  });
});

describe('shouldSuggestHere', () => {
  it('only mid-line when the rest is closers and punctuation', () => {
    expect(shouldSuggestHere(at('foo(|);'))).toBe(true);
    expect(shouldSuggestHere(at('const x = |'))).toBe(true);
    expect(shouldSuggestHere(at('foo(|bar);'))).toBe(false);
  });
});

describe('trimCompletion', () => {
  it('keeps one line in single-line mode', () => {
    expect(ghost('const x = |', '42;\nconst y = 1;')).toBe('const x = [42;]');
  });
  it('stops where the output repeats the text after the cursor', () => {
    expect(ghost('print(|)', 'x, y)\n')).toBe('print([x, y])');
  });
  it('does not close a bracket the document already closes', () => {
    expect(ghost('foo(a, |);', 'b));')).toBe('foo(a, [b]);');
  });
  it('never closes a bracket that was never opened', () => {
    expect(ghost('x = 1|', ') + 2')).toBe('x = 1');
  });
  it('lets a completion close what it opened', () => {
    expect(ghost('const y = |', 'f(g(1));')).toBe('const y = [f(g(1));]');
  });
  it('offers no whitespace-only suggestion', () => {
    expect(ghost('x = |', '   \n')).toBe('x = ');
  });
  it('writes a block body and stops before copying the next line', () => {
    expect(ghost('function f(a) {\n  |\n  return b;\n}', 'const b = a * 2;\n  return b;\n}'))
      .toBe('function f(a) {\n  [const b = a * 2;]\n  return b;\n}');
  });
});

describe('post-processing cost does not grow with the file (issue 13: long tasks while typing)', () => {
  it('a 2,000-line context: trimming a streaming suggestion token by token costs about what a 20-line one does', () => {
    const line = (i: number) => `  for (const v of values${i}) out.push(v * factor + ${i}); // (${i}) [x]`;
    const context = (lines: number) => {
      const body = Array.from({ length: lines / 2 }, (_, i) => line(i)).join('\n');
      return { prefix: `function f() {\n${body}\n  let sum = (a[0] + `, suffix: `\n${body}\n}\n` };
    };
    const raw = 'values.reduce((s, v) => s + v, 0));\n  return sum;\n}';
    const stream = (ctx: { prefix: string; suffix: string }) => {
      const t0 = performance.now();
      for (let n = 1; n <= raw.length; n++) {
        for (const mode of ['single-line', 'multi-line'] as const) {
          trimCompletion(raw.slice(0, n), ctx, mode);
          isSuggestionFinal(raw.slice(0, n), ctx, mode);
        }
      }
      return performance.now() - t0;
    };
    // A ratio of the fastest of several interleaved runs: a loaded machine slows both alike, and a
    // cost that grows with the file shows as a ratio near the files' 100x, not a few.
    const big = context(2000);
    const small = context(20);
    let bigMs = Infinity;
    let smallMs = Infinity;
    for (let i = 0; i < 7; i++) {
      bigMs = Math.min(bigMs, stream(big));
      smallMs = Math.min(smallMs, stream(small));
    }
    expect(bigMs / Math.max(smallMs, 0.05), `2,000 lines ${bigMs.toFixed(2)} ms, 20 lines ${smallMs.toFixed(2)} ms`).toBeLessThan(20);
    const ctx = big;
    expect(trimCompletion(raw, ctx, 'single-line')).toBe('values.reduce((s, v) => s + v, 0));'); // the last ')' closes the prefix's '('
  });
});
