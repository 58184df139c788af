// Property tests of the GGUF loader: whatever the bytes, loadGguf returns a model whose every
// tensor is what the config says and lies inside the file, or throws a plain Error naming the file,
// within CASE_MS; valid converted files of random shapes and types always load to their source.
//
// CI runs FUZZ.numRuns seeded cases per property; SPARK_FUZZ_RUNS=<n> (and SPARK_FUZZ_SEED) run more:
//   SPARK_FUZZ_RUNS=20000 npx vitest run --project unit src/model/gguf.property.test.ts
import { GGUFValueType } from '@huggingface/gguf';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FUZZ, FUZZ_TIMEOUT_MS } from '../testing/arbitraries.ts';
import { encodeGguf, gv, type GgufTensorToWrite, type GgufValue } from '../testing/gguf-writer.ts';
import { encodeAs, makeTestGguf, type TestGgufWeightType } from '../testing/gguf-test-model.ts';
import { CASE_MS } from '../testing/model-arbitraries.ts';
import { loadGguf } from './gguf.ts';
import { loadModel, type LoadedModel } from './load.ts';
import { memoryFetcher } from './model-files.ts';
import { WeightTensor } from './tensor.ts';
import { expectedWeightShapes } from './weights.ts';

/** Each case of the round-trip property builds and loads two models: a tenth of the runs. */
const SHAPE_RUNS = Math.ceil(FUZZ.numRuns / 10);
/**
 * A hang guard, not a speed check: a case builds and loads two models (about 0.1 s alone here), and
 * under a full CI run with other suites beside it the 30 cases took over 20 s.
 */
const SHAPE_CASE_BUDGET_MS = 2_000;

const SMALL = { numLayers: 1, hiddenSize: 32, numHeads: 2, numKvHeads: 1, intermediateSize: 32, numMerges: 8 } as const;
const BASES = [
  makeTestGguf({ ...SMALL }),
  makeTestGguf({ ...SMALL, architecture: 'Qwen2ForCausalLM', tieWordEmbeddings: true, weightType: 'Q8_0', seed: 2 }),
];

/** What a load that succeeded promises: the config's tensors, each of its shape, inside the file or a copy of its size. */
function expectConsistent(model: LoadedModel, file: Uint8Array): void {
  const expected = expectedWeightShapes(model.config);
  expect(model.weights.size).toBe(expected.size);
  for (const [name, shape] of expected) {
    const t = model.weights.get(name)!;
    expect(t.shape).toEqual(shape);
    if (t.bytes.buffer === file.buffer) expect(t.bytes.byteOffset + t.bytes.byteLength).toBeLessThanOrEqual(file.byteOffset + file.byteLength);
  }
  const text = 'x = 1\n';
  expect(model.tokenizer.decode(model.tokenizer.encode(text))).toBe(text);
}

/** Loads `bytes`: a model or a plain Error naming the file, within CASE_MS. */
async function loadCase(bytes: Uint8Array): Promise<void> {
  const start = performance.now();
  try {
    expectConsistent(await loadGguf(bytes, { fileName: 'f.gguf' }), bytes);
  } catch (err) {
    expect(Object.getPrototypeOf(err), String(err)).toBe(Error.prototype);
    expect((err as Error).message).toMatch(/^f\.gguf: ./s);
  }
  expect(performance.now() - start).toBeLessThan(CASE_MS);
}

const u32Arb = fc.oneof(fc.constantFrom(0, 1, 2, 3, 6, 12, 16, 32, 64, 255, 268, 269, 270, 1e6, 2 ** 31, 2 ** 32 - 1), fc.nat({ max: 2 ** 32 - 1 }));
const bigArb = fc.oneof(fc.constantFrom(0n, 1n, 4n, 32n, 1n << 32n, 1n << 53n, 1n << 63n, (1n << 64n) - 1n), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }));
const valueArb: fc.Arbitrary<GgufValue> = fc.oneof(
  u32Arb.map(gv.u32),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map(gv.i32),
  fc.integer({ min: 0, max: 255 }).map(gv.u8),
  bigArb.map(gv.u64),
  fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }).map(gv.i64),
  fc.double().map(gv.f32),
  fc.double().map(gv.f64),
  fc.boolean().map(gv.bool),
  fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('llama', 'qwen2', 'gpt2', 'phi3', 'llama-bpe', 'smollm', 'none', 'linear', '__proto__'))
    .map(gv.str),
  fc.array(fc.integer({ min: -5, max: 400 }), { maxLength: 6 }).map((v) => gv.array(GGUFValueType.INT32, v)),
  fc.array(fc.string({ maxLength: 4 }), { maxLength: 6 }).map((v) => gv.array(GGUFValueType.STRING, v)),
);

function keysOf(metadata: Record<string, GgufValue>): string[] {
  const arch = String(metadata['general.architecture']!.value);
  return [...Object.keys(metadata), 'general.alignment', `${arch}.expert_count`, `${arch}.attention.key_length`, `${arch}.attention.value_length`,
    `${arch}.rope.scaling.type`, 'tokenizer.ggml.bos_token_id', 'tokenizer.ggml.padding_token_id', 'tokenizer.ggml.eot_token_id', '__proto__'];
}

/** null mostly: a header count or a cut makes almost every file fail early, hiding the deeper checks. */
const rarely = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ weight: 6, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: arb });

const mutationArb = fc.oneof(
  fc.record({ kind: fc.constant('metadata' as const), key: fc.nat(), value: fc.option(valueArb) }),
  fc.record({ kind: fc.constant('dims' as const), tensor: fc.nat(), dims: fc.array(fc.oneof(fc.constantFrom(0, 1, 32, 64, 269, 2 ** 32), fc.nat(300)), { maxLength: 4 }) }),
  fc.record({ kind: fc.constant('type' as const), tensor: fc.nat(), type: fc.oneof(fc.constantFrom(0, 1, 2, 8, 12, 14, 30, 3, 13, 41, 99), fc.nat({ max: 2 ** 32 - 1 })) }),
  fc.record({ kind: fc.constant('offset' as const), tensor: fc.nat(), offset: bigArb }),
  fc.record({ kind: fc.constant('name' as const), tensor: fc.nat(), name: fc.oneof(fc.constantFrom('rope_freqs.weight', 'output.weight', 'blk.0.attn_q.bias', 'blk.7.ffn_up.weight', ''), fc.string({ maxLength: 8 })) }),
  fc.record({ kind: fc.constant('drop' as const), tensor: fc.nat() }),
  fc.record({ kind: fc.constant('bytes' as const), tensor: fc.nat(), keep: fc.nat() }),
);

describe('loadGguf (property)', () => {
  it(`arbitrary bytes, and arbitrary bytes after a GGUF magic, version and counts (${FUZZ.numRuns} cases)`, async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), fc.option(fc.tuple(fc.constantFrom(2, 3, 1, 0x03000000), bigArb, bigArb)), async (body, prefix) => {
      const bytes = new Uint8Array(body.length + (prefix ? 24 : 0));
      if (prefix) {
        const view = new DataView(bytes.buffer);
        bytes.set([0x47, 0x47, 0x55, 0x46]);
        view.setUint32(4, prefix[0], true);
        view.setBigUint64(8, prefix[1] % 5n === 0n ? 0n : prefix[1], true);
        view.setBigUint64(16, prefix[2] % 3n === 0n ? BigInt(Math.floor(body.length / 20)) : prefix[2], true);
      }
      bytes.set(body, prefix ? 24 : 0);
      await loadCase(bytes);
    }), FUZZ);
  }, FUZZ_TIMEOUT_MS);

  it(`structurally mutated valid files: metadata values, tensor dims, types, offsets, names, header counts, truncation (${FUZZ.numRuns} cases)`, async () => {
    await fc.assert(fc.asyncProperty(fc.nat(BASES.length - 1), fc.array(mutationArb, { minLength: 1, maxLength: 3 }),
      rarely(fc.tuple(fc.constantFrom(8, 16), bigArb)), rarely(fc.nat()), async (base, mutations, count, cut) => {
        const { metadata: original, tensors: originalTensors } = BASES[base]!;
        const metadata: Record<string, GgufValue> = { ...original };
        let tensors: GgufTensorToWrite[] = [...originalTensors];
        const keys = keysOf(original);
        for (const m of mutations) {
          const i = 'tensor' in m ? m.tensor % Math.max(1, tensors.length) : 0;
          if (m.kind === 'metadata') {
            const key = keys[m.key % keys.length]!;
            if (m.value === null) delete metadata[key];
            else Object.defineProperty(metadata, key, { value: m.value, enumerable: true, configurable: true, writable: true });
          } else if (tensors.length === 0) {
            continue;
          } else if (m.kind === 'drop') {
            tensors = tensors.filter((_, j) => j !== i);
          } else if (m.kind === 'bytes') {
            tensors[i] = { ...tensors[i]!, bytes: tensors[i]!.bytes.subarray(0, m.keep % (tensors[i]!.bytes.length + 1)) };
          } else if (m.kind === 'dims') {
            tensors[i] = { ...tensors[i]!, dims: m.dims };
          } else if (m.kind === 'type') {
            tensors[i] = { ...tensors[i]!, type: m.type };
          } else if (m.kind === 'offset') {
            tensors[i] = { ...tensors[i]!, offset: m.offset };
          } else {
            tensors[i] = { ...tensors[i]!, name: m.name };
          }
        }
        let bytes = encodeGguf(metadata, tensors);
        if (count) new DataView(bytes.buffer).setBigUint64(count[0], count[1], true);
        if (cut !== null) bytes = bytes.subarray(0, cut % (bytes.length + 1));
        await loadCase(bytes);
      }), FUZZ);
  }, FUZZ_TIMEOUT_MS);

  it(`valid converted models of random shapes and weight types load to their source (${SHAPE_RUNS} cases)`, async () => {
    const configArb = fc.record({
      architecture: fc.constantFrom('LlamaForCausalLM' as const, 'Qwen2ForCausalLM' as const),
      kvHeads: fc.constantFrom(1, 2),
      groups: fc.constantFrom(1, 2),
      headDim: fc.constantFrom(2, 8, 16, 32),
      intermediateSize: fc.constantFrom(32, 64),
      numLayers: fc.constantFrom(1, 2),
      tieWordEmbeddings: fc.boolean(),
      weightType: fc.constantFrom<TestGgufWeightType>('F32', 'F16', 'BF16', 'Q8_0', 'Q4_0'),
      seed: fc.nat(1000),
    });
    await fc.assert(fc.asyncProperty(configArb, async ({ kvHeads, groups, headDim, weightType: asked, ...rest }) => {
      const numHeads = kvHeads * groups;
      const hiddenSize = numHeads * headDim;
      // Quantized rows are whole 32-value blocks.
      const weightType = asked.startsWith('Q') && hiddenSize % 32 !== 0 ? 'F16' : asked;
      const { gguf, files } = makeTestGguf({ ...rest, numHeads, numKvHeads: kvHeads, hiddenSize, numMerges: 4, weightType });
      const [hf, model] = await Promise.all([loadModel(memoryFetcher(files)), loadGguf(gguf)]);
      for (const [name, t] of hf.weights) {
        const want = t.shape.length === 2 ? encodeAs(weightType, t.toF32()) : undefined;
        const g = model.weights.get(name)!;
        expect(g.toF32(), name).toEqual(want ? new WeightTensor(name, g.dtype, g.shape, want).toF32() : t.toF32());
      }
    }), { ...FUZZ, numRuns: SHAPE_RUNS });
  }, Math.max(FUZZ_TIMEOUT_MS, SHAPE_RUNS * SHAPE_CASE_BUDGET_MS));
});
