import { describe, expect, it } from 'vitest';
import { buildTestTokenizer } from '../../testing/test-tokenizer.ts';
import { ModelTokenizer } from '../../model/tokenizer.ts';
import { buildPrompt } from './prompt.ts';

const files = buildTestTokenizer();
const tok = ModelTokenizer.fromJson(files.tokenizerJson, files.tokenizerConfigJson);
const { fimPrefix, fimSuffix, fimMiddle } = tok.specials as Required<typeof tok.specials>;
const line = (i: number) => `    total_${i} = compute(values[${i}], scale=${i % 7})\n`;
const code = (lines: number) => Array.from({ length: lines }, (_, i) => line(i)).join('');

describe('buildPrompt', () => {
  it('plain: the whole text when it fits', () => {
    const p = buildPrompt(tok, { kind: 'plain', text: 'def f(x):\n    return' }, { maxPromptTokens: 100 });
    expect(p.ids).toEqual(tok.encode('def f(x):\n    return'));
    expect(p.droppedPrefixTokens).toBe(0);
  });

  it('FIM: PSM layout with the special tokens, whole prefix and suffix when they fit', () => {
    const p = buildPrompt(tok, { kind: 'fim', prefix: 'def f(x):\n    return ', suffix: '\n\nprint(f(2))\n' }, { maxPromptTokens: 200 });
    expect(p.ids).toEqual([fimPrefix, ...tok.encode('def f(x):\n    return '), fimSuffix, ...tok.encode('\n\nprint(f(2))\n'), fimMiddle]);
    expect(tok.decode(p.ids)).toBe('<fim_prefix>def f(x):\n    return <fim_suffix>\n\nprint(f(2))\n<fim_middle>');
  });

  it('FIM: SPM layout for a model trained with it: the prompt ends with the prefix, next to the middle', () => {
    const p = buildPrompt(tok, { kind: 'fim', prefix: 'def f(x):\n    return ', suffix: '\n\nprint(f(2))\n' }, { maxPromptTokens: 200 }, { fimOrder: 'spm' });
    expect(tok.decode(p.ids)).toBe('<fim_prefix><fim_suffix>\n\nprint(f(2))\n<fim_middle>def f(x):\n    return ');
    expect(p.ids).toEqual([fimPrefix, fimSuffix, ...tok.encode('\n\nprint(f(2))\n'), fimMiddle, ...tok.encode('def f(x):\n    return ')]);
  });

  it('FIM in SPM order: typing at the cursor keeps the tokens before it (the suffix comes first)', () => {
    const suffix = code(200);
    let typed = code(400);
    const prompts = [];
    for (const ch of 'result = ') {
      typed += ch;
      prompts.push(buildPrompt(tok, { kind: 'fim', prefix: typed, suffix }, { maxPromptTokens: 512 }, { fimOrder: 'spm' }).ids);
    }
    const suffixEnd = prompts[0]!.indexOf(fimMiddle);
    expect(suffixEnd).toBe(2 + Math.floor(509 * 0.25)); // the suffix's fixed share, whatever the prefix does
    let changedPrefixStarts = 0;
    for (let i = 1; i < prompts.length; i++) {
      const a = prompts[i - 1]!, b = prompts[i]!;
      let common = 0;
      while (common < Math.min(a.length, b.length) && a[common] === b[common]) common++;
      expect(common, `keystroke ${i}: the suffix part is unchanged`).toBeGreaterThan(suffixEnd);
      if (common === suffixEnd + 1) changedPrefixStarts++; // the prefix window stepped
      else expect(b.length - common, `keystroke ${i}`).toBeLessThanOrEqual(4);
    }
    expect(changedPrefixStarts).toBeLessThanOrEqual(1);
  });

  it('FIM within budget: keeps the prefix end and the suffix start (nearest the cursor)', () => {
    const prefix = code(200), suffix = code(200);
    const p = buildPrompt(tok, { kind: 'fim', prefix, suffix }, { maxPromptTokens: 256 });
    expect(p.ids.length).toBeLessThanOrEqual(256);
    expect(p.ids[0]).toBe(fimPrefix);
    expect(p.ids.at(-1)).toBe(fimMiddle);
    const split = p.ids.indexOf(fimSuffix);
    const keptPrefix = tok.decode(p.ids.slice(1, split));
    const keptSuffix = tok.decode(p.ids.slice(split + 1, -1));
    expect(prefix.endsWith(keptPrefix)).toBe(true);
    expect(suffix.startsWith(keptSuffix)).toBe(true);
    // The suffix gets its quarter share, plus whatever the prefix's stepped window leaves unused.
    expect(p.suffixTokens).toBeGreaterThanOrEqual(Math.floor(253 * 0.25));
    expect(p.prefixTokens + p.suffixTokens + 3).toBe(p.ids.length);
    expect(p.prefixTokens).toBeGreaterThan(253 / 2);
    expect(p.droppedPrefixTokens).toBeGreaterThan(0);
    expect(p.droppedSuffixTokens).toBeGreaterThan(0);
    // A short suffix leaves its unused share to the prefix.
    const short = buildPrompt(tok, { kind: 'fim', prefix, suffix: 'x' }, { maxPromptTokens: 256 });
    expect(short.suffixTokens).toBe(1);
    expect(short.prefixTokens).toBeGreaterThan(p.prefixTokens);
  });

  it('typing at the end of a long document keeps the prompt start stable (KV prefix reuse)', () => {
    const doc = code(400);
    let typed = doc;
    const prompts = [];
    for (const ch of 'result = ') {
      typed += ch;
      prompts.push(buildPrompt(tok, { kind: 'plain', text: typed }, { maxPromptTokens: 512 }).ids);
    }
    let changedStarts = 0;
    for (let i = 1; i < prompts.length; i++) {
      const a = prompts[i - 1]!, b = prompts[i]!;
      let common = 0;
      while (common < Math.min(a.length, b.length) && a[common] === b[common]) common++;
      if (common === 0) changedStarts++;
      else expect(b.length - common, `keystroke ${i}`).toBeLessThanOrEqual(4);
    }
    expect(changedStarts).toBeLessThanOrEqual(1);
  });

  it('ids prompts are kept as given (trimmed from the front when over budget)', () => {
    expect(buildPrompt(tok, { kind: 'ids', ids: [5, 6, 7] }, { maxPromptTokens: 8 }).ids).toEqual([5, 6, 7]);
    const p = buildPrompt(tok, { kind: 'ids', ids: Array.from({ length: 20 }, (_, i) => i) }, { maxPromptTokens: 8 });
    expect(p.ids).toEqual([12, 13, 14, 15, 16, 17, 18, 19]);
  });

  it('explains what is wrong', () => {
    expect(() => buildPrompt(tok, { kind: 'plain', text: 'x' }, { maxPromptTokens: 2 })).toThrow(/maxPromptTokens/);
    const noFim = { encode: tok.encode.bind(tok), specials: { all: [] } };
    expect(() => buildPrompt(noFim, { kind: 'fim', prefix: 'a', suffix: 'b' }, { maxPromptTokens: 64 })).toThrow(/cannot fill in the middle/);
  });
});
