// Loads one GGUF file (llama.cpp's format) into the same LoadedModel that loadModel gives for a
// Hugging Face directory, so nothing past the loader knows the difference:
//   - metadata ({arch}.block_count, ...) becomes a config.json-shaped object that parseModelConfig
//     checks like any other (MODEL_LIMITS and the unsupported-maths rules included);
//   - tensor names map to HF names (token_embd.weight → model.embed_tokens.weight, ...) and GGUF's
//     dims (innermost first) to HF shapes ([out, in]);
//   - tokenizer.ggml.* becomes a tokenizer.json (gguf-tokenizer.ts).
// The file is read through a ByteReader (byte-reader.ts): the header first, then each tensor into
// its own buffer, so a dropped file is read from disk as needed and never held whole. llama's q/k
// projections are copied once more: llama.cpp's converter reorders their rows for its interleaved
// RoPE, and the engine runs HF's half-split RoPE, so those two go back into HF row order.
//
// The header is parsed by @huggingface/gguf, its range requests answered by the reader. Every
// count, offset and size it reports is checked here before anything is sized by it: a hostile
// file fails with an Error naming the file in milliseconds.
import { gguf, GGMLQuantizationType, type GGUFTensorInfo, type MetadataValue } from '@huggingface/gguf';
import { parseModelConfig, type ModelConfig } from './config.ts';
import { firstNonFinite } from './finite.ts';
import { ggufTokenizer } from './gguf-tokenizer.ts';
import { MODEL_LIMITS } from './limits.ts';
import type { LoadedModel, LoadOptions } from './load.ts';
import { bytesReader, type ByteReader } from './byte-reader.ts';
import { fetchBytes, isGgufSource, type ModelFileFetcher } from './model-files.ts';
import { tensorByteLength, WeightTensor, type TensorType } from './tensor.ts';
import { DownloadStalledError } from './stall-guard.ts';
import { ModelTokenizer } from './tokenizer.ts';
import {
  checkParameterBytes, EMBED_TOKENS, expectedWeightShapes, FINAL_NORM, layerWeightName, LM_HEAD, validateWeights, type LayerWeight,
} from './weights.ts';

export { isGgufSource };

type Metadata = Readonly<Record<string, MetadataValue>>;

/** GGUF general.architecture → the HF architecture the engine runs. */
const ARCHITECTURES = { llama: 'LlamaForCausalLM', qwen2: 'Qwen2ForCausalLM' } as const;
type GgufArchitecture = keyof typeof ARCHITECTURES;

/** The ggml types a weight may have, by ggml type id. */
const TENSOR_TYPES: ReadonlyMap<number, TensorType> = new Map<number, TensorType>([
  [GGMLQuantizationType.F32, 'F32'], [GGMLQuantizationType.F16, 'F16'], [GGMLQuantizationType.BF16, 'BF16'],
  [GGMLQuantizationType.Q8_0, 'Q8_0'], [GGMLQuantizationType.Q4_0, 'Q4_0'], [GGMLQuantizationType.Q5_0, 'Q5_0'],
  [GGMLQuantizationType.Q4_K, 'Q4_K'], [GGMLQuantizationType.Q6_K, 'Q6_K'],
]);
const FLOAT_TYPES: readonly TensorType[] = ['F32', 'F16', 'BF16'];

const GLOBAL_TENSORS: ReadonlyMap<string, string> = new Map([
  ['token_embd.weight', EMBED_TOKENS], ['output_norm.weight', FINAL_NORM], ['output.weight', LM_HEAD],
]);
const LAYER_TENSORS: ReadonlyMap<string, LayerWeight> = new Map<string, LayerWeight>([
  ['attn_norm.weight', 'input_layernorm.weight'],
  ['attn_q.weight', 'self_attn.q_proj.weight'], ['attn_k.weight', 'self_attn.k_proj.weight'], ['attn_v.weight', 'self_attn.v_proj.weight'],
  ['attn_q.bias', 'self_attn.q_proj.bias'], ['attn_k.bias', 'self_attn.k_proj.bias'], ['attn_v.bias', 'self_attn.v_proj.bias'],
  ['attn_output.weight', 'self_attn.o_proj.weight'],
  ['ffn_norm.weight', 'post_attention_layernorm.weight'],
  ['ffn_gate.weight', 'mlp.gate_proj.weight'], ['ffn_up.weight', 'mlp.up_proj.weight'], ['ffn_down.weight', 'mlp.down_proj.weight'],
]);
/** The FIM order a model was trained with, as config.json's "fim_order" ("psm" when absent). */
const FIM_ORDER_KEY = 'spark.fim_order';
/** llama.cpp's per-pair RoPE frequency divisors (Llama 3's rope scaling): ModelConfig.ropeFreqFactors. */
const ROPE_FREQS = 'rope_freqs.weight';

/** GGUF tensor name → HF name, or undefined for a tensor no Llama / Qwen2 checkpoint has. */
export function hfTensorName(name: string): string | undefined {
  const global = GLOBAL_TENSORS.get(name);
  if (global !== undefined) return global;
  const m = /^blk\.(0|[1-9]\d{0,8})\.(.+)$/.exec(name);
  const part = m ? LAYER_TENSORS.get(m[2]!) : undefined;
  return part === undefined ? undefined : layerWeightName(Number(m![1]), part);
}

/** HF name → GGUF tensor name (the inverse of hfTensorName), for messages. */
function ggufTensorName(hf: string): string {
  for (const [g, h] of GLOBAL_TENSORS) if (h === hf) return g;
  const m = /^model\.layers\.(\d+)\.(.+)$/.exec(hf);
  for (const [g, part] of LAYER_TENSORS) if (m && part === m[2]) return `blk.${m[1]}.${g}`;
  return hf;
}

export interface GgufLoadOptions extends LoadOptions {
  /** The .gguf file's name: what the fetcher is asked for, and what messages name. Default "model.gguf". */
  fileName?: string;
}

/**
 * Loads a GGUF file: its bytes, a reader that serves byte ranges of it (a File, a remote file), or a
 * fetcher that serves it whole under options.fileName. A reader is read header first, then tensor
 * by tensor, each into its own buffer, so the file is never held whole.
 */
export async function loadGguf(source: Uint8Array | ByteReader | ModelFileFetcher, options: GgufLoadOptions = {}): Promise<LoadedModel> {
  const fileName = options.fileName ?? 'model.gguf';
  const label = options.label ?? fileName;
  let reader: ByteReader;
  if (source instanceof Uint8Array) {
    reader = bytesReader(source);
  } else if (typeof source === 'function') {
    const fetched = await fetchBytes(source, fileName, options);
    if (!fetched) throw new Error(`${label}: ${fileName} not found`);
    reader = bytesReader(fetched);
  } else {
    reader = source;
  }
  try {
    return await fromReader(reader, fileName, label, options);
  } catch (err) {
    // Errors from shared code (tokenizer.json checks, tensor sizes) get the file's name too; other
    // kinds (a TypeError would be a bug here) pass unchanged.
    if (err instanceof Error && err.constructor === Error && !err.message.startsWith(`${fileName}: `)) {
      throw new Error(`${fileName}: ${err.message}`, { cause: err });
    }
    throw err;
  }
}

async function fromReader(reader: ByteReader, fileName: string, label: string, options: GgufLoadOptions): Promise<LoadedModel> {
  const { signal } = options;
  const fail = (msg: string): never => { throw new Error(`${fileName}: ${msg}`); };
  const { meta, tensors, dataOffset, alignment } = await readGgufHeader(reader, fileName, signal);
  signal?.throwIfAborted();

  const arch = meta['general.architecture'];
  if (typeof arch !== 'string' || !Object.hasOwn(ARCHITECTURES, arch)) {
    fail(`architecture ${JSON.stringify(typeof arch === 'string' ? arch : String(arch))} is not supported (supported: ${Object.keys(ARCHITECTURES).join(', ')})`);
  }
  const tok = ggufTokenizer(meta, fileName);
  const names = new Set(tensors.map((t) => t.name));
  const config = ggufConfig(meta, arch as GgufArchitecture, tok, names, fileName);
  // By the smallest type in the file: a file of only unsupported types gets its type named below instead.
  const present = new Set(tensors.flatMap((t) => TENSOR_TYPES.get(t.dtype) ?? []));
  if (present.size > 0) checkParameterBytes(fileName, config, reader.size, present);
  const planned = planTensors(tensors, config, dataOffset, alignment, reader.size, fileName);
  const ropeFreqs = tensors.find((t) => t.name === ROPE_FREQS);
  if (ropeFreqs) config.ropeFreqFactors = await readRopeFreqs(reader, ropeFreqs, config, dataOffset, alignment, fileName, signal);
  const tokenizer = ModelTokenizer.fromJson(tok.tokenizerJson, tok.tokenizerConfig, { vocabSize: config.vocabSize });

  const weights = new Map<string, WeightTensor>();
  // In file order: sequential reads, whatever the file is on.
  let loadedBytes = dataOffset;
  const report = () => options.onProgress?.({ file: fileName, loadedBytes, totalBytes: reader.size });
  report();
  for (const t of [...planned].sort((a, b) => a.begin - b.begin)) {
    signal?.throwIfAborted();
    let tensor = new WeightTensor(t.hf, t.type, t.shape, await reader.read(t.begin, t.end, signal));
    loadedBytes += t.end - t.begin;
    report();
    const bad = firstNonFinite(tensor);
    if (bad) fail(`tensor ${t.gguf} holds ${bad.kind} (element ${bad.index} of ${tensor.size})`);
    if (arch === 'llama' && t.hf.endsWith('.self_attn.q_proj.weight')) tensor = unpermuteRows(tensor, config.numHeads);
    if (arch === 'llama' && t.hf.endsWith('.self_attn.k_proj.weight')) tensor = unpermuteRows(tensor, config.numKvHeads);
    weights.set(t.hf, tensor);
  }
  validateWeights(config, weights);
  return { config, tokenizer, weights, source: label, weightBytes: reader.size, tokenizerConfig: tok.tokenizerConfig };
}

/** rope_freqs.weight's values: one positive f32 divisor per rotated pair of a head. */
async function readRopeFreqs(
  reader: ByteReader, info: GGUFTensorInfo, config: ModelConfig, dataOffset: number, alignment: number, fileName: string, signal?: AbortSignal,
): Promise<number[]> {
  const fail = (msg: string): never => { throw new Error(`${fileName}: ${ROPE_FREQS}: ${msg}`); };
  const pairs = config.headDim / 2;
  const shape = info.shape.map(Number);
  if (info.dtype !== GGMLQuantizationType.F32) fail(`type ${GGMLQuantizationType[info.dtype] ?? `#${info.dtype}`}; it must be F32`);
  if (shape.length !== 1 || shape[0] !== pairs) fail(`shape [${shape.join(', ')}]; a head of ${config.headDim} needs [${pairs}]`);
  if (info.offset % BigInt(alignment) !== 0n) fail(`offset ${info.offset} is not a multiple of the alignment ${alignment}`);
  const begin = dataOffset + Number(info.offset);
  if (begin + pairs * 4 > reader.size) fail(`truncated: it ends past the file's ${reader.size} bytes`);
  const bytes = await reader.read(begin, begin + pairs * 4, signal);
  const values = [...new Float32Array(bytes.slice().buffer)];
  const bad = values.findIndex((v) => !Number.isFinite(v) || v <= 0);
  if (bad >= 0) fail(`element ${bad} is ${values[bad]}; each must be a positive number`);
  return values;
}

/**
 * The config a GGUF's header describes and each tensor's type under its HF name, from the metadata
 * and tensor types alone (model-format.ts reads them by byte range): what a GPU memory estimate
 * needs before the file is downloaded. Checked as a load checks them.
 */
export function ggufHeaderModel(meta: Readonly<Record<string, unknown>>, tensorTypes: ReadonlyMap<string, string>, fileName: string): { config: ModelConfig; types: Map<string, TensorType> } {
  const metadata = meta as Metadata;
  const arch = Object.hasOwn(metadata, 'general.architecture') ? metadata['general.architecture'] : undefined;
  if (typeof arch !== 'string' || !Object.hasOwn(ARCHITECTURES, arch)) {
    throw new Error(`${fileName}: architecture ${JSON.stringify(typeof arch === 'string' ? arch : String(arch))} is not supported (supported: ${Object.keys(ARCHITECTURES).join(', ')})`);
  }
  const config = ggufConfig(metadata, arch as GgufArchitecture, ggufTokenizer(metadata, fileName), new Set(tensorTypes.keys()), fileName);
  const byName = new Map([...TENSOR_TYPES.values()].map((t) => [t as string, t]));
  const types = new Map<string, TensorType>();
  for (const [name, type] of tensorTypes) {
    const hf = hfTensorName(name);
    const known = byName.get(type);
    if (hf !== undefined && known !== undefined) types.set(hf, known);
  }
  return { config, types };
}

export interface ParsedHeader {
  meta: Metadata;
  tensors: GGUFTensorInfo[];
  /** Byte offset of the data section in the file. */
  dataOffset: number;
  alignment: number;
}

/** Bytes at least: magic, version, tensor count and metadata count. */
const FIXED_HEADER_BYTES = 24;
/** The smallest tensor info (an empty name's u64 length, n_dims, type, offset) and metadata entry (empty key, type, one byte). */
const MIN_TENSOR_INFO_BYTES = 24;
const MIN_METADATA_BYTES = 13;

/**
 * A GGUF's header (metadata and tensor infos), every count and offset bounded before the parser
 * sizes anything by it: what the loader reads first, and what a lookup reads alone (model-format.ts).
 */
export async function readGgufHeader(reader: ByteReader, fileName: string, signal: AbortSignal | undefined): Promise<ParsedHeader> {
  const fail = (msg: string): never => { throw new Error(`${fileName}: ${msg}`); };
  const size = reader.size;
  if (size < FIXED_HEADER_BYTES) fail(`truncated: ${size} bytes, too short for a GGUF header`);
  const bytes = await reader.read(0, FIXED_HEADER_BYTES, signal);
  if (bytes[0] !== 0x47 || bytes[1] !== 0x47 || bytes[2] !== 0x55 || bytes[3] !== 0x46) fail('not a GGUF file (it does not start with "GGUF")');
  const view = new DataView(bytes.buffer, bytes.byteOffset, FIXED_HEADER_BYTES);
  const version = view.getUint32(4, true);
  if (version !== 2 && version !== 3) {
    const bigEndian = [2, 3].includes(view.getUint32(4, false));
    fail(bigEndian ? 'big-endian GGUF files are not supported' : `GGUF version ${version} is not supported (2 and 3 are)`);
  }
  // The counts size the library's loops: bound them, and by what the file can hold, before it reads.
  const counts = { 'tensor count': [view.getBigUint64(8, true), 'ggufTensors'], 'metadata entries': [view.getBigUint64(16, true), 'ggufMetadataEntries'] } as const;
  for (const [field, [count, limit]] of Object.entries(counts)) {
    // A u64 past 2^53 is named exactly; checkLimit's message would print it rounded.
    if (count > BigInt(MODEL_LIMITS[limit])) fail(`${field} ${count} is more than ${MODEL_LIMITS[limit]}`);
  }
  const tensorCount = Number(counts['tensor count'][0]);
  const metadataCount = Number(counts['metadata entries'][0]);
  const minHeader = FIXED_HEADER_BYTES + tensorCount * MIN_TENSOR_INFO_BYTES + metadataCount * MIN_METADATA_BYTES;
  if (minHeader > size) fail(`truncated: ${tensorCount} tensors and ${metadataCount} metadata entries need a header of at least ${minHeader} bytes; the file has ${size}`);

  let parsed;
  try {
    parsed = await gguf('https://gguf.invalid/model.gguf', { fetch: rangeFetch(reader, fileName, signal) });
  } catch (err) {
    // Not the file's fault: a cancel or a stalled download is told as it is.
    if (signal?.aborted || err instanceof DownloadStalledError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(message.startsWith(`${fileName}: `) ? message : `${fileName}: malformed header: ${message}`, { cause: err });
  }
  const meta = parsed.metadata as unknown as Metadata;
  const rawAlignment = Object.hasOwn(meta, 'general.alignment') ? meta['general.alignment'] : 32;
  const alignment = typeof rawAlignment === 'bigint' ? Number(rawAlignment) : rawAlignment;
  // ggml pads with a bit mask (GGML_PAD), which only rounds up correctly to a power of two.
  if (typeof alignment !== 'number' || !Number.isInteger(alignment) || alignment < 1 || alignment > 1 << 16 || (alignment & (alignment - 1)) !== 0) {
    fail(`general.alignment ${String(rawAlignment)} is not a power of two up to 65536`);
  }
  const dataOffset = Number(parsed.tensorDataOffset);
  if (parsed.tensorInfoByteRange[1] > size || (parsed.tensorInfos.length > 0 && dataOffset > size)) {
    fail(`truncated: the header runs to byte ${Math.max(parsed.tensorInfoByteRange[1], dataOffset)}; the file has ${size}`);
  }
  return { meta, tensors: parsed.tensorInfos, dataOffset, alignment: alignment as number };
}

/**
 * The fetch the library reads through: its HTTP range requests answered by the reader. The library
 * reads ahead in fixed chunks, so one request that starts at or past the end is normal (answered
 * with no bytes); a second means the header itself runs past the end, and fails at once rather than
 * letting the library read zeros up to its 50 MB buffer limit.
 */
function rangeFetch(reader: ByteReader, fileName: string, signal: AbortSignal | undefined): typeof fetch {
  const reads = { pastEnd: 0 };
  const size = reader.size;
  return (async (_input: unknown, init?: RequestInit) => {
    const range = /^bytes=(\d+)-(\d+)$/.exec(new Headers(init?.headers).get('range') ?? '');
    if (!range) throw new Error(`${fileName}: unexpected read without a byte range`);
    const start = Number(range[1]);
    const end = Number(range[2]) + 1;
    if (start >= size && ++reads.pastEnd > 1) throw new Error(`${fileName}: truncated: the header runs past the end of the file (${size} bytes)`);
    const body = (await reader.read(Math.min(start, size), Math.min(end, size), signal)).slice();
    return new Response(body, { status: 206, headers: { 'content-range': `bytes ${start}-${end - 1}/${size}` } });
  }) as typeof fetch;
}

/** config.json fields ← GGUF metadata keys (after `{arch}.`), also used to name the key in messages. */
const CONFIG_KEYS: ReadonlyArray<[field: string, key: string, kind: 'int' | 'number']> = [
  ['hidden_size', 'embedding_length', 'int'],
  ['intermediate_size', 'feed_forward_length', 'int'],
  ['num_hidden_layers', 'block_count', 'int'],
  ['num_attention_heads', 'attention.head_count', 'int'],
  ['num_key_value_heads', 'attention.head_count_kv', 'int'],
  ['head_dim', 'attention.key_length', 'int'],
  ['rms_norm_eps', 'attention.layer_norm_rms_epsilon', 'number'],
  ['rope_theta', 'rope.freq_base', 'number'],
  ['max_position_embeddings', 'context_length', 'int'],
];

/** Builds the config.json the metadata describes and runs it through parseModelConfig. */
function ggufConfig(meta: Metadata, arch: GgufArchitecture, tok: ReturnType<typeof ggufTokenizer>, tensorNames: ReadonlySet<string>, fileName: string): ModelConfig {
  const fail = (msg: string): never => { throw new Error(`${fileName}: ${msg}`); };
  const value = (key: string, kind: 'int' | 'number' | 'string'): unknown => {
    const full = `${arch}.${key}`;
    if (!Object.hasOwn(meta, full)) return undefined;
    const raw = meta[full];
    const v = typeof raw === 'bigint' && raw <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(raw) : raw;
    const ok = kind === 'string' ? typeof v === 'string' : typeof v === 'number' && (kind === 'number' || Number.isInteger(v));
    if (!ok) fail(`${full} is ${Array.isArray(v) ? 'an array' : JSON.stringify(String(v))}, not ${kind === 'int' ? 'an integer' : `a ${kind}`}`);
    return v;
  };
  const json: Record<string, unknown> = {
    architectures: [ARCHITECTURES[arch]],
    vocab_size: tok.vocabSize,
    tie_word_embeddings: !tensorNames.has('output.weight'),
    eos_token_id: tok.eosTokenIds,
    ...(tok.bosTokenId !== undefined ? { bos_token_id: tok.bosTokenId } : {}),
  };
  for (const [field, key, kind] of CONFIG_KEYS) {
    const v = value(key, kind);
    if (v !== undefined) json[field] = v;
  }
  for (const required of ['embedding_length', 'feed_forward_length', 'block_count', 'attention.head_count']) {
    if (value(required, 'int') === undefined) fail(`missing ${arch}.${required}`);
  }
  // Maths the engine does not implement, as the config.json fields parseModelConfig refuses by name.
  const scaling = value('rope.scaling.type', 'string');
  if (scaling !== undefined && scaling !== 'none') {
    const factor = value('rope.scaling.factor', 'number');
    json['rope_scaling'] = { type: scaling, ...(factor !== undefined ? { factor } : {}) };
  }
  const headDim = (value('attention.key_length', 'int') as number | undefined) ?? Number(json['hidden_size']) / Number(json['num_attention_heads']);
  const valueLength = value('attention.value_length', 'int');
  if (valueLength !== undefined && valueLength !== headDim) fail(`${arch}.attention.value_length ${valueLength} differs from the key head size ${headDim}; the engine needs equal head sizes`);
  const experts = value('expert_count', 'int');
  if (experts !== undefined && experts !== 0) fail(`${arch}.expert_count ${experts}: mixture-of-experts models are not supported`);
  // GGUF has no key for the FIM order; readers assume PSM. Our exporter names it (training/export.py).
  if (Object.hasOwn(meta, FIM_ORDER_KEY)) json['fim_order'] = meta[FIM_ORDER_KEY];
  const ropeDims = value('rope.dimension_count', 'int') as number | undefined;
  if (ropeDims !== undefined && ropeDims !== headDim) json['partial_rotary_factor'] = ropeDims / headDim;
  try {
    return parseModelConfig(json);
  } catch (err) {
    let message = (err as Error).message.replace(/^config\.json: /, '');
    for (const [field, key] of CONFIG_KEYS) message = message.replaceAll(new RegExp(`\\b${field}\\b`, 'g'), `${arch}.${key}`);
    message = message.replaceAll(/\bvocab_size\b/g, 'the token count').replaceAll(/\bfim_order\b/g, FIM_ORDER_KEY)
      .replaceAll('rope_scaling.factor', `${arch}.rope.scaling.factor`);
    throw new Error(`${fileName}: ${message}`, { cause: err });
  }
}

interface PlannedTensor {
  gguf: string;
  hf: string;
  type: TensorType;
  shape: number[];
  /** Byte range in the file. */
  begin: number;
  end: number;
}

/**
 * Every tensor the model reads, with its HF name, type, shape and byte range, all checked: a
 * supported type, the shape the config implies, an aligned range inside the file that overlaps no
 * other. Tensors the model does not read are refused by name: a Llama or Qwen2 file has none, so
 * one means maths the engine would silently skip.
 */
function planTensors(infos: readonly GGUFTensorInfo[], config: ModelConfig, dataOffset: number, alignment: number, fileSize: number, fileName: string): PlannedTensor[] {
  const fail = (msg: string): never => { throw new Error(`${fileName}: ${msg}`); };
  const expected = expectedWeightShapes(config);
  const byName = new Map<string, GGUFTensorInfo>();
  const unknown: string[] = [];
  for (const info of infos) {
    if (byName.has(info.name)) fail(`tensor ${info.name} is listed twice`);
    byName.set(info.name, info);
    const hf = hfTensorName(info.name);
    if ((hf === undefined || !expected.has(hf)) && info.name !== ROPE_FREQS) unknown.push(info.name);
  }
  if (unknown.length > 0) {
    const shown = unknown.slice(0, 4).join(', ') + (unknown.length > 4 ? `, ... (${unknown.length} in all)` : '');
    fail(`tensors the ${config.architecture} forward pass does not read: ${shown}`);
  }
  const missing = [...expected.keys()].filter((hf) => !byName.has(ggufTensorName(hf)));
  if (missing.length > 0) fail(`missing tensor${missing.length > 1 ? 's' : ''} ${missing.slice(0, 4).map(ggufTensorName).join(', ')}${missing.length > 4 ? `, ... (${missing.length} in all)` : ''}`);

  const planned: PlannedTensor[] = [];
  for (const [hf, want] of expected) {
    const name = ggufTensorName(hf);
    const info = byName.get(name)!;
    const type = TENSOR_TYPES.get(info.dtype);
    if (type === undefined) {
      fail(`tensor ${name} has type ${GGMLQuantizationType[info.dtype] ?? `#${info.dtype}`}; supported: ${[...TENSOR_TYPES.values()].join(', ')}`);
    }
    const shape = info.shape.map(Number).reverse();
    if (shape.length !== want.length || shape.some((d, i) => d !== want[i])) {
      fail(`tensor ${name} has shape [${shape.join(', ')}] (GGUF dims [${info.shape.join(', ')}]); the metadata says [${want.join(', ')}]`);
    }
    if (shape.length === 1 && !FLOAT_TYPES.includes(type!)) fail(`tensor ${name} has type ${type}; a 1-D tensor must be ${FLOAT_TYPES.join(', ')}`);
    if (info.offset % BigInt(alignment) !== 0n) fail(`tensor ${name}: offset ${info.offset} is not a multiple of the alignment ${alignment}`);
    const length = tensorByteLength(name, type!, shape);
    const begin = BigInt(dataOffset) + info.offset;
    const end = begin + BigInt(length);
    if (end > BigInt(fileSize)) fail(`truncated: tensor ${name} ends at byte ${end}; the file has ${fileSize}`);
    planned.push({ gguf: name, hf, type: type!, shape, begin: Number(begin), end: Number(end) });
  }
  const sorted = [...planned].sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.begin < sorted[i - 1]!.end) fail(`tensors ${sorted[i - 1]!.gguf} and ${sorted[i]!.gguf} overlap`);
  }
  return planned;
}

/**
 * Undoes llama.cpp's convert_hf_to_gguf.py `permute` of a q or k projection (rows [out, in]; a
 * quantized row is whole blocks, so rows move as byte ranges). Within each head of `dim` rows the
 * converter stored HF row j·dim/2 + i (the two RoPE halves) at row 2i + j (pairs interleaved).
 */
export function unpermuteRows(tensor: WeightTensor, heads: number): WeightTensor {
  const rows = tensor.shape[0]!;
  const rowBytes = tensor.bytes.byteLength / rows;
  const dim = rows / heads;
  const half = dim / 2;
  const out = new Uint8Array(tensor.bytes.byteLength);
  for (let h = 0; h < heads; h++) {
    for (let j = 0; j < 2; j++) {
      for (let i = 0; i < half; i++) {
        const from = (h * dim + 2 * i + j) * rowBytes;
        out.set(tensor.bytes.subarray(from, from + rowBytes), (h * dim + j * half + i) * rowBytes);
      }
    }
  }
  return new WeightTensor(tensor.name, tensor.dtype, tensor.shape, out);
}
