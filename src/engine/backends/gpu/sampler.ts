// The GPU sampler (greedy / temperature / top-k / top-p with the seeded PCG stream), one workgroup
// per logits row. Kernel: shaders/sampler.wgsl; definition: src/engine/reference/sampler.ts.
import samplerSource from '../../../../shaders/sampler.wgsl?raw';
import type { SamplingParams } from '../../api/types.ts';
import { checkWorkgroups, type BufferGroup, type Dispatch, type GpuContext } from './context.ts';

const THREADS = 64;

/** The 8-word uniform block of sampler.wgsl; rewritten per request with writeBuffer. */
export function samplerParamWords(vocab: number, rows: number, firstRowToken: number, advance: number, s: SamplingParams): Uint32Array {
  if (rows > 1 && advance !== 0) throw new Error('sampler: only a single-row sample may advance the state');
  if (s.temperature > 0 && !(s.topP > 0)) throw new Error(`sampler: topP must be > 0, got ${s.topP}`);
  if (s.topK < 0 || !Number.isInteger(s.topK)) throw new Error(`sampler: topK must be a non-negative integer, got ${s.topK}`);
  const words = new Uint32Array(8);
  const f = new Float32Array(words.buffer);
  words[0] = vocab; words[1] = rows; words[2] = firstRowToken; words[3] = advance;
  f[4] = s.temperature; words[5] = s.topK; f[6] = Math.min(1, s.topP); words[7] = s.seed >>> 0;
  return words;
}

export async function samplerDispatch(
  ctx: GpuContext, group: BufferGroup,
  args: {
    vocab: number; rows: number; firstRowToken: number; advance: number; sampling: SamplingParams;
    state: GPUBuffer; logits: GPUBuffer; probs: GPUBuffer; nextIds: GPUBuffer; outIds: GPUBuffer;
  },
): Promise<Dispatch & { params: GPUBuffer }> {
  const { vocab, rows } = args;
  if (args.logits.size < rows * vocab * 4 || args.probs.size < rows * vocab * 4) throw new Error(`sampler: logits/probs smaller than [${rows}, ${vocab}]`);
  const pipeline = await ctx.pipeline('sampler', samplerSource, 'main', { THREADS });
  const params = group.uniform('sampler:params', samplerParamWords(vocab, rows, args.firstRowToken, args.advance, args.sampling));
  return {
    label: 'sampler', pipeline, params,
    bindGroup: ctx.bindGroup(pipeline, 'sampler', {
      0: params, 1: args.state, 2: args.logits, 3: args.probs, 4: args.nextIds, 5: args.outIds,
    }),
    workgroups: checkWorkgroups(ctx.device, 'sampler', [rows, 1, 1]),
  };
}
