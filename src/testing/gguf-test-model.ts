// The generated test model (test-model.ts) converted to GGUF as llama.cpp's convert_hf_to_gguf.py
// would: its tensor names, its metadata keys, llama's q/k rows permuted for GGML's interleaved RoPE,
// 2-D weights in the chosen type and 1-D ones in F32. The naming and the permutation are written
// out here independently of src/model/gguf.ts, so the loader's inverse is tested against them.
import { GGUFValueType } from '@huggingface/gguf';
import { f32ArrayToBf16, f32ArrayToF16 } from '../model/half.ts';
import { quantize } from '../model/quant.ts';
import { llama3RopeFactors } from '../model/rope.ts';
import { SafetensorsFile } from '../model/safetensors.ts';
import { encodeGguf, gv, type GgufTensorToWrite, type GgufValue } from './gguf-writer.ts';
import { makeTestModelFiles, type ModelFiles, type TestModelOptions } from './test-model.ts';

export type TestGgufWeightType = 'F32' | 'F16' | 'BF16' | 'Q8_0' | 'Q4_0';

export interface TestGgufOptions extends Omit<TestModelOptions, 'dtype' | 'sharded'> {
  /** Type of the 2-D weights; norms and biases stay F32 as llama.cpp writes them. Default F32. */
  weightType?: TestGgufWeightType;
  /** tokenizer.ggml.pre. Default "llama-bpe", whose split matches the test tokenizer's on text without contractions. */
  pre?: string;
  /** Metadata to add or replace; undefined removes a key. */
  metadata?: Readonly<Record<string, GgufValue | undefined>>;
  /** Changes the tensor list before it is written (types, dims, names, extra tensors). */
  editTensors?: (tensors: GgufTensorToWrite[]) => GgufTensorToWrite[];
}

export interface TestGguf {
  /** The .gguf file. */
  gguf: Uint8Array;
  /** The HF directory it was converted from. */
  files: ModelFiles;
  /** What was written, for tests that re-encode an edited copy. */
  metadata: Record<string, GgufValue>;
  tensors: GgufTensorToWrite[];
}

/** gguf-py's tensor names for the HF ones (MODEL_TENSOR / TensorNameMap). */
const LAYER_NAMES: Readonly<Record<string, string>> = {
  'input_layernorm.weight': 'attn_norm.weight',
  'self_attn.q_proj.weight': 'attn_q.weight', 'self_attn.k_proj.weight': 'attn_k.weight', 'self_attn.v_proj.weight': 'attn_v.weight',
  'self_attn.q_proj.bias': 'attn_q.bias', 'self_attn.k_proj.bias': 'attn_k.bias', 'self_attn.v_proj.bias': 'attn_v.bias',
  'self_attn.o_proj.weight': 'attn_output.weight',
  'post_attention_layernorm.weight': 'ffn_norm.weight',
  'mlp.gate_proj.weight': 'ffn_gate.weight', 'mlp.up_proj.weight': 'ffn_up.weight', 'mlp.down_proj.weight': 'ffn_down.weight',
};

function ggufName(hf: string): string {
  if (hf === 'model.embed_tokens.weight') return 'token_embd.weight';
  if (hf === 'model.norm.weight') return 'output_norm.weight';
  if (hf === 'lm_head.weight') return 'output.weight';
  const m = /^model\.layers\.(\d+)\.(.+)$/.exec(hf);
  const part = m ? LAYER_NAMES[m[2]!] : undefined;
  if (!part) throw new Error(`gguf-test-model: no GGUF name for ${hf}`);
  return `blk.${m![1]}.${part}`;
}

/**
 * convert_hf_to_gguf.py's LlamaModel.permute on rows [out, in] of f32 values:
 * w.reshape(heads, 2, out / heads / 2, in).swapaxes(1, 2).reshape(out, in).
 */
export function permuteRows(values: Float32Array, rows: number, heads: number): Float32Array {
  const cols = values.length / rows;
  const half = rows / heads / 2;
  const out = new Float32Array(values.length);
  let dst = 0;
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) {
        const src = (h * 2 * half + j * half + i) * cols; // element [h, j, i] of the reshaped source
        out.set(values.subarray(src, src + cols), dst);
        dst += cols;
      }
    }
  }
  return out;
}

/** Values in `type`'s bytes. */
export function encodeAs(type: TestGgufWeightType, values: Float32Array): Uint8Array {
  switch (type) {
    case 'F32': return new Uint8Array(values.slice().buffer);
    case 'F16': return new Uint8Array(f32ArrayToF16(values).buffer);
    case 'BF16': return new Uint8Array(f32ArrayToBf16(values).buffer);
    default: return quantize(type, values);
  }
}

export function makeTestGguf(options: TestGgufOptions = {}): TestGguf {
  return ggufFromHfFiles(makeTestModelFiles({ ...options, dtype: 'F32' }), options);
}

/**
 * Converts an HF folder's files (config.json, tokenizer.json, one model.safetensors of a llama or
 * qwen2 model with a byte-level BPE tokenizer) to GGUF: the generated test model, or the shipped
 * one in another tensor type.
 */
export function ggufFromHfFiles(files: ModelFiles, options: Pick<TestGgufOptions, 'weightType' | 'pre' | 'metadata' | 'editTensors'> = {}): TestGguf {
  const json = (name: string) => JSON.parse(new TextDecoder().decode(files[name])) as Record<string, unknown>;
  const config = json('config.json');
  const tokenizer = json('tokenizer.json');
  const arch = config['model_type'] as 'llama' | 'qwen2';
  const heads = config['num_attention_heads'] as number;
  const kvHeads = config['num_key_value_heads'] as number;
  const hidden = config['hidden_size'] as number;

  // Tokens by id: the BPE vocab, the added (special) tokens, and [PAD<i>] up to vocab_size as the converter pads.
  const vocabSize = config['vocab_size'] as number;
  const tokens: string[] = Array.from({ length: vocabSize }, (_, i) => `[PAD${i}]`);
  const tokenTypes: number[] = new Array<number>(vocabSize).fill(5); // UNUSED, as the converter marks padding
  for (const [content, id] of Object.entries((tokenizer['model'] as { vocab: Record<string, number> }).vocab)) {
    tokens[id] = content;
    tokenTypes[id] = 1; // NORMAL
  }
  for (const t of tokenizer['added_tokens'] as { id: number; content: string; special: boolean }[]) {
    tokens[t.id] = t.content;
    tokenTypes[t.id] = t.special ? 3 : 4; // CONTROL : USER_DEFINED
  }
  // tokenizer.json writes a merge as "a b" or, since tokenizers 0.20, as ["a", "b"]; GGUF as "a b".
  const merges = (tokenizer['model'] as { merges: (string | [string, string])[] }).merges.map((m) => (Array.isArray(m) ? m.join(' ') : m));

  const metadata: Record<string, GgufValue> = {
    'general.architecture': gv.str(arch),
    'general.name': gv.str(`spark test ${arch}`),
    [`${arch}.block_count`]: gv.u32(config['num_hidden_layers'] as number),
    [`${arch}.context_length`]: gv.u32(config['max_position_embeddings'] as number),
    [`${arch}.embedding_length`]: gv.u32(hidden),
    [`${arch}.feed_forward_length`]: gv.u32(config['intermediate_size'] as number),
    [`${arch}.attention.head_count`]: gv.u32(heads),
    [`${arch}.attention.head_count_kv`]: gv.u32(kvHeads),
    [`${arch}.rope.freq_base`]: gv.f32(config['rope_theta'] as number),
    [`${arch}.rope.dimension_count`]: gv.u32(hidden / heads),
    [`${arch}.attention.layer_norm_rms_epsilon`]: gv.f32(config['rms_norm_eps'] as number),
    'tokenizer.ggml.model': gv.str('gpt2'),
    'tokenizer.ggml.pre': gv.str(options.pre ?? 'llama-bpe'),
    'tokenizer.ggml.tokens': gv.array(GGUFValueType.STRING, tokens),
    'tokenizer.ggml.token_type': gv.array(GGUFValueType.INT32, tokenTypes),
    'tokenizer.ggml.merges': gv.array(GGUFValueType.STRING, merges),
    'tokenizer.ggml.eos_token_id': gv.u32(config['eos_token_id'] as number),
  };
  for (const [key, value] of Object.entries(options.metadata ?? {})) {
    if (value === undefined) delete metadata[key];
    else metadata[key] = value;
  }

  const st = SafetensorsFile.parse(files['model.safetensors']!);
  const weightType = options.weightType ?? 'F32';
  let tensors: GgufTensorToWrite[] = st.names().map((name) => {
    const t = st.tensor(name);
    let values = t.toF32();
    if (arch === 'llama' && name.endsWith('self_attn.q_proj.weight')) values = permuteRows(values, t.shape[0]!, heads);
    if (arch === 'llama' && name.endsWith('self_attn.k_proj.weight')) values = permuteRows(values, t.shape[0]!, kvHeads);
    const type = t.shape.length === 2 ? weightType : 'F32';
    return { name: ggufName(name), type, dims: [...t.shape].reverse(), bytes: encodeAs(type, values) };
  });
  // Llama 3's RoPE scaling: the converter writes the per-pair divisors as a tensor (LlamaModel.generate_extra_tensors).
  const scaling = config['rope_scaling'] as Record<string, number | string> | null;
  if (scaling && (scaling['rope_type'] ?? scaling['type']) === 'llama3') {
    const factors = llama3RopeFactors(hidden / heads, config['rope_theta'] as number, {
      factor: scaling['factor'] as number, lowFreqFactor: scaling['low_freq_factor'] as number,
      highFreqFactor: scaling['high_freq_factor'] as number, originalMaxPositions: scaling['original_max_position_embeddings'] as number,
    });
    tensors.push({ name: 'rope_freqs.weight', type: 'F32', dims: [factors.length], bytes: new Uint8Array(new Float32Array(factors).buffer) });
  }
  if (options.editTensors) tensors = options.editTensors(tensors);
  return { gguf: encodeGguf(metadata, tensors), files, metadata, tensors };
}
