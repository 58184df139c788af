// Picks the backend for a loaded model: the WebGPU engine (src/engine/gpu/gpu-backend.ts, loaded
// lazily so the CPU-only path never downloads it) or the CPU reference, with the reason whenever
// WebGPU was wanted but the CPU runs instead.
import type { LoadedModel } from '../model/load.ts';
import type { Backend } from './backend.ts';
import { CpuBackend } from './cpu-backend.ts';
import type { BackendPreference } from './protocol.ts';

export type GpuBackendFactory = (model: LoadedModel, options: Record<string, unknown>) => Promise<Backend>;

export interface SelectedBackend {
  backend: Backend;
  fallbackReason?: string;
}

/**
 * The GPU backend module, if it exists in this build. import.meta.glob (rather than import())
 * keeps the build and the type check working before part B lands the file: a missing file is an
 * empty map, not an error.
 */
export async function loadGpuBackendFactory(): Promise<GpuBackendFactory | string> {
  const modules = import.meta.glob('./gpu/gpu-backend.ts');
  const load = modules['./gpu/gpu-backend.ts'];
  if (!load) return 'the WebGPU backend is not in this build (src/engine/gpu/gpu-backend.ts is missing)';
  const mod = (await load()) as { createGpuBackend?: unknown };
  if (typeof mod.createGpuBackend !== 'function') return 'src/engine/gpu/gpu-backend.ts does not export createGpuBackend';
  return mod.createGpuBackend as GpuBackendFactory;
}

export interface SelectOptions {
  preference: BackendPreference;
  gpuOptions?: Record<string, unknown>;
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
