import { describe, expect, it } from 'vitest';
import { parseModelConfig } from '../../../model/config.ts';
import type { TensorType } from '../../../model/tensor.ts';
import { checkGpuFit, estimateModelGpu } from './memory.ts';

// Qwen2.5-Coder-0.5B's config.json, as published.
const QWEN_CODER_05B = parseModelConfig({
  architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', vocab_size: 151936, hidden_size: 896, intermediate_size: 4864,
  num_hidden_layers: 24, num_attention_heads: 14, num_key_value_heads: 2, rms_norm_eps: 1e-6, rope_theta: 1000000,
  max_position_embeddings: 32768, tie_word_embeddings: true, hidden_act: 'silu', use_sliding_window: false,
  sliding_window: 32768, max_window_layers: 24, bos_token_id: 151643, eos_token_id: 151643, torch_dtype: 'bfloat16',
});
const PARAMS = 151936 * 896 + 24 * ((14 + 4) * 64 * 896 + 896 * 896 + 3 * 4864 * 896);
const MiB = 2 ** 20;
const all = (type: TensorType) => () => type;
const BIG = { maxBufferSize: 4 * 2 ** 30, maxStorageBufferBindingSize: 2 ** 30 };

describe('the GPU memory estimate before a download', () => {
  it('counts a bf16 checkpoint as f32 (its values decide f16 only at load) and a Q8_0 one as 34-byte blocks', () => {
    const f32 = estimateModelGpu(QWEN_CODER_05B, all('BF16'), { maxBindingBytes: BIG.maxStorageBufferBindingSize });
    expect(f32.formats.roles.qkv).toBe('f32');
    expect(f32.memory.weights).toBeGreaterThanOrEqual(PARAMS * 4);
    expect(f32.memory.weights).toBeLessThan(PARAMS * 4 * 1.02);
    // K and V of 24 layers × 21,845 positions (what KV_CACHE_BYTES holds of its 32k) × 2 KV heads × 64, f32.
    expect(f32.sizes.maxContext).toBe(21845);
    expect(f32.memory.kvCache).toBe(24 * 2 * 21845 * 2 * 64 * 4);
    expect(f32.memory.total).toBe(f32.memory.weights + f32.memory.kvCache + f32.memory.scratch);
    const f16 = estimateModelGpu(QWEN_CODER_05B, all('BF16'), { maxBindingBytes: BIG.maxStorageBufferBindingSize, bf16FitsF16: true });
    expect(f16.formats.roles.qkv).toBe('f16');
    const q8 = estimateModelGpu(QWEN_CODER_05B, all('Q8_0'), { maxBindingBytes: BIG.maxStorageBufferBindingSize });
    expect(q8.formats.roles.down).toBe('q8_0');
    expect(q8.memory.weights).toBeGreaterThanOrEqual((PARAMS / 32) * 34);
    expect(q8.memory.weights).toBeLessThan((PARAMS / 32) * 34 * 1.05);
  });

  it('fits a large adapter; at a forced small budget it does not fit, with the numbers', () => {
    const estimate = estimateModelGpu(QWEN_CODER_05B, all('Q8_0'), { maxBindingBytes: BIG.maxStorageBufferBindingSize });
    expect(checkGpuFit(estimate, BIG).fits).toBe(true);
    const small = checkGpuFit(estimate, { ...BIG, memoryBudgetBytes: 256 * MiB });
    expect(small.fits).toBe(false);
    if (small.fits) return;
    expect(small.reason).toBe(`needs ${(estimate.memory.total / MiB).toFixed(1)} MiB, this GPU allows 256.0 MiB`);
  });

  it('does not fit an adapter whose buffer limit is below the largest buffer that is not split', () => {
    const estimate = estimateModelGpu(QWEN_CODER_05B, all('Q8_0'), { maxBindingBytes: 64 * MiB });
    // The MLP activations for a 2048-token prefill pass (PREFILL_CHUNK_TOKENS): 2048 × 4864 × 4 bytes.
    expect(estimate.largestBuffer).toBe(2048 * 4864 * 4);
    const fit = checkGpuFit(estimate, { maxBufferSize: 32 * MiB, maxStorageBufferBindingSize: 32 * MiB });
    expect(fit).toMatchObject({ fits: false, reason: 'needs a 38.0 MiB buffer, this GPU allows 32.0 MiB per buffer' });
  });
});
