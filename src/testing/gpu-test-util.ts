// Helpers shared by the *.gpu.test.ts files (runs in the browser): a device, seeded random data,
// readback and error measures. Not a test file itself.
import { readBuffer } from '../engine/backends/gpu/context.ts';

export async function testDevice(features: GPUFeatureName[] = []): Promise<GPUDevice> {
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) throw new Error('no WebGPU adapter');
  const requiredFeatures = features.filter((f) => adapter.features.has(f));
  return adapter.requestDevice({
    requiredFeatures,
    requiredLimits: {
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxBufferSize: adapter.limits.maxBufferSize,
      maxStorageBuffersPerShaderStage: adapter.limits.maxStorageBuffersPerShaderStage,
    },
  });
}

/** Deterministic uniform values in [-scale, scale) (mulberry32). */
export function randomArray(length: number, seed: number, scale = 1): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

export async function readF32(device: GPUDevice, buf: GPUBuffer, length: number): Promise<Float32Array> {
  return new Float32Array(await readBuffer(device, buf, length * 4));
}

export async function readU32(device: GPUDevice, buf: GPUBuffer, length: number): Promise<Uint32Array> {
  return new Uint32Array(await readBuffer(device, buf, length * 4));
}

/** max |a - b| / (1 + |b|): absolute near zero, relative for large values. */
export function maxMixedError(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i]! - b[i]!) / (1 + Math.abs(b[i]!));
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
  }
  return worst;
}

