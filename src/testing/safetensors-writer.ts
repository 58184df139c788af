// Writes safetensors files (used by the generated test model and by tests of the parser).
import { f32ArrayToBf16, f32ArrayToF16 } from '../model/half.ts';
import { BYTES_PER_ELEMENT, type WeightDtype } from '../model/tensor.ts';

export interface TensorToWrite {
  name: string;
  shape: readonly number[];
  /** Values in f32; converted to `dtype` (round to nearest even) on write. */
  values: Float32Array;
}

/** Encodes tensors in the order given; the header is space-padded to 8 bytes like the Rust writer. */
export function encodeSafetensors(tensors: readonly TensorToWrite[], dtype: WeightDtype, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  const payloads: Uint8Array[] = [];
  let offset = 0;
  for (const t of tensors) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (size !== t.values.length) throw new Error(`encodeSafetensors: ${t.name} has ${t.values.length} values for shape [${t.shape.join(', ')}]`);
    const payload = encodeValues(t.values, dtype);
    header[t.name] = { dtype, shape: t.shape, data_offsets: [offset, offset + payload.byteLength] };
    payloads.push(payload);
    offset += payload.byteLength;
    if (size * BYTES_PER_ELEMENT[dtype] !== payload.byteLength) throw new Error('encodeSafetensors: internal size mismatch');
  }
  let json = JSON.stringify(header);
  const encoder = new TextEncoder();
  while ((8 + encoder.encode(json).byteLength) % 8 !== 0) json += ' ';
  const headerBytes = encoder.encode(json);
  const out = new Uint8Array(8 + headerBytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.byteLength;
  for (const p of payloads) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

function encodeValues(values: Float32Array, dtype: WeightDtype): Uint8Array {
  // Typed arrays are little-endian on every platform a browser runs on; safetensors is LE too.
  switch (dtype) {
    case 'F32': return new Uint8Array(values.slice().buffer);
    case 'F16': return new Uint8Array(f32ArrayToF16(values).buffer);
    case 'BF16': return new Uint8Array(f32ArrayToBf16(values).buffer);
  }
}

/** A file with a hand-written header and data section, for what encodeSafetensors would never write. */
export function rawSafetensors(header: object, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** Adds tensors of any dtype (raw bytes) after a valid file's own, keeping its tensors' offsets. */
export function appendRawTensors(file: Uint8Array, extra: readonly { name: string; dtype: string; shape: number[]; bytes: Uint8Array }[]): Uint8Array {
  const headerLen = Number(new DataView(file.buffer, file.byteOffset, file.byteLength).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(file.subarray(8, 8 + headerLen))) as Record<string, unknown>;
  const data = file.subarray(8 + headerLen);
  let end = data.byteLength;
  const parts = [data];
  for (const t of extra) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [end, end + t.bytes.byteLength] };
    parts.push(t.bytes);
    end += t.bytes.byteLength;
  }
  const joined = new Uint8Array(end);
  let at = 0;
  for (const p of parts) { joined.set(p, at); at += p.byteLength; }
  return rawSafetensors(header, joined);
}
