// The model hyper-parameters the engine understands, parsed from a Hugging Face config.json.
// Every field the engine reads is here; fields that would change the maths and that the engine
// does not implement are rejected by name (see parseModelConfig), never silently ignored. Every
// size is bounded by MODEL_LIMITS before anything is sized by it.
import { checkLimit, type ModelLimit } from './limits.ts';
import { llama3RopeFactors } from './rope.ts';

export type Architecture = 'LlamaForCausalLM' | 'Qwen2ForCausalLM';

/**
 * The order of a fill-in-the-middle prompt, as the model was trained (see prompt.ts).
 * config.json "fim_order"; absent means 'psm', which StarCoder and Qwen2.5-Coder expect. spark-nano
 * says 'spm' (training/export.py FIM_ORDER has the measurement behind it).
 */
export type FimOrder = 'psm' | 'spm';
export const FIM_ORDERS: readonly FimOrder[] = ['psm', 'spm'];

export interface ModelConfig {
  architecture: Architecture;
  vocabSize: number;
  hiddenSize: number; // d_model
  intermediateSize: number; // SwiGLU hidden width
  numLayers: number;
  numHeads: number; // query heads
  numKvHeads: number; // key/value heads (GQA: numHeads % numKvHeads === 0)
  headDim: number; // hiddenSize / numHeads unless config.head_dim says otherwise
  rmsNormEps: number;
  ropeTheta: number;
  /**
   * Linear RoPE scaling (position interpolation, DeepSeek-Coder's factor 4): positions are divided
   * by this before the rotation. 1 means plain RoPE.
   */
  ropeLinearFactor: number;
  /**
   * Llama 3's RoPE scaling: one divisor per rotated pair (headDim / 2), from config.json's
   * rope_scaling or a GGUF's rope_freqs.weight (model/rope.ts). Absent: none.
   */
  ropeFreqFactors?: number[];
  maxPositionEmbeddings: number;
  tieWordEmbeddings: boolean;
  attentionBias: boolean; // q/k/v projections carry a bias (Qwen2: always true)
  bosTokenId?: number;
  eosTokenIds: number[];
  fimOrder: FimOrder;
}

export const SUPPORTED_ARCHITECTURES: readonly Architecture[] = ['LlamaForCausalLM', 'Qwen2ForCausalLM'];

/** Raised for a config.json the engine cannot run exactly; `field` names the offending key. */
export class UnsupportedConfigError extends Error {
  constructor(readonly field: string, detail: string) {
    super(`config.json: unsupported ${field}: ${detail}`);
    this.name = 'UnsupportedConfigError';
  }
}

type Json = Record<string, unknown>;

/**
 * Parses a Hugging Face config.json (LlamaForCausalLM or Qwen2ForCausalLM) into a ModelConfig.
 * Defaults follow transformers' LlamaConfig / Qwen2Config. Anything that would change the maths
 * and that the engine does not implement throws UnsupportedConfigError naming the field.
 */
export function parseModelConfig(json: unknown): ModelConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new Error('config.json: expected a JSON object');
  }
  const c = json as Json;
  const architecture = parseArchitecture(c);
  const isQwen2 = architecture === 'Qwen2ForCausalLM';

  const vocabSize = positiveInt(c, 'vocab_size', 'vocabSize');
  const hiddenSize = positiveInt(c, 'hidden_size', 'hiddenSize');
  const intermediateSize = positiveInt(c, 'intermediate_size', 'intermediateSize');
  const numLayers = positiveInt(c, 'num_hidden_layers', 'numLayers');
  const numHeads = positiveInt(c, 'num_attention_heads', 'numHeads');
  const numKvHeads = c['num_key_value_heads'] == null ? numHeads : positiveInt(c, 'num_key_value_heads', 'numHeads');
  if (numHeads % numKvHeads !== 0) {
    throw new UnsupportedConfigError('num_key_value_heads',
      `${numKvHeads} does not divide num_attention_heads ${numHeads} (grouped-query attention needs whole groups)`);
  }
  let headDim: number;
  if (c['head_dim'] == null) {
    if (hiddenSize % numHeads !== 0) {
      throw new UnsupportedConfigError('num_attention_heads', `hidden_size ${hiddenSize} is not a multiple of ${numHeads} heads and no head_dim is given`);
    }
    headDim = hiddenSize / numHeads;
  } else {
    headDim = positiveInt(c, 'head_dim', 'headDim');
  }
  if (headDim % 2 !== 0) throw new UnsupportedConfigError('head_dim', `${headDim} is odd; rotary embeddings rotate pairs`);
  checkLimit('config.json', 'num_attention_heads × head_dim', numHeads * headDim, 'attentionWidth');

  rejectUnsupportedMaths(c, isQwen2);

  const eos = c['eos_token_id'];
  const eosTokenIds = eos == null ? [] : (Array.isArray(eos) ? eos : [eos]).map((v, i) => {
    if (!Number.isInteger(v) || (v as number) < 0) throw new Error(`config.json: eos_token_id[${i}] must be a non-negative integer, got ${JSON.stringify(v)}`);
    if ((v as number) >= vocabSize) throw new Error(`config.json: eos_token_id[${i}] ${v} is not below vocab_size ${vocabSize}`);
    return v as number;
  });
  const bos = c['bos_token_id'];
  if (bos != null && (!Number.isInteger(bos) || (bos as number) < 0)) {
    throw new Error(`config.json: bos_token_id must be a non-negative integer, got ${JSON.stringify(bos)}`);
  }
  if (bos != null && (bos as number) >= vocabSize) throw new Error(`config.json: bos_token_id ${bos} is not below vocab_size ${vocabSize}`);

  const theta = ropeTheta(c);
  const config: ModelConfig = {
    architecture,
    vocabSize,
    hiddenSize,
    intermediateSize,
    numLayers,
    numHeads,
    numKvHeads,
    headDim,
    rmsNormEps: positiveNumber(c, 'rms_norm_eps', 1e-6),
    ropeTheta: theta,
    ...ropeScaling(c, headDim, theta),
    maxPositionEmbeddings: c['max_position_embeddings'] == null ? (isQwen2 ? 32768 : 2048) : positiveInt(c, 'max_position_embeddings', 'maxPositionEmbeddings'),
    tieWordEmbeddings: bool(c, 'tie_word_embeddings', false),
    attentionBias: isQwen2, // Qwen2 always has q/k/v bias; Llama's attention_bias is rejected above
    eosTokenIds,
    fimOrder: fimOrder(c),
  };
  if (bos != null) config.bosTokenId = bos as number;
  return config;
}

function fimOrder(c: Json): FimOrder {
  const order = c['fim_order'] ?? 'psm';
  if (!FIM_ORDERS.includes(order as FimOrder)) {
    throw new Error(`config.json: fim_order must be one of ${FIM_ORDERS.map((o) => `"${o}"`).join(', ')}, got ${JSON.stringify(order)}`);
  }
  return order as FimOrder;
}

function parseArchitecture(c: Json): Architecture {
  const archs = c['architectures'];
  if (!Array.isArray(archs) || archs.length === 0) {
    throw new UnsupportedConfigError('architectures', `missing or empty (supported: ${SUPPORTED_ARCHITECTURES.join(', ')})`);
  }
  if (archs.length > 1) throw new UnsupportedConfigError('architectures', `several architectures listed: ${archs.join(', ')}`);
  const arch = archs[0];
  if (!SUPPORTED_ARCHITECTURES.includes(arch as Architecture)) {
    throw new UnsupportedConfigError('architectures', `${JSON.stringify(arch)} (supported: ${SUPPORTED_ARCHITECTURES.join(', ')})`);
  }
  return arch as Architecture;
}

/** Fields whose non-default values change the forward pass in ways the engine does not implement. */
function rejectUnsupportedMaths(c: Json, isQwen2: boolean): void {
  const act = c['hidden_act'] ?? 'silu';
  if (act !== 'silu') throw new UnsupportedConfigError('hidden_act', `${JSON.stringify(act)} (only "silu" — SwiGLU — is implemented)`);
  if (c['rope_scaling'] != null && !ROPE_SCALINGS.includes(ropeScalingType(c['rope_scaling']) as string)) {
    throw new UnsupportedConfigError('rope_scaling', `${JSON.stringify(c['rope_scaling'])} (plain, linear and llama3 RoPE are implemented)`);
  }
  // transformers >= 4.56 may put RoPE settings in rope_parameters instead.
  const ropeParams = c['rope_parameters'];
  if (ropeParams != null) {
    const type = (ropeParams as Json)['rope_type'] ?? 'default';
    if (type !== 'default' && !ROPE_SCALINGS.includes(type as string)) {
      throw new UnsupportedConfigError('rope_parameters.rope_type', `${JSON.stringify(type)} (only "default", "linear" and "llama3" RoPE are implemented)`);
    }
  }
  if (c['partial_rotary_factor'] != null && c['partial_rotary_factor'] !== 1) {
    throw new UnsupportedConfigError('partial_rotary_factor', `${String(c['partial_rotary_factor'])} (only full rotary embeddings)`);
  }
  // SmolLM2-style configs say rope_interleaved: false (HF rotate_half); true is the GPT-J pairing.
  if (c['rope_interleaved'] === true) throw new UnsupportedConfigError('rope_interleaved', 'true (only the rotate_half RoPE layout is implemented)');
  const tp = c['pretraining_tp'];
  if (tp != null && tp !== 1) throw new UnsupportedConfigError('pretraining_tp', `${String(tp)} (only 1 is supported)`);
  if (c['quantization_config'] != null) throw new UnsupportedConfigError('quantization_config', 'quantized checkpoints are not supported; use f32, f16 or bf16 weights');
  if (!isQwen2) {
    if (c['attention_bias'] === true) throw new UnsupportedConfigError('attention_bias', 'true (Llama projections with bias are not implemented)');
    if (c['mlp_bias'] === true) throw new UnsupportedConfigError('mlp_bias', 'true (MLP projections with bias are not implemented)');
  }
  if (c['use_sliding_window'] === true) {
    throw new UnsupportedConfigError('use_sliding_window', 'true (sliding-window attention is not implemented)');
  }
  const layerTypes = c['layer_types'];
  if (Array.isArray(layerTypes)) {
    const other = layerTypes.find((t) => t !== 'full_attention');
    if (other !== undefined) throw new UnsupportedConfigError('layer_types', `${JSON.stringify(other)} (only "full_attention" layers are implemented)`);
  }
}

/** A rope_scaling object's kind: its `type` (older configs) or `rope_type`. */
const ropeScalingType = (s: unknown): unknown => (typeof s === 'object' && s !== null ? (s as Json)['type'] ?? (s as Json)['rope_type'] : undefined);

/** The RoPE scalings the engine implements (model/rope.ts). */
const ROPE_SCALINGS = ['linear', 'llama3'];

/** config.json's RoPE scaling (rope_scaling, or rope_parameters in transformers >= 4.56) as the engine applies it. */
function ropeScaling(c: Json, headDim: number, theta: number): Pick<ModelConfig, 'ropeLinearFactor' | 'ropeFreqFactors'> {
  const params = c['rope_parameters'] as Json | undefined;
  const inScaling = c['rope_scaling'] != null;
  const scaling = inScaling ? c['rope_scaling'] as Json : params && ROPE_SCALINGS.includes(params['rope_type'] as string) ? params : undefined;
  if (!scaling) return { ropeLinearFactor: 1 };
  const where = inScaling ? 'rope_scaling' : 'rope_parameters';
  const num = (field: string, ok: (v: number) => boolean, what: string): number => {
    const v = scaling[field];
    if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) throw new Error(`config.json: ${where}.${field} must be ${what}, got ${JSON.stringify(v)}`);
    return v;
  };
  const factor = num('factor', (v) => v >= 1 && v <= 1024, `a number from 1 to 1024 for ${String(ropeScalingType(scaling))} RoPE scaling`);
  if (ropeScalingType(scaling) === 'linear') return { ropeLinearFactor: factor };
  const lowFreqFactor = num('low_freq_factor', (v) => v > 0, 'a positive number');
  const highFreqFactor = num('high_freq_factor', (v) => v > lowFreqFactor, `a number above low_freq_factor (${lowFreqFactor})`);
  const originalMaxPositions = num('original_max_position_embeddings', (v) => Number.isInteger(v) && v > 0, 'a positive integer');
  return { ropeLinearFactor: 1, ropeFreqFactors: llama3RopeFactors(headDim, theta, { factor, lowFreqFactor, highFreqFactor, originalMaxPositions }) };
}

function ropeTheta(c: Json): number {
  if (c['rope_theta'] != null) return positiveNumber(c, 'rope_theta', 10000);
  const params = c['rope_parameters'] as Json | undefined;
  if (params && params['rope_theta'] != null) return positiveNumber(params, 'rope_theta', 10000);
  return 10000;
}

function positiveInt(c: Json, field: string, limit: ModelLimit): number {
  const v = c[field];
  if (v == null) throw new Error(`config.json: missing required field ${field}`);
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new Error(`config.json: ${field} must be a positive integer, got ${JSON.stringify(v)}`);
  }
  checkLimit('config.json', field, v, limit);
  return v;
}

function positiveNumber(c: Json, field: string, fallback: number): number {
  const v = c[field];
  if (v == null) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new Error(`config.json: ${field} must be a positive number, got ${JSON.stringify(v)}`);
  }
  return v;
}

function bool(c: Json, field: string, fallback: boolean): boolean {
  const v = c[field];
  if (v == null) return fallback;
  if (typeof v !== 'boolean') throw new Error(`config.json: ${field} must be true or false, got ${JSON.stringify(v)}`);
  return v;
}
