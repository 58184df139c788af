import { describe, expect, it } from 'vitest';
import { cursorContext } from './inline-provider.ts';
import { documentText } from './document-text.ts';

/** A text model double that counts full-document reads. */
function countingModel(initial: string) {
  const m = {
    text: initial, version: 1, reads: 0,
    getValue() { m.reads++; return m.text; },
    getVersionId() { return m.version; },
    getOffsetAt(p: { lineNumber: number; column: number }) {
      const lines = m.text.split('\n');
      return lines.slice(0, p.lineNumber - 1).reduce((n, l) => n + l.length + 1, 0) + p.column - 1;
    },
    type(s: string) { m.text += s; m.version++; },
  };
  return m;
}

describe('the document is read once per keystroke (issue 13)', () => {
  it('the provider and the editor snapshot share one read per document version', () => {
    const model = countingModel(Array.from({ length: 2000 }, (_, i) => `line ${i}`).join('\n'));
    for (let key = 0; key < 20; key++) {
      model.type('x');
      const before = model.reads;
      // One keystroke: Monaco asks the provider (and again after a refresh), the status bar and autosave take a snapshot.
      const end = { lineNumber: 2000, column: model.text.split('\n')[1999]!.length + 1 };
      const ctx = cursorContext(model, end);
      expect(cursorContext(model, end)).toEqual(ctx);
      expect(documentText(model)).toBe(model.text);
      expect(ctx.prefix).toBe(model.text);
      expect(model.reads - before).toBe(1);
    }
  });
});
