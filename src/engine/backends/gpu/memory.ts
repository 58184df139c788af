// What a model takes on the GPU, from its config and its tensors' types alone: the one estimate
// the backend checks at load and the page shows before a download (remote-model.ts). Plain maths,
// no GPU objects, so it runs anywhere.

import type { ModelConfig } from '../../../model/config.ts';
import type { TensorType } from '../../../model/tensor.ts';
import type { GpuOptions } from '../../api/gpu-options.ts';
import { CONTEXT_TOKENS, defaultContext, MAX_DRAFT_TOKENS, PREFILL_CHUNK_TOKENS, TOKENS_PER_SUBMIT } from '../../api/limits.ts';
import type { ModelWaferPlan, MatrixPlan } from '../../api/plan-types.ts';
import { kvBytesPerPosition } from '../backend.ts';
import { OUT_SLOT_WORDS } from './kernels/sampler/sampler.ts';
import { rowStatParts } from './kernels/matmul/matmul.ts';
import { buildModelPlan, weightFormats, type ModelFormats } from '../plan/model-plan.ts';
import { partialFloats } from '../plan/wafer-plan.ts';

export interface GpuModelSizes {
  maxContext: number;
  /** Largest T of one forward (prefill chunk). */
  maxBatch: number;
  /** Largest number of logits rows sampled in one forward (1 + max drafts). */
  maxRows: number;
  /** outIds slots: max(tokens per submit, maxRows). */
  outSlots: number;
  /** Largest weight buffer bound at once; a larger matrix is split in row blocks. */
  maxBindingBytes: number;
}

/** Bytes the model's buffers take on the GPU, by kind: what the fit check weighs before uploading. */
export interface GpuMemoryEstimate {
  /** Matrices as stored (blocks, f16 or f32, padding included), norms, biases, RoPE tables. */
  weights: number;
  kvCache: number;
  /** Activations, logits and the sampler's buffers, for the largest batch. */
  scratch: number;
  total: number;
}

type SizeOptions = Pick<GpuOptions, 'maxContext' | 'maxBatch' | 'maxDraftTokens' | 'maxTokensPerSubmit'>;

/**
 * The buffer sizes a load uses, from the options it was given (the backend's defaults live here).
 * The context is options.maxContext, else `context`, else defaultContext: the model's window as far
 * as KV_CACHE_BYTES of K and V reach.
 */
export function gpuModelSizes(c: ModelConfig, options: SizeOptions, maxBindingBytes: number, context?: number): GpuModelSizes {
  const maxContext = options.maxContext ?? context ?? defaultContext(c.maxPositionEmbeddings, kvBytesPerPosition(c));
  const maxDraft = options.maxDraftTokens ?? MAX_DRAFT_TOKENS;
  const maxN = options.maxTokensPerSubmit ?? TOKENS_PER_SUBMIT.max;
  if (maxContext < 2 || maxContext > c.maxPositionEmbeddings) throw new Error(`maxContext ${maxContext} outside 2..${c.maxPositionEmbeddings} (max_position_embeddings)`);
  // A verify pass is a batch of 1 + maxDraft tokens, so the batch is never smaller than that.
  const maxBatch = Math.min(maxContext, Math.max(options.maxBatch ?? PREFILL_CHUNK_TOKENS, maxDraft + 1));
  return { maxContext, maxBatch, maxRows: maxDraft + 1, outSlots: Math.max(maxN, maxDraft + 1), maxBindingBytes };
}

/**
 * The KV positions a model gets: its own window, as far as memory allows. With a memory budget, the
 * most positions whose whole estimate (weights, KV cache, scratch) fits it, at least CONTEXT_TOKENS.min
 * (a model that does not fit even then is refused with the numbers); without one, what
 * KV_CACHE_BYTES of K and V hold. Either way one layer's K (or V) must fit a buffer.
 */
export function contextFor(c: ModelConfig, memoryBudgetBytes: number | undefined, totalBytes: (context: number) => number, limits: Pick<GpuLimits, 'maxBufferSize' | 'maxStorageBufferBindingSize'>): number {
  const perLayer = kvBytesPerPosition(c) / (2 * c.numLayers);
  const bufferCap = Math.floor(Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize) / perLayer);
  const cap = Math.max(CONTEXT_TOKENS.min, Math.min(c.maxPositionEmbeddings, bufferCap));
  if (memoryBudgetBytes === undefined) return Math.min(cap, defaultContext(c.maxPositionEmbeddings, kvBytesPerPosition(c)));
  // The estimate only grows with the context: the largest that fits, by bisection.
  let [lo, hi] = [CONTEXT_TOKENS.min, cap];
  if (totalBytes(hi) <= memoryBudgetBytes) return hi;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (totalBytes(mid) <= memoryBudgetBytes) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** The activation buffers' sizes in bytes: GpuModel allocates exactly these. */
export function scratchBytes(c: ModelConfig, plan: ModelWaferPlan, sizes: GpuModelSizes) {
  const { numHeads: h, numKvHeads: hkv, headDim: dh, hiddenSize: d, intermediateSize: inter } = c;
  const t = sizes.maxBatch;
  const mats = Object.values(plan.roles).filter((p): p is MatrixPlan => !!p && p.name !== 'embed');
  const partials = Math.max(0, ...mats.map((p) => partialFloats(p, p.name === 'lm_head' ? sizes.maxRows : t)));
  return {
    ids: t * 4, state: 8, outIds: sizes.outSlots * OUT_SLOT_WORDS * 4, x: t * d * 4, h: t * d * 4, qkv: t * (h + 2 * hkv) * dh * 4,
    att: t * h * dh * 4, mlp: t * inter * 4, partials: partials * 4, logits: sizes.maxRows * c.vocabSize * 4, probs: sizes.maxRows * c.vocabSize * 4,
    rowStats: plan.roles.lm_head!.rowStats ? sizes.maxRows * rowStatParts(plan.roles.lm_head!) * 3 * 4 : 0,
  };
}

/** K and V of every layer, f32, for maxContext positions. */
export const kvCacheBytes = (c: ModelConfig, sizes: GpuModelSizes) => kvBytesPerPosition(c) * sizes.maxContext;

export function estimateGpuMemory(c: ModelConfig, plan: ModelWaferPlan, sizes: GpuModelSizes): GpuMemoryEstimate {
  const perLayer = (['qkv', 'o', 'gate_up', 'down'] as const).flatMap((r) => plan.layers?.[r] ?? Array.from({ length: c.numLayers }, () => plan.roles[r]!));
  const tables = [plan.roles.lm_head!, ...(c.tieWordEmbeddings ? [] : [plan.roles.embed!])];
  const qkvRows = (c.numHeads + 2 * c.numKvHeads) * c.headDim;
  const weights = [...perLayer, ...tables].reduce((sum, m) => sum + m.storedBytes, 0)
    + ((2 * c.numLayers + 1) * c.hiddenSize + (c.attentionBias ? c.numLayers * qkvRows : 0) + sizes.maxContext * c.headDim) * 4;
  const kvCache = kvCacheBytes(c, sizes);
  const scratch = Object.values(scratchBytes(c, plan, sizes)).reduce((a, b) => a + b, 0);
  return { weights, kvCache, scratch, total: weights + kvCache + scratch };
}

/** The largest single buffer the model allocates (weights are split at the binding limit; these are not). */
export function largestBuffer(c: ModelConfig, plan: ModelWaferPlan, sizes: GpuModelSizes): number {
  const perLayerCache = kvCacheBytes(c, sizes) / (2 * c.numLayers);
  return Math.max(perLayerCache, ...Object.values(scratchBytes(c, plan, sizes)), sizes.maxContext * c.headDim * 4);
}

/** What a WebGPU adapter lets one page allocate. WebGPU reports no memory total, only per-buffer limits. */
export interface GpuLimits {
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
  /** A total to hold the estimate to (a forced limit, or GpuBackendOptions.memoryBudgetBytes); WebGPU itself says none. */
  memoryBudgetBytes?: number;
}

export type GpuFit =
  | { fits: true; memory: GpuMemoryEstimate; largestBuffer: number }
  | { fits: false; memory: GpuMemoryEstimate; largestBuffer: number; reason: string };

export interface ModelGpuEstimate {
  formats: ModelFormats;
  sizes: GpuModelSizes;
  memory: GpuMemoryEstimate;
  largestBuffer: number;
}

/**
 * The estimate for a model not yet loaded: the formats its tensor types would be kept in (bf16
 * counted as f16 when `bf16FitsF16`, which only the weights' values can settle; else f32), the
 * default grids (a tuned grid pads a matrix by a few rows at most), and the load's buffer sizes.
 */
export function estimateModelGpu(
  c: ModelConfig, typeOf: (name: string) => TensorType | undefined,
  options: Pick<GpuOptions, 'maxContext' | 'maxBatch' | 'maxDraftTokens' | 'maxTokensPerSubmit' | 'weightFormat' | 'quantizeFloats'> & { bf16FitsF16?: boolean; maxBindingBytes: number },
): ModelGpuEstimate {
  const formats = weightFormats(c, typeOf, options, () => options.bf16FitsF16 ?? false);
  const plan = buildModelPlan(c, formats);
  const sizes = gpuModelSizes(c, options, options.maxBindingBytes);
  return { formats, sizes, memory: estimateGpuMemory(c, plan, sizes), largestBuffer: largestBuffer(c, plan, sizes) };
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** "812.3 MiB of GPU memory (weights 500.1 MiB, KV cache for 4096 positions 96.0 MiB, scratch 16.2 MiB)" */
export const describeMemory = (m: GpuMemoryEstimate, positions: number) =>
  `${mib(m.total)} of GPU memory (weights ${mib(m.weights)}, KV cache for ${positions} positions ${mib(m.kvCache)}, scratch ${mib(m.scratch)})`;

/** Whether the estimate fits the limits: every unsplit buffer within maxBufferSize, and the total within a budget if one is set. */
export function checkGpuFit(estimate: Pick<ModelGpuEstimate, 'memory' | 'largestBuffer'>, limits: GpuLimits): GpuFit {
  const { memory, largestBuffer: largest } = estimate;
  if (limits.memoryBudgetBytes !== undefined && memory.total > limits.memoryBudgetBytes) {
    return { fits: false, memory, largestBuffer: largest, reason: `needs ${mib(memory.total)}, this GPU allows ${mib(limits.memoryBudgetBytes)}` };
  }
  const bufferLimit = Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize);
  if (largest > bufferLimit) {
    return { fits: false, memory, largestBuffer: largest, reason: `needs a ${mib(largest)} buffer, this GPU allows ${mib(bufferLimit)} per buffer` };
  }
  return { fits: true, memory, largestBuffer: largest };
}
