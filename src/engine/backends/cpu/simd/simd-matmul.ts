// The CPU path's matrix products in WebAssembly SIMD (gemm.wat): the same maths as the reference's
// linear() (reference/ops.ts), 4 lanes wide. The weights live in the module's memory, placed once at
// load; each call copies only the activations in and the outputs out.
//
// The memory is sized once (weights + a fixed scratch) and never grows, so views on it stay valid:
// the model holds its matrices as views into it rather than a second copy. A call with more rows
// than the scratch holds runs in chunks of rows; each output's sum has one order (gemm.wat), so
// chunking, like batching, never changes a bit.
import { WASM_BASE64 } from './gemm.wat.ts';
import type { MatmulOp } from '../reference/ops.ts';

const PAGE_BYTES = 65_536;
/** Scratch floats for the activations and outputs of one chunk of rows (4 MiB). */
const SCRATCH_FLOATS = 1 << 20;
const ALIGN_FLOATS = 4;
const padded = (floats: number): number => Math.ceil(floats / ALIGN_FLOATS) * ALIGN_FLOATS;

interface GemmExports {
  memory: WebAssembly.Memory;
  gemm(x: number, w: number, out: number, bias: number, t: number, n: number, k: number): void;
}

/** gemm.wat's binary, decoded once (under a kilobyte). */
const WASM_BYTES: Uint8Array<ArrayBuffer> = Uint8Array.from(atob(WASM_BASE64), (c) => c.charCodeAt(0));

/** Why WebAssembly SIMD cannot run here, or undefined when it can. */
export function simdUnavailable(): string | undefined {
  if (typeof WebAssembly === 'undefined') return 'WebAssembly is not available';
  try {
    return WebAssembly.validate(WASM_BYTES) ? undefined : 'this browser has no WebAssembly SIMD';
  } catch (err) {
    return `WebAssembly cannot compile here: ${err instanceof Error ? err.message : String(err)}`;
  }
}

export class SimdMatmul implements MatmulOp {
  private readonly heap: Float32Array;
  /** Float offset of each placed array, by the view on the module's memory that holds it. */
  private readonly offsets = new Map<Float32Array, number>();
  /** Where the next placed array goes; once all are placed, where the scratch starts. */
  private scratchAt = ALIGN_FLOATS;

  /**
   * Places `arrays` (every matrix and bias the forward pass multiplies by) in a new module's
   * memory. `views[i]` holds arrays[i]'s values; the model keeps those instead of the originals.
   */
  static place(arrays: readonly Float32Array[]): { op: SimdMatmul; views: Float32Array[] } {
    const why = simdUnavailable();
    if (why) throw new Error(why);
    const exports = new WebAssembly.Instance(new WebAssembly.Module(WASM_BYTES)).exports as unknown as GemmExports;
    // Floats 0..3 stay unused: offset 0 means "no bias" to the kernel.
    const floats = ALIGN_FLOATS + [...new Set(arrays)].reduce((a, w) => a + padded(w.length), 0) + SCRATCH_FLOATS;
    const pages = Math.ceil(floats * 4 / PAGE_BYTES) - exports.memory.buffer.byteLength / PAGE_BYTES;
    if (pages > 0) exports.memory.grow(pages);
    const op = new SimdMatmul(exports);
    return { op, views: op.placeAll(arrays) };
  }

  private constructor(private readonly exports: GemmExports) {
    this.heap = new Float32Array(exports.memory.buffer);
  }

  private placeAll(arrays: readonly Float32Array[]): Float32Array[] {
    const placed = new Map<Float32Array, Float32Array>();
    return arrays.map((w) => {
      let view = placed.get(w);
      if (!view) {
        this.heap.set(w, this.scratchAt);
        view = this.heap.subarray(this.scratchAt, this.scratchAt + w.length);
        this.offsets.set(view, this.scratchAt);
        placed.set(w, view);
        this.scratchAt += padded(w.length);
      }
      return view;
    });
  }

  linear(x: Float32Array, w: Float32Array, n: number, k: number, bias?: Float32Array): Float32Array {
    const wAt = this.offsets.get(w);
    const biasAt = bias ? this.offsets.get(bias) : 0;
    if (wAt === undefined || biasAt === undefined) throw new Error('SimdMatmul: a weight that was not placed at load');
    if (w.length !== n * k) throw new Error(`linear: W has ${w.length} values, expected ${n}x${k}`);
    if (x.length % k !== 0) throw new Error(`linear: x.length ${x.length} is not a multiple of K=${k}`);
    if (k + n > SCRATCH_FLOATS) throw new Error(`SimdMatmul: a ${n}x${k} matrix's row does not fit the scratch`);
    const t = x.length / k;
    const out = new Float32Array(t * n);
    const rowsPerChunk = Math.floor(SCRATCH_FLOATS / (k + n));
    const xAt = this.scratchAt;
    for (let row = 0; row < t; row += rowsPerChunk) {
      const rows = Math.min(rowsPerChunk, t - row);
      const outAt = xAt + rows * k;
      this.heap.set(x.subarray(row * k, (row + rows) * k), xAt);
      this.exports.gemm(xAt * 4, wAt * 4, outAt * 4, biasAt * 4, rows, n, k);
      out.set(this.heap.subarray(outAt, outAt + rows * n), row * n);
    }
    return out;
  }
}
