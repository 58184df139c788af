// The Hugging Face tensor names and shapes of a Llama / Qwen2 checkpoint, derived from the config,
// so a checkpoint is validated tensor by tensor before anything runs.
import type { ModelConfig } from './config.ts';
import { BLOCK, isQuantType } from './quant.ts';
import { BYTES_PER_ELEMENT, type TensorType, type WeightTensor } from './tensor.ts';

export const EMBED_TOKENS = 'model.embed_tokens.weight';
export const FINAL_NORM = 'model.norm.weight';
export const LM_HEAD = 'lm_head.weight';

export type LayerWeight =
  | 'self_attn.q_proj.weight' | 'self_attn.k_proj.weight' | 'self_attn.v_proj.weight' | 'self_attn.o_proj.weight'
  | 'self_attn.q_proj.bias' | 'self_attn.k_proj.bias' | 'self_attn.v_proj.bias'
  | 'mlp.gate_proj.weight' | 'mlp.up_proj.weight' | 'mlp.down_proj.weight'
  | 'input_layernorm.weight' | 'post_attention_layernorm.weight';

export const layerWeightName = (layer: number, part: LayerWeight): string => `model.layers.${layer}.${part}`;

/** The tensor that produces logits: lm_head.weight, or the embedding table when tied. [V, D] */
export const outputWeightName = (config: ModelConfig): string => (config.tieWordEmbeddings ? EMBED_TOKENS : LM_HEAD);

/** Every tensor the forward pass reads, with its shape ([out, in] for projections, nn.Linear layout). */
export function expectedWeightShapes(config: ModelConfig): Map<string, number[]> {
  const { vocabSize: v, hiddenSize: d, intermediateSize: i, numHeads: h, numKvHeads: hkv, headDim: dh } = config;
  const shapes = new Map<string, number[]>([[EMBED_TOKENS, [v, d]]]);
  for (let l = 0; l < config.numLayers; l++) {
    const set = (part: LayerWeight, shape: number[]) => shapes.set(layerWeightName(l, part), shape);
    set('input_layernorm.weight', [d]);
    set('self_attn.q_proj.weight', [h * dh, d]);
    set('self_attn.k_proj.weight', [hkv * dh, d]);
    set('self_attn.v_proj.weight', [hkv * dh, d]);
    if (config.attentionBias) {
      set('self_attn.q_proj.bias', [h * dh]);
      set('self_attn.k_proj.bias', [hkv * dh]);
      set('self_attn.v_proj.bias', [hkv * dh]);
    }
    set('self_attn.o_proj.weight', [d, h * dh]);
    set('post_attention_layernorm.weight', [d]);
    set('mlp.gate_proj.weight', [i, d]);
    set('mlp.up_proj.weight', [i, d]);
    set('mlp.down_proj.weight', [d, i]);
  }
  shapes.set(FINAL_NORM, [d]);
  if (!config.tieWordEmbeddings) shapes.set(LM_HEAD, [v, d]);
  return shapes;
}

/** Weights the forward pass reads, counted from the config alone (no allocation). */
export function parameterCount(config: ModelConfig): number {
  const { vocabSize: v, hiddenSize: d, intermediateSize: i, numHeads: h, numKvHeads: hkv, headDim: dh } = config;
  const attention = d * h * dh * 2 + d * hkv * dh * 2 + (config.attentionBias ? h * dh + 2 * hkv * dh : 0);
  const perLayer = 2 * d + attention + 3 * d * i;
  return v * d * (config.tieWordEmbeddings ? 1 : 2) + config.numLayers * perLayer + d;
}

/** Bytes one weight takes in `type`, on average (a quantized block's scales included). */
export function bytesPerWeight(type: TensorType): number {
  return isQuantType(type) ? BLOCK[type].bytes / BLOCK[type].elements : BYTES_PER_ELEMENT[type];
}

/**
 * The weight files must hold at least the config's parameters at the smallest size any of `types`
 * (the tensor types the files can hold) gives a weight: a config that promises more than was
 * downloaded fails here, by the numbers, before anything is parsed.
 */
export function checkParameterBytes(where: string, config: ModelConfig, weightBytes: number, types: Iterable<TensorType>): void {
  const params = parameterCount(config);
  const perWeight = Math.min(...[...types].map(bytesPerWeight));
  const minBytes = Math.floor(params * perWeight);
  if (weightBytes < minBytes) {
    throw new Error(`${where}: describes ${params} parameters (at least ${minBytes} bytes at ${perWeight * 8} bits) but the weight files hold ${weightBytes} bytes`);
  }
}

/** Throws one error listing every missing tensor and shape mismatch (up to a readable limit). */
export function validateWeights(config: ModelConfig, weights: ReadonlyMap<string, WeightTensor>): void {
  const problems: string[] = [];
  for (const [name, shape] of expectedWeightShapes(config)) {
    const t = weights.get(name);
    if (!t) problems.push(`missing tensor ${name} [${shape.join(', ')}]`);
    else if (t.shape.length !== shape.length || t.shape.some((dim, k) => dim !== shape[k])) {
      problems.push(`tensor ${name} has shape [${t.shape.join(', ')}], config says [${shape.join(', ')}]`);
    }
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 8);
    if (problems.length > shown.length) shown.push(`... and ${problems.length - shown.length} more`);
    throw new Error(`checkpoint does not match config.json:\n  ${shown.join('\n  ')}`);
  }
}
