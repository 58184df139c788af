import { describe, expect, it } from 'vitest';
import { casesOf, heldOutFiles, REPLAY_LANGUAGES } from './cases.ts';

describe('replay cases', () => {
  const text = Array.from({ length: 100 }, (_, i) => (i % 10 === 9 ? '' : `    line_${i} = ${i}`)).join('\n');

  it('are whole-line stretches that rebuild the file, start after the indentation and never overlap', () => {
    const cases = casesOf({ path: 'x.py', language: 'python', text }, 800);
    expect(cases).toHaveLength(4);
    let last = -1;
    for (const c of cases) {
      expect(c.before + c.target + c.after).toBe(text);
      expect(c.before.endsWith('\n    ')).toBe(true);
      expect(c.target.endsWith('\n')).toBe(false);
      expect(c.after === '' || c.after.startsWith('\n')).toBe(true); // nothing after the cursor on its line
      expect(c.before.length).toBeGreaterThan(last);
      last = c.before.length + c.target.length;
      expect(c.maxKeystrokes).toBe(200);
    }
  });

  it('take one stretch of a short file', () => {
    expect(casesOf({ path: 'x.ts', language: 'typescript', text: 'const a = 1;\n' }, 800)).toHaveLength(1);
  });

  it('have a held-out sample in every reported language', () => {
    const files = heldOutFiles();
    for (const l of REPLAY_LANGUAGES) expect(files.filter((f) => f.language === l).length).toBeGreaterThan(2);
  });
});
