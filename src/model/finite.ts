// NaN and infinity in stored weights. A checkpoint with one NaN in a weight the model reads gives
// NaN logits, which the samplers turn into empty or garbage suggestions with no error anywhere;
// so the loader scans the tensors the forward pass reads and names the first bad element. The
// scan reads exponent bits only (no decoding): about a millisecond per million weights.
import { BLOCK } from './quant.ts';
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
    default: {
      // A block's quants are integers: only its f16 scales can make a weight non-finite. The
      // index named is the block's first weight.
      const { elements, bytes: blockBytes, f16At } = BLOCK[tensor.dtype];
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let b = 0; b * blockBytes < bytes.byteLength; b++) {
        for (const at of f16At) {
          const h = view.getUint16(b * blockBytes + at, true);
          if ((h & 0x7c00) === 0x7c00) return { index: b * elements, kind: h & 0x03ff ? 'NaN' : 'an infinity' };
        }
      }
      return undefined;
    }
  }
}

/**
 * Two halves per 32-bit word: adding the exponent's lowest bit to the masked exponents carries into
 * a half's sign bit exactly when that exponent is all ones (0x7c00 + 0x0400 = 0x8000, and the same
 * for bf16's 0x7f80 + 0x0080), so one test covers two weights.
 */
function scan16(halves: Uint16Array, exponent: number, mantissa: number): NonFinite | undefined {
  const found = (i: number): NonFinite => ({ index: i, kind: halves[i]! & mantissa ? 'NaN' : 'an infinity' });
  const single = (i: number) => (halves[i]! & exponent) === exponent;
  // A view 2 bytes off a 4-byte boundary takes its first half alone, then whole words.
  const head = halves.byteOffset % 4 === 0 ? 0 : Math.min(1, halves.length);
  if (head === 1 && single(0)) return found(0);
  const pairs = (halves.length - head) >> 1;
  const words = new Uint32Array(halves.buffer, halves.byteOffset + 2 * head, pairs);
  const mask = (exponent | (exponent << 16)) >>> 0;
  const carry = ((exponent & -exponent) * 0x10001) >>> 0;
  for (let w = 0; w < words.length; w++) {
    if ((((words[w]! & mask) + carry) & 0x80008000) !== 0) return found(single(head + 2 * w) ? head + 2 * w : head + 2 * w + 1);
  }
  for (let i = head + 2 * pairs; i < halves.length; i++) if (single(i)) return found(i);
  return undefined;
}

/** A typed view of the bytes (little-endian hosts: every browser), copied only when misaligned. */
function aligned<T>(bytes: Uint8Array, size: number, make: (buffer: ArrayBuffer, offset: number, length: number) => T): T {
  const source = bytes.byteOffset % size === 0 && bytes.buffer instanceof ArrayBuffer ? bytes : bytes.slice();
  return make(source.buffer as ArrayBuffer, source.byteOffset, source.byteLength / size);
}
