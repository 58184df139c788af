// What a model's weights are stored as, read from the file headers alone (byte ranges, no weights
// downloaded), so a caller can say it before or beside a load: "gguf:Q8_0", "safetensors:bf16".
// The label names the matrices' type (tensors with two or more dimensions; a quantized GGUF keeps
// its norms in F32, which says nothing about the file). Where the matrices mix types, a GGUF's own
// general.file_type names the recipe ("gguf:Q4_K_M", Q4_K beside Q6_K) when it is a known mix,
// else the types are joined by share ("safetensors:bf16+f32"). `parameters` always gives the whole
// breakdown, so the label never has to stand for more than it says.
import { GGMLQuantizationType } from '@huggingface/gguf';
import { readGgufHeader } from './gguf.ts';
import { checkLimit } from './limits.ts';
import { parseShardIndex } from './safetensors.ts';
import { openFileReader, readRange, type ModelFileSource } from './model-source.ts';

export interface ModelFormat {
  /** "gguf:<type>" or "safetensors:<dtype>" (lower case), as described above. */
  label: string;
  container: 'gguf' | 'safetensors';
  /** Parameters (elements) per stored type, over every tensor. */
  parameters: Record<string, number>;
  /** Parameters per stored type over the matrices only (what the label describes). */
  matrixParameters: Record<string, number>;
  /** Each tensor's stored type, by its name in the file (safetensors dtypes lower case, ggml types as named). */
  tensorTypes: ReadonlyMap<string, string>;
  /** A GGUF's metadata (the config and tokenizer are in it); absent for safetensors. */
  ggufMetadata?: Readonly<Record<string, unknown>>;
}

/**
 * llama.cpp's LLAMA_FTYPE names for files whose matrices mix types on purpose (the K-quant
 * "_S/_M/_L" recipes and friends). A single-type file is named by its type instead.
 */
const MIXED_FILE_TYPES: Readonly<Record<number, string>> = {
  10: 'Q2_K', 11: 'Q3_K_S', 12: 'Q3_K_M', 13: 'Q3_K_L', 14: 'Q4_K_S', 15: 'Q4_K_M', 16: 'Q5_K_S', 17: 'Q5_K_M',
  18: 'Q6_K', 21: 'Q2_K_S', 27: 'IQ3_M', 29: 'IQ2_M', 31: 'IQ1_M',
};

export async function describeModelFormat(source: ModelFileSource, signal?: AbortSignal): Promise<ModelFormat> {
  return source.layout === 'gguf' ? ggufFormat(source, signal) : safetensorsFormat(source, signal);
}

async function ggufFormat(source: ModelFileSource, signal?: AbortSignal): Promise<ModelFormat> {
  const file = source.ggufFile ?? 'model.gguf';
  // The loader's own header read, by byte range, with its bounds on every count and offset.
  const { meta, tensors } = await readGgufHeader(await openFileReader(source, file, signal ? { signal } : {}), file, signal);
  const parameters: Record<string, number> = {};
  const matrixParameters: Record<string, number> = {};
  const tensorTypes = new Map<string, string>();
  for (const t of tensors) {
    const type = GGMLQuantizationType[t.dtype] ?? `type${t.dtype}`;
    tensorTypes.set(t.name, type);
    const count = t.shape.reduce((a, b) => a * Number(b), 1);
    parameters[type] = (parameters[type] ?? 0) + count;
    if (t.shape.length >= 2) matrixParameters[type] = (matrixParameters[type] ?? 0) + count;
  }
  const fileType = meta['general.file_type'];
  const mixName = typeof fileType === 'number' ? MIXED_FILE_TYPES[fileType] : undefined;
  const types = byShare(matrixParameters);
  const name = types.length > 1 && mixName !== undefined ? mixName : types.join('+') || 'none';
  return { label: `gguf:${name}`, container: 'gguf', parameters, matrixParameters, tensorTypes, ggufMetadata: meta };
}

async function safetensorsFormat(source: ModelFileSource, signal?: AbortSignal): Promise<ModelFormat> {
  const shards = await weightFiles(source, signal);
  const parameters: Record<string, number> = {};
  const matrixParameters: Record<string, number> = {};
  const tensorTypes = new Map<string, string>();
  for (const shard of shards) {
    const lengthBytes = await readRange(source, shard, { start: 0, end: 8 }, signal);
    if (lengthBytes.byteLength < 8) throw new Error(`${shard}: truncated, too short for the 8-byte header length`);
    const headerLength = Number(new DataView(lengthBytes.buffer, lengthBytes.byteOffset, 8).getBigUint64(0, true));
    checkLimit(shard, 'header length', headerLength, 'safetensorsHeaderBytes');
    const headerBytes = await readRange(source, shard, { start: 8, end: 8 + headerLength }, signal);
    if (headerBytes.byteLength < headerLength) throw new Error(`${shard}: truncated header (${headerBytes.byteLength} of ${headerLength} bytes)`);
    let header: unknown;
    try {
      header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
    } catch (err) {
      throw new Error(`${shard}: header is not valid JSON: ${(err as Error).message}`, { cause: err });
    }
    if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new Error(`${shard}: header is not a JSON object`);
    for (const [name, entry] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      const { dtype, shape } = (entry ?? {}) as { dtype?: unknown; shape?: unknown };
      if (typeof dtype !== 'string' || !Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
        throw new Error(`${shard}: tensor ${name} has no valid dtype and shape`);
      }
      const type = dtype.toLowerCase();
      tensorTypes.set(name, type);
      const count = (shape as number[]).reduce((a, b) => a * b, 1);
      parameters[type] = (parameters[type] ?? 0) + count;
      if (shape.length >= 2) matrixParameters[type] = (matrixParameters[type] ?? 0) + count;
    }
  }
  return { label: `safetensors:${byShare(matrixParameters).join('+') || 'none'}`, container: 'safetensors', parameters, matrixParameters, tensorTypes };
}

/** model.safetensors, or the shards model.safetensors.index.json lists. */
async function weightFiles(source: ModelFileSource, signal?: AbortSignal): Promise<string[]> {
  if (source.files) {
    if (source.files.has('model.safetensors')) return ['model.safetensors'];
  } else {
    const probe = await source.fetch('model.safetensors', { range: { start: 0, end: 1 }, ...(signal ? { signal } : {}) });
    await probe.body?.cancel();
    if (probe.ok) return ['model.safetensors'];
  }
  const res = await source.fetch('model.safetensors.index.json', signal ? { signal } : {});
  if (!res.ok) throw new Error(`${source.label}: neither model.safetensors nor model.safetensors.index.json found`);
  let json: unknown;
  try {
    json = await res.json();
  } catch (err) {
    throw new Error(`model.safetensors.index.json: not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  return parseShardIndex(json).files;
}

/** Types by descending parameter count (ties by name). */
function byShare(counts: Record<string, number>): string[] {
  return Object.entries(counts).sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1)).map(([type]) => type);
}
