// Property tests of the safetensors parser: whatever the bytes, SafetensorsFile.parse returns a
// file whose every tensor lies inside the data, or throws an Error naming the file, within
// CASE_MS; valid files always parse and round-trip.
//
// CI runs FUZZ.numRuns seeded cases per property; SPARK_FUZZ_RUNS=<n> (and SPARK_FUZZ_SEED) run more:
//   SPARK_FUZZ_RUNS=20000 npx vitest run --project unit src/model src/engine/worker/chat-template.property.test.ts
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FUZZ, FUZZ_TIMEOUT_MS } from '../testing/arbitraries.ts';
import { mutateAt, nastyJsonArb, nastyNumberArb, outcome } from '../testing/model-arbitraries.ts';
import { encodeSafetensors, rawSafetensors } from '../testing/safetensors-writer.ts';
import { SafetensorsFile } from './safetensors.ts';
import { BYTES_PER_ELEMENT, type WeightDtype } from './tensor.ts';

const DTYPES = ['F32', 'F16', 'BF16'] as const;

/** Valid tensors: 1-4 of them, rank 0-3, small dims, values exact in every float dtype. */
const tensorsArb = fc.uniqueArray(fc.record({
  name: fc.string({ unit: fc.constantFrom(...'abcxyz019_.'), minLength: 1, maxLength: 20 }),
  shape: fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 3 }),
}), { minLength: 1, maxLength: 4, selector: (t) => t.name }).map((ts) => ts.map((t) => {
  const size = t.shape.reduce((a, b) => a * b, 1);
  return { ...t, values: Float32Array.from({ length: size }, (_, i) => (i % 7) - 3) };
}));

/** Checks what a parse that succeeded promises: every entry's byte range inside the data, floats decodable. */
function expectConsistent(file: SafetensorsFile, bytes: Uint8Array): void {
  for (const [name, e] of file.entries) {
    expect(e.begin).toBeLessThanOrEqual(e.end);
    expect(e.end).toBeLessThanOrEqual(bytes.byteLength);
    const result = outcome(() => file.tensor(name));
    if (result.ok) {
      expect(result.value.bytes.byteLength).toBe(result.value.size * BYTES_PER_ELEMENT[result.value.dtype as WeightDtype]);
      expect(result.value.toF32().length).toBe(result.value.size);
    } else {
      expect(result.message).toMatch(/has dtype .*; only F32, F16 and BF16/);
    }
  }
}

function parseCase(bytes: Uint8Array): void {
  const result = outcome(() => SafetensorsFile.parse(bytes, 'f.safetensors'));
  if (result.ok) expectConsistent(result.value, bytes);
  else expect(result.message).toMatch(/^f\.safetensors: /);
}

const headerOf = (bytes: Uint8Array) => {
  const len = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { header: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + len))) as Record<string, unknown>, data: bytes.subarray(8 + len) };
};

describe('SafetensorsFile.parse (property)', () => {
  it(`valid files parse and round-trip (${FUZZ.numRuns} cases)`, () => {
    fc.assert(fc.property(tensorsArb, fc.constantFrom(...DTYPES), (tensors, dtype: WeightDtype) => {
      const file = SafetensorsFile.parse(encodeSafetensors(tensors, dtype));
      // As a set: JSON objects put integer-like keys ("1") first, and order carries no meaning here.
      expect(file.names().sort()).toEqual(tensors.map((t) => t.name).sort());
      for (const t of tensors) expect([...file.tensor(t.name).toF32()]).toEqual([...t.values]);
    }), FUZZ);
  }, FUZZ_TIMEOUT_MS);

  it(`arbitrary bytes, and arbitrary bytes after a plausible header length (${FUZZ.numRuns} cases)`, () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.option(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })), (body, length) => {
      const bytes = new Uint8Array(body.length + (length === null ? 0 : 8));
      if (length !== null) new DataView(bytes.buffer).setBigUint64(0, length % 3n === 0n ? BigInt(body.length) : length, true);
      bytes.set(body, length === null ? 0 : 8);
      parseCase(bytes);
    }), FUZZ);
  }, FUZZ_TIMEOUT_MS);

  it(`structurally mutated valid files: header length, offsets, dtypes, shapes, metadata, truncation (${FUZZ.numRuns} cases)`, () => {
    const fieldArb = fc.constantFrom('dtype', 'shape', 'data_offsets');
    const mutationArb = fc.oneof(
      fc.record({ kind: fc.constant('field' as const), tensor: fc.nat(), field: fieldArb, value: nastyJsonArb, remove: fc.boolean() }),
      fc.record({ kind: fc.constant('dim' as const), tensor: fc.nat(), field: fc.constantFrom('shape', 'data_offsets'), index: fc.nat(4), value: nastyNumberArb }),
      fc.record({ kind: fc.constant('dtype' as const), tensor: fc.nat(), value: fc.constantFrom('F32', 'F16', 'BF16', 'I64', 'U8', 'BOOL', 'F64', 'F8_E4M3', 'f32', '') }),
      fc.record({ kind: fc.constant('metadata' as const), value: nastyJsonArb }),
      fc.record({ kind: fc.constant('extra' as const), name: fc.string({ maxLength: 8 }), value: nastyJsonArb }),
    );
    fc.assert(fc.property(tensorsArb, fc.constantFrom(...DTYPES), fc.array(mutationArb, { minLength: 1, maxLength: 4 }),
      fc.option(fc.nat()), fc.option(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })), (tensors, dtype, mutations, cut, headerLength) => {
        const { header, data } = headerOf(encodeSafetensors(tensors, dtype));
        let h: unknown = header;
        const names = tensors.map((t) => t.name);
        for (const m of mutations) {
          if (m.kind === 'metadata') h = mutateAt(h, ['__metadata__'], m.value);
          else if (m.kind === 'extra') h = mutateAt(h, [m.name], m.value);
          else if (m.kind === 'field') h = mutateAt(h, [names[m.tensor % names.length]!, m.field], m.value, m.remove);
          else if (m.kind === 'dim') h = mutateAt(h, [names[m.tensor % names.length]!, m.field, m.index], m.value);
          else h = mutateAt(h, [names[m.tensor % names.length]!, 'dtype'], m.value);
        }
        let bytes = rawSafetensors(h as object, data);
        if (headerLength !== null) new DataView(bytes.buffer).setBigUint64(0, headerLength, true);
        if (cut !== null) bytes = bytes.subarray(0, cut % (bytes.length + 1));
        parseCase(bytes);
      }), FUZZ);
  }, FUZZ_TIMEOUT_MS);
});
