// The subgroup-reduced tile pass of the tiled GEMV/GEMM (GridChoice kernel 'subgroup'): LANES
// threads per weight row, combined by a fixed-order subgroup butterfly. Kernel:
// matmul-subgroup.wgsl, which extends matmul.wgsl; kernels/matmul/matmul.ts builds and dispatches
// it like the other tile passes, and `subgroupLanesFor` says which lane counts a device can run.
import subgroupSource from './matmul-subgroup.wgsl?raw';
import { SUBGROUP_LANES } from '../../../plan/wafer-plan.ts';
import { kernelShader } from '../uniforms.ts';

/** Declares no struct: it reads matmul.wgsl's Params. */
export const SHADER = kernelShader(subgroupSource, []);

/** The entry point, and the directive its module needs first. */
export const SUBGROUP_ENTRY = 'tile_subgroup';
/** The entry that also writes the lm_head's row statistics (matmul.ts MatmulArgs.rowStats). */
export const SUBGROUP_STATS_ENTRY = 'tile_subgroup_stats';
/** The layout check the autotune runs first (see matmul.ts subgroupLanesHold). */
export const LANE_CHECK_ENTRY = 'lane_check';
export const SUBGROUP_ENABLE = 'enable subgroups;\n';

/**
 * Whether `lanes` threads per row can run on `device`: it has the `subgroups` feature and its
 * smallest subgroup holds at least `lanes` invocations (so a row's lanes are never split).
 */
export function subgroupLanesFit(device: GPUDevice, lanes: number): boolean {
  const min = device.adapterInfo?.subgroupMinSize;
  return device.features.has('subgroups') && min !== undefined && lanes <= min;
}

/** The lane counts worth timing on `device`: powers of two from 4 up to its smallest subgroup. */
export function subgroupLanesFor(device: GPUDevice): number[] {
  const out: number[] = [];
  for (let lanes = 4; lanes <= SUBGROUP_LANES.max; lanes *= 2) if (subgroupLanesFit(device, lanes)) out.push(lanes);
  return out;
}

