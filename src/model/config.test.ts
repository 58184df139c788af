import { describe, expect, it } from 'vitest';
import { parseModelConfig, UnsupportedConfigError } from './config.ts';

const llama = {
  architectures: ['LlamaForCausalLM'], model_type: 'llama',
  vocab_size: 300, hidden_size: 72, intermediate_size: 200, num_hidden_layers: 2,
  num_attention_heads: 6, num_key_value_heads: 2, rms_norm_eps: 1e-5, rope_theta: 500000,
  max_position_embeddings: 512, tie_word_embeddings: true, hidden_act: 'silu',
  rope_scaling: null, attention_bias: false, mlp_bias: false, pretraining_tp: 1,
  bos_token_id: 1, eos_token_id: [2, 3],
};
const qwen2 = {
  architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2',
  vocab_size: 151936, hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 24,
  num_attention_heads: 14, num_key_value_heads: 2, rms_norm_eps: 1e-6, rope_theta: 1000000,
  max_position_embeddings: 32768, tie_word_embeddings: true, hidden_act: 'silu',
  use_sliding_window: false, sliding_window: 32768, max_window_layers: 21,
  bos_token_id: 151643, eos_token_id: 151643,
};

const expectUnsupported = (json: object, field: string) => {
  let caught: unknown;
  try { parseModelConfig(json); } catch (err) { caught = err; }
  expect(caught).toBeInstanceOf(UnsupportedConfigError);
  expect((caught as UnsupportedConfigError).field).toBe(field);
  expect((caught as Error).message).toContain(field);
};

describe('parseModelConfig', () => {
  it('parses a Llama config with GQA and an awkward head count', () => {
    expect(parseModelConfig(llama)).toEqual({
      architecture: 'LlamaForCausalLM', vocabSize: 300, hiddenSize: 72, intermediateSize: 200,
      numLayers: 2, numHeads: 6, numKvHeads: 2, headDim: 12, rmsNormEps: 1e-5, ropeTheta: 500000, ropeLinearFactor: 1,
      maxPositionEmbeddings: 512, tieWordEmbeddings: true, attentionBias: false, bosTokenId: 1, eosTokenIds: [2, 3],
      fimOrder: 'psm',
    });
  });

  it('parses a Qwen2.5-Coder-0.5B style config: always q/k/v bias, sliding window present but off', () => {
    const c = parseModelConfig(qwen2);
    expect(c.architecture).toBe('Qwen2ForCausalLM');
    expect(c.attentionBias).toBe(true);
    expect(c.headDim).toBe(64);
    expect(c.eosTokenIds).toEqual([151643]);
    expect(c.ropeTheta).toBe(1000000);
  });

  it('applies transformers defaults for missing optional fields', () => {
    const { num_key_value_heads: _a, rope_theta: _b, rms_norm_eps: _c, tie_word_embeddings: _d, eos_token_id: _e, bos_token_id: _f, ...bare } = llama;
    const c = parseModelConfig(bare);
    expect(c.numKvHeads).toBe(6);
    expect(c.ropeTheta).toBe(10000);
    expect(c.rmsNormEps).toBe(1e-6);
    expect(c.tieWordEmbeddings).toBe(false);
    expect(c.eosTokenIds).toEqual([]);
    expect(c.bosTokenId).toBeUndefined();
  });

  it('reads the FIM prompt order, PSM when absent, and rejects an unknown one by name', () => {
    expect(parseModelConfig({ ...llama, fim_order: 'spm' }).fimOrder).toBe('spm');
    expect(parseModelConfig({ ...llama, fim_order: 'psm' }).fimOrder).toBe('psm');
    expect(() => parseModelConfig({ ...llama, fim_order: 'middle-first' })).toThrow(/fim_order must be one of "psm", "spm", got "middle-first"/);
  });

  it('honours an explicit head_dim and rope_parameters.rope_theta', () => {
    const { rope_theta: _t, ...rest } = llama;
    const c = parseModelConfig({ ...rest, head_dim: 16, rope_parameters: { rope_type: 'default', rope_theta: 1234 } });
    expect(c.headDim).toBe(16);
    expect(c.ropeTheta).toBe(1234);
  });

  it('reads linear RoPE scaling (DeepSeek-Coder\'s factor 4), in either spelling; a bad factor is named', () => {
    expect(parseModelConfig({ ...llama, rope_scaling: { type: 'linear', factor: 4 } }).ropeLinearFactor).toBe(4);
    expect(parseModelConfig({ ...llama, rope_scaling: { rope_type: 'linear', factor: 2 } }).ropeLinearFactor).toBe(2);
    expect(parseModelConfig({ ...llama, rope_parameters: { rope_type: 'linear', factor: 3, rope_theta: 10000 } }).ropeLinearFactor).toBe(3);
    expect(parseModelConfig(llama).ropeLinearFactor).toBe(1);
    expect(() => parseModelConfig({ ...llama, rope_scaling: { type: 'linear' } })).toThrow('config.json: rope_scaling.factor must be a number from 1 to 1024 for linear RoPE scaling, got undefined');
    expect(() => parseModelConfig({ ...llama, rope_scaling: { type: 'linear', factor: 0.5 } })).toThrow(/rope_scaling\.factor must be a number from 1 to 1024/);
  });

  it("reads Llama 3's RoPE scaling: one factor per pair, as transformers computes them; a bad parameter is named", () => {
    // Llama-3.2-1B's rope_scaling, on a head of 64 (32 pairs) with its theta 500000.
    const scaling = { rope_type: 'llama3', factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 };
    const c = parseModelConfig({ ...llama, hidden_size: 384, num_attention_heads: 6, num_key_value_heads: 2, rope_theta: 500000, rope_scaling: scaling });
    expect(c.ropeLinearFactor).toBe(1);
    const f = c.ropeFreqFactors!;
    expect(f).toHaveLength(32);
    // High frequencies (wavelength under 8192 / 4 = 2048 positions) unchanged, low ones (over 8192) divided by 32, a blend between.
    const wavelength = (i: number) => 2 * Math.PI * Math.pow(500000, (2 * i) / 64);
    f.forEach((factor, i) => {
      if (wavelength(i) < 2048) expect(factor, `pair ${i}`).toBe(1);
      else if (wavelength(i) > 8192) expect(factor, `pair ${i}`).toBe(32);
      else expect(factor, `pair ${i}`).toBeGreaterThan(1);
    });
    expect(f.filter((x) => x === 1).length).toBeGreaterThan(10);
    expect(f.filter((x) => x === 32).length).toBeGreaterThan(10);
    expect(f.slice(1).every((x, i) => x >= f[i]!)).toBe(true); // monotone in the wavelength
    expect(parseModelConfig({ ...llama, rope_parameters: { ...scaling, rope_theta: 500000 } }).ropeFreqFactors).toHaveLength(6);
    expect(parseModelConfig(llama).ropeFreqFactors).toBeUndefined();
    expect(() => parseModelConfig({ ...llama, rope_scaling: { rope_type: 'llama3', factor: 8 } }))
      .toThrow('config.json: rope_scaling.low_freq_factor must be a positive number, got undefined');
    expect(() => parseModelConfig({ ...llama, rope_scaling: { ...scaling, high_freq_factor: 0.5 } })).toThrow(/rope_scaling\.high_freq_factor must be a number above low_freq_factor/);
  });

  it('rejects every unsupported field by name', () => {
    expectUnsupported({ ...llama, architectures: ['MistralForCausalLM'] }, 'architectures');
    expectUnsupported({ ...llama, architectures: undefined }, 'architectures');
    expectUnsupported({ ...llama, rope_scaling: { type: 'yarn', factor: 4 } }, 'rope_scaling');
    expectUnsupported({ ...llama, rope_scaling: { rope_type: 'longrope', factor: 8 } }, 'rope_scaling');
    expectUnsupported({ ...llama, rope_parameters: { rope_type: 'yarn', factor: 4 } }, 'rope_parameters.rope_type');
    expectUnsupported({ ...llama, hidden_act: 'gelu' }, 'hidden_act');
    expectUnsupported({ ...llama, rope_interleaved: true }, 'rope_interleaved');
    expectUnsupported({ ...llama, attention_bias: true }, 'attention_bias');
    expectUnsupported({ ...llama, mlp_bias: true }, 'mlp_bias');
    expectUnsupported({ ...llama, pretraining_tp: 2 }, 'pretraining_tp');
    expectUnsupported({ ...llama, num_key_value_heads: 4 }, 'num_key_value_heads');
    expectUnsupported({ ...qwen2, use_sliding_window: true }, 'use_sliding_window');
    expectUnsupported({ ...qwen2, layer_types: ['full_attention', 'sliding_attention'] }, 'layer_types');
    expectUnsupported({ ...llama, quantization_config: { quant_method: 'gptq' } }, 'quantization_config');
    expectUnsupported({ ...llama, head_dim: 13 }, 'head_dim');
    expectUnsupported({ ...llama, hidden_size: 70 }, 'num_attention_heads');
  });

  it('rejects malformed values with the field name', () => {
    expect(() => parseModelConfig({ ...llama, hidden_size: 0 })).toThrow(/hidden_size/);
    expect(() => parseModelConfig({ ...llama, vocab_size: undefined })).toThrow(/missing required field vocab_size/);
    expect(() => parseModelConfig({ ...llama, rms_norm_eps: 'x' })).toThrow(/rms_norm_eps/);
    expect(() => parseModelConfig({ ...llama, eos_token_id: [2, -1] })).toThrow(/eos_token_id/);
    expect(() => parseModelConfig([])).toThrow(/JSON object/);
  });
});
