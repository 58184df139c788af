import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ModelTokenizer } from '../../model/tokenizer.ts';
import { FUZZ } from '../../testing/arbitraries.ts';
import { qwen25CoderTokenizer } from '../../testing/real-tokenizers.ts';
import { buildPrompt } from './prompt.ts';
import { HealedText, healPrompt, MAX_HEALED_TOKENS, TokenSpellings } from './token-healing.ts';

const read = (path: string) => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');
const sparkNano = ModelTokenizer.fromJson(JSON.parse(read('public/models/spark-nano/tokenizer.json')), JSON.parse(read('public/models/spark-nano/tokenizer_config.json')));
const qwen = (() => {
  const q = qwen25CoderTokenizer();
  return ModelTokenizer.fromJson(q.tokenizerJson, q.tokenizerConfigJson, { vocabSize: q.vocabSize });
})();

describe.each([['spark-nano', sparkNano], ['Qwen2.5-Coder', qwen]] as const)('token healing with the %s tokenizer', (_, tokenizer) => {
  const spellings = new TokenSpellings(tokenizer);
  const fim = (prefix: string, suffix = '\n}\n') => buildPrompt(tokenizer, { kind: 'fim', prefix, suffix }, { maxPromptTokens: 256 }, { fimOrder: 'spm' });

  it('cuts a word split at the cursor back to a point some token spells on from, and offers only those tokens', () => {
    const prefix = 'function f(x) {\n  const resul';
    const built = fim(prefix);
    const { ids, healing } = healPrompt(built, prefix, tokenizer, spellings);
    expect(healing).toBeDefined();
    const { text, cut } = healing!;
    const firstTokens = healing!.allowed([])!;
    expect(cut).toBeGreaterThanOrEqual(1);
    expect(cut).toBeLessThanOrEqual(MAX_HEALED_TOKENS);
    expect(prefix.endsWith(text)).toBe(true);
    expect(text).toMatch(/resul$/);
    // The prompt lost exactly the cut tokens at the prefix's end.
    expect(ids).toEqual([...built.ids.slice(0, built.prefixEnd! - cut), ...built.ids.slice(built.prefixEnd!)]);
    // Every offered token decodes, after the kept prompt, to text that starts with the cut text or
    // is a piece of it; and the word the tokenizer writes whole is among them.
    const after = (id: number) => tokenizer.decode([...ids.slice(-1), id]).slice(tokenizer.decode(ids.slice(-1)).length);
    for (const id of firstTokens) expect(after(id).startsWith(text) || (text.startsWith(after(id)) && after(id).length < text.length)).toBe(true);
    const whole = tokenizer.encode(`${prefix.slice(0, prefix.length - text.length)}${text}t`).slice(-1)[0]!;
    expect(firstTokens).toContain(whole);
    expect([...firstTokens].sort((a, b) => a - b)).toEqual(firstTokens);
  });

  it('indentation at a line\'s start may be respelled in pieces: the model writes it the way it learned', () => {
    const prefix = 'def f(x):\n    ';
    const { healing } = healPrompt(fim(prefix), prefix, tokenizer, spellings);
    expect(healing?.text).toMatch(/^ +$/);
    const first = healing!.allowed([])!;
    const pieces = first.filter((id) => healing!.text.startsWith(tokenizer.decode([id])) && tokenizer.decode([id]).length < healing!.text.length);
    expect(pieces.length).toBeGreaterThan(0);
    // After a piece, what is left of the indentation is asked for next.
    const piece = pieces[0]!;
    const rest = healing!.text.slice(tokenizer.decode([piece]).length);
    for (const id of healing!.allowed([piece])!) {
      const t = tokenizer.decode([piece, id]).slice(tokenizer.decode([piece]).length);
      expect(t.startsWith(rest) || rest.startsWith(t)).toBe(true);
    }
  });

  it('heals a trailing space, and in PSM order and plain prompts too', () => {
    const prefix = 'export function ';
    const spm = healPrompt(fim(prefix), prefix, tokenizer, spellings);
    expect(spm.healing?.text.endsWith(' ')).toBe(true);
    const psmBuilt = buildPrompt(tokenizer, { kind: 'fim', prefix, suffix: '() {}\n' }, { maxPromptTokens: 256 }, { fimOrder: 'psm' });
    const psm = healPrompt(psmBuilt, prefix, tokenizer, spellings);
    expect(psm.healing?.text).toBe(spm.healing?.text);
    // PSM: the cut is in the middle of the prompt, before <fim_suffix>.
    expect(psm.ids[psmBuilt.prefixEnd! - psm.healing!.cut]).toBe(tokenizer.specials.fimSuffix);
    const plain = buildPrompt(tokenizer, { kind: 'plain', text: prefix }, { maxPromptTokens: 256 });
    expect(healPrompt(plain, prefix, tokenizer, spellings).healing?.text).toBe(spm.healing?.text);
  });

  it('never cuts across a line break, into control tokens, or text that is not printable ASCII', () => {
    for (const prefix of ['x = 1\n', 'const s = "名前', '']) {
      const built = fim(prefix);
      const { ids, healing } = healPrompt(built, prefix, tokenizer, spellings);
      if (healing) expect(healing.text).toMatch(/^[\x20-\x7e]+$/);
      if (!healing) expect(ids).toEqual(built.ids);
    }
    expect(healPrompt(fim(''), '', tokenizer, spellings).healing).toBeUndefined();
    const chat = { ids: [1, 2, 3], prefixTokens: 3, droppedPrefixTokens: 0, suffixTokens: 0, droppedSuffixTokens: 0 };
    expect(healPrompt(chat, 'abc', tokenizer, spellings)).toEqual({ ids: [1, 2, 3] });
  });

  it('property: the cut text is the end of the prefix, and the kept prompt plus any offered token spells the prefix on', () => {
    const word = fc.constantFrom('const', ' resul', 'x', ' ', '  ', '.', '(', 'foo_bar', '=', ' return', '_', '1', 'Array.isArr');
    fc.assert(fc.property(fc.array(word, { minLength: 1, maxLength: 12 }), fc.nat(), (words, pick) => {
      const prefix = `line one\n${words.join('')}`;
      const built = buildPrompt(tokenizer, { kind: 'plain', text: prefix }, { maxPromptTokens: 256 });
      const { ids, healing } = healPrompt(built, prefix, tokenizer, spellings);
      if (!healing) return;
      expect(prefix.endsWith(healing.text)).toBe(true);
      // Any path through the allowed tokens spells the prefix on, and ends once past the cut text.
      const generated: number[] = [];
      for (let allowed = healing.allowed([]); allowed; allowed = healing.allowed(generated)) {
        expect(generated.length).toBeLessThan(healing.text.length);
        generated.push(allowed[(pick + generated.length) % allowed.length]!);
      }
      const spelled = tokenizer.decode([...ids, ...generated]);
      expect(spelled.length >= prefix.length ? spelled.startsWith(prefix) : false).toBe(true);
    }), FUZZ);
  });
});

describe('token healing with a SentencePiece-style decoder', () => {
  // A double of a Metaspace tokenizer: '▁' is a space, and decoding drops the text's leading space,
  // so ' resul' cut off the prompt would stream as 'resul...': such a cut is never made.
  const pieces = ['<s>', 'x', '▁=', '▁res', 'ul', '▁result', 'ult'];
  const tokenizer = {
    vocabSize: pieces.length,
    tokenString: (id: number) => pieces[id],
    isSpecial: (id: number) => id === 0,
    decode: (ids: readonly number[]) => ids.map((id) => pieces[id]!.replace(/▁/g, ' ')).join('').replace(/^ /, ''),
  };
  const spellings = new TokenSpellings(tokenizer);

  it('cuts only what streams back the same from the first token: "ul", not " resul"', () => {
    const prompt = { ids: [0, 1, 2, 3, 4], prefixTokens: 4, droppedPrefixTokens: 0, suffixTokens: 0, droppedSuffixTokens: 0, prefixEnd: 5 };
    const { ids, healing } = healPrompt(prompt, 'x = resul', tokenizer, spellings);
    expect(healing?.text).toBe('ul');
    expect(ids).toEqual([0, 1, 2, 3]);
    expect(healing!.allowed([])).toEqual([4, 6]);
  });
});

describe('HealedText', () => {
  it('takes the cut text off the stream, across deltas, and says when text of its own shows', () => {
    const t = new HealedText(' resul');
    expect(t.push(' re')).toBe('');
    expect(t.visible).toBe(false);
    expect(t.push('sul')).toBe('');
    expect(t.visible).toBe(false); // the respelling alone shows nothing
    expect(t.push('t = 1')).toBe('t = 1');
    expect(t.visible).toBe(true);
    expect(t.push(';')).toBe(';');
    expect(t.broken).toBe(false);
  });

  it('a stream that does not start with the cut text is broken and shows nothing', () => {
    const t = new HealedText('abc');
    expect(t.push('abd')).toBe('');
    expect(t.broken).toBe(true);
    expect(t.push('more')).toBe('');
  });
});
