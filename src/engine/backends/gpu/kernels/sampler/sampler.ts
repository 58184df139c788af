// The GPU sampler (greedy / temperature / top-k / top-p with the seeded PCG stream), one workgroup
// per logits row. Kernel: sampler.wgsl; definition: src/engine/backends/cpu/reference/sampler.ts.
import samplerSource from './sampler.wgsl?raw';
import type { SamplingParams } from '../../../../api/types.ts';
import { checkWorkgroups, type BufferGroup, type Dispatch, type GpuContext } from '../../context.ts';
import { GpuState } from '../shared/state.ts';
import { kernelShader, uniformStruct } from '../uniforms.ts';

const THREADS = 64;

/**
 * u32 words per out_ids slot: the sampled id, its log-probability's f32 bits, and the f32 bits of
 * the log-probability of the next input token of the same forward (NaN where there is none).
 */
export const OUT_SLOT_WORDS = 3;

/** Reads `count` slots of out_ids (as copied back). */
export function readOutSlots(words: Uint32Array, count: number): { ids: number[]; logprobs: number[]; inputLogprobs: number[] } {
  const floats = new Float32Array(words.buffer, words.byteOffset, words.length);
  const ids: number[] = [], logprobs: number[] = [], inputLogprobs: number[] = [];
  for (let i = 0; i < count; i++) {
    ids.push(words[i * OUT_SLOT_WORDS]!);
    logprobs.push(floats[i * OUT_SLOT_WORDS + 1]!);
    inputLogprobs.push(floats[i * OUT_SLOT_WORDS + 2]!);
  }
  return { ids, logprobs, inputLogprobs };
}

const Params = uniformStruct('Params', [
  ['vocab', 'u32'],
  ['rows', 'u32', 'logits rows = workgroups'],
  ['first_row_token', 'u32', 'index in this forward of the token whose logits are row 0'],
  ['advance', 'u32', 'add to state.pos after sampling (single row only; 0 = leave state)'],
  ['temperature', 'f32'],
  ['top_k', 'u32'],
  ['top_p', 'f32'],
  ['seed', 'u32'],
  ['stat_parts', 'u32', 'entries per row in row_stats (0: scan the logits)'],
]);

export const SHADER = kernelShader(samplerSource, [Params, GpuState]);

/** The sampler's uniform block; rewritten per request with writeBuffer. */
export function samplerParamWords(vocab: number, rows: number, firstRowToken: number, advance: number, s: SamplingParams, statParts = 0): Uint32Array {
  if (rows > 1 && advance !== 0) throw new Error('sampler: only a single-row sample may advance the state');
  if (s.temperature > 0 && !(s.topP > 0)) throw new Error(`sampler: topP must be > 0, got ${s.topP}`);
  if (s.topK < 0 || !Number.isInteger(s.topK)) throw new Error(`sampler: topK must be a non-negative integer, got ${s.topK}`);
  return Params.pack({
    vocab, rows, first_row_token: firstRowToken, advance,
    temperature: s.temperature, top_k: s.topK, top_p: Math.min(1, s.topP), seed: s.seed >>> 0, stat_parts: statParts,
  });
}

export async function samplerDispatch(
  ctx: GpuContext, group: BufferGroup,
  args: {
    vocab: number; rows: number; firstRowToken: number; advance: number; sampling: SamplingParams;
    state: GPUBuffer; logits: GPUBuffer; probs: GPUBuffer; nextIds: GPUBuffer; outIds: GPUBuffer;
    /** The lm_head's row statistics (matmul.ts MatmulArgs.rowStats) and their entries per row. */
    rowStats?: { buffer: GPUBuffer; parts: number };
  },
): Promise<Dispatch & { params: GPUBuffer }> {
  const { vocab, rows } = args;
  if (args.logits.size < rows * vocab * 4 || args.probs.size < rows * vocab * 4) throw new Error(`sampler: logits/probs smaller than [${rows}, ${vocab}]`);
  if (args.outIds.size < rows * OUT_SLOT_WORDS * 4) throw new Error(`sampler: out_ids smaller than ${rows} slots`);
  const pipeline = await ctx.pipeline('sampler', SHADER.code, 'main', { THREADS });
  if (args.rowStats && args.rowStats.buffer.size < rows * args.rowStats.parts * 3 * 4) throw new Error(`sampler: row statistics smaller than [${rows}, ${args.rowStats.parts}, 3]`);
  const params = group.uniform('sampler:params', samplerParamWords(vocab, rows, args.firstRowToken, args.advance, args.sampling, args.rowStats?.parts));
  const rowStats = args.rowStats?.buffer ?? group.create('sampler:no-stats', 16, GPUBufferUsage.STORAGE);
  return {
    label: 'sampler', pipeline, params,
    bindGroup: ctx.bindGroup(pipeline, 'sampler', {
      0: params, 1: args.state, 2: args.logits, 3: args.probs, 4: args.nextIds, 5: args.outIds, 6: rowStats,
    }),
    workgroups: checkWorkgroups(ctx.device, 'sampler', [rows, 1, 1]),
  };
}
