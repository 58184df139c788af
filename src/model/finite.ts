// NaN and infinity in stored weights. A checkpoint with one NaN in a weight the model reads gives
// NaN logits, which the samplers turn into empty or garbage suggestions with no error anywhere;
// so the loader scans the tensors the forward pass reads and names the first bad element. The
// scan reads exponent bits only (no decoding): about a millisecond per million weights.
import type { WeightTensor } from './tensor.ts';

export interface NonFinite {
  /** Element index, row-major. */
  index: number;
  kind: 'NaN' | 'an infinity';
}

/** The first NaN or ±Infinity in the tensor, or undefined when every element is finite. */
export function firstNonFinite(tensor: WeightTensor): NonFinite | undefined {
  const { bytes } = tensor;
  switch (tensor.dtype) {
    case 'F32': {
      const words = aligned(bytes, 4, (b, o, n) => new Uint32Array(b, o, n));
      for (let i = 0; i < words.length; i++) {
        const w = words[i]!;
        if ((w & 0x7f800000) === 0x7f800000) return { index: i, kind: w & 0x7fffff ? 'NaN' : 'an infinity' };
      }
      return undefined;
    }
    case 'F16':
      return scan16(aligned(bytes, 2, (b, o, n) => new Uint16Array(b, o, n)), 0x7c00, 0x03ff);
    case 'BF16':
      return scan16(aligned(bytes, 2, (b, o, n) => new Uint16Array(b, o, n)), 0x7f80, 0x007f);
  }
}

function scan16(halves: Uint16Array, exponent: number, mantissa: number): NonFinite | undefined {
  for (let i = 0; i < halves.length; i++) {
    const h = halves[i]!;
    if ((h & exponent) === exponent) return { index: i, kind: h & mantissa ? 'NaN' : 'an infinity' };
  }
  return undefined;
}

/** A typed view of the bytes (little-endian hosts: every browser), copied only when misaligned. */
function aligned<T>(bytes: Uint8Array, size: number, make: (buffer: ArrayBuffer, offset: number, length: number) => T): T {
  const source = bytes.byteOffset % size === 0 && bytes.buffer instanceof ArrayBuffer ? bytes : bytes.slice();
  return make(source.buffer as ArrayBuffer, source.byteOffset, source.byteLength / size);
}
