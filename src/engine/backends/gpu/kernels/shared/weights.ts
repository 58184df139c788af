// Tile-major weight matrices on the GPU, shared by the kernels that read them (matmul streams
// them, embed gathers rows of the tied table). The weight-format prelude (weights-f32.wgsl or
// weights-f16.wgsl) is prepended to such a kernel's WGSL: it binds `weights` at binding 0 and
// defines load_w4 / load_w, so the kernel body is the same for both formats.
import f32Prelude from './weights-f32.wgsl?raw';
import f16Prelude from './weights-f16.wgsl?raw';
import { toTileMajor, type MatrixPlan, type WeightFormat } from '../../../plan/wafer-plan.ts';
import { f32ArrayToF16 } from '../../../../../model/half.ts';
import type { BufferGroup } from '../../context.ts';

export function weightPrelude(format: WeightFormat): string {
  return format === 'f16' ? f16Prelude : f32Prelude;
}

/** A weight matrix resident on the GPU in its plan's tile-major order. */
export interface TiledMatrix {
  plan: MatrixPlan;
  buffer: GPUBuffer;
}

/**
 * Uploads W [N, K] (row-major f32 values, or raw f16 bits when the checkpoint is f16) in the
 * plan's tile-major order and format. f32 → f16 rounds to nearest even.
 */
export function uploadTiled(group: BufferGroup, plan: MatrixPlan, values: Float32Array | null, f16Bits?: Uint16Array): TiledMatrix {
  let data: ArrayBufferView;
  if (plan.format === 'f16') {
    const bits = f16Bits ?? (values ? f32ArrayToF16(values) : null);
    if (!bits) throw new Error(`uploadTiled ${plan.name}: no data`);
    data = toTileMajor(plan, bits, (n) => new Uint16Array(n));
  } else {
    if (!values) throw new Error(`uploadTiled ${plan.name}: f32 storage needs f32 values`);
    data = toTileMajor(plan, values, (n) => new Float32Array(n));
  }
  return { plan, buffer: group.storage(`w:${plan.name}`, data) };
}
