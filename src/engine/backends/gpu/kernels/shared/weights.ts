// Tile-major weight matrices on the GPU, shared by the kernels that read them (matmul streams
// them, embed gathers rows of the tied table). A weight-format prelude (weights-<format>.wgsl) is
// prepended to such a kernel's WGSL: it binds `weights` at binding 0 and defines load_w4 / load_w,
// so the kernel body is the same for every format.
import f32Prelude from './weights-f32.wgsl?raw';
import f16Prelude from './weights-f16.wgsl?raw';
import q8Prelude from './weights-q8_0.wgsl?raw';
import q4Prelude from './weights-q4_0.wgsl?raw';
import { toTileMajor, type MatrixPlan, type WeightFormat } from '../../../plan/wafer-plan.ts';
import { f16ArrayToF32, f32ArrayToF16 } from '../../../../../model/half.ts';
import { BLOCK, dequantize, quantize, type QuantType } from '../../../../../model/quant.ts';
import type { BufferGroup } from '../../context.ts';

const PRELUDE: Record<WeightFormat, string> = { f32: f32Prelude, f16: f16Prelude, q8_0: q8Prelude, q4_0: q4Prelude };

export function weightPrelude(format: WeightFormat): string {
  return PRELUDE[format];
}

/** The GGML block type a quantized format keeps, and the u32 words of one block pair on the GPU. */
const QUANT: Partial<Record<WeightFormat, { type: 'Q8_0' | 'Q4_0'; pairWords: number }>> = {
  q8_0: { type: 'Q8_0', pairWords: 17 },
  q4_0: { type: 'Q4_0', pairWords: 9 },
};

/** A weight matrix resident on the GPU in its plan's tile-major order. */
export interface TiledMatrix {
  plan: MatrixPlan;
  buffer: GPUBuffer;
}

/**
 * W [N, K] row-major, in whichever encoding the checkpoint has: f32 values, raw f16 bits, or whole
 * GGML blocks (each row K / 32 blocks). Passing the stored encoding lets the upload skip a decode.
 */
export type WeightData = Float32Array | { f16Bits: Uint16Array } | { blocks: Uint8Array; type: QuantType };

const asF32 = (data: WeightData): Float32Array =>
  data instanceof Float32Array ? data : 'f16Bits' in data ? f16ArrayToF32(data.f16Bits) : dequantize(data.type, data.blocks);

/**
 * Uploads W in the plan's tile-major order and format. Converting costs precision only where the
 * format holds less: f32 → f16 rounds to nearest even; float → Q8_0/Q4_0 uses ggml's reference
 * quantizers ("quantize on load"); blocks of the plan's own type are copied bit for bit.
 */
export function uploadTiled(group: BufferGroup, plan: MatrixPlan, data: WeightData): TiledMatrix {
  let out: ArrayBufferView;
  const quant = QUANT[plan.format];
  if (quant) {
    const blocks = !(data instanceof Float32Array) && 'blocks' in data && data.type === quant.type ? data.blocks : quantizeRows(plan, quant.type, asF32(data));
    out = packBlockTiles(plan, quant.type, quant.pairWords, blocks);
  } else if (plan.format === 'f16') {
    const bits = !(data instanceof Float32Array) && 'f16Bits' in data ? data.f16Bits : f32ArrayToF16(asF32(data));
    out = toTileMajor(plan, bits, (n) => new Uint16Array(n));
  } else {
    out = toTileMajor(plan, asF32(data), (n) => new Float32Array(n));
  }
  return { plan, buffer: group.storage(`w:${plan.name}`, out) };
}

function quantizeRows(plan: MatrixPlan, type: 'Q8_0' | 'Q4_0', values: Float32Array): Uint8Array {
  if (plan.cols % BLOCK[type].elements !== 0) {
    throw new Error(`${plan.name}: ${plan.format} needs K a multiple of ${BLOCK[type].elements}, got ${plan.cols}`);
  }
  return quantize(type, values);
}

/**
 * Rearranges row-major blocks into the plan's tile-major order as block pairs (see the format's
 * prelude): per pair, one word of both f16 scales, then each block's quants. Tile rows hold whole
 * pairs (the plan pads tile columns to 64); padding blocks have scale 0, so they read as zeros.
 */
function packBlockTiles(plan: MatrixPlan, type: 'Q8_0' | 'Q4_0', pairWords: number, blocks: Uint8Array): Uint32Array {
  const { elements, bytes: blockBytes } = BLOCK[type];
  const blocksPerRow = plan.cols / elements;
  if (!Number.isInteger(blocksPerRow)) throw new Error(`${plan.name}: ${plan.format} needs K a multiple of ${elements}, got ${plan.cols}`);
  if (blocks.byteLength !== plan.rows * blocksPerRow * blockBytes) {
    throw new Error(`${plan.name}: ${blocks.byteLength} bytes of ${type} blocks, expected ${plan.rows}x${plan.cols} (${plan.rows * blocksPerRow * blockBytes})`);
  }
  const { rows: tr, cols: tc } = plan.tile;
  const q = plan.grid.q;
  const pairsPerTileRow = tc / (2 * elements);
  const out = new Uint32Array((plan.storedElements / (2 * elements)) * pairWords);
  const outBytes = new Uint8Array(out.buffer);
  const outHalves = new Uint16Array(out.buffer);
  const src = new DataView(blocks.buffer, blocks.byteOffset, blocks.byteLength);
  const quantBytes = blockBytes - 2;
  for (let n = 0; n < plan.rows; n++) {
    const r = Math.floor(n / tr), inRow = n % tr;
    for (let c = 0; c < q; c++) {
      const firstPair = ((r * q + c) * tr + inRow) * pairsPerTileRow;
      for (let pp = 0; pp < pairsPerTileRow; pp++) {
        const base = (firstPair + pp) * pairWords;
        for (let half = 0; half < 2; half++) {
          const col = (c * tc) / elements + 2 * pp + half;
          if (col >= blocksPerRow) break;
          const at = (n * blocksPerRow + col) * blockBytes;
          outHalves[2 * base + half] = src.getUint16(at, true);
          outBytes.set(blocks.subarray(at + 2, at + blockBytes), (base + 1) * 4 + half * quantBytes);
        }
      }
    }
  }
  return out;
}
