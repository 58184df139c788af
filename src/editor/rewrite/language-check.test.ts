import { describe, expect, it } from 'vitest';
import { foreignLanguage } from './language-check.ts';

const py = { before: 'import os\n\n', original: 'def merge(a, b):\n    out = dict(a)\n    return out\n', after: '\nprint(merge({}, {}))\n', language: 'python' };
const ts = { before: 'import { x } from "./x";\n', original: 'export function add(a: number, b: number) {\n  return a + b;\n}\n', after: '', language: 'typescript' };

describe('Edit stays in the document\'s language', () => {
  it('a Python function rewritten as TypeScript declarations is foreign', () => {
    expect(foreignLanguage('export interface Transfer<Rpc extends Rpc.Any> {\n  id: string;\n}\n', py)).toBe('JavaScript/TypeScript');
    expect(foreignLanguage('def merge(a, b):\n    out = {**a, **b}\n    return out\n', py)).toBeUndefined();
  });

  it('Python in a TypeScript file is foreign; TypeScript is not', () => {
    expect(foreignLanguage('def add(a, b):\n    return a + b\n', ts)).toBe('Python');
    expect(foreignLanguage('export function add(a: number, b: number): number {\n  return a + b;\n}\n', ts)).toBeUndefined();
  });

  it('a mark the document already has is no evidence, and unchanged lines are never judged', () => {
    const mixed = { ...py, before: 'import os;\n' }; // the file already has a line ending in ;
    expect(foreignLanguage('def merge(a, b):\n    out = dict(a);\n    return out\n', py)).toBe('JavaScript/TypeScript');
    expect(foreignLanguage('def merge(a, b):\n    out = dict(a);\n    return out\n', mixed)).toBeUndefined();
    const withSemicolon = { ...py, original: 'x = 1;\n' };
    expect(foreignLanguage('x = 1;\n', withSemicolon)).toBeUndefined();
  });

  it('languages it has no marks for are never judged', () => {
    expect(foreignLanguage('def f(): pass', { ...ts, language: 'rust' })).toBeUndefined();
    expect(foreignLanguage('def f(): pass', { before: '', original: 'x', after: '' })).toBeUndefined();
  });
});
