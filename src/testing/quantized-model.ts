// A loaded model with its matrices re-stored as GGML blocks, as a GGUF of that type would hold
// them (norms and biases stay f32, as in llama.cpp's files). Both backends then read the same
// blocks: the CPU reference dequantizes them, the GPU keeps them quantized.
import type { LoadedModel } from '../model/load.ts';
import { BLOCK, quantize, type QuantType } from '../model/quant.ts';
import { WeightTensor } from '../model/tensor.ts';
import { randomBlocks } from './random-blocks.ts';

const isMatrix = (name: string, t: WeightTensor) => t.shape.length === 2 && name.endsWith('.weight') && !name.includes('norm');

/** Q8_0/Q4_0: the model's own weights through ggml's reference quantizers. */
export function quantizeMatrices(model: LoadedModel, type: 'Q8_0' | 'Q4_0'): LoadedModel {
  return mapMatrices(model, (name, t) => new WeightTensor(name, type, t.shape, quantize(type, t.toF32())));
}

/**
 * Any block type, K-quants included (no quantizer for them here): every matrix becomes random
 * blocks of that type (weights within about ±1, seeded per tensor), so a forward pass exercises
 * every decode path. Not a trained model: for comparing backends, not for judging output.
 */
export function randomBlockMatrices(model: LoadedModel, type: QuantType | ((name: string) => QuantType)): LoadedModel {
  let seed = 0;
  return mapMatrices(model, (name, t) => {
    const q = typeof type === 'function' ? type(name) : type;
    return new WeightTensor(name, q, t.shape, randomBlocks(q, t.size / BLOCK[q].elements, ++seed * 7919));
  });
}

/**
 * The tensor types of a Q4_K_M file as llama.cpp mixes them: Q4_K, with Q6_K for the output and,
 * in some layers (here layer 0), for attn_v and ffn_down.
 */
export const q4kmTypes = (name: string): QuantType =>
  name === 'lm_head.weight' || /^model\.layers\.0\.(self_attn\.v_proj|mlp\.down_proj)\./.test(name) ? 'Q6_K' : 'Q4_K';

/** The named tensors as f16 (what the GPU stores for a matrix it cannot keep in blocks). */
export function roundToF16(model: LoadedModel, names: readonly string[]): LoadedModel {
  const weights = new Map(model.weights);
  for (const name of names) {
    const t = model.weights.get(name);
    if (!t) throw new Error(`roundToF16: no tensor ${name}`);
    const bits = t.toF16Bits();
    weights.set(name, new WeightTensor(name, 'F16', t.shape, new Uint8Array(bits.buffer, bits.byteOffset, bits.byteLength)));
  }
  return { ...model, weights };
}

function mapMatrices(model: LoadedModel, f: (name: string, t: WeightTensor) => WeightTensor): LoadedModel {
  const weights = new Map<string, WeightTensor>();
  for (const [name, t] of model.weights) weights.set(name, isMatrix(name, t) ? f(name, t) : t);
  return { ...model, weights };
}
