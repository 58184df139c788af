// Picks the backend for a loaded model: the WebGPU engine (backends/gpu/, loaded lazily so the
// CPU-only path never downloads it) or the CPU reference, with the reason whenever
// WebGPU was wanted but the CPU runs instead.
import type { LoadedModel } from '../../model/load.ts';
import type { Backend } from '../backends/backend.ts';
import { CpuBackend } from '../backends/cpu/cpu-backend.ts';
import type { GpuOptions } from '../api/gpu-options.ts';
import type { BackendPreference } from '../api/protocol.ts';

export type GpuBackendFactory = (model: LoadedModel, options: GpuOptions) => Promise<Backend>;

export interface SelectedBackend {
  backend: Backend;
  fallbackReason?: string;
}

/** The GPU backend module, loaded on first use (its own chunk in the build). */
export async function loadGpuBackendFactory(): Promise<GpuBackendFactory> {
  const { createGpuBackend } = await import('../backends/gpu/gpu-backend.ts');
  return createGpuBackend;
}

export interface SelectOptions {
  preference: BackendPreference;
  gpuOptions?: GpuOptions;
  /** Injected in tests; defaults to the real module lookup. */
  gpuFactory?: () => Promise<GpuBackendFactory | string>;
  /** Injected in tests; defaults to navigator.gpu. */
  hasWebGpu?: boolean;
}

export async function selectBackend(model: LoadedModel, options: SelectOptions): Promise<SelectedBackend> {
  if (options.preference === 'cpu') return { backend: new CpuBackend(model, { description: 'CPU reference (requested)' }) };
  const reason = await tryGpu(model, options);
  if (typeof reason !== 'string') return { backend: reason };
  if (options.preference === 'webgpu') throw new Error(`WebGPU backend requested but unavailable: ${reason}`);
  return { backend: new CpuBackend(model, { description: `CPU reference (fallback: ${reason})` }), fallbackReason: reason };
}

/** The GPU backend, or why there is none. */
async function tryGpu(model: LoadedModel, options: SelectOptions): Promise<Backend | string> {
  const hasWebGpu = options.hasWebGpu ?? (typeof navigator !== 'undefined' && 'gpu' in navigator && !!navigator.gpu);
  if (!hasWebGpu) return 'WebGPU is not available here (navigator.gpu is missing)';
  let factory: GpuBackendFactory | string;
  try {
    factory = await (options.gpuFactory ?? loadGpuBackendFactory)();
  } catch (err) {
    return `the WebGPU backend failed to load: ${errorMessage(err)}`;
  }
  if (typeof factory === 'string') return factory;
  try {
    return await factory(model, options.gpuOptions ?? {});
  } catch (err) {
    return `the WebGPU backend failed to start: ${errorMessage(err)}`;
  }
}

export const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));
