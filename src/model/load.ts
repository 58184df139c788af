// Loads a Hugging Face-layout model directory into memory: config.json, tokenizer.json
// (+ tokenizer_config.json if present), and model.safetensors or model.safetensors.index.json with
// its shards. Every tensor the forward pass needs is checked against the config (shape, dtype,
// finite values) before returning; tensors it does not read are kept only if they are floats, so
// an int64 position_ids buffer or a u8 mask some checkpoints carry does not stop a load.
import { parseModelConfig, type ModelConfig } from './config.ts';
import { firstNonFinite } from './finite.ts';
import { urlFetcher, type ModelFileFetcher } from './model-files.ts';
import { parseShardIndex, SafetensorsFile } from './safetensors.ts';
import { BYTES_PER_ELEMENT, type WeightTensor } from './tensor.ts';
import { ModelTokenizer } from './tokenizer.ts';
import { expectedWeightShapes, parameterCount, validateWeights } from './weights.ts';

export interface LoadedModel {
  config: ModelConfig;
  tokenizer: ModelTokenizer;
  /** HF tensor names → tensors (views into the downloaded files; nothing decoded yet). */
  weights: ReadonlyMap<string, WeightTensor>;
  /** Where it came from (URL or a label), for the UI. */
  source: string;
  /** Bytes of weight files downloaded. */
  weightBytes: number;
}

export interface LoadProgress {
  file: string;
  loadedBytes: number;
  /** From Content-Length; undefined when the server does not say. */
  totalBytes?: number;
}

export interface LoadOptions {
  onProgress?: (p: LoadProgress) => void;
  signal?: AbortSignal;
  /** Label for `source` when loading through a custom fetcher. */
  label?: string;
}

/** source: a base URL of the model directory, or a fetcher (e.g. memoryFetcher for tests). */
export async function loadModel(source: string | ModelFileFetcher, options: LoadOptions = {}): Promise<LoadedModel> {
  const fetchFile = typeof source === 'string' ? urlFetcher(source) : source;
  const label = typeof source === 'string' ? source : (options.label ?? 'in-memory model');
  const get = (name: string) => fetchBytes(fetchFile, name, options);
  const getJson = async (name: string) => parseJson(name, await get(name));

  const configBytes = await get('config.json');
  if (!configBytes) throw new Error(`${label}: config.json not found`);
  const config = parseModelConfig(parseJson('config.json', configBytes));

  const tokenizerJson = await getJson('tokenizer.json');
  if (tokenizerJson === undefined) throw new Error(`${label}: tokenizer.json not found`);
  const tokenizer = ModelTokenizer.fromJson(tokenizerJson, (await getJson('tokenizer_config.json')) ?? {}, { vocabSize: config.vocabSize });
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
  checkParameterBytes(config, weightBytes);

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
  return { config, tokenizer, weights, source: label, weightBytes };
}

/**
 * The weight files must hold at least 16 bits per parameter the config describes: a config that
 * promises more than was downloaded fails here, by the numbers, before anything is parsed.
 */
function checkParameterBytes(config: ModelConfig, weightBytes: number): void {
  const params = parameterCount(config);
  const minBytes = params * Math.min(...Object.values(BYTES_PER_ELEMENT));
  if (weightBytes < minBytes) {
    throw new Error(`config.json: describes ${params} parameters (at least ${minBytes} bytes at 16 bits) but the weight files hold ${weightBytes} bytes`);
  }
}

/** The file's bytes, or undefined on 404; other HTTP errors throw. Reports progress as it streams. */
async function fetchBytes(fetchFile: ModelFileFetcher, name: string, options: LoadOptions): Promise<Uint8Array | undefined> {
  const res = await fetchFile(name, options.signal);
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`${name}: HTTP ${res.status} ${res.statusText}`);
  // Content-Length counts encoded bytes; with gzip etc. it says nothing about the body we read.
  const header = res.headers.get('content-length');
  const encoding = res.headers.get('content-encoding');
  const identity = encoding === null || encoding === 'identity';
  const totalBytes = identity && header !== null && /^\d+$/.test(header) ? Number(header) : undefined;
  const report = (loadedBytes: number) => options.onProgress?.({ file: name, loadedBytes, ...(totalBytes !== undefined ? { totalBytes } : {}) });
  if (!res.body) {
    const bytes = new Uint8Array(await res.arrayBuffer());
    report(bytes.byteLength);
    return bytes;
  }
  const reader = res.body.getReader();
  // With a known size, stream straight into one buffer: a 1 GB checkpoint must not need 2 GB.
  const whole = totalBytes !== undefined ? new Uint8Array(totalBytes) : undefined;
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  report(0);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (whole) {
      if (loaded + value.byteLength > whole.byteLength) throw new Error(`${name}: server sent more than its Content-Length of ${totalBytes} bytes`);
      whole.set(value, loaded);
    } else {
      chunks.push(value);
    }
    loaded += value.byteLength;
    report(loaded);
  }
  if (whole) {
    if (loaded !== whole.byteLength) throw new Error(`${name}: truncated download, got ${loaded} of ${totalBytes} bytes`);
    return whole;
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.byteLength; }
  return out;
}

function parseJson(name: string, bytes: Uint8Array | undefined): unknown {
  if (!bytes) return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new Error(`${name}: not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}
