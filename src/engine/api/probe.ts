// WebGPU probe at start: is there an adapter and a device, what is it, and does it offer the
// optional features the engine can use (shader-f16, subgroups, timestamp-query)? It runs async and
// never blocks the editor; every failure becomes a plain sentence for the status bar.

export type ProbeStatus = 'ok' | 'no-webgpu' | 'no-adapter' | 'no-device' | 'error';

export interface ProbeFeatures {
  shaderF16: boolean;
  subgroups: boolean;
  timestampQuery: boolean;
}

export interface ProbeResult {
  status: ProbeStatus;
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
  features: ProbeFeatures;
  /** Why the probe failed, when it did (the browser's own message where there is one). */
  detail?: string;
  /** False when navigator.gpu is missing because the page isn't a secure context. */
  secureContext: boolean;
}

const NO_FEATURES: ProbeFeatures = { shaderF16: false, subgroups: false, timestampQuery: false };

function failed(status: ProbeStatus, detail: string | undefined, secureContext: boolean): ProbeResult {
  return {
    status, vendor: '', architecture: '', device: '', description: '', isFallbackAdapter: false,
    features: { ...NO_FEATURES }, secureContext, ...(detail === undefined ? {} : { detail }),
  };
}

export interface ProbeOptions {
  /** Defaults to navigator.gpu; tests pass a double, or undefined for "no WebGPU". */
  gpu?: GPU | undefined;
  secureContext?: boolean;
  /** A driver that never answers must not leave the status bar saying "probing" forever. */
  timeoutMs?: number;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
    promise.then(
      (value) => { clearTimeout(timer); resolve(value); },
      (err: unknown) => { clearTimeout(timer); reject(err instanceof Error ? err : new Error(String(err))); },
    );
  });
}

export async function probeWebGpu(options: ProbeOptions = {}): Promise<ProbeResult> {
  const hasNavigator = typeof navigator !== 'undefined';
  const gpu = 'gpu' in options ? options.gpu : hasNavigator ? navigator.gpu : undefined;
  const secureContext = options.secureContext ?? (typeof isSecureContext === 'boolean' ? isSecureContext : true);
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (!gpu) return failed('no-webgpu', undefined, secureContext);

  let adapter: GPUAdapter | null;
  try {
    adapter = await withTimeout(gpu.requestAdapter(), timeoutMs, 'requestAdapter');
  } catch (err) {
    return failed('error', (err as Error).message, secureContext);
  }
  if (!adapter) return failed('no-adapter', undefined, secureContext);

  const info = adapter.info;
  const features: ProbeFeatures = {
    shaderF16: adapter.features.has('shader-f16'),
    subgroups: adapter.features.has('subgroups'),
    timestampQuery: adapter.features.has('timestamp-query'),
  };
  const base = {
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    device: info?.device ?? '',
    description: info?.description ?? '',
    // Older builds put isFallbackAdapter on the adapter, newer ones on its info.
    isFallbackAdapter: Boolean((info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter
      ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter),
    features,
    secureContext,
  };

  try {
    const device = await withTimeout(adapter.requestDevice(), timeoutMs, 'requestDevice');
    // The probe only proves a device can be had; the engine creates its own with the features it wants.
    device.destroy();
  } catch (err) {
    return { ...base, status: 'no-device', detail: (err as Error).message };
  }
  return { ...base, status: 'ok' };
}

/** One line for the status bar. Pure, so it is unit-tested with made-up results. */
export function formatProbe(result: ProbeResult): string {
  switch (result.status) {
    case 'no-webgpu':
      return result.secureContext
        ? 'No WebGPU in this browser: the editor works, suggestions will use the CPU fallback.'
        : 'No WebGPU: the page is not a secure context (use https or 127.0.0.1/localhost).';
    case 'no-adapter':
      return 'WebGPU is present but no GPU adapter was offered: the editor works, suggestions will use the CPU fallback.';
    case 'error':
      return `WebGPU probe failed (${result.detail ?? 'unknown error'}): the editor works, suggestions will use the CPU fallback.`;
    case 'no-device':
    case 'ok': {
      const name = [result.vendor, result.architecture].filter(Boolean).join(' ')
        || result.description || 'unknown adapter';
      const fallback = result.isFallbackAdapter ? ' (software fallback)' : '';
      const flags = [
        `shader-f16 ${result.features.shaderF16 ? 'yes' : 'no'}`,
        `subgroups ${result.features.subgroups ? 'yes' : 'no'}`,
        `timestamp-query ${result.features.timestampQuery ? 'yes' : 'no'}`,
      ].join(', ');
      if (result.status === 'no-device') {
        return `WebGPU adapter ${name}${fallback} refused a device (${result.detail ?? 'no reason given'}): the editor works, suggestions will use the CPU fallback.`;
      }
      return `WebGPU: ${name}${fallback} · ${flags}`;
    }
  }
}
