import { deflateSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../settings.ts';
import { encodeBase64Url } from './base64url.ts';
import { MAX_DECODED_BYTES, MAX_HASH_CHARS, decodeShareHash, encodeShareHash } from './link-codec.ts';
import type { ShareState } from './share-state.ts';

const state = (overrides: Partial<ShareState> = {}): ShareState => ({
  text: 'const x = 1;\nconsole.log(x);\n',
  language: 'typescript',
  selections: [{ anchorLine: 2, anchorColumn: 1, activeLine: 2, activeColumn: 8 }],
  settings: { ...DEFAULT_SETTINGS },
  ...overrides,
});

const encode = (s: ShareState): string => {
  const result = encodeShareHash(s);
  if (!result.ok) throw new Error(result.message);
  return result.hash;
};

/** A hash whose payload is any JSON we like, packed the way the encoder packs it. */
const rawHash = (payload: unknown, version = 1) =>
  `#v${version}.${encodeBase64Url(deflateSync(new TextEncoder().encode(JSON.stringify(payload))))}`;

const wire = (s: ShareState) => ({
  text: s.text, language: s.language,
  selections: s.selections.map((x) => [x.anchorLine, x.anchorColumn, x.activeLine, x.activeColumn]),
  settings: s.settings,
});

describe('share links: round trip', () => {
  it('restores text, language, selections and settings exactly', () => {
    const original = state({
      language: 'python',
      selections: [
        { anchorLine: 1, anchorColumn: 7, activeLine: 2, activeColumn: 3 },
        { anchorLine: 2, anchorColumn: 5, activeLine: 2, activeColumn: 5 },
      ],
      settings: { ...DEFAULT_SETTINGS, temperature: 0.7, topK: 40, topP: 0.95, seed: 123456789, modelId: 'qwen/coder-0.5b' },
    });
    const hash = encode(original);
    expect(hash).toMatch(/^#v1\.[A-Za-z0-9_-]+$/);
    expect(decodeShareHash(hash)).toEqual({ ok: true, state: original });
  });

  it('keeps unicode (astral, combining, RTL, lone surrogates) intact', () => {
    const text = 'héllo — 世界 🚀🧪 e\u0301 مرحبا\n\u{1F600}\ud800x\n';
    const original = state({ text, selections: [{ anchorLine: 2, anchorColumn: 1, activeLine: 2, activeColumn: 5 }] });
    expect(decodeShareHash(encode(original))).toEqual({ ok: true, state: original });
  });

  it('keeps CRLF, lone CR, tabs and trailing whitespace byte for byte', () => {
    const text = 'a\r\n\tb  \r\n\r\n\t\tc\rd\n';
    const original = state({ text, selections: [{ anchorLine: 5, anchorColumn: 2, activeLine: 2, activeColumn: 4 }] });
    const decoded = decodeShareHash(encode(original));
    expect(decoded.ok && decoded.state.text).toBe(text);
    expect(decoded).toEqual({ ok: true, state: original });
  });

  it('handles the empty document', () => {
    const original = state({ text: '', selections: [{ anchorLine: 1, anchorColumn: 1, activeLine: 1, activeColumn: 1 }] });
    expect(decodeShareHash(encode(original))).toEqual({ ok: true, state: original });
  });

  it('accepts the hash with or without its leading #', () => {
    expect(decodeShareHash(encode(state())).ok).toBe(true);
    expect(decodeShareHash(encode(state()).slice(1)).ok).toBe(true);
  });
});

describe('share links: bad links open nothing and say why', () => {
  const good = encode(state({ text: 'x'.repeat(50) + '\n' + 'function f() { return 42; }\n'.repeat(20) }));

  it.each([
    ['no version prefix', '#hello'],
    ['characters outside base64url', '#v1.abc$%^'],
    ['base64 padding', `${good}==`],
    ['an impossible base64 length', '#v1.AAAAA'],
    ['version zero', '#v0.AAAA'],
    ['not deflate at all', `#v1.${encodeBase64Url(new TextEncoder().encode('{"text":"hi"}'))}`],
  ])('malformed: %s', (_name, hash) => {
    const result = decodeShareHash(hash);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(['malformed', 'truncated']).toContain(result.kind);
      expect(result.message).toMatch(/Nothing from it was opened/);
    }
  });

  it('truncated: a link cut short at any character is reported as incomplete, never opened', () => {
    // Every cut, including those that leave a base64url length no encoder makes (a cut through a character).
    for (let end = 5; end < good.length; end++) {
      const result = decodeShareHash(good.slice(0, end));
      expect(result.ok, `cut to ${end} of ${good.length}`).toBe(false);
      if (!result.ok) expect(result.kind, `cut to ${end} of ${good.length}: ${result.message}`).toBe('truncated');
    }
    expect(decodeShareHash('#v1.')).toMatchObject({ ok: false, kind: 'truncated' });
    // A length no encoder makes, when the rest is not a cut stream, stays malformed.
    expect(decodeShareHash('#v1._____')).toMatchObject({ ok: false, kind: 'malformed' }); // 0xffffff: a reserved block type
  });

  it('future version: says a newer Spark made it', () => {
    const result = decodeShareHash(good.replace('#v1.', '#v2.'));
    expect(result).toMatchObject({ ok: false, kind: 'future-version' });
    if (!result.ok) expect(result.message).toMatch(/newer version.*v2.*v1/s);
  });

  it('oversized: a hash over the character limit is refused before decoding', () => {
    const result = decodeShareHash(`#v1.${'A'.repeat(MAX_HASH_CHARS)}`);
    expect(result).toMatchObject({ ok: false, kind: 'oversized' });
  });

  it('oversized: a small link that inflates past the decoded limit (a deflate bomb) is refused', () => {
    const bomb = rawHash({ ...wire(state()), text: ' '.repeat(MAX_DECODED_BYTES + 10) });
    expect(bomb.length).toBeLessThan(MAX_HASH_CHARS);
    expect(decodeShareHash(bomb)).toMatchObject({ ok: false, kind: 'oversized' });
  });

  it('invalid UTF-8 or non-JSON payloads are malformed', () => {
    const notJson = `#v1.${encodeBase64Url(deflateSync(new TextEncoder().encode('{"text": ')))}`;
    expect(decodeShareHash(notJson)).toMatchObject({ ok: false, kind: 'malformed' });
    const badUtf8 = `#v1.${encodeBase64Url(deflateSync(new Uint8Array([0x22, 0xff, 0xfe, 0x22])))}`;
    expect(decodeShareHash(badUtf8)).toMatchObject({ ok: false, kind: 'malformed' });
  });

  const base = wire(state());
  it.each<[string, unknown]>([
    ['an array', [1, 2, 3]],
    ['null', null],
    ['a string', 'hello'],
    ['text as a number', { ...base, text: 42 }],
    ['an unknown language', { ...base, language: 'brainfuck' }],
    ['language as markup', { ...base, language: '<img src=x onerror=alert(1)>' }],
    ['a missing field', { text: base.text, language: base.language, selections: base.selections }],
    ['an extra field', { ...base, script: 'alert(1)' }],
    ['selections not a list', { ...base, selections: { 0: [1, 1, 1, 1] } }],
    ['no selections', { ...base, selections: [] }],
    ['a selection with three numbers', { ...base, selections: [[1, 1, 1]] }],
    ['a fractional column', { ...base, selections: [[1, 1.5, 1, 1]] }],
    ['a line past the end', { ...base, selections: [[99, 1, 99, 1]] }],
    ['a column past the end of its line', { ...base, selections: [[1, 1, 1, 200]] }],
    ['line zero', { ...base, selections: [[0, 1, 1, 1]] }],
    ['a string position', { ...base, selections: [['1', 1, 1, 1]] }],
    ['temperature as a string', { ...base, settings: { ...base.settings, temperature: '0.5' } }],
    ['temperature out of range', { ...base, settings: { ...base.settings, temperature: 9 } }],
    ['fractional top-k', { ...base, settings: { ...base.settings, topK: 2.5 } }],
    ['top-p of zero', { ...base, settings: { ...base.settings, topP: 0 } }],
    ['a negative seed', { ...base, settings: { ...base.settings, seed: -1 } }],
    ['a model id with spaces', { ...base, settings: { ...base.settings, modelId: 'a b' } }],
    ['an unknown setting', { ...base, settings: { ...base.settings, turbo: true } }],
    ['settings missing a field', { ...base, settings: { modelId: 'x' } }],
  ])('wrong types or ranges: %s', (_name, payload) => {
    const result = decodeShareHash(rawHash(payload));
    expect(result).toMatchObject({ ok: false, kind: 'invalid' });
    if (!result.ok) expect(result.message).toMatch(/^This playground link holds invalid data \(.+\)\. Nothing from it was opened\.$/s);
  });
});

describe('share links: size limit when encoding', () => {
  it('says the document is too big for a link instead of writing one', () => {
    // Incompressible text: each char is random, so deflate can't shrink it under the limit.
    let seed = 12345;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16;
    const random = Array.from({ length: 60_000 }, () => String.fromCharCode(33 + (next() % 94))).join('');
    const result = encodeShareHash(state({ text: random, selections: [{ anchorLine: 1, anchorColumn: 1, activeLine: 1, activeColumn: 1 }] }));
    expect(result).toMatchObject({ ok: false, reason: 'too-big' });
    if (!result.ok) expect(result.message).toMatch(/too big for a link/);
  });

  it('refuses a document over the decoded limit even when it would compress well', () => {
    const result = encodeShareHash(state({ text: 'a'.repeat(MAX_DECODED_BYTES), selections: [{ anchorLine: 1, anchorColumn: 1, activeLine: 1, activeColumn: 1 }] }));
    expect(result).toMatchObject({ ok: false, reason: 'too-big' });
  });
});

/** A hash whose payload is exactly this JSON text (for keys JSON.stringify can't write, like an own "__proto__"). */
const rawJsonHash = (json: string) => `#v1.${encodeBase64Url(deflateSync(new TextEncoder().encode(json)))}`;

describe('share links: hostile payloads get an error result, never an exception', () => {
  const base = wire(state());
  const baseJson = JSON.stringify(base);
  const withField = (field: string, json: string) => rawJsonHash(`${baseJson.slice(0, -1)},${JSON.stringify(field)}:${json}}`);
  const withLanguage = (json: string) => rawJsonHash(baseJson.replace('"language":"typescript"', `"language":${json}`));
  const deep = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

  it.each([
    ['an object whose toString is not a function', '{"toString":1}'],
    ['an object whose toString and valueOf are objects', '{"toString":{},"valueOf":{}}'],
    ['a list holding such an object', '[{"toString":1}]'],
    ['an object with an own __proto__', '{"__proto__":null}'],
    ['a list nested 100,000 deep', deep(100_000)],
  ])('a language that is %s', (_name, json) => {
    const hash = withLanguage(json);
    const result = decodeShareHash(hash);
    expect(result).toMatchObject({ ok: false, kind: 'invalid' });
    if (!result.ok) expect(result.message).toMatch(/language must be text|nested/);
  });

  it('a short link like the one reported (about 200 characters then) is refused with a message', () => {
    const hash = withLanguage('{"toString":1}');
    expect(hash.length).toBeLessThan(400); // the full settings object, every field: it grows as settings are added
    expect(decodeShareHash(hash)).toMatchObject({ ok: false, kind: 'invalid', message: expect.stringMatching(/language must be text, not an object/) });
  });

  it('deep nesting anywhere is refused by its depth before it is parsed', () => {
    for (const hash of [withField('extra', deep(100_000)), rawJsonHash(deep(500_000)), withLanguage(deep(9))]) {
      const result = decodeShareHash(hash);
      expect(result).toMatchObject({ ok: false, kind: 'invalid' });
      if (!result.ok) expect(result.message).toMatch(/nested more than 8 levels deep/);
    }
    // Brackets inside strings are text, not nesting.
    const text = '['.repeat(1000) + '\n';
    const original = state({ text, selections: [{ anchorLine: 1, anchorColumn: 1, activeLine: 1, activeColumn: 1 }] });
    expect(decodeShareHash(encode(original))).toEqual({ ok: true, state: original });
  });

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'])('an own "%s" key in the settings is an unknown setting', (key) => {
    const settingsJson = JSON.stringify(base.settings);
    const hash = rawJsonHash(baseJson.replace(settingsJson, `${settingsJson.slice(0, -1)},${JSON.stringify(key)}:{"polluted":1}}`));
    const result = decodeShareHash(hash);
    expect(result).toMatchObject({ ok: false, kind: 'invalid' });
    if (!result.ok) expect(result.message).toContain(`unknown setting "${key}"`);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it.each(['__proto__', 'constructor', 'toString'])('an own "%s" key at the top level is an unknown field', (key) => {
    const result = decodeShareHash(withField(key, '{"polluted":1}'));
    expect(result).toMatchObject({ ok: false, kind: 'invalid' });
    if (!result.ok) expect(result.message).toContain(`unknown field "${key}"`);
  });

  it('bytes after the end of the compressed stream are refused', () => {
    const compressed = deflateSync(new TextEncoder().encode(baseJson));
    const pack = (bytes: Uint8Array) => `#v1.${encodeBase64Url(bytes)}`;
    expect(decodeShareHash(pack(compressed)).ok).toBe(true);
    for (const extra of [[0], [1, 2, 3], [...compressed]]) {
      const result = decodeShareHash(pack(new Uint8Array([...compressed, ...extra])));
      expect(result, `extra ${extra.length} bytes`).toMatchObject({ ok: false, kind: 'malformed' });
      if (!result.ok) expect(result.message).toMatch(/extra data after the end of the compressed data/);
    }
  });
});
