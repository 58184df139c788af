// Random-weight GGUF models with the head layouts of the real families Spark targets, narrowed and
// shortened, in each GGUF tensor type Spark reads, for tests against llama.cpp:
//   llama: SmolLM2's layout (head dim 64, 3 query heads per kv head), untied lm_head;
//   qwen2: Qwen2.5-Coder-1.5B's layout (head dim 128, 6 query heads per kv head), q/k/v biases,
//          tied embeddings;
//   deepseek: DeepSeek-Coder-1.3B's (llama, head dim 128, as many kv heads as query heads, RoPE
//          theta 100000 with linear scaling ×4), untied lm_head;
//   llama3: Llama-3.2-1B's (head dim 64, 4 query heads per kv head, theta 500000, tied embeddings)
//          with Llama 3's RoPE scaling (factor 32, low/high frequency factors 1 and 4), its original
//          context cut from 8192 to 64 so the scaling changes the rotation at the test's short
//          positions too (at 8192 it would touch only angles the prompts never reach); its prompts
//          start with BOS (tokenizer.ggml.add_bos_token).
// Every K dimension (hidden 768, intermediate 512) is a multiple of 256, so K-quants are legal.
// The weights' scales come from test-model.ts, chosen there so logits spread over several units.
import { makeTestGguf, encodeAs } from './gguf-test-model.ts';
import { gv, type GgufTensorToWrite, type GgufValue } from './gguf-writer.ts';
import { quantize } from '../model/quant.ts';
import { quantizeK } from './k-quants.ts';
import type { TestModelOptions } from './test-model.ts';

export type GgufFamily = 'llama' | 'qwen2' | 'deepseek' | 'llama3';

/** A file's tensor types: one type for every 2-D weight, or Q4_K_M's mix. */
export type GgufFileType = 'F32' | 'F16' | 'Q8_0' | 'Q4_0' | 'Q4_K_M';

export const GGUF_FILE_TYPES: readonly GgufFileType[] = ['F32', 'F16', 'Q8_0', 'Q4_0', 'Q4_K_M'];

export const FAMILY_LAYOUTS: Readonly<Record<GgufFamily, TestModelOptions & { pre: string; metadata?: Readonly<Record<string, GgufValue>> }>> = {
  llama: { architecture: 'LlamaForCausalLM', hiddenSize: 768, numHeads: 12, numKvHeads: 4, intermediateSize: 512, numLayers: 2, seed: 11, pre: 'llama-bpe' },
  qwen2: { architecture: 'Qwen2ForCausalLM', hiddenSize: 768, numHeads: 6, numKvHeads: 1, intermediateSize: 512, numLayers: 2, seed: 12, tieWordEmbeddings: true, pre: 'qwen2' },
  deepseek: {
    architecture: 'LlamaForCausalLM', hiddenSize: 768, numHeads: 6, numKvHeads: 6, intermediateSize: 512, numLayers: 2, seed: 13, ropeTheta: 100000, pre: 'deepseek-coder',
    metadata: {
      'llama.rope.scaling.type': gv.str('linear'), 'llama.rope.scaling.factor': gv.f32(4),
      // DeepSeek-Coder's prompts start with BOS (<｜begin▁of▁sentence｜>), as its converted GGUFs say.
      'tokenizer.ggml.bos_token_id': gv.u32(0), 'tokenizer.ggml.add_bos_token': gv.bool(true),
    },
  },
  llama3: {
    architecture: 'LlamaForCausalLM', hiddenSize: 768, numHeads: 12, numKvHeads: 3, intermediateSize: 512, numLayers: 2, seed: 15, ropeTheta: 500000,
    tieWordEmbeddings: true, pre: 'llama-bpe', ropeLlama3: { factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 64 },
    // Llama 3's prompts start with BOS, as its converted GGUFs say.
    metadata: { 'tokenizer.ggml.bos_token_id': gv.u32(0), 'tokenizer.ggml.add_bos_token': gv.bool(true) },
  },
};

/**
 * Q4_K_M as llama.cpp's quantizer mixes it, simplified: Q6_K for ffn_down and the output matrix
 * (token_embd when tied, since it is the output then), Q4_K for every other 2-D weight.
 */
function q4kmType(name: string, tied: boolean): 'Q4_K' | 'Q6_K' {
  if (name.endsWith('ffn_down.weight') || name === 'output.weight') return 'Q6_K';
  return tied && name === 'token_embd.weight' ? 'Q6_K' : 'Q4_K';
}

/** The 2-D weights in `type`; norms and biases stay F32 as llama.cpp's converter writes them. */
export function makeFamilyGguf(family: GgufFamily, type: GgufFileType): Uint8Array {
  const { pre, metadata, ...layout } = FAMILY_LAYOUTS[family];
  const tied = layout.tieWordEmbeddings ?? false;
  const encode = (t: GgufTensorToWrite): GgufTensorToWrite => {
    if (t.dims.length !== 2) return t;
    const values = new Float32Array(t.bytes.slice().buffer);
    if (type === 'Q4_K_M') {
      const k = q4kmType(t.name, tied);
      return { ...t, type: k, bytes: quantizeK(k, values) };
    }
    return { ...t, type, bytes: encodeAs(type, values) };
  };
  return makeTestGguf({ ...layout, pre, ...(metadata ? { metadata } : {}), weightType: 'F32', editTensors: (tensors) => tensors.map(encode) }).gguf;
}

/** llama.cpp's use_more_bits: the layers whose attn_v / ffn_down a _M recipe keeps in Q6_K. */
const moreBits = (layer: number, layers: number): boolean =>
  layer < Math.trunc(layers / 8) || layer >= Math.trunc((7 * layers) / 8) || (layer - Math.trunc(layers / 8)) % 3 === 2;

/**
 * Q4_K_M as llama.cpp's llama_tensor_get_type writes it for a llama / qwen2 file: Q6_K for the
 * output matrix (token_embd when tied) and for attn_v and ffn_down of the use_more_bits layers,
 * Q4_K for every other 2-D weight; a matrix whose rows are not whole 256-value blocks falls back as
 * llama.cpp's does (Q4_K → Q5_0, Q6_K → Q8_0). So a small model, the shipped one included, gets
 * the mix of Q4_K, Q6_K, Q5_0 and Q8_0 a real file of a 0.5B model has. `tensors` are F32.
 */
export function asQ4KM(tensors: readonly GgufTensorToWrite[], layers: number): GgufTensorToWrite[] {
  const tied = !tensors.some((t) => t.name === 'output.weight');
  return tensors.map((t) => {
    if (t.dims.length !== 2) return t;
    const layer = Number(/^blk\.(\d+)\./.exec(t.name)?.[1] ?? -1);
    const output = t.name === 'output.weight' || (tied && t.name === 'token_embd.weight');
    const moreBitsPart = /\.(attn_v|ffn_down)\.weight$/.test(t.name) && moreBits(layer, layers);
    const wanted = output || moreBitsPart ? 'Q6_K' : 'Q4_K';
    const values = new Float32Array(t.bytes.slice().buffer);
    if (t.dims[0]! % 256 === 0) return { ...t, type: wanted, bytes: quantizeK(wanted, values) };
    const fallback = wanted === 'Q4_K' ? 'Q5_0' : 'Q8_0';
    return { ...t, type: fallback, bytes: quantize(fallback, values) };
  });
}
