// A small random-weight model generated in Hugging Face layout (config.json, tokenizer.json,
// tokenizer_config.json, model.safetensors or sharded), deterministic from a seed, for tests in
// Node and in the browser. Dimensions are deliberately awkward (72 = 6 heads × 12, 2 kv heads,
// intermediate 200, vocab 301) so kernels cannot lean on multiples of 16 or 64.
//
// Weight scales are chosen so logits spread over several units: with near-uniform logits the
// argmax would flip on rounding noise and greedy GPU-vs-CPU comparisons would be meaningless.
import type { Architecture } from '../model/config.ts';
import type { Llama3RopeScaling } from '../model/rope.ts';
import { memoryFetcher, type ModelFileFetcher } from '../model/model-files.ts';
import { encodeSafetensors, type TensorToWrite } from './safetensors-writer.ts';
import { SeededRandom } from './seeded-random.ts';
import type { WeightDtype } from '../model/tensor.ts';
import { buildTestTokenizer, type TestTokenizerFiles } from './test-tokenizer.ts';

export interface TestModelOptions {
  architecture?: Architecture; // default LlamaForCausalLM
  dtype?: WeightDtype; // default F32
  tieWordEmbeddings?: boolean; // default false
  seed?: number; // default 1
  hiddenSize?: number; // default 72
  numHeads?: number; // default 6
  numKvHeads?: number; // default 2
  intermediateSize?: number; // default 200
  numLayers?: number; // default 2
  /** BPE merges in the tokenizer; vocab = 5 specials + 256 bytes + merges. Default 40 → 301. */
  numMerges?: number;
  /** Extra embedding rows beyond the tokenizer (real checkpoints pad vocab_size). Default 0. */
  vocabPadding?: number;
  maxPositionEmbeddings?: number; // default 512
  ropeTheta?: number; // default 10000
  /** Linear RoPE scaling (rope_scaling {type: linear, factor}); default none. */
  ropeLinearFactor?: number;
  /** Llama 3's RoPE scaling (rope_scaling {rope_type: llama3, ...}); default none. */
  ropeLlama3?: Llama3RopeScaling;
  /** Split weights over two shards with model.safetensors.index.json. */
  sharded?: boolean;
  /** The tokenizer files instead of the generated one (real-tokenizers.ts), with the end-of-text id. */
  tokenizer?: TestTokenizerFiles & { eosTokenId: number };
}

/** Named variants the test suites share (the GPU tests use the same ones). */
export const TEST_MODEL_VARIANTS = {
  llama: { architecture: 'LlamaForCausalLM' },
  'llama-tied-f16': { architecture: 'LlamaForCausalLM', tieWordEmbeddings: true, dtype: 'F16', seed: 2 },
  'qwen2-tied': { architecture: 'Qwen2ForCausalLM', tieWordEmbeddings: true, seed: 3 },
  'qwen2-untied-bf16': { architecture: 'Qwen2ForCausalLM', tieWordEmbeddings: false, dtype: 'BF16', seed: 4, sharded: true },
  // DeepSeek-Coder's RoPE: positions divided by 4 before the rotation.
  'llama-linear-rope': { architecture: 'LlamaForCausalLM', ropeLinearFactor: 4, seed: 5 },
  // Llama 3's RoPE scaling, its original context cut to 64 so the scaling acts at short positions too.
  'llama3-rope': { architecture: 'LlamaForCausalLM', ropeTheta: 500000, ropeLlama3: { factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 64 }, seed: 6 },
} as const satisfies Record<string, TestModelOptions>;

export type TestModelVariant = keyof typeof TEST_MODEL_VARIANTS;

export type ModelFiles = Record<string, Uint8Array>;

/** Generates every file of the model directory. Same options → byte-identical files. */
export function makeTestModelFiles(options: TestModelOptions = {}): ModelFiles {
  const architecture = options.architecture ?? 'LlamaForCausalLM';
  const isQwen2 = architecture === 'Qwen2ForCausalLM';
  const d = options.hiddenSize ?? 72;
  const heads = options.numHeads ?? 6;
  const kvHeads = options.numKvHeads ?? 2;
  const inter = options.intermediateSize ?? 200;
  const layers = options.numLayers ?? 2;
  const tied = options.tieWordEmbeddings ?? false;
  const headDim = d / heads;
  if (!Number.isInteger(headDim)) throw new Error(`test model: hiddenSize ${d} is not a multiple of ${heads} heads`);

  const tokenizer = options.tokenizer ?? buildTestTokenizer(options.numMerges ?? 40);
  const vocab = tokenizer.vocabSize + (options.vocabPadding ?? 0);
  const config: Record<string, unknown> = {
    architectures: [architecture],
    model_type: isQwen2 ? 'qwen2' : 'llama',
    vocab_size: vocab,
    hidden_size: d,
    intermediate_size: inter,
    num_hidden_layers: layers,
    num_attention_heads: heads,
    num_key_value_heads: kvHeads,
    hidden_act: 'silu',
    max_position_embeddings: options.maxPositionEmbeddings ?? 512,
    rms_norm_eps: 1e-5,
    rope_theta: options.ropeTheta ?? 10000,
    rope_scaling: options.ropeLinearFactor !== undefined ? { type: 'linear', factor: options.ropeLinearFactor }
      : options.ropeLlama3 ? {
        rope_type: 'llama3', factor: options.ropeLlama3.factor, low_freq_factor: options.ropeLlama3.lowFreqFactor,
        high_freq_factor: options.ropeLlama3.highFreqFactor, original_max_position_embeddings: options.ropeLlama3.originalMaxPositions,
      } : null,
    tie_word_embeddings: tied,
    bos_token_id: null,
    eos_token_id: options.tokenizer?.eosTokenId ?? 0,
    torch_dtype: { F32: 'float32', F16: 'float16', BF16: 'bfloat16' }[options.dtype ?? 'F32'],
    ...(isQwen2
      ? { use_sliding_window: false, sliding_window: 4096, max_window_layers: layers }
      : { attention_bias: false, mlp_bias: false, pretraining_tp: 1 }),
  };

  const rng = new SeededRandom(options.seed ?? 1);
  const tensors: TensorToWrite[] = [];
  const add = (name: string, shape: number[], std: number, mean = 0) =>
    tensors.push({ name, shape, values: rng.normals(shape.reduce((a, b) => a * b, 1), std, mean) });
  const linear = (name: string, out: number, inp: number, gain = 1) => add(name, [out, inp], gain / Math.sqrt(inp));

  add('model.embed_tokens.weight', [vocab, d], tied ? 3 / Math.sqrt(d) : 1);
  for (let l = 0; l < layers; l++) {
    const p = `model.layers.${l}.`;
    add(`${p}input_layernorm.weight`, [d], 0.1, 1);
    linear(`${p}self_attn.q_proj.weight`, heads * headDim, d, 2); // gain 2: attention not uniform
    linear(`${p}self_attn.k_proj.weight`, kvHeads * headDim, d, 2);
    linear(`${p}self_attn.v_proj.weight`, kvHeads * headDim, d);
    if (isQwen2) {
      add(`${p}self_attn.q_proj.bias`, [heads * headDim], 0.5);
      add(`${p}self_attn.k_proj.bias`, [kvHeads * headDim], 0.5);
      add(`${p}self_attn.v_proj.bias`, [kvHeads * headDim], 0.5);
    }
    linear(`${p}self_attn.o_proj.weight`, d, heads * headDim);
    add(`${p}post_attention_layernorm.weight`, [d], 0.1, 1);
    linear(`${p}mlp.gate_proj.weight`, inter, d);
    linear(`${p}mlp.up_proj.weight`, inter, d);
    linear(`${p}mlp.down_proj.weight`, d, inter);
  }
  add('model.norm.weight', [d], 0.1, 1);
  if (!tied) linear('lm_head.weight', vocab, d, 3);

  const dtype = options.dtype ?? 'F32';
  const encoder = new TextEncoder();
  const files: ModelFiles = {
    'config.json': encoder.encode(JSON.stringify(config, null, 2)),
    'tokenizer.json': encoder.encode(JSON.stringify(tokenizer.tokenizerJson)),
    'tokenizer_config.json': encoder.encode(JSON.stringify(tokenizer.tokenizerConfigJson, null, 2)),
  };
  if (options.sharded) {
    const half = Math.ceil(tensors.length / 2);
    const shards = [tensors.slice(0, half), tensors.slice(half)];
    const weightMap: Record<string, string> = {};
    shards.forEach((shard, i) => {
      const name = `model-0000${i + 1}-of-00002.safetensors`;
      files[name] = encodeSafetensors(shard, dtype, { format: 'pt' });
      for (const t of shard) weightMap[t.name] = name;
    });
    files['model.safetensors.index.json'] = encoder.encode(JSON.stringify({ metadata: {}, weight_map: weightMap }, null, 2));
  } else {
    files['model.safetensors'] = encodeSafetensors(tensors, dtype, { format: 'pt' });
  }
  return files;
}

/** A fetcher for load.ts: `loadModel(testModelFetcher({...}))`. */
export function testModelFetcher(options: TestModelOptions = {}): ModelFileFetcher {
  return memoryFetcher(makeTestModelFiles(options));
}

/**
 * Serves the generated test model's files at `baseUrl` through globalThis.fetch, so code that
 * loads a model by URL (a reload after a restart, say) really loads it. Returns the undo.
 */
export function serveTestModel(baseUrl: string, files = makeTestModelFiles()): () => void {
  const original = globalThis.fetch;
  globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    if (!url.startsWith(baseUrl)) return original(input, init);
    const bytes = files[url.slice(baseUrl.length)];
    return bytes ? new Response(bytes.slice()) : new Response('missing', { status: 404 });
  }) as typeof fetch;
  return () => { globalThis.fetch = original; };
}
