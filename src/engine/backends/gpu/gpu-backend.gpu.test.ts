// The whole engine on real WebGPU vs the CPU reference (reference/forward.ts via CpuBackend; both
// run the one token loop). Test models: the random HF-layout models of src/testing/ (awkward dims:
// D=72, 6 heads × 12, 2 kv heads, I=200, V=301), Llama and Qwen2 (q/k/v bias), f32/f16/bf16, and
// Q8_0/Q4_0 blocks kept quantized on the GPU.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type LoadedModel } from '../../../model/load.ts';
import { TEST_MODEL_VARIANTS, testModelFetcher, type TestModelVariant } from '../../../testing/test-model.ts';
import { type GenerateRequest } from '../backend.ts';
import { GREEDY } from '../../api/types.ts';
import { CpuBackend } from '../cpu/cpu-backend.ts';
import { ReferenceModel } from '../cpu/reference/forward.ts';
import { createGpuBackend, type GpuBackend } from './gpu-backend.ts';
import { readF32, testDevice } from '../../../testing/gpu-test-util.ts';
import { q4kmTypes, quantizeMatrices, randomBlockMatrices, roundToF16 } from '../../../testing/quantized-model.ts';
import { defaultGrid, FORMAT_LAYOUT, type WeightFormat } from '../plan/wafer-plan.ts';
import type { ForcedGrid } from '../plan/model-plan.ts';

const request = (promptIds: number[], extra: Partial<GenerateRequest> = {}): GenerateRequest => ({
  promptIds, maxNewTokens: 64, stopIds: [], sampling: GREEDY, tokensPerSubmit: 8, ...extra,
});

async function collect(backend: GpuBackend | CpuBackend, req: GenerateRequest, signal = new AbortController().signal) {
  const chunks: number[][] = [];
  const logprobs: number[] = [];
  const stats = await backend.generate(req, (ids, lps) => { chunks.push(ids); logprobs.push(...lps); }, signal);
  return { chunks, tokens: chunks.flat(), logprobs, stats };
}

const PROMPTS = [
  [9, 20, 31, 42, 53, 64, 75, 86, 97, 108, 119, 130],
  [5],
  Array.from({ length: 41 }, (_, i) => 6 + ((i * 53) % 290)),
];

// Logits tolerance: |gpu − ref| ≤ 2e-4·(1 + |ref|). f32 everywhere, different summation order
// (tiles, online softmax, f32 vs f64 norms) over 2 layers; measured max ≈ 1e-5 here.
const LOGIT_TOL = 2e-4;

// The default grids with the norm folded in (so the 60 kB limit splits as without), and one grid
// for every role, K split in two (asked of every role, the prologue goes only where a norm was).
const NORM_Q1: ForcedGrid = Object.fromEntries((['qkv', 'gate_up', 'lm_head'] as const).map((r) => [r, { ...defaultGrid(r === 'gate_up' ? 2 : 1), normPrologue: true }]));
const NORM_Q2: ForcedGrid = { tileRows: 32, colTiles: 2, reduce: 'tree', normPrologue: true };

describe('GpuBackend vs the CPU reference', async () => {
  const device = await testDevice(['timestamp-query']);
  afterAll(() => device.destroy());

  // The block formats need K a multiple of the block: Q8_0/Q4_0 models are 96 wide (6 heads of 16)
  // with an intermediate of 160 and hold their own weights quantized (quantizeMatrices); Q5_0 the
  // same dims with random blocks; K-quant models are 256 wide (4 heads of 64), intermediate 512,
  // with random blocks (randomBlockMatrices).
  const blockDims = { hiddenSize: 96, intermediateSize: 160 } as const;
  const superBlockDims = { hiddenSize: 256, numHeads: 4, intermediateSize: 512 } as const;
  // Every variant decodes greedily at N=8 with drafts; the loop's other shapes (one token per
  // submit, drafts that are all wrong) do not depend on the weights' format, and run on `loop` ones.
  describe.each([
    ['llama', 'f32', undefined, 'loop'], ['llama-tied-f16', 'f16', undefined, 'loop'], ['qwen2-tied', 'f32'], ['qwen2-untied-bf16', 'f32'],
    ['qwen2-untied-bf16', 'bf16 kept as f16'], ['llama-linear-rope', 'f32'], ['llama3-rope', 'f32'],
    ['llama', 'q8_0', undefined, 'loop'], ['qwen2-tied', 'q4_0'], ['llama', 'q5_0'], ['llama', 'q4_k'], ['qwen2-untied-bf16', 'q6_k'], ['llama', 'Q4_K_M mix'],
    // A 60 kB binding limit splits the tied table (the lm_head GEMV and the embedding gather), gate_up and down.
    ['qwen2-tied', 'f32', 60_000, 'loop'],
    // The RMSNorm folded into qkv (with its bias), gate_up and lm_head: one tile column and a split
    // table, and K split in two with the tree reduce on a block format.
    ['qwen2-tied', 'f32', 60_000, undefined, NORM_Q1], ['llama', 'q8_0', undefined, undefined, NORM_Q2],
  ] as [TestModelVariant, WeightFormat | 'Q4_K_M mix' | 'bf16 kept as f16', number?, 'loop'?, ForcedGrid?][])('%s, weights %s, binding limit %s, loop %s, grid %o', (variant, weightFormat, maxBindingBytes, loop, forceGrid) => {
    let model: LoadedModel;
    let gpu: GpuBackend;
    const reference = new Map<number, number[]>();
    const referenceLogprobs = new Map<number, number[]>();
    beforeAll(async () => {
      const mix = weightFormat === 'Q4_K_M mix';
      const auto = weightFormat === 'bf16 kept as f16'; // no option: the format follows the checkpoint
      const floatFormat = !mix && !auto && !FORMAT_LAYOUT[weightFormat].blockType ? weightFormat : undefined;
      const type = mix ? 'Q4_K' : auto ? undefined : FORMAT_LAYOUT[weightFormat].blockType;
      const kQuant = type === 'Q4_K' || type === 'Q6_K';
      const loaded = await loadModel(testModelFetcher({ ...TEST_MODEL_VARIANTS[variant], ...(type ? (kQuant ? superBlockDims : blockDims) : {}) }));
      model = !type ? loaded : type === 'Q8_0' || type === 'Q4_0' ? quantizeMatrices(loaded, type) : randomBlockMatrices(loaded, mix ? q4kmTypes : type);
      // The block formats come from the tensors' own types, not from a forced option.
      gpu = await createGpuBackend(model, {
        device, ...(floatFormat ? { weightFormat: floatFormat } : {}), ...(maxBindingBytes ? { maxBindingBytes } : {}), autotune: false, maxContext: 512,
        ...(forceGrid ? { forceGrid } : {}),
      });
      if (forceGrid) expect(['qkv', 'o', 'gate_up', 'down', 'lm_head'].map((r) => gpu.plan.roles[r as 'qkv']!.normPrologue)).toEqual([true, false, true, false, true]);
      if (maxBindingBytes) {
        expect([gpu.model.lmHead, gpu.model.layers[0]!.gateUp, gpu.model.layers[0]!.down].map((m) => m.parts.length)).toEqual([2, 4, 2]);
      }
      if (mix) {
        // Layer 0's fused qkv mixes Q4_K and Q6_K (f16); every other matrix keeps its blocks.
        expect(gpu.plan.layers).toMatchObject({ qkv: [{ format: 'f16' }, { format: 'q4_k' }], down: [{ format: 'q6_k' }, { format: 'q4_k' }] });
        expect(gpu.plan.formats).toMatchObject({ o: 'q4_k', gate_up: 'q4_k', lm_head: 'q6_k' });
        // The reference reads what the GPU holds: layer 0's q, k and v rounded to f16.
        model = roundToF16(model, ['q_proj', 'k_proj', 'v_proj'].map((p) => `model.layers.0.self_attn.${p}.weight`));
      } else if (type) {
        expect(Object.values(gpu.plan.formats).every((f) => f === weightFormat)).toBe(true);
      } else if (auto) {
        // Every bf16 weight fits f16's range, so the GPU holds them in half the bytes of f32.
        expect(Object.values(gpu.plan.formats).every((f) => f === 'f16')).toBe(true);
      }
      for (const [i, p] of PROMPTS.entries()) {
        const r = await collect(new CpuBackend(model, { maxContext: 512 }), request(p));
        reference.set(i, r.tokens);
        referenceLogprobs.set(i, r.logprobs);
      }
    });
    afterAll(() => gpu?.dispose());

    it('the memory estimate made before uploading is what the model allocated', () => {
      // Buffers are padded to 4 bytes and at least 16: a few bytes per buffer at most.
      const slack = 16 * gpu.model.weights.count;
      expect(Math.abs(gpu.memory.total - gpu.model.weights.bytes)).toBeLessThanOrEqual(slack);
      expect(gpu.memory.kvCache).toBe(model.config.numLayers * 2 * 512 * model.config.numKvHeads * model.config.headDim * 4);
    });

    it('prefill logits match the reference forward pass', async () => {
      for (const prompt of PROMPTS) {
        await collect(gpu, request(prompt, { maxNewTokens: 1 }));
        const got = await readF32(device, gpu.model.logitsBuffer, model.config.vocabSize);
        const want = ReferenceModel.fromLoaded(model, 512).forward(prompt, 0, { logits: 'last' });
        let worst = 0;
        for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / (1 + Math.abs(want[i]!)));
        expect(worst).toBeLessThan(LOGIT_TOL);
      }
    });

    it('scores a continuation as the reference does (teacher-forced, in verify passes)', async () => {
      const continuation = [44, 7, 130, 2, 99, 18, 5, 61, 77, 3, 12, 200, 150, 9, 31, 8, 16, 23, 42];
      const want = await new CpuBackend(model, { maxContext: 512 }).score(PROMPTS[0]!, continuation, new AbortController().signal);
      const got = await gpu.score(PROMPTS[0]!, continuation, new AbortController().signal);
      expect(got).toHaveLength(continuation.length);
      got.forEach((lp, i) => expect(Math.abs(lp - want[i]!)).toBeLessThan(1e-3));
      // The cache now holds prompt + continuation: generating after it reuses all of it and agrees with the reference.
      const after = [...PROMPTS[0]!, ...continuation];
      const next = await collect(gpu, request(after, { maxNewTokens: 8 }));
      expect(next.stats.reusedTokens).toBe(after.length - 1);
      expect(next.tokens).toEqual((await collect(new CpuBackend(model, { maxContext: 512 }), request(after, { maxNewTokens: 8 }))).tokens);
    });

    it.each([1, 8].filter((n) => loop || n === 8))('greedy 64 tokens identical to the reference, N=%i, without and with drafts', async (n) => {
      for (const [i, prompt] of PROMPTS.entries()) {
        const want = reference.get(i)!;
        const plain = await collect(gpu, request(prompt, { tokensPerSubmit: n }));
        expect(plain.tokens).toEqual(want);
        // Each token's log-probability, from whichever submit sampled it, as the reference's.
        plain.logprobs.forEach((lp, t) => expect(Math.abs(lp - referenceLogprobs.get(i)![t]!)).toBeLessThan(1e-3));
        // An oracle draft that knows the answer but gets every fifth token wrong.
        const oracle = (seq: readonly number[], max: number) => {
          const done = seq.length - prompt.length;
          return want.slice(done, done + max).map((t, j) => ((done + j) % 5 === 4 ? (t + 1) % model.config.vocabSize : t));
        };
        const drafted = await collect(gpu, request(prompt, { tokensPerSubmit: n, draft: oracle }));
        expect(drafted.tokens).toEqual(want);
        drafted.logprobs.forEach((lp, t) => expect(Math.abs(lp - referenceLogprobs.get(i)![t]!)).toBeLessThan(1e-3));
        expect(drafted.stats.acceptedDraftTokens).toBeGreaterThan(20);
        if (n === 8 && loop) { // junk drafts: every one rejected, output unchanged
          const junk = await collect(gpu, request(prompt, { tokensPerSubmit: n, draft: (_s, max) => Array.from({ length: max }, () => 7) }));
          expect(junk.tokens).toEqual(want);
        }
      }
    });
  });
});
