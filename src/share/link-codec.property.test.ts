// Property tests of the link decoder: whatever the hash holds, decodeShareHash returns a result
// (ok, or an error kind with a message) and never throws, and every valid state round-trips.
//
// CI runs a fixed, seeded number of cases per property (FUZZ.numRuns, seed 1). For a longer run:
//   SPARK_FUZZ_RUNS=100000 npx vitest run --project unit src/share src/settings.property.test.ts
// and SPARK_FUZZ_SEED=<n> to explore other cases (fast-check prints the seed and path of a failure).
import fc from 'fast-check';
import { deflateSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { FUZZ, FUZZ_TIMEOUT_MS, settingsArb } from '../testing/arbitraries.ts';
import { LANGUAGES } from '../document/languages.ts';
import { lineLengths, type SelectionState } from '../document/snapshot.ts';
import { SETTING_KEYS } from '../settings.ts';
import { encodeBase64Url } from './base64url.ts';
import { decodeShareHash, encodeShareHash, type DecodeResult } from './link-codec.ts';
import { selectionsToWire, validateShareWire, type ShareState } from './share-state.ts';

const KINDS = ['malformed', 'truncated', 'future-version', 'oversized', 'invalid'];
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Any result is fine as long as it is a result: ok with a state that validates, or a kind and a message. */
function expectResult(result: DecodeResult): void {
  if (result.ok) {
    const { state } = result;
    expect(validateShareWire(wireOf(state))).toEqual({ ok: true, value: state });
  } else {
    expect(KINDS).toContain(result.kind);
    expect(typeof result.message).toBe('string');
    expect(result.message).toMatch(/\. Nothing from it was opened\.$/);
  }
}

const wireOf = (s: ShareState) => ({ text: s.text, language: s.language, selections: selectionsToWire(s.selections), settings: s.settings });
const packBytes = (bytes: Uint8Array, version = 1) => `#v${version}.${encodeBase64Url(bytes)}`;
const packJson = (json: string) => packBytes(deflateSync(new TextEncoder().encode(json)));

// --- valid states -------------------------------------------------------------------------------

/** Text with the characters links must carry exactly: line breaks of each kind, astral, lone surrogates, JSON syntax. */
const textArb = fc.oneof(
  fc.string({ unit: fc.constantFrom('a', ' ', '\t', '\n', '\r\n', '\r', 'é', 'e\u0301', '🚀', '\ud800', '\udc00', '"', '\\', '[', '{', '}', ']', '<fim_middle>'), maxLength: 60 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
);

const selectionArb = (text: string): fc.Arbitrary<SelectionState> => {
  const lengths = lineLengths(text);
  const position = fc.integer({ min: 1, max: lengths.length }).chain((line) =>
    fc.integer({ min: 1, max: lengths[line - 1]! + 1 }).map((column) => [line, column] as const));
  return fc.tuple(position, position).map(([[anchorLine, anchorColumn], [activeLine, activeColumn]]) =>
    ({ anchorLine, anchorColumn, activeLine, activeColumn }));
};

const stateArb: fc.Arbitrary<ShareState> = textArb.chain((text) => fc.record({
  text: fc.constant(text),
  language: fc.constantFrom(...LANGUAGES.map((l) => l.id)),
  selections: fc.array(selectionArb(text), { minLength: 1, maxLength: 5 }),
  settings: settingsArb,
}));

const hashOf = (state: ShareState): string => {
  const encoded = encodeShareHash(state);
  if (!encoded.ok) throw new Error(encoded.message);
  return encoded.hash;
};

// --- hostile values -----------------------------------------------------------------------------

/**
 * Keys that name something on Object.prototype (weighted up: they are what breaks code that
 * stringifies or looks up untrusted values), a real field, or anything at all.
 */
const keyArb = fc.oneof(
  { arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', 'toJSON', 'length'), weight: 3 },
  { arbitrary: fc.constantFrom('0', 'text', 'language', 'selections', 'settings', ...SETTING_KEYS), weight: 1 },
  { arbitrary: fc.string({ maxLength: 12 }), weight: 1 },
);

/** Sets an own property even for "__proto__" (plain assignment would set the prototype). */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Any JSON value, with object keys from keyArb (an own "__proto__" included). */
const jsonArb: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(null, true, false, 0, -1, 1.5, 1e308, '', 'typescript', '[object Object]'),
    fc.string({ maxLength: 20 }),
    fc.double(),
    fc.integer(),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.array(fc.tuple(keyArb, tie('value')), { maxLength: 5 }).map((entries) => {
      const object: Record<string, unknown> = {};
      for (const [key, value] of entries) setOwn(object, key, value);
      return object;
    }),
  ),
})).value;

type Mutation =
  | { op: 'replace'; path: readonly (string | number)[]; value: unknown }
  | { op: 'delete'; path: readonly (string | number)[] }
  | { op: 'add'; path: readonly (string | number)[]; key: string; value: unknown };

const pathArb = fc.oneof(
  fc.constantFrom<readonly (string | number)[]>([], ['text'], ['language'], ['selections'], ['settings']),
  fc.constantFrom<readonly (string | number)[]>(['selections', 0], ['selections', 0, 0], ['selections', 0, 3]),
  fc.constantFrom(...SETTING_KEYS).map((key) => ['settings', key] as const),
);

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('replace' as const), path: pathArb, value: jsonArb }),
  fc.record({ op: fc.constant('delete' as const), path: pathArb }),
  fc.record({ op: fc.constant('add' as const), path: fc.constantFrom<readonly (string | number)[]>([], ['settings'], ['selections']), key: keyArb, value: jsonArb }),
);

/** Applies mutations to a (JSON-cloned) wire object; a path that no longer exists is skipped. */
function mutate(wire: unknown, mutations: readonly Mutation[]): unknown {
  let root: unknown = JSON.parse(JSON.stringify(wire));
  for (const m of mutations) {
    if (m.path.length === 0 && m.op === 'replace') { root = m.value; continue; }
    const parentPath = m.op === 'add' ? m.path : m.path.slice(0, -1);
    let parent: unknown = root;
    for (const step of parentPath) parent = typeof parent === 'object' && parent !== null ? (parent as Record<string, unknown>)[step] : undefined;
    if (typeof parent !== 'object' || parent === null) continue;
    const record = parent as Record<string, unknown>;
    if (m.op === 'add') {
      if (Array.isArray(record) && !/^\d{1,3}$/.test(m.key)) continue; // JSON carries only an array's elements
      setOwn(record, m.key, m.value);
    }
    else if (m.path.length === 0) continue;
    else if (m.op === 'delete') delete record[m.path.at(-1)!];
    else setOwn(record, String(m.path.at(-1)), m.value);
  }
  return root;
}

/** Byte-level damage to a compressed payload: flips, inserts, deletes, a cut, bytes appended. */
const byteEditArb = fc.array(fc.record({
  op: fc.constantFrom('flip', 'insert', 'delete', 'cut', 'append'),
  at: fc.nat(),
  byte: fc.integer({ min: 0, max: 255 }),
}), { minLength: 1, maxLength: 4 });

function damage(bytes: Uint8Array, edits: readonly { op: string; at: number; byte: number }[]): Uint8Array {
  const out = [...bytes];
  for (const { op, at, byte } of edits) {
    const i = out.length === 0 ? 0 : at % out.length;
    if (op === 'flip' && out.length > 0) out[i] = out[i]! ^ (1 << (byte % 8));
    else if (op === 'insert') out.splice(i, 0, byte);
    else if (op === 'delete') out.splice(i, 1);
    else if (op === 'cut') out.length = i;
    else if (op === 'append') out.push(byte);
  }
  return new Uint8Array(out);
}

describe('decodeShareHash is total (property)', () => {
  it(`any string: a result, never an exception (${FUZZ.numRuns} cases)`, () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (hash) => expectResult(decodeShareHash(hash))), FUZZ);
  }, FUZZ_TIMEOUT_MS);

  it(`any link-shaped string (version prefix + base64url-ish payload) (${FUZZ.numRuns} cases)`, () => {
    const prefix = fc.constantFrom('#v1.', 'v1.', '#v2.', '#v0.', '#v01.', '#v999999.', '#v1', '#', '');
    const payload = fc.string({ unit: fc.constantFrom(...BASE64URL, '=', '.', '%', ' '), maxLength: 400 });
    fc.assert(fc.property(prefix, payload, (p, data) => expectResult(decodeShareHash(p + data))), FUZZ);
  }, FUZZ_TIMEOUT_MS);

  it(`any JSON value, deflated and base64url-encoded into a valid-looking link (${FUZZ.numRuns} cases)`, () => {
    fc.assert(fc.property(jsonArb, (value) => expectResult(decodeShareHash(packJson(JSON.stringify(value) ?? 'null')))), FUZZ);
  }, FUZZ_TIMEOUT_MS);

  it(`a valid link with one top-level field replaced by any JSON value (${FUZZ.numRuns} cases)`, () => {
    fc.assert(fc.property(stateArb, fc.constantFrom('text', 'language', 'selections', 'settings'), jsonArb, (state, field, value) => {
      const wire: Record<string, unknown> = wireOf(state);
      setOwn(wire, field, value);
      expectResult(decodeShareHash(packJson(JSON.stringify(wire))));
    }), FUZZ);
  }, FUZZ_TIMEOUT_MS);

  it(`a valid link with its fields replaced, deleted or added (hostile keys and values included) (${FUZZ.numRuns} cases)`, () => {
    fc.assert(fc.property(stateArb, fc.array(mutationArb, { minLength: 1, maxLength: 3 }), (state, mutations) => {
      const result = decodeShareHash(packJson(JSON.stringify(mutate(wireOf(state), mutations)) ?? 'null'));
      expectResult(result);
      if (result.ok) expect(decodeShareHash(hashOf(result.state))).toEqual(result);
    }), FUZZ);
  }, FUZZ_TIMEOUT_MS);

  it(`a valid link with its compressed bytes damaged (${FUZZ.numRuns} cases)`, () => {
    fc.assert(fc.property(stateArb, byteEditArb, (state, edits) => {
      const bytes = deflateSync(new TextEncoder().encode(JSON.stringify(wireOf(state))), { level: 9 });
      expectResult(decodeShareHash(packBytes(damage(bytes, edits))));
    }), FUZZ);
  }, FUZZ_TIMEOUT_MS);

  it(`a valid link with any bytes after its compressed stream is refused (${FUZZ.numRuns} cases)`, () => {
    fc.assert(fc.property(stateArb, fc.uint8Array({ minLength: 1, maxLength: 8 }), (state, extra) => {
      const bytes = deflateSync(new TextEncoder().encode(JSON.stringify(wireOf(state))), { level: 9 });
      const result = decodeShareHash(packBytes(new Uint8Array([...bytes, ...extra])));
      expect(result).toMatchObject({ ok: false, kind: 'malformed' });
    }), FUZZ);
  }, FUZZ_TIMEOUT_MS);

  it(`a valid state round-trips exactly (${FUZZ.numRuns} cases)`, () => {
    fc.assert(fc.property(stateArb, (state) => {
      expect(decodeShareHash(hashOf(state))).toEqual({ ok: true, state });
    }), FUZZ);
  }, FUZZ_TIMEOUT_MS);
});
