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
