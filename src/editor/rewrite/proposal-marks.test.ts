import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FUZZ } from '../../testing/arbitraries.ts';
import { minimalEdits } from './minimal-edits.ts';
import { proposalMarks } from './proposal-marks.ts';

describe('proposalMarks (how a rewrite\'s edits are drawn)', () => {
  it('ghosts a one-line insertion inline and strikes a deletion through', () => {
    const original = 'const total = a + b;\n';
    const marks = proposalMarks(original, minimalEdits(original, 'const sum = a + b;\n'));
    expect(marks.deletions).toEqual([{ start: 6, end: 11 }]);
    expect(marks.inline).toEqual([{ at: 11, text: 'sum' }]);
    expect(marks.blocks).toEqual([]);
  });

  it('draws whole inserted lines above the line they go before', () => {
    const original = 'a\nb\n';
    const marks = proposalMarks(original, [{ start: 2, end: 2, text: '  x = 1\n  y = 2\n' }]);
    expect(marks).toEqual({ deletions: [], inline: [], blocks: [{ at: 2, above: true, lines: ['  x = 1', '  y = 2'] }] });
    expect(proposalMarks(original, [{ start: 0, end: 0, text: 'top\n' }]).blocks).toEqual([{ at: 0, above: true, lines: ['top'] }]);
  });

  it('draws a multi-line insertion inside a line below that line, never squeezed inline', () => {
    const original = 'f(a, b)\n';
    const marks = proposalMarks(original, [{ start: 2, end: 6, text: '\n  a,\n  b,\n' }]);
    expect(marks.inline).toEqual([]);
    expect(marks.deletions).toEqual([{ start: 2, end: 6 }]);
    expect(marks.blocks).toEqual([{ at: 6, above: false, lines: ['', '  a,', '  b,'] }]);
  });

  it(`every inserted character is drawn once, and no inline mark holds a newline (${FUZZ.numRuns} cases)`, () => {
    const line = fc.stringMatching(/^[ a-c(){};=]{0,12}$/);
    const text = fc.array(line, { maxLength: 8 }).map((ls) => ls.join('\n'));
    fc.assert(fc.property(text, text, (original, rewritten) => {
      const edits = minimalEdits(original, rewritten);
      const marks = proposalMarks(original, edits);
      expect(marks.inline.every((m) => !m.text.includes('\n'))).toBe(true);
      const drawn = [...marks.inline.map((m) => m.text), ...marks.blocks.map((b) => b.lines.join('\n'))].sort();
      const inserted = edits.filter((e) => e.text !== '').map((e) => e.text.replace(/\n$/, '')).sort();
      expect(drawn).toEqual(inserted);
      expect(marks.deletions).toEqual(edits.filter((e) => e.end > e.start).map((e) => ({ start: e.start, end: e.end })));
    }), FUZZ);
  });
});
