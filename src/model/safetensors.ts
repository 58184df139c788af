// The safetensors format, parsed by hand (it is small):
//   [u64 little-endian N][N bytes of JSON header][data section]
// header: { "<name>": { "dtype": "F16", "shape": [r, c], "data_offsets": [begin, end] }, ...,
//           "__metadata__": { string: string } }   offsets are relative to the data section.
// Sharded checkpoints add model.safetensors.index.json: { "weight_map": { "<name>": "<file>" } }.
import { checkLimit, MODEL_LIMITS } from './limits.ts';
import { BYTES_PER_ELEMENT, WeightTensor, type WeightDtype } from './tensor.ts';

/** Element sizes of every dtype the format defines, so that offsets can be checked for all of them. */
const DTYPE_BYTES: Readonly<Record<string, number>> = {
  BOOL: 1, U8: 1, I8: 1, F8_E4M3: 1, F8_E5M2: 1, I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4, I64: 8, U64: 8, F64: 8,
};

export interface TensorEntry {
  dtype: string;
  shape: number[];
  /** Byte range inside the data section. */
  begin: number;
  end: number;
}

export class SafetensorsFile {
  private constructor(
    readonly fileName: string,
    readonly metadata: Readonly<Record<string, string>>,
    readonly entries: ReadonlyMap<string, TensorEntry>,
    private readonly data: Uint8Array,
  ) {}

  /** Parses and validates the header and every tensor's byte range; tensor bytes are not copied. */
  static parse(bytes: Uint8Array, fileName = 'model.safetensors'): SafetensorsFile {
    const fail = (msg: string): never => { throw new Error(`${fileName}: ${msg}`); };
    if (bytes.byteLength < 8) fail(`truncated: ${bytes.byteLength} bytes, too short for the 8-byte header length`);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const headerLen = Number(dv.getBigUint64(0, true));
    checkLimit(fileName, 'header length', headerLen, 'safetensorsHeaderBytes');
    if (8 + headerLen > bytes.byteLength) fail(`truncated: header needs ${headerLen} bytes but only ${bytes.byteLength - 8} follow`);
    let header: unknown;
    try {
      header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen)));
    } catch (err) {
      fail(`header is not valid JSON: ${(err as Error).message}`);
    }
    if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');
    const data = bytes.subarray(8 + headerLen);
    const listed = Object.entries(header as Record<string, unknown>);
    checkLimit(fileName, 'header entries', listed.filter(([name]) => name !== '__metadata__').length, 'safetensorsEntries');
    const entries = new Map<string, TensorEntry>();
    let metadata: Record<string, string> = {};
    for (const [name, raw] of listed) {
      if (name === '__metadata__') {
        if (raw === null) continue;
        if (typeof raw !== 'object' || Array.isArray(raw) || !Object.values(raw).every((v) => typeof v === 'string')) {
          fail('__metadata__ is not an object of strings');
        }
        metadata = raw as Record<string, string>;
        continue;
      }
      entries.set(name, parseEntry(name, raw, data.byteLength, fail));
    }
    return new SafetensorsFile(fileName, metadata, entries, data);
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** The tensor's bytes (a view into the file) as a WeightTensor; F32, F16 and BF16 only. */
  tensor(name: string): WeightTensor {
    const e = this.entries.get(name);
    if (!e) throw new Error(`${this.fileName}: missing tensor ${name}`);
    if (!(e.dtype in BYTES_PER_ELEMENT)) {
      throw new Error(`${this.fileName}: tensor ${name} has dtype ${e.dtype}; only F32, F16 and BF16 weights are supported`);
    }
    return new WeightTensor(name, e.dtype as WeightDtype, e.shape, this.data.subarray(e.begin, e.end));
  }
}

function parseEntry(name: string, raw: unknown, dataBytes: number, fail: (msg: string) => never): TensorEntry {
  const where = `tensor ${name}`;
  if (typeof raw !== 'object' || raw === null) fail(`${where}: header entry is not an object`);
  const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
  if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) fail(`${where}: unknown dtype ${JSON.stringify(dtype)}`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    fail(`${where}: shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0)) {
    fail(`${where}: data_offsets ${JSON.stringify(offsets)} is not [begin, end]`);
  }
  const [begin, end] = offsets as [number, number];
  const dims = shape as number[];
  if (dims.length > MODEL_LIMITS.tensorRank) fail(`${where}: rank ${dims.length} is more than ${MODEL_LIMITS.tensorRank}`);
  const expected = dims.reduce((a, b) => a * b, 1) * DTYPE_BYTES[dtype as string]!;
  if (!Number.isSafeInteger(expected)) fail(`${where}: shape [${dims.join(', ')}] has more elements than a file can hold`);
  if (end < begin) fail(`${where}: data_offsets end ${end} < begin ${begin}`);
  if (end - begin !== expected) {
    fail(`${where}: ${dtype}[${dims.join(', ')}] needs ${expected} bytes but data_offsets span ${end - begin}`);
  }
  if (end > dataBytes) fail(`truncated: ${where} ends at byte ${end} of the data section, which has only ${dataBytes}`);
  return { dtype: dtype as string, shape: dims, begin, end };
}

/** model.safetensors.index.json: which shard file holds each tensor. */
export interface ShardIndex {
  weightMap: ReadonlyMap<string, string>;
  /** Distinct shard files in first-seen order. */
  files: string[];
}

export function parseShardIndex(json: unknown, fileName = 'model.safetensors.index.json'): ShardIndex {
  const map = (json as Record<string, unknown> | null)?.['weight_map'];
  if (typeof map !== 'object' || map === null || Array.isArray(map)) throw new Error(`${fileName}: missing "weight_map" object`);
  const weightMap = new Map<string, string>();
  for (const [name, file] of Object.entries(map)) {
    if (typeof file !== 'string' || file.includes('/') || file.includes('\\') || file.startsWith('.')) {
      throw new Error(`${fileName}: tensor ${name} maps to ${JSON.stringify(file)}, not a file name in the model directory`);
    }
    weightMap.set(name, file);
  }
  return { weightMap, files: [...new Set(weightMap.values())] };
}
