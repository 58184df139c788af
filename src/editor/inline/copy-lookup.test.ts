import { describe, expect, it } from 'vitest';
import { documentContinuation } from './copy-lookup.ts';

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
});
