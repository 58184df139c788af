import { describe, expect, it } from 'vitest';
import { completionMode, shouldSuggestHere, trimCompletion, type CursorContext } from './postprocess.ts';

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
