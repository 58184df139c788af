// What a remote model is before anything is downloaded, so the page can show its size, whether it
// fits this GPU, and ask the user to confirm. Only metadata is read: the hub's listing (or a HEAD
// for a URL), config.json, and the weight files' headers by byte range. Loaded on demand from the
// façade: it carries @huggingface/hub, which a page that never opens a remote model need not download.
import { parseModelConfig, type ModelConfig } from '../model/config.ts';
import { ggufHeaderModel } from '../model/gguf.ts';
import { describeModelFormat } from '../model/model-format.ts';
import { DEFAULT_HUB_ENDPOINT, downloadSize, openRemoteSource, type ModelFileSource } from '../model/model-source.ts';
import { hostAllowed, notAllowedMessage, parseModelSource } from '../model/source-spec.ts';
import type { TensorType } from '../model/tensor.ts';
import { formatBytes } from '../util/format-bytes.ts';
import { checkGpuFit, estimateModelGpu, type GpuLimits, type GpuMemoryEstimate } from './backends/gpu/memory.ts';
import type { QuantizeFormat } from './api/gpu-options.ts';

export type { GpuLimits } from './backends/gpu/memory.ts';

/** Whether the model would run on this page's GPU, as far as WebGPU lets a page know before loading. */
export type GpuFitReport =
  | { kind: 'fits'; memory: GpuMemoryEstimate; text: string }
  | { kind: 'does-not-fit'; memory: GpuMemoryEstimate; text: string }
  /** No WebGPU here: the model runs on the CPU. */
  | { kind: 'cpu'; text: string }
  /** The headers could not be read or describe a model this engine cannot run; `text` says why. */
  | { kind: 'unknown'; text: string };

export interface RemoteModelInfo {
  /** The source as given (trimmed): what the user typed. */
  source: string;
  /** Where it resolved: org/name@<commit>[:file.gguf], or the URL. What a load and a share link carry. */
  label: string;
  /** The host the files come from (for the user to judge). */
  host: string;
  layout: 'hf' | 'gguf';
  /** The GGUF file's name, for layout 'gguf'. */
  ggufFile?: string;
  /** What the weights are stored as, e.g. "gguf:Q4_K_M" or "safetensors:bf16"; absent when the headers could not be read. */
  format?: string;
  /** Bytes a load downloads; undefined when the server does not say. */
  bytes?: number;
  gpu: GpuFitReport;
}

export interface DescribeOptions {
  /** The hub repo ids resolve against; default huggingface.co. */
  hubEndpoint?: string;
  signal?: AbortSignal;
  /**
   * The origins the page may fetch models from (its CSP's connect-src); a source elsewhere is refused
   * before any request. A worker's fetches are not under the page's <meta> CSP, so this is the check.
   */
  allowedHosts?: readonly string[];
  /**
   * The limits to check against: default this page's WebGPU adapter's (null: no WebGPU, so the CPU);
   * tests and a caller with a budget pass their own.
   */
  gpu?: GpuLimits | null;
  /** The block type float weights would be quantized to on load (the estimate counts them so). */
  quantizeFloats?: QuantizeFormat;
}

/**
 * Resolves a hub id org/name[@revision][:file.gguf] or an https URL of a .gguf file: the hub is asked
 * for the commit and the file list, a URL gets a HEAD; then the headers are read by range for the
 * GPU estimate. Rejects with model-source.ts's reason (a bad id, no such repository, an unreachable
 * host); a header that cannot be read is reported in `gpu`, not thrown, as the size is still known.
 */
export async function describeRemoteModel(text: string, options: DescribeOptions = {}): Promise<RemoteModelInfo> {
  const source = text.trim();
  const signal = options.signal;
  if (options.allowedHosts) checkHost(source, options.hubEndpoint ?? DEFAULT_HUB_ENDPOINT, options.allowedHosts);
  const opened = await openRemoteSource(source, {
    ...(options.hubEndpoint !== undefined ? { endpoint: options.hubEndpoint } : {}),
    ...(signal ? { signal } : {}),
  });
  const bytes = await downloadSize(opened, { ...(opened.files ? {} : { url: opened.label }), ...(signal ? { signal } : {}) });
  const limits = options.gpu !== undefined ? options.gpu : await adapterLimits();
  let format: string | undefined;
  let gpu: GpuFitReport;
  try {
    const header = await readModelHeader(opened, signal);
    format = header.format;
    gpu = fitReport(header.config, (name) => header.types.get(name), limits, options.quantizeFloats);
  } catch (err) {
    signal?.throwIfAborted();
    gpu = { kind: 'unknown', text: `GPU fit unknown (${err instanceof Error ? err.message : String(err)})` };
  }
  return {
    source, label: opened.label, host: hostOf(opened, options.hubEndpoint), layout: opened.layout,
    ...(opened.ggufFile !== undefined ? { ggufFile: opened.ggufFile } : {}),
    ...(format !== undefined ? { format } : {}),
    ...(bytes !== undefined ? { bytes } : {}),
    gpu,
  };
}

/** The estimate and the verdict, in the words the picker shows ("~520 MiB on the GPU: fits"). */
export function fitReport(
  config: ModelConfig, typeOf: (name: string) => TensorType | undefined, limits: GpuLimits | null, quantizeFloats?: QuantizeFormat,
): GpuFitReport {
  if (limits === null) return { kind: 'cpu', text: 'no WebGPU here: it will run on the CPU' };
  const estimate = estimateModelGpu(config, typeOf, { maxBindingBytes: limits.maxStorageBufferBindingSize, ...(quantizeFloats ? { quantizeFloats } : {}) });
  const fit = checkGpuFit(estimate, limits);
  const total = `~${formatBytes(fit.memory.total)} on the GPU`;
  return fit.fits
    ? { kind: 'fits', memory: fit.memory, text: `${total}: fits` }
    : { kind: 'does-not-fit', memory: fit.memory, text: `${total}: does not fit: ${fit.reason}` };
}

/** The config and each weight's stored type, from config.json and the weight headers (byte ranges only). */
async function readModelHeader(source: ModelFileSource, signal?: AbortSignal): Promise<{ config: ModelConfig; types: Map<string, TensorType>; format: string }> {
  const format = await describeModelFormat(source, signal);
  if (format.ggufMetadata) {
    return { ...ggufHeaderModel(format.ggufMetadata, format.tensorTypes, source.ggufFile ?? 'model.gguf'), format: format.label };
  }
  const res = await source.fetch('config.json', signal ? { signal } : {});
  if (!res.ok) throw new Error(`config.json: HTTP ${res.status}`);
  const config = parseModelConfig(await res.json());
  const types = new Map<string, TensorType>();
  for (const [name, dtype] of format.tensorTypes) {
    const upper = dtype.toUpperCase();
    if (upper === 'F32' || upper === 'F16' || upper === 'BF16') types.set(name, upper);
  }
  return { config, types, format: format.label };
}

/** Throws when the source's host (a URL's, or the hub's for a hub id) is not one the page may fetch from. */
function checkHost(source: string, hub: string, allowed: readonly string[]): void {
  const spec = parseModelSource(source);
  const url = new URL(spec.kind === 'url' ? spec.url : hub);
  if (!allowed.some((pattern) => hostAllowed(url, pattern))) throw new Error(`${source}: ${notAllowedMessage(url)}`);
}

/** This page's WebGPU adapter's per-buffer limits, or null when there is no WebGPU (or no adapter). */
async function adapterLimits(): Promise<GpuLimits | null> {
  const gpu = typeof navigator !== 'undefined' ? navigator.gpu : undefined;
  const adapter = await gpu?.requestAdapter().catch(() => null);
  if (!adapter) return null;
  return { maxBufferSize: adapter.limits.maxBufferSize, maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize };
}

function hostOf(source: ModelFileSource, hubEndpoint: string | undefined): string {
  try {
    return new URL(source.files ? (hubEndpoint ?? DEFAULT_HUB_ENDPOINT) : source.label).host;
  } catch {
    return '';
  }
}
