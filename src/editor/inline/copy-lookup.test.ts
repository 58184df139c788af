import { describe, expect, it } from 'vitest';
import { documentContinuation, makesKnownWord } from './copy-lookup.ts';

describe('copy from the document', () => {
  it('continues the most recent earlier occurrence of the text before the cursor, up to the cursor', () => {
    const prefix = 'a = load(x)\nprint(a)\nb = load(x)\nprint(b)\nc = load(';
    expect(documentContinuation({ prefix, suffix: '' }, 100)).toBe('x)\nprint(b)\nc = load(');
    expect(documentContinuation({ prefix, suffix: '' }, 3)).toBe('x)\n');
  });

  it('looks after the cursor when the text before it occurs nowhere earlier', () => {
    expect(documentContinuation({ prefix: 'const total = ', suffix: '\nconst total = sum(items);\n' }, 100)).toBe('sum(items);\n');
  });

  it('prefers the longest match, and needs at least four characters', () => {
    const prefix = 'obj.value = 1\nxyz.value = 2\nobj.value = ';
    expect(documentContinuation({ prefix, suffix: '' }, 1)).toBe('1'); // "obj.value = " beats the more recent ".value = "
    expect(documentContinuation({ prefix: 'ab ab', suffix: '' }, 10)).toBeUndefined();
    expect(documentContinuation({ prefix: '', suffix: 'x' }, 10)).toBeUndefined();
  });

  it('a known word: the word made at the cursor begins another word of the document', () => {
    const prefix = 'const schemas = load();\nfor (const s of sch';
    expect(makesKnownWord({ prefix, suffix: '' }, 'emas) {')).toBe(true);
    expect(makesKnownWord({ prefix, suffix: '' }, 'em')).toBe(true); // a word begun is enough
    expect(makesKnownWord({ prefix, suffix: '' }, 'ools) {')).toBe(false);
    expect(makesKnownWord({ prefix, suffix: '' }, ') {')).toBe(false); // no word characters added
    expect(makesKnownWord({ prefix: 'x = ', suffix: '\nprint(total)\n' }, 'total + 1')).toBe(true); // after the cursor
    expect(makesKnownWord({ prefix: 'x = ', suffix: '\nprint(subtotal)\n' }, 'total + 1')).toBe(false); // inside a word only
  });

  it('the word at the cursor itself is not another occurrence', () => {
    expect(makesKnownWord({ prefix: 'retu', suffix: '' }, 'rn x')).toBe(false);
    expect(makesKnownWord({ prefix: 'return 1\nretu', suffix: '' }, 'rn x')).toBe(true);
    expect(makesKnownWord({ prefix: 'a = ab', suffix: 'c\nabc()' }, 'c')).toBe(true); // the suffix's own leading "c" is the cursor's word
    expect(makesKnownWord({ prefix: 'a = ab', suffix: 'c\n' }, 'c')).toBe(false);
  });
});
