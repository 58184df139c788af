// The f16-maths product of the tiled GEMV/GEMM (GridChoice f16Math): matmul-f16.wgsl replaces
// matmul.wgsl's f32 `wx`; kernels/matmul/matmul.ts builds and dispatches it like every tile pass,
// and `f16MathFits` says whether a device can run it.
import f16Source from './matmul-f16.wgsl?raw';
import { kernelShader } from '../uniforms.ts';

/** Declares no struct; the directive its module needs first. */
export const SHADER = kernelShader(f16Source, []);
export const F16_ENABLE = 'enable f16;\n';

/** Whether `device` was opened with `shader-f16`, which the f16-maths tile pass needs. */
export const f16MathFits = (device: GPUDevice): boolean => device.features.has('shader-f16');
