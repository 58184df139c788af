import { describe, expect, it } from 'vitest';
import type { RewriteEngine } from '../../src/editor/rewrite/rewrite-session.ts';
import { classifyEdit, editCasesOf, editDistance, replayEdits } from './edit-replay.ts';

const PY = [
  'import os', '', '', 'def total(items, scale):', '    result = 0', '    for item in items:', '        result += item.price * scale',
  '        print("added", item.name, result)', '    return round(result, 2)', '', '', 'def names(items):', '    out = []',
  '    for item in items:', '        out.append(item.name)', '    return out', '',
].join('\n');

describe('Edit cases', () => {
  it('break one thing inside whole selected lines, and the rest of the file is untouched', () => {
    const cases = editCasesOf({ path: 'a.py', language: 'python', text: PY }, 3);
    expect(cases.length).toBeGreaterThan(0);
    expect(new Set(cases.map((c) => c.kind)).size).toBe(cases.length); // one of each kind in turn
    for (const c of cases) {
      expect(c.before + c.original + c.after).toBe(PY);
      expect(c.mutated).not.toBe(c.original);
      expect(c.mutated.split('\n').length).toBe(c.original.split('\n').length);
      expect(c.before === '' || c.before.endsWith('\n')).toBe(true);
    }
  });

  it('classify a result against the original and the broken code', () => {
    const c = { original: 'f(a, b)', mutated: 'f(a)' };
    expect(classifyEdit(c, 'f(a, b)')).toBe('restored');
    expect(classifyEdit(c, 'f(a)  ')).toBe('declined'); // trailing spaces are no change
    expect(classifyEdit(c, 'export interface X {}')).toBe('worse');
    expect(classifyEdit(c, '')).toBe('worse'); // an empty rewrite deletes the selection
    expect(classifyEdit(c, 'f(a, c)')).toBe('closer');
    expect(editDistance('abc', 'abd')).toBe(2);
  });

  it('replays each case through the rewrite engine and counts the outcomes', async () => {
    const cases = editCasesOf({ path: 'a.py', language: 'python', text: PY }, 2);
    const echo: RewriteEngine = { async rewrite(req, onText) { onText(req.original); } };
    expect(await replayEdits(cases, echo)).toMatchObject({ cases: cases.length, declined: cases.length, restored: 0, worse: 0 });
    const fixer: RewriteEngine = { async rewrite(req, onText) { onText(cases.find((c) => c.mutated === req.original)!.original); } };
    expect(await replayEdits(cases, fixer)).toMatchObject({ restored: cases.length });
  });

  it('never renames a reserved word of any of the three languages', () => {
    const ts = ['export class Store<T extends object> implements Reader {', '  private readonly items: T[] = [];', '  get size(): number { return this.items.length; }',
      '  has(item: T): boolean { return this.items.includes(item); }', '}', ''].join('\n');
    // Paths of three lengths start the kinds' rotation at each kind in turn.
    const renames = ['a.ts', 'ab.ts', 'abc.ts'].flatMap((path) => editCasesOf({ path, language: 'typescript', text: ts.repeat(3) }, 6)).filter((x) => x.kind === 'rename-use');
    expect(renames.length).toBeGreaterThan(0);
    for (const c of renames) {
      const gone = c.original.match(/\w+/g)!.filter((w) => !c.mutated.match(/\w+/g)!.includes(w));
      for (const w of gone) expect(['extends', 'implements', 'private', 'readonly', 'number', 'boolean', 'object', 'get', 'this', 'return', 'export', 'class']).not.toContain(w);
    }
  });
});
