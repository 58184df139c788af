// One named weight tensor as stored on disk: dtype, shape and the raw little-endian bytes.
// Decoding is on demand so that the GPU can upload packed f16 bits without a round trip
// through f32, and the CPU reference gets f32 without keeping both copies alive.
import { bf16ArrayToF32, bf16FitsF16, f16ArrayToF32, f32ArrayToF16 } from './half.ts';
import { dequantize, isQuantType, quantByteLength, type QuantType } from './quant.ts';

/** Float element types (safetensors and GGUF). */
export type WeightDtype = 'F32' | 'F16' | 'BF16';
/** Every type a weight can be stored in: a float type, or a GGML block format (GGUF only). */
export type TensorType = WeightDtype | QuantType;

export const BYTES_PER_ELEMENT: Readonly<Record<WeightDtype, number>> = { F32: 4, F16: 2, BF16: 2 };

export class WeightTensor {
  readonly size: number; // element count = product of shape
  /** bf16FitsF16 of a BF16 tensor's bits, once asked: a scan of every weight, wanted more than once per load. */
  private fitsF16: boolean | undefined;

  constructor(
    readonly name: string,
    readonly dtype: TensorType,
    readonly shape: readonly number[],
    /** Raw little-endian bytes: size * BYTES_PER_ELEMENT[dtype], or whole blocks of a quantized type. */
    readonly bytes: Uint8Array,
  ) {
    this.size = shape.reduce((a, b) => a * b, 1);
    const expected = tensorByteLength(name, dtype, shape);
    if (bytes.byteLength !== expected) {
      throw new Error(`tensor ${name}: ${bytes.byteLength} bytes for ${dtype}[${shape.join(', ')}], expected ${expected}`);
    }
  }

  /** Values as f32 (row-major, same shape). A view, not a copy, when stored f32 and aligned. */
  toF32(): Float32Array {
    switch (this.dtype) {
      case 'F32': return view(this.bytes, Float32Array);
      case 'F16': return f16ArrayToF32(this.rawBits());
      case 'BF16': return bf16ArrayToF32(this.rawBits());
      default: return dequantize(this.dtype, this.bytes);
    }
  }

  get quantized(): boolean {
    return isQuantType(this.dtype);
  }

  /**
   * IEEE f16 bits (two per u32 when viewed as a Uint32Array, low half first — what WGSL's
   * unpack2x16float expects). For F16 tensors these are the stored bits, unchanged;
   * for F32/BF16 they are rounded to nearest even.
   */
  toF16Bits(): Uint16Array {
    return this.dtype === 'F16' ? this.rawBits() : f32ArrayToF16(this.toF32());
  }

  /** A BF16 tensor whose every value f16 holds (bf16FitsF16); false for any other dtype. */
  bf16FitsF16(): boolean {
    if (this.dtype !== 'BF16') return false;
    this.fitsF16 ??= bf16FitsF16(this.rawBits());
    return this.fitsF16;
  }

  /** The stored 16-bit words of an F16 or BF16 tensor. */
  rawBits(): Uint16Array {
    if (this.dtype !== 'F16' && this.dtype !== 'BF16') throw new Error(`tensor ${this.name}: rawBits() needs a 16-bit dtype, this one is ${this.dtype}`);
    return view(this.bytes, Uint16Array);
  }
}

/** Bytes of a tensor of this type and shape; a quantized one needs rows of whole blocks. */
export function tensorByteLength(name: string, dtype: TensorType, shape: readonly number[]): number {
  const size = shape.reduce((a, b) => a * b, 1);
  if (!isQuantType(dtype)) return size * BYTES_PER_ELEMENT[dtype];
  try {
    return quantByteLength(dtype, size, shape.at(-1) ?? 1);
  } catch (e) {
    throw new Error(`tensor ${name}: ${(e as Error).message}`, { cause: e });
  }
}

/** A typed view over `bytes`, copying only when the offset is not aligned to the element size. */
function view<T extends Float32Array | Uint16Array>(
  bytes: Uint8Array,
  ctor: { new(buffer: ArrayBuffer, byteOffset: number, length: number): T; readonly BYTES_PER_ELEMENT: number },
): T {
  const size = ctor.BYTES_PER_ELEMENT;
  const source = bytes.byteOffset % size === 0 && bytes.buffer instanceof ArrayBuffer ? bytes : bytes.slice();
  return new ctor(source.buffer as ArrayBuffer, source.byteOffset, source.byteLength / size);
}
