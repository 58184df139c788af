import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FUZZ, FUZZ_TIMEOUT_MS } from '../../testing/arbitraries.ts';
import { TEST_SPECIAL_TOKENS, buildTestTokenizer } from '../../testing/test-tokenizer.ts';
import { ModelTokenizer } from '../../model/tokenizer.ts';
import { loadChatTemplate } from './chat-template.ts';
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
    // Prompt lookup sees the document: what follows the cursor, then what precedes it.
    expect(p.lookupIds).toEqual([...tok.encode('\n\nprint(f(2))\n'), ...tok.encode('def f(x):\n    return ')]);
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

  describe('a window that has just stepped keeps its earlier start while the cache holds it', () => {
    const layouts = [
      // The prefix's step is a quarter of what the prefix may take: all of 256, or 256 less 3 control tokens and the suffix's quarter.
      { name: 'SPM', kind: 'fim', model: { fimOrder: 'spm' }, step: Math.floor((253 - Math.floor(253 / 4)) / 4) },
      { name: 'PSM', kind: 'fim', model: { fimOrder: 'psm' }, step: Math.floor((253 - Math.floor(253 / 4)) / 4) },
      { name: 'plain', kind: 'plain', model: {}, step: 64 },
    ] as const;
    const spec = (kind: 'fim' | 'plain', prefix: string) => kind === 'fim' ? { kind, prefix, suffix: code(100) } : { kind, text: prefix };
    for (const { name, kind, model, step } of layouts) {
      it(name, () => {
        const max = 256;
        let typed = code(60);
        const build = (cache?: readonly number[], maxTokens = 1000) => buildPrompt(tok, spec(kind, typed), { maxPromptTokens: max, ...(cache ? { cache: { ids: cache, maxTokens } } : {}) }, model);
        const first = build();
        let cached = first.ids;
        let crossed = 0;
        for (const ch of 'result = compute(values[1], scale=3) + compute(values[2], scale=4) + offset\n'.repeat(3)) {
          typed += ch;
          const stepped = build();
          const p = build(cached);
          const reused = (ids: readonly number[]) => { let i = 0; while (i < ids.length && ids[i] === cached[i]) i++; return i; };
          if (reused(stepped.ids) < reused(p.ids)) {
            crossed++;
            // The earlier start: everything the cache holds of the prompt is reused, one step over the budget at most.
            expect(p.recut).toEqual(stepped.ids);
            expect(p.ids.length).toBeLessThanOrEqual(max + step);
            // (PSM re-prefills its suffix at every keystroke: it follows the prefix.)
            expect(p.ids.length - reused(p.ids)).toBeLessThanOrEqual(8 + (name === 'PSM' ? p.suffixTokens + 2 : 0));
            // The same text nearest the cursor, with more before it.
            expect(p.ids.slice(p.prefixEnd! - stepped.prefixTokens, p.prefixEnd)).toEqual(stepped.ids.slice(stepped.prefixEnd! - stepped.prefixTokens, stepped.prefixEnd));
            expect(p.prefixTokens - stepped.prefixTokens).toBe(step);
            expect(p.droppedPrefixTokens).toBe(stepped.droppedPrefixTokens - step);
            // Never past the context's room; and a cache that holds the stepped prompt keeps it.
            expect(build(cached, p.ids.length - 1).ids).toEqual(stepped.ids);
            expect(build(stepped.ids)).toEqual(stepped);
          } else {
            expect(p).toEqual(stepped);
          }
          cached = p.ids;
        }
        expect(crossed).toBeGreaterThan(0);
      });
    }
  });

  it("a model whose tokenizer adds BOS gets it first in plain and FIM prompts, inside the budget", () => {
    const bos = 4; // any id: the builder only places it
    const plain = buildPrompt(tok, { kind: 'plain', text: code(50) }, { maxPromptTokens: 64 }, { bos });
    expect(plain.ids[0]).toBe(bos);
    expect(plain.ids.length).toBeLessThanOrEqual(64);
    expect(plain.ids.slice(1)).toEqual(buildPrompt(tok, { kind: 'plain', text: code(50) }, { maxPromptTokens: 63 }).ids);
    const psm = buildPrompt(tok, { kind: 'fim', prefix: 'def f(x):\n    return ', suffix: '\n' }, { maxPromptTokens: 200 }, { bos });
    expect(psm.ids.slice(0, 2)).toEqual([bos, fimPrefix]);
    const spm = buildPrompt(tok, { kind: 'fim', prefix: code(50), suffix: code(50) }, { maxPromptTokens: 100 }, { bos, fimOrder: 'spm' });
    expect(spm.ids.slice(0, 3)).toEqual([bos, fimPrefix, fimSuffix]);
    expect(spm.ids.length).toBeLessThanOrEqual(100);
  });

  it('ids prompts are kept as given (trimmed from the front when over budget)', () => {
    expect(buildPrompt(tok, { kind: 'ids', ids: [5, 6, 7] }, { maxPromptTokens: 8 }).ids).toEqual([5, 6, 7]);
    const p = buildPrompt(tok, { kind: 'ids', ids: Array.from({ length: 20 }, (_, i) => i) }, { maxPromptTokens: 8 });
    expect(p.ids).toEqual([12, 13, 14, 15, 16, 17, 18, 19]);
  });

  it('explains what is wrong', () => {
    expect(() => buildPrompt(tok, { kind: 'plain', text: 'x' }, { maxPromptTokens: 2 })).toThrow(/maxPromptTokens/);
    const noFim = { encode: tok.encode.bind(tok), tokenString: tok.tokenString.bind(tok), specials: { all: [] } };
    expect(() => buildPrompt(noFim, { kind: 'fim', prefix: 'a', suffix: 'b' }, { maxPromptTokens: 64 })).toThrow(/cannot fill in the middle/);
  });
});

describe('buildPrompt: text the user typed is encoded as text', () => {
  const specialsIn = (ids: readonly number[], t: ModelTokenizer = tok) => ids.filter((id) => t.isSpecial(id));
  // Each special-token string, alone, glued to code, at both ends, and twice in a row.
  const withSpecials = (s: string) => ({ prefix: `${s}x = "${s}"\n  y${s}${s}`, suffix: `${s}\nz = 1 # ${s}` });

  it.each(TEST_SPECIAL_TOKENS)('%s in the document: plain, PSM and SPM prompts hold only the builder\'s special tokens, and decode to the text', (s) => {
    const { prefix, suffix } = withSpecials(s);
    const plain = buildPrompt(tok, { kind: 'plain', text: prefix }, { maxPromptTokens: 200 });
    expect(specialsIn(plain.ids)).toEqual([]);
    expect(tok.decode(plain.ids)).toBe(prefix);

    const psm = buildPrompt(tok, { kind: 'fim', prefix, suffix }, { maxPromptTokens: 200 });
    expect(specialsIn(psm.ids)).toEqual([fimPrefix, fimSuffix, fimMiddle]);
    expect(psm.ids[0]).toBe(fimPrefix);
    expect(psm.ids.at(-1)).toBe(fimMiddle);
    expect(tok.decode(psm.ids)).toBe(`<fim_prefix>${prefix}<fim_suffix>${suffix}<fim_middle>`);

    const spm = buildPrompt(tok, { kind: 'fim', prefix, suffix }, { maxPromptTokens: 200 }, { fimOrder: 'spm' });
    expect(specialsIn(spm.ids)).toEqual([fimPrefix, fimSuffix, fimMiddle]);
    expect(tok.decode(spm.ids)).toBe(`<fim_prefix><fim_suffix>${suffix}<fim_middle>${prefix}`);
  });

  it(`any text mixing code and special-token spellings (${FUZZ.numRuns} cases)`, () => {
    const piece = fc.oneof(
      fc.constantFrom(...TEST_SPECIAL_TOKENS, '<', '>', '|', '<|', '|>', '<fim_', 'fim_middle', '\n', ' ', 'def', 'é', '🚀'),
      fc.string({ maxLength: 6 }),
    );
    const text = fc.array(piece, { maxLength: 12 }).map((parts) => parts.join(''));
    fc.assert(fc.property(text, text, fc.constantFrom('psm' as const, 'spm' as const), (prefix, suffix, fimOrder) => {
      const p = buildPrompt(tok, { kind: 'fim', prefix, suffix }, { maxPromptTokens: 400 }, { fimOrder });
      expect(specialsIn(p.ids)).toEqual([fimPrefix, fimSuffix, fimMiddle]);
      expect(tok.decode(p.ids)).toBe(fimOrder === 'psm'
        ? `<fim_prefix>${prefix}<fim_suffix>${suffix}<fim_middle>`
        : `<fim_prefix><fim_suffix>${suffix}<fim_middle>${prefix}`);
    }), FUZZ);
  }, FUZZ_TIMEOUT_MS);

  it('the text around a special-token string tokenizes as it does next to the special token', () => {
    const p = buildPrompt(tok, { kind: 'plain', text: 'def f():<fim_middle>return 1' }, { maxPromptTokens: 200 });
    const middle = tok.encode('<fim_middle>');
    expect(middle).toEqual([fimMiddle]); // encode() itself still matches it: the template path needs that
    const at = p.ids.indexOf(tok.encode('def f():')[0]!);
    expect(at).toBe(0);
    expect(p.ids.slice(0, tok.encode('def f():').length)).toEqual(tok.encode('def f():'));
    expect(p.ids.slice(-tok.encode('return 1').length)).toEqual(tok.encode('return 1'));
  });

  it('control tokens not marked special are text too (Qwen2.5-Coder marks <|fim_middle|> and <|repo_name|> special: false)', () => {
    const json = structuredClone(files.tokenizerJson) as { added_tokens: Array<Record<string, unknown>> };
    for (const t of json.added_tokens) if (t['content'] === '<fim_middle>') t['special'] = false;
    json.added_tokens.push({ id: files.vocabSize, content: '<|repo_name|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: false });
    const qwenish = ModelTokenizer.fromJson(json, {});
    const repoName = qwenish.tokenId('<|repo_name|>')!;
    expect(qwenish.isSpecial(fimMiddle)).toBe(false);
    expect(qwenish.encode('<|repo_name|>')).toEqual([repoName]);
    const prefix = 'a = "<fim_middle>"; b = "<|repo_name|>"\n';
    const p = buildPrompt(qwenish, { kind: 'fim', prefix, suffix: '<fim_middle><|repo_name|>' }, { maxPromptTokens: 200 });
    const control = new Set([...qwenish.specials.all, fimMiddle, repoName]);
    expect(p.ids.filter((id) => control.has(id))).toEqual([fimPrefix, fimSuffix, fimMiddle]);
    expect(qwenish.decode(p.ids)).toBe(`<fim_prefix>${prefix}<fim_suffix><fim_middle><|repo_name|><fim_middle>`);
  });

  it('chat: the template\'s special tokens stay special, special-token text in the messages stays text', async () => {
    const loaded = await loadChatTemplate({
      chat_template: "{% for m in messages %}{{ '<file_sep>' + m['role'] + '\\n' + m['content'] + '<|endoftext|>' }}{% endfor %}{% if add_generation_prompt %}{{ '<file_sep>assistant\\n' }}{% endif %}",
    });
    if (!loaded?.ok) throw new Error('expected a template');
    const { fileSep, endOfText } = tok.specials as Required<typeof tok.specials>;
    const plainMessages = [{ role: 'system' as const, content: 'Rewrite.' }, { role: 'user' as const, content: 'x = 1' }];
    const plain = buildPrompt(tok, { kind: 'chat', messages: plainMessages }, { maxPromptTokens: 400 }, { chat: loaded });
    expect(plain.ids).toEqual(tok.encode(loaded.template.render(plainMessages))); // unchanged without special text

    const messages = [
      { role: 'system' as const, content: 'Rewrite.' },
      { role: 'user' as const, content: TEST_SPECIAL_TOKENS.map((s) => `x = "${s}"`).join('\n') + '<|endoftext|>' },
    ];
    const p = buildPrompt(tok, { kind: 'chat', messages }, { maxPromptTokens: 400 }, { chat: loaded });
    expect(specialsIn(p.ids)).toEqual([fileSep, endOfText, fileSep, endOfText, fileSep]);
    expect(tok.decode(p.ids)).toBe(loaded.template.render(messages));
  });

  it('chat: a template that repeats a message holding special-token text is refused with a reason', async () => {
    const loaded = await loadChatTemplate({ chat_template: "{{ messages[0]['content'] + '<file_sep>' + messages[0]['content'] }}" });
    if (!loaded?.ok) throw new Error('expected a template');
    expect(() => buildPrompt(tok, { kind: 'chat', messages: [{ role: 'user', content: 'a<fim_middle>b' }] }, { maxPromptTokens: 400 }, { chat: loaded }))
      .toThrow(/special-token text.*chat template/);
  });
});
