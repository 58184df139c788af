import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../../../model/config.ts';
import { loadModel } from '../../../../model/load.ts';
import { WeightTensor } from '../../../../model/tensor.ts';
import { TEST_MODEL_VARIANTS, testModelFetcher } from '../../../../testing/test-model.ts';
import { ReferenceModel } from './forward.ts';

const tensor = (name: string, shape: number[], values: number[]) =>
  [name, new WeightTensor(name, 'F32', shape, new Uint8Array(Float32Array.from(values).buffer))] as const;

/** Largest |a - b| relative to the largest |b|. */
function maxRelDiff(a: Float32Array, b: Float32Array): number {
  let diff = 0, scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}

describe('ReferenceModel, a hand-checked tiny case', () => {
  // D = 2, one head of size 2, one layer, vocab 3. q_proj = 0 makes every attention score 0, so
  // attention is the plain mean of the visible v rows; v_proj = o_proj = identity; MLP = 0.
  const config: ModelConfig = {
    architecture: 'LlamaForCausalLM', vocabSize: 3, hiddenSize: 2, intermediateSize: 1, numLayers: 1,
    numHeads: 1, numKvHeads: 1, headDim: 2, rmsNormEps: 0, ropeTheta: 10000, ropeLinearFactor: 1, maxPositionEmbeddings: 8,
    tieWordEmbeddings: false, attentionBias: false, eosTokenIds: [], fimOrder: 'psm',
  };
  const weights = new Map([
    tensor('model.embed_tokens.weight', [3, 2], [3, 4, 1, 0, 0, 1]),
    tensor('model.layers.0.input_layernorm.weight', [2], [1, 1]),
    tensor('model.layers.0.self_attn.q_proj.weight', [2, 2], [0, 0, 0, 0]),
    tensor('model.layers.0.self_attn.k_proj.weight', [2, 2], [1, 0, 0, 1]),
    tensor('model.layers.0.self_attn.v_proj.weight', [2, 2], [1, 0, 0, 1]),
    tensor('model.layers.0.self_attn.o_proj.weight', [2, 2], [1, 0, 0, 1]),
    tensor('model.layers.0.post_attention_layernorm.weight', [2], [1, 1]),
    tensor('model.layers.0.mlp.gate_proj.weight', [1, 2], [0, 0]),
    tensor('model.layers.0.mlp.up_proj.weight', [1, 2], [0, 0]),
    tensor('model.layers.0.mlp.down_proj.weight', [2, 1], [0, 0]),
    tensor('model.norm.weight', [2], [1, 1]),
    tensor('lm_head.weight', [3, 2], [1, 0, 0, 1, 1, 1]),
  ]);

  it('matches logits worked out by hand', () => {
    const model = new ReferenceModel(config, weights);
    const logits = model.forward([0, 1], 0); // [2, 3]
    // Token 0: x = [3, 4]; n = x / sqrt(12.5); attention of one position returns v = n;
    // h = x + n = x (1 + 1/sqrt(12.5)), which normalises back to n; logits = [n0, n1, n0 + n1].
    const n0 = 3 / Math.sqrt(12.5), n1 = 4 / Math.sqrt(12.5);
    // Token 1: x = [1, 0]; its n = [sqrt 2, 0]; attention = mean of v rows = ([n0, n1] + [sqrt 2, 0]) / 2.
    const h = [1 + (n0 + Math.SQRT2) / 2, n1 / 2];
    const rms = Math.sqrt((h[0]! ** 2 + h[1]! ** 2) / 2);
    const expected = [n0, n1, n0 + n1, h[0]! / rms, h[1]! / rms, (h[0]! + h[1]!) / rms];
    expect([...logits].map((v) => +v.toFixed(5))).toEqual(expected.map((v) => +v.toFixed(5)));
    expect(model.cachedLength).toBe(2);
    const last = model.forward([0, 1], 0, { logits: 'last' });
    expect([...last].map((v) => +v.toFixed(5))).toEqual(expected.slice(3).map((v) => +v.toFixed(5)));
  });
});

describe.each(['llama', 'qwen2-tied', 'qwen2-untied-bf16'] as const)('ReferenceModel on test model %s', (variant) => {
  const ids = [7, 42, 300, 5, 99, 123, 18, 250, 64, 11];

  it('gives the same logits for one batched pass and for token-by-token decoding', async () => {
    const loaded = await loadModel(testModelFetcher(TEST_MODEL_VARIANTS[variant]));
    const batched = ReferenceModel.fromLoaded(loaded).forward(ids, 0); // [T, V]
    const incremental = ReferenceModel.fromLoaded(loaded);
    const v = loaded.config.vocabSize;
    ids.forEach((id, pos) => {
      const row = incremental.forward([id], pos);
      expect(maxRelDiff(row, batched.subarray(pos * v, (pos + 1) * v)), `position ${pos}`).toBeLessThan(1e-5);
    });
    // Logits are spread (not near-uniform): argmax comparisons between backends are meaningful.
    const first = batched.subarray(0, v);
    expect(Math.max(...first) - Math.min(...first)).toBeGreaterThan(5);
  });

  it('rewinds: truncating and re-running a different suffix equals a fresh run', async () => {
    const loaded = await loadModel(testModelFetcher(TEST_MODEL_VARIANTS[variant]));
    const model = ReferenceModel.fromLoaded(loaded, 16);
    model.forward(ids, 0);
    const reused = model.forward([1, 2, 3], 4, { logits: 'last' });
    const fresh = ReferenceModel.fromLoaded(loaded).forward([...ids.slice(0, 4), 1, 2, 3], 0, { logits: 'last' });
    expect(maxRelDiff(reused, fresh)).toBeLessThan(1e-5);
    expect(model.cachedLength).toBe(7);
    expect(() => model.forward([1], 9)).toThrow(/startPos 9 outside/);
    expect(() => model.forward(Array.from({ length: 10 }, () => 1), 7)).toThrow(/capacity of 16/);
  });
});
