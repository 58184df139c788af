// How much work a model directory may ask of the loader, defined once. Each number bounds a field
// that sizes a loop or an allocation (layers, widths, vocabulary, header entries), so a hostile or
// broken file fails in milliseconds with the field, its value and the limit, instead of after
// minutes and gigabytes. The bounds sit well above every checkpoint a browser can run (Llama 3.1
// 405B: 126 layers, hidden 16384, 128 heads, vocab 128256; Gemma: vocab 256000), so they never
// refuse a real model: they only refuse work no real model needs.

export const MODEL_LIMITS = Object.freeze({
  /** config.json num_hidden_layers. */
  numLayers: 512,
  /** config.json hidden_size. */
  hiddenSize: 32_768,
  /** config.json intermediate_size (the SwiGLU width). */
  intermediateSize: 131_072,
  /** config.json num_attention_heads and num_key_value_heads. */
  numHeads: 1024,
  /** config.json head_dim. */
  headDim: 2048,
  /** num_attention_heads × head_dim: the q projection's width, and with the kv heads the KV cache per position. */
  attentionWidth: 65_536,
  /** config.json vocab_size; every token id in tokenizer.json must also be below vocab_size. */
  vocabSize: 1 << 20,
  /** config.json max_position_embeddings (the backends' KV cache is capped far lower). */
  maxPositionEmbeddings: 1 << 24,
  /** Bytes of one safetensors JSON header (a 65,536-entry header is about 8 MB). */
  safetensorsHeaderBytes: 32 << 20,
  /** Tensors listed in one safetensors header. */
  safetensorsEntries: 65_536,
  /** Tensors listed in one GGUF header. */
  ggufTensors: 65_536,
  /** Metadata entries (key/value pairs) in one GGUF header; real files have about 30 to 60. */
  ggufMetadataEntries: 4096,
  /** Dimensions of one tensor's shape. */
  tensorRank: 8,
  /** Rendering one chat template: interpreter steps (an expression, a statement or a loop item each). */
  templateSteps: 100_000,
  /** Rendering one chat template: wall-clock milliseconds. */
  templateMs: 250,
  /** Rendering one chat template: characters in any one string it builds (the prompt included). */
  templateChars: 8 << 20,
  /** Rendering one chat template: items of one range() or of any list it builds. */
  templateRange: 4096,
});

export type ModelLimit = keyof typeof MODEL_LIMITS;

/** `${where}: ${field} ${value} is more than ${limit}` when value exceeds the named limit. */
export function checkLimit(where: string, field: string, value: number, limit: ModelLimit): void {
  if (value > MODEL_LIMITS[limit]) throw new Error(`${where}: ${field} ${value} is more than ${MODEL_LIMITS[limit]}`);
}

/**
 * The model cache (model/cache/): a downloaded file is stored in chunks of this many bytes, so no
 * step of a download or a cached read holds more than one chunk (a 600 MB model never needs one
 * 600 MB buffer), and a resumed download loses at most the chunk it was writing.
 */
export const CACHE_CHUNK_BYTES = 16 << 20;
