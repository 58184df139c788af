// Tile-major weight matrices on the GPU, shared by the kernels that read them (matmul streams
// them, embed gathers rows of the tied table). A weight-format prelude (weights-<format>.wgsl) is
// prepended to such a kernel's WGSL: it binds `weights` at binding 0 and defines load_w4 / load_w,
// so the kernel body is the same for every format.
import f32Prelude from './weights-f32.wgsl?raw';
import f16Prelude from './weights-f16.wgsl?raw';
import q8Prelude from './weights-q8_0.wgsl?raw';
import q4Prelude from './weights-q4_0.wgsl?raw';
import q5Prelude from './weights-q5_0.wgsl?raw';
import q4kPrelude from './weights-q4_k.wgsl?raw';
import q6kPrelude from './weights-q6_k.wgsl?raw';
import { FORMAT_LAYOUT, interleaveTiles, toTileMajor, type MatrixPlan, type WeightFormat } from '../../../plan/wafer-plan.ts';
import { f16ArrayToF32, f32ArrayToF16 } from '../../../../../model/half.ts';
import { BLOCK, dequantize, quantize, type QuantType } from '../../../../../model/quant.ts';
import type { BufferGroup } from '../../context.ts';

const PRELUDE: Record<WeightFormat, string> = {
  f32: f32Prelude, f16: f16Prelude, q8_0: q8Prelude, q4_0: q4Prelude, q5_0: q5Prelude, q4_k: q4kPrelude, q6_k: q6kPrelude,
};

export function weightPrelude(format: WeightFormat): string {
  return PRELUDE[format];
}

/**
 * How a block format's GGML blocks sit in one GPU unit (see each prelude): blocks per unit, the
 * unit's u32 words, and where a block's bytes go (`place`: slot-th block of the unit at byte `at`).
 */
interface BlockPacking {
  blocksPerUnit: number;
  unitWords: number;
  place(out: Uint8Array, at: number, slot: number, block: Uint8Array): void;
}

/** Q8_0/Q4_0/Q5_0 pairs: both f16 scales in word 0, then each block's other bytes. */
const pairOfBlocks = (quantBytes: number): BlockPacking => ({
  blocksPerUnit: 2,
  unitWords: 1 + quantBytes / 2,
  place(out, at, slot, block) {
    out.set(block.subarray(0, 2), at + 2 * slot);
    out.set(block.subarray(2), at + 4 + slot * quantBytes);
  },
});

const PACKING: Partial<Record<WeightFormat, BlockPacking>> = {
  q8_0: pairOfBlocks(32),
  q4_0: pairOfBlocks(16),
  q5_0: pairOfBlocks(20), // per block: qh (4 bytes), then qs (16)
  q4_k: { blocksPerUnit: 1, unitWords: 36, place: (out, at, _slot, block) => out.set(block, at) },
  // d moves to the front so ql, qh and scales start on a word.
  q6_k: {
    blocksPerUnit: 1, unitWords: 53,
    place(out, at, _slot, block) { out.set(block.subarray(208, 210), at); out.set(block.subarray(0, 208), at + 4); },
  },
};

/**
 * A weight matrix resident on the GPU in its plan's tile-major order, in one buffer or, when it
 * is larger than one binding may be, in parts of whole row blocks (a row block = the Q tiles of
 * tileRows rows, contiguous in tile-major order). The kernels run once per part.
 */
export interface TiledMatrix {
  plan: MatrixPlan;
  parts: readonly TiledPart[];
}

export interface TiledPart {
  buffer: GPUBuffer;
  /** The plan's row block this part starts at (rows firstRowBlock·tileRows ..). */
  firstRowBlock: number;
  rowBlocks: number;
}

/**
 * W [N, K] row-major, in whichever encoding the checkpoint has: f32 values, raw f16 bits, or whole
 * GGML blocks (each row K / 32 blocks). Passing the stored encoding lets the upload skip a decode.
 */
export type WeightData = Float32Array | { f16Bits: Uint16Array } | { blocks: Uint8Array; type: QuantType };

const asF32 = (data: WeightData): Float32Array =>
  data instanceof Float32Array ? data : 'f16Bits' in data ? f16ArrayToF32(data.f16Bits) : dequantize(data.type, data.blocks);

/**
 * Uploads W in the plan's tile-major order (in its tile layout) and format. Converting costs precision only where the
 * format holds less: f32 → f16 rounds to nearest even; float → Q8_0/Q4_0 uses ggml's reference
 * quantizers ("quantize on load"); blocks of the plan's own type are copied bit for bit.
 */
export function uploadTiled(group: BufferGroup, plan: MatrixPlan, data: WeightData, maxBindingBytes = group.device.limits.maxStorageBufferBindingSize): TiledMatrix {
  let out: ArrayBufferView;
  const type = FORMAT_LAYOUT[plan.format].blockType;
  if (type) {
    const own = !(data instanceof Float32Array) && 'blocks' in data && data.type === type;
    out = packBlockTiles(plan, type, own ? data.blocks : quantizeRows(plan, type, asF32(data)));
  } else if (plan.format === 'f16') {
    const bits = !(data instanceof Float32Array) && 'f16Bits' in data ? data.f16Bits : f32ArrayToF16(asF32(data));
    out = toTileMajor(plan, bits, (n) => new Uint16Array(n));
  } else {
    out = toTileMajor(plan, asF32(data), (n) => new Float32Array(n));
  }
  if (plan.kernel === 'interleaved') interleaveTiles(plan, new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
  return { plan, parts: splitRowBlocks(group, plan, out, maxBindingBytes) };
}

/** One buffer when it fits a binding, else parts of as many whole row blocks as fit. */
function splitRowBlocks(group: BufferGroup, plan: MatrixPlan, data: ArrayBufferView, maxBindingBytes: number): TiledPart[] {
  const blockBytes = data.byteLength / plan.grid.p;
  return partRanges(plan, data.byteLength, maxBindingBytes).map(({ firstRowBlock, rowBlocks }, i, all) => {
    const bytes = new Uint8Array(data.buffer, data.byteOffset + firstRowBlock * blockBytes, rowBlocks * blockBytes);
    return { buffer: group.storage(all.length === 1 ? `w:${plan.name}` : `w:${plan.name}#${i}`, bytes), firstRowBlock, rowBlocks };
  });
}

/** The row-block ranges of the parts a matrix of `bytes` takes under the binding limit. */
function partRanges(plan: MatrixPlan, bytes: number, maxBindingBytes: number): { firstRowBlock: number; rowBlocks: number }[] {
  const p = plan.grid.p;
  if (bytes <= maxBindingBytes) return [{ firstRowBlock: 0, rowBlocks: p }];
  const blockBytes = bytes / p;
  const perPart = Math.floor(maxBindingBytes / blockBytes);
  if (perPart < 1) {
    throw new Error(`${plan.name}: one row block (${plan.tile.rows} rows, ${blockBytes} bytes) is over the device's binding limit of ${maxBindingBytes} bytes`);
  }
  const ranges = [];
  for (let first = 0; first < p; first += perPart) ranges.push({ firstRowBlock: first, rowBlocks: Math.min(perPart, p - first) });
  return ranges;
}

/**
 * A zero-filled matrix, split like an upload of it would be (the autotune times grids on it; the
 * values don't matter). plan.storedBytes is the packed size in every format.
 */
export function zeroTiled(group: BufferGroup, plan: MatrixPlan, maxBindingBytes = group.device.limits.maxStorageBufferBindingSize): TiledMatrix {
  const blockBytes = plan.storedBytes / plan.grid.p;
  const parts = partRanges(plan, plan.storedBytes, maxBindingBytes).map(({ firstRowBlock, rowBlocks }, i) => ({
    buffer: group.create(`w:${plan.name}#${i}`, rowBlocks * blockBytes, GPUBufferUsage.STORAGE), firstRowBlock, rowBlocks,
  }));
  return { plan, parts };
}

function quantizeRows(plan: MatrixPlan, type: QuantType, values: Float32Array): Uint8Array {
  if (type !== 'Q8_0' && type !== 'Q4_0') {
    throw new Error(`${plan.name}: ${plan.format} keeps ${type} blocks as stored; quantizing on load makes q8_0 or q4_0 only`);
  }
  if (plan.cols % BLOCK[type].elements !== 0) {
    throw new Error(`${plan.name}: ${plan.format} needs K a multiple of ${BLOCK[type].elements}, got ${plan.cols}`);
  }
  return quantize(type, values);
}

/**
 * Rearranges row-major blocks into the plan's tile-major order, unit by unit (see PACKING). Tile
 * rows hold whole units (the plan pads tile columns to the format's alignment); padding blocks
 * are zeros, so they read as zero weights.
 */
function packBlockTiles(plan: MatrixPlan, type: QuantType, blocks: Uint8Array): Uint32Array {
  const packing = PACKING[plan.format];
  if (!packing) throw new Error(`${plan.name}: no block packing for ${plan.format}`);
  const { elements, bytes: blockBytes } = BLOCK[type];
  const blocksPerRow = plan.cols / elements;
  if (!Number.isInteger(blocksPerRow)) throw new Error(`${plan.name}: ${plan.format} needs K a multiple of ${elements}, got ${plan.cols}`);
  if (blocks.byteLength !== plan.rows * blocksPerRow * blockBytes) {
    throw new Error(`${plan.name}: ${blocks.byteLength} bytes of ${type} blocks, expected ${plan.rows}x${plan.cols} (${plan.rows * blocksPerRow * blockBytes})`);
  }
  const { rows: tr, cols: tc } = plan.tile;
  const q = plan.grid.q;
  const unitElements = packing.blocksPerUnit * elements;
  const unitsPerTileRow = tc / unitElements;
  const out = new Uint32Array((plan.storedElements / unitElements) * packing.unitWords);
  const outBytes = new Uint8Array(out.buffer);
  for (let n = 0; n < plan.rows; n++) {
    const r = Math.floor(n / tr), inRow = n % tr;
    for (let c = 0; c < q; c++) {
      const firstUnit = ((r * q + c) * tr + inRow) * unitsPerTileRow;
      for (let u = 0; u < unitsPerTileRow; u++) {
        const at = (firstUnit + u) * packing.unitWords * 4;
        for (let slot = 0; slot < packing.blocksPerUnit; slot++) {
          const col = (c * tc) / elements + u * packing.blocksPerUnit + slot;
          if (col >= blocksPerRow) break;
          const from = (n * blocksPerRow + col) * blockBytes;
          packing.place(outBytes, at, slot, blocks.subarray(from, from + blockBytes));
        }
      }
    }
  }
  return out;
}
