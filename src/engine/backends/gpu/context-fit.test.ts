// The KV cache is sized from the model and the memory: at real sizes (Qwen2.5-Coder's configs, a
// 32k window), with and without a memory budget, and with a forced small buffer limit.
import { describe, expect, it } from 'vitest';
import { parseModelConfig, type ModelConfig } from '../../../model/config.ts';
import { CONTEXT_TOKENS, defaultContext, KV_CACHE_BYTES } from '../../api/limits.ts';
import { kvBytesPerPosition } from '../backend.ts';
import { buildModelPlan } from '../plan/model-plan.ts';
import { contextFor, estimateGpuMemory, gpuModelSizes } from './memory.ts';

/** The published config.json fields of Qwen2.5-Coder-0.5B and -1.5B. */
const QWEN_CODER: Record<string, Record<string, unknown>> = {
  '0.5B': { hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 24, num_attention_heads: 14, num_key_value_heads: 2, vocab_size: 151936, tie_word_embeddings: true },
  '1.5B': { hidden_size: 1536, intermediate_size: 8960, num_hidden_layers: 28, num_attention_heads: 12, num_key_value_heads: 2, vocab_size: 151936, tie_word_embeddings: true },
};
const qwen = (size: string): ModelConfig => parseModelConfig({
  architectures: ['Qwen2ForCausalLM'], max_position_embeddings: 32768, rope_theta: 1e6, rms_norm_eps: 1e-6, ...QWEN_CODER[size],
});

const GIB = 2 ** 30;
const LIMITS = { maxBufferSize: 4 * GIB, maxStorageBufferBindingSize: 2 * GIB };

function estimator(c: ModelConfig) {
  const plan = buildModelPlan(c, 'q8_0');
  return (context: number) => estimateGpuMemory(c, plan, gpuModelSizes(c, {}, LIMITS.maxStorageBufferBindingSize, context)).total;
}

describe('the context a model gets', () => {
  it('K and V per position, from the config', () => {
    expect(kvBytesPerPosition(qwen('0.5B'))).toBe(24 * 2 * 2 * 64 * 4);
    expect(kvBytesPerPosition(qwen('1.5B'))).toBe(28 * 2 * 2 * 128 * 4);
  });

  it('without a budget: the model window, as far as KV_CACHE_BYTES of K and V reach', () => {
    for (const size of ['0.5B', '1.5B']) {
      const c = qwen(size);
      const context = contextFor(c, undefined, estimator(c), LIMITS);
      expect(context).toBe(Math.floor(KV_CACHE_BYTES / kvBytesPerPosition(c)));
      expect(context).toBeLessThan(32768);
      expect(context * kvBytesPerPosition(c)).toBeLessThanOrEqual(KV_CACHE_BYTES);
    }
    expect(contextFor(qwen('0.5B'), undefined, estimator(qwen('0.5B')), LIMITS)).toBe(21845);
    // A small model gets its whole window.
    expect(defaultContext(1024, 4 * 2 * 4 * 32 * 4)).toBe(1024);
  });

  it('with a budget: the most positions whose whole estimate fits, up to the model window', () => {
    const c = qwen('0.5B');
    const total = estimator(c);
    expect(contextFor(c, 8 * GIB, total, LIMITS)).toBe(32768);
    for (const budget of [total(1000) + 123, total(5000), total(20000) - 1]) {
      const context = contextFor(c, budget, total, LIMITS);
      expect(total(context)).toBeLessThanOrEqual(budget);
      expect(total(context + 1)).toBeGreaterThan(budget);
    }
    // Nothing fits: the minimum, which the load then refuses with the numbers.
    expect(contextFor(c, total(2) - 1, total, LIMITS)).toBe(CONTEXT_TOKENS.min);
  });

  it('one layer of K must fit a buffer: a forced small limit caps the context', () => {
    const c = qwen('1.5B');
    const small = { maxBufferSize: 4 * GIB, maxStorageBufferBindingSize: 2 * 2 ** 20 };
    const perLayer = kvBytesPerPosition(c) / (2 * c.numLayers);
    const context = contextFor(c, 8 * GIB, estimator(c), small);
    expect(context).toBe(Math.floor(small.maxStorageBufferBindingSize / perLayer));
    expect(context * perLayer).toBeLessThanOrEqual(small.maxStorageBufferBindingSize);
  });

  it('prefill passes are bounded, so activations do not grow with a long context', () => {
    const c = qwen('0.5B');
    const total = estimator(c);
    const kv = (n: number) => n * (kvBytesPerPosition(c) + c.headDim * 4);
    expect(total(32768) - total(16384)).toBe(kv(32768) - kv(16384));
  });
});
