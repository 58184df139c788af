// Loads a Hugging Face-layout model directory into memory: config.json, tokenizer.json
// (+ tokenizer_config.json if present), and model.safetensors or model.safetensors.index.json with
// its shards. Every tensor the forward pass needs is checked against the config (shape, dtype,
// finite values) before returning; tensors it does not read are kept only if they are floats, so
// an int64 position_ids buffer or a u8 mask some checkpoints carry does not stop a load.
import { parseModelConfig, type ModelConfig } from './config.ts';
import { firstNonFinite } from './finite.ts';
import { loadGguf } from './gguf.ts';
import { fetchBytes, ggufFileName, urlFetcher, type ModelFileFetcher } from './model-files.ts';
import { parseShardIndex, SafetensorsFile } from './safetensors.ts';
import { BYTES_PER_ELEMENT, type WeightDtype, type WeightTensor } from './tensor.ts';
import { ModelTokenizer } from './tokenizer.ts';
import { checkParameterBytes, expectedWeightShapes, validateWeights } from './weights.ts';

export interface LoadedModel {
  config: ModelConfig;
  tokenizer: ModelTokenizer;
  /** HF tensor names → tensors (views into the downloaded files; nothing decoded yet). */
  weights: ReadonlyMap<string, WeightTensor>;
  /** Where it came from (URL or a label), for the UI. */
  source: string;
  /** Bytes of weight files downloaded. */
  weightBytes: number;
  /**
   * tokenizer_config.json's settings (special token strings, an instruct model's chat template):
   * an HF folder's file, or what a GGUF's metadata says; undefined when a folder has none.
   */
  tokenizerConfig?: Record<string, unknown>;
}

export interface LoadProgress {
  file: string;
  loadedBytes: number;
  /** From Content-Length; undefined when the server does not say. */
  totalBytes?: number;
  /** While a download runs (model/cache/): its speed over this attempt, and the time left at that speed. */
  bytesPerSecond?: number;
  etaSeconds?: number;
  /** True when the file is read from the model cache, false while it downloads into it. */
  fromCache?: boolean;
}

export interface LoadOptions {
  onProgress?: (p: LoadProgress) => void;
  signal?: AbortSignal;
  /** Label for `source` when loading through a custom fetcher. */
  label?: string;
}

/**
 * source: a base URL of the model directory, or a fetcher (e.g. memoryFetcher for tests). A source
 * (or, with a fetcher, a label) naming a .gguf file loads that one GGUF file through the fetcher
 * instead (see gguf.ts); the engine passes its URL as the label, and urlFetcher resolves a .gguf
 * URL's own name to itself.
 */
export async function loadModel(source: string | ModelFileFetcher, options: LoadOptions = {}): Promise<LoadedModel> {
  const fetchFile = typeof source === 'string' ? urlFetcher(source) : source;
  const label = typeof source === 'string' ? source : (options.label ?? 'in-memory model');
  const gguf = ggufFileName(label);
  if (gguf !== undefined) return loadGguf(fetchFile, { ...options, label, fileName: gguf });
  const get = (name: string) => fetchBytes(fetchFile, name, options);
  const getJson = async (name: string) => parseJson(name, await get(name));

  const configBytes = await get('config.json');
  if (!configBytes) throw new Error(`${label}: config.json not found`);
  const config = parseModelConfig(parseJson('config.json', configBytes));

  const tokenizerJson = await getJson('tokenizer.json');
  if (tokenizerJson === undefined) throw new Error(`${label}: tokenizer.json not found`);
  const tokenizerConfigJson = await getJson('tokenizer_config.json');
  const tokenizerConfig = typeof tokenizerConfigJson === 'object' && tokenizerConfigJson !== null && !Array.isArray(tokenizerConfigJson)
    ? tokenizerConfigJson as Record<string, unknown> : undefined;
  const tokenizer = ModelTokenizer.fromJson(tokenizerJson, tokenizerConfig ?? {}, { vocabSize: config.vocabSize });
  if (tokenizer.vocabSize > config.vocabSize) {
    throw new Error(`${label}: tokenizer has ${tokenizer.vocabSize} tokens but config.json vocab_size is ${config.vocabSize}`);
  }

  const shards = new Map<string, Uint8Array>();
  const single = await get('model.safetensors');
  let weightMap: ReadonlyMap<string, string> | undefined;
  if (single) {
    shards.set('model.safetensors', single);
  } else {
    const index = await getJson('model.safetensors.index.json');
    if (index === undefined) throw new Error(`${label}: neither model.safetensors nor model.safetensors.index.json found`);
    const parsed = parseShardIndex(index);
    weightMap = parsed.weightMap;
    for (const shard of parsed.files) {
      const bytes = await get(shard);
      if (!bytes) throw new Error(`${label}: shard ${shard} (listed in model.safetensors.index.json) not found`);
      shards.set(shard, bytes);
    }
  }
  const weightBytes = [...shards.values()].reduce((sum, b) => sum + b.byteLength, 0);
  checkParameterBytes('config.json', config, weightBytes, Object.keys(BYTES_PER_ELEMENT) as WeightDtype[]);

  const used = expectedWeightShapes(config);
  const weights = new Map<string, WeightTensor>();
  for (const [shard, bytes] of shards) {
    const file = SafetensorsFile.parse(bytes, shard);
    const names = weightMap ? [...weightMap].filter(([, inFile]) => inFile === shard).map(([name]) => name) : file.names();
    for (const name of names) {
      const dtype = file.entries.get(name)?.dtype;
      // A missing tensor falls through to file.tensor, which names it.
      if (!used.has(name) && dtype !== undefined && !(dtype in BYTES_PER_ELEMENT)) continue;
      const tensor = file.tensor(name);
      if (used.has(name)) {
        const bad = firstNonFinite(tensor);
        if (bad) throw new Error(`${shard}: tensor ${name} holds ${bad.kind} (element ${bad.index} of ${tensor.size})`);
      }
      weights.set(name, tensor);
    }
  }
  validateWeights(config, weights);
  return { config, tokenizer, weights, source: label, weightBytes, ...(tokenizerConfig ? { tokenizerConfig } : {}) };
}

function parseJson(name: string, bytes: Uint8Array | undefined): unknown {
  if (!bytes) return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new Error(`${name}: not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}
