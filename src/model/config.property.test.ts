// Property tests of config.json parsing: whatever the JSON, parseModelConfig returns a config
// whose every size is inside MODEL_LIMITS (so nothing sized by it can be unbounded), or throws an
// Error about config.json, within CASE_MS; valid configs always parse to their own numbers.
// SPARK_FUZZ_RUNS=<n> runs more cases (see safetensors.property.test.ts).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FUZZ, FUZZ_TIMEOUT_MS } from '../testing/arbitraries.ts';
import { mutateAt, nastyJsonArb, outcome } from '../testing/model-arbitraries.ts';
import { parseModelConfig, type ModelConfig } from './config.ts';
import { MODEL_LIMITS } from './limits.ts';

const LLAMA = {
  architectures: ['LlamaForCausalLM'], model_type: 'llama', vocab_size: 300, hidden_size: 72, intermediate_size: 200,
  num_hidden_layers: 2, num_attention_heads: 6, num_key_value_heads: 2, rms_norm_eps: 1e-5, rope_theta: 500000,
  max_position_embeddings: 512, tie_word_embeddings: true, hidden_act: 'silu', rope_scaling: null, attention_bias: false,
  mlp_bias: false, pretraining_tp: 1, bos_token_id: 1, eos_token_id: [2, 3],
};
const QWEN2 = {
  architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', vocab_size: 151936, hidden_size: 896, intermediate_size: 4864,
  num_hidden_layers: 24, num_attention_heads: 14, num_key_value_heads: 2, rms_norm_eps: 1e-6, rope_theta: 1000000,
  max_position_embeddings: 32768, tie_word_embeddings: true, hidden_act: 'silu', use_sliding_window: false,
  sliding_window: 32768, max_window_layers: 21, bos_token_id: 151643, eos_token_id: 151643,
};
const KEYS = [...new Set([...Object.keys(LLAMA), ...Object.keys(QWEN2), 'head_dim', 'fim_order', 'rope_parameters', 'layer_types', 'partial_rotary_factor', 'rope_interleaved', 'quantization_config'])];

/** What a parsed config promises the loader: every size a positive integer inside its limit. */
function expectBounded(c: ModelConfig): void {
  const bounded: [number, number][] = [
    [c.vocabSize, MODEL_LIMITS.vocabSize], [c.hiddenSize, MODEL_LIMITS.hiddenSize], [c.intermediateSize, MODEL_LIMITS.intermediateSize],
    [c.numLayers, MODEL_LIMITS.numLayers], [c.numHeads, MODEL_LIMITS.numHeads], [c.numKvHeads, MODEL_LIMITS.numHeads],
    [c.headDim, MODEL_LIMITS.headDim], [c.maxPositionEmbeddings, MODEL_LIMITS.maxPositionEmbeddings],
  ];
  for (const [value, limit] of bounded) {
    expect(Number.isInteger(value) && value > 0 && value <= limit, `${value} <= ${limit}`).toBe(true);
  }
  expect(c.numHeads % c.numKvHeads).toBe(0);
  expect(c.numHeads * c.headDim).toBeLessThanOrEqual(MODEL_LIMITS.attentionWidth);
  for (const id of [...c.eosTokenIds, ...(c.bosTokenId === undefined ? [] : [c.bosTokenId])]) expect(id).toBeLessThan(c.vocabSize);
  expect(Number.isFinite(c.rmsNormEps) && Number.isFinite(c.ropeTheta)).toBe(true);
}

function parseCase(json: unknown): void {
  const result = outcome(() => parseModelConfig(json));
  if (result.ok) expectBounded(result.value);
  else expect(result.message).toMatch(/^config\.json: /);
}

describe('parseModelConfig (property)', () => {
  it(`valid configs inside the limits parse to their own numbers (${FUZZ.numRuns} cases)`, () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 16 }).map((h) => h * 2),
      fc.integer({ min: 1, max: MODEL_LIMITS.numLayers }), fc.integer({ min: 2, max: MODEL_LIMITS.vocabSize }), fc.constantFrom(LLAMA, QWEN2),
      (kvHeads, group, headDim, layers, vocab, base) => {
        const heads = kvHeads * group;
        const json = { ...base, num_attention_heads: heads, num_key_value_heads: kvHeads, hidden_size: heads * headDim, num_hidden_layers: layers,
          vocab_size: vocab, bos_token_id: 0, eos_token_id: vocab - 1 };
        const c = parseModelConfig(json);
        expect(c).toMatchObject({ numHeads: heads, numKvHeads: kvHeads, headDim, numLayers: layers, vocabSize: vocab, eosTokenIds: [vocab - 1] });
        expectBounded(c);
      }), FUZZ);
  }, FUZZ_TIMEOUT_MS);

  it(`arbitrary JSON (${FUZZ.numRuns} cases)`, () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 3 }), parseCase), FUZZ);
  }, FUZZ_TIMEOUT_MS);

  it(`mutated valid configs: any field replaced or removed, huge numbers included (${FUZZ.numRuns} cases)`, () => {
    const editArb = fc.record({ key: fc.constantFrom(...KEYS), value: nastyJsonArb, remove: fc.boolean() });
    fc.assert(fc.property(fc.constantFrom(LLAMA, QWEN2), fc.array(editArb, { minLength: 1, maxLength: 5 }), (base, edits) => {
      let json: unknown = base;
      for (const e of edits) json = mutateAt(json, [e.key], e.value, e.remove);
      parseCase(json);
    }), FUZZ);
  }, FUZZ_TIMEOUT_MS);
});
