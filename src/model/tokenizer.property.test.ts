// Property tests of tokenizer.json loading: whatever a mutated tokenizer.json holds (ids, merges,
// added tokens, pipeline parts), ModelTokenizer.fromJson returns a tokenizer whose ids are inside
// the vocabulary, or throws an Error, within CASE_MS; the valid one always loads and round-trips.
// SPARK_FUZZ_RUNS=<n> runs more cases (see safetensors.property.test.ts).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FUZZ, FUZZ_TIMEOUT_MS } from '../testing/arbitraries.ts';
import { mutateAt, nastyJsonArb, nastyNumberArb, outcome } from '../testing/model-arbitraries.ts';
import { buildTestTokenizer } from '../testing/test-tokenizer.ts';
import { ModelTokenizer } from './tokenizer.ts';

const files = buildTestTokenizer();
const VOCAB = files.vocabSize;
const vocabKeys = Object.keys((files.tokenizerJson['model'] as { vocab: Record<string, number> }).vocab);
const SAMPLE = 'def f(x):\n    return x + 1  # é 🚀 <fim_prefix>\n';

const mutationArb = fc.oneof(
  fc.record({ kind: fc.constant('vocab-id' as const), key: fc.constantFrom(...vocabKeys), value: nastyJsonArb }),
  fc.record({ kind: fc.constant('vocab-new' as const), key: fc.string({ maxLength: 4 }), value: nastyNumberArb }),
  fc.record({ kind: fc.constant('merge' as const), index: fc.nat(60), value: fc.oneof(nastyJsonArb, fc.string({ maxLength: 6 }), fc.tuple(fc.string({ maxLength: 3 }), fc.string({ maxLength: 3 })).map(([a, b]) => `${a} ${b}`)) }),
  fc.record({ kind: fc.constant('merges' as const), value: nastyJsonArb }),
  fc.record({ kind: fc.constant('added' as const), index: fc.nat(7), field: fc.constantFrom('id', 'content', 'special', 'normalized', 'lstrip'), value: fc.oneof(nastyJsonArb, fc.string({ maxLength: 12 })) }),
  fc.record({ kind: fc.constant('added-new' as const), id: nastyNumberArb, content: fc.string({ maxLength: 10 }), special: fc.boolean() }),
  fc.record({ kind: fc.constant('part' as const), path: fc.constantFrom(['normalizer'], ['pre_tokenizer'], ['decoder'], ['post_processor'], ['model', 'type'], ['model'], ['added_tokens'], ['model', 'vocab']), value: nastyJsonArb }),
);

type Mutation = typeof mutationArb extends fc.Arbitrary<infer M> ? M : never;

function mutate(json: unknown, m: Mutation): unknown {
  switch (m.kind) {
    case 'vocab-id': return mutateAt(json, ['model', 'vocab', m.key], m.value);
    case 'vocab-new': return mutateAt(json, ['model', 'vocab', m.key], m.value);
    case 'merge': return mutateAt(json, ['model', 'merges', m.index], m.value);
    case 'merges': return mutateAt(json, ['model', 'merges'], m.value);
    case 'added': return mutateAt(json, ['added_tokens', m.index, m.field], m.value);
    case 'added-new': {
      const added = (json as { added_tokens?: unknown }).added_tokens;
      const list = Array.isArray(added) ? added : [];
      return mutateAt(json, ['added_tokens'], [...list, { id: m.id, content: m.content, special: m.special, normalized: false, lstrip: false, rstrip: false, single_word: false }]);
    }
    case 'part': return mutateAt(json, m.path, m.value);
  }
}

describe('ModelTokenizer.fromJson (property)', () => {
  it(`the valid tokenizer loads and round-trips any text (${FUZZ.numRuns} cases)`, () => {
    const tok = ModelTokenizer.fromJson(files.tokenizerJson, files.tokenizerConfigJson, { vocabSize: VOCAB });
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 80 }), (text) => {
      const ids = tok.encode(text);
      expect(ids.every((id) => Number.isInteger(id) && id >= 0 && id < VOCAB)).toBe(true);
      expect(tok.decode(ids)).toBe(text);
    }), FUZZ);
  }, FUZZ_TIMEOUT_MS);

  it(`mutated tokenizers: ids, merges, added tokens and pipeline parts (${FUZZ.numRuns} cases)`, () => {
    fc.assert(fc.property(fc.array(mutationArb, { minLength: 1, maxLength: 4 }), (mutations) => {
      let json: unknown = files.tokenizerJson;
      for (const m of mutations) json = mutate(json, m);
      const loaded = outcome(() => ModelTokenizer.fromJson(json, files.tokenizerConfigJson, { vocabSize: VOCAB }));
      if (!loaded.ok) {
        expect(loaded.message).toMatch(/^tokenizer\.json: /);
        return;
      }
      const tok = loaded.value;
      expect(tok.vocabSize).toBeLessThanOrEqual(VOCAB);
      const encoded = outcome(() => tok.encode(SAMPLE));
      if (encoded.ok) {
        expect(encoded.value.every((id) => Number.isInteger(id) && id >= 0 && id < VOCAB), JSON.stringify(encoded.value)).toBe(true);
        outcome(() => tok.decode(encoded.value));
      }
    }), FUZZ);
  }, FUZZ_TIMEOUT_MS);
});
