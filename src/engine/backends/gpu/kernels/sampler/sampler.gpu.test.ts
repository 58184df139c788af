import { afterAll, describe, expect, it } from 'vitest';
import type { SamplingParams } from '../../../../api/types.ts';
import { logProbability, sample } from '../../../cpu/reference/sampler.ts';
import { BufferGroup, GpuContext, runDispatches } from '../../context.ts';
import { OUT_SLOT_WORDS, readOutSlots, samplerDispatch } from './sampler.ts';
import { randomArray, readU32, testDevice } from '../../../../../testing/gpu-test-util.ts';

// Exact: the GPU must pick the same id as reference/sampler.ts. (A mismatch is possible in
// principle when u·mass lands within f32 rounding of a cumulative boundary — about 1e-7 per draw —
// so the test allows none over ~2,000 draws and asserts the ids, not probabilities.)
describe('sampler.wgsl picks the same ids as reference sample()', async () => {
  const device = await testDevice();
  const ctx = new GpuContext(device);
  afterAll(() => device.destroy());

  /** The forward's input ids the sampler sees in next_ids (a verify pass: row r's next input is inputs[r + 1]). */
  const inputsFor = (rows: number, vocab: number) => Uint32Array.from({ length: rows + 1 }, (_, i) => (i * 7919 + 3) % vocab);

  /**
   * The lm_head's row statistics (matmul.wgsl store_row_stats) for `logits`, each row cut into
   * entries of `span` logits: max, lowest id holding it, Σ exp(v − max).
   */
  function rowStatsOf(logits: Float32Array, vocab: number, rows: number, span: number): { words: Uint32Array; parts: number } {
    const parts = Math.ceil(vocab / span);
    const words = new Uint32Array(rows * parts * 3);
    const floats = new Float32Array(words.buffer);
    for (let r = 0; r < rows; r++) {
      for (let p = 0; p < parts; p++) {
        const slice = logits.subarray(r * vocab + p * span, r * vocab + Math.min(vocab, (p + 1) * span));
        const max = Math.max(...slice);
        const s = (r * parts + p) * 3;
        floats[s] = max;
        words[s + 1] = p * span + slice.indexOf(max);
        floats[s + 2] = slice.reduce((a, v) => a + Math.exp(v - max), 0);
      }
    }
    return { words, parts };
  }

  async function gpuSample(logits: Float32Array, vocab: number, rows: number, sampling: SamplingParams, pos0: number, advance = 0, statSpan = 0) {
    using group = new BufferGroup(device, 'test');
    const state = group.storage('state', new Uint32Array([pos0, 0]), GPUBufferUsage.COPY_SRC);
    const nextIds = group.storage('next', inputsFor(Math.max(rows, 4), vocab), GPUBufferUsage.COPY_SRC);
    const outIds = group.create('out', rows * OUT_SLOT_WORDS * 4, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC);
    const d = await samplerDispatch(ctx, group, {
      vocab, rows, firstRowToken: 0, advance, sampling, state, logits: group.storage('logits', logits),
      probs: group.create('probs', rows * vocab * 4, GPUBufferUsage.STORAGE), nextIds, outIds,
      ...(statSpan ? (({ words, parts }) => ({ rowStats: { buffer: group.storage('stats', words), parts } }))(rowStatsOf(logits, vocab, rows, statSpan)) : {}),
    });
    await runDispatches(device, [d]);
    const { ids, logprobs, inputLogprobs } = readOutSlots(await readU32(device, outIds, rows * OUT_SLOT_WORDS), rows);
    return { ids, logprobs, inputLogprobs, next: (await readU32(device, nextIds, 1))[0], state: Array.from(await readU32(device, state, 2)) };
  }

  const settings: SamplingParams[] = [
    { temperature: 0, topK: 0, topP: 1, seed: 0 },
    { temperature: 1, topK: 0, topP: 1, seed: 1 },
    { temperature: 0.7, topK: 40, topP: 1, seed: 2 },
    { temperature: 0.8, topK: 0, topP: 0.9, seed: 3 },
    { temperature: 1.3, topK: 10, topP: 0.5, seed: 4 },
    { temperature: 0.5, topK: 1, topP: 1, seed: 5 },
    { temperature: 2, topK: 0, topP: 0.05, seed: 0xfffffff0 },
  ];

  it.each(settings.flatMap((s) => [0, 64, 7].map((statSpan) => ({ ...s, statSpan }))))('T=$temperature topK=$topK topP=$topP seed=$seed over many rows/positions (row statistics of $statSpan logits; 0: none)', async ({ statSpan, ...sampling }) => {
    for (const vocab of [37, 1000]) {
      const rows = 96;
      const logits = randomArray(rows * vocab, vocab + sampling.seed, 4);
      const pos0 = 11 + sampling.seed % 1000;
      const { ids, logprobs, inputLogprobs } = await gpuSample(logits, vocab, rows, sampling, pos0, 0, statSpan);
      const row = (r: number) => logits.subarray(r * vocab, (r + 1) * vocab);
      const want = Array.from({ length: rows }, (_, r) => sample(row(r), sampling, pos0 + r + 1));
      expect(ids).toEqual(want);
      // Each id's log-probability at temperature 1, whatever the settings: reference logProbability, to f32 rounding.
      logprobs.forEach((lp, r) => expect(lp).toBeCloseTo(logProbability(row(r), want[r]!), 4));
      // And the next input's (the draft's): a verify pass scores what it was fed; the last row feeds nothing.
      const inputs = inputsFor(rows, vocab);
      inputLogprobs.slice(0, -1).forEach((lp, r) => expect(lp).toBeCloseTo(logProbability(row(r), inputs[r + 1]!), 4));
      expect(inputLogprobs.at(-1)).toBeNaN();
    }
  });

  it('many seeds, one row each, with ties in the logits', async () => {
    const vocab = 200;
    const base = randomArray(vocab, 77, 3);
    for (let i = 0; i < 20; i++) base[i * 7] = base[3]!; // ties with id order deciding
    for (let seed = 0; seed < 12; seed++) {
      const sampling = { temperature: 0.9, topK: 25, topP: 0.8, seed: seed * 7919 };
      const rows = 32;
      const logits = new Float32Array(rows * vocab);
      for (let r = 0; r < rows; r++) logits.set(base, r * vocab);
      const { ids } = await gpuSample(logits, vocab, rows, sampling, 100);
      expect(ids).toEqual(Array.from({ length: rows }, (_, r) => sample(base, sampling, 100 + r + 1)));
    }
  });

  it.each([0, 2, 3])('greedy breaks ties by the lowest id; a single row feeds the next step and advances the state (row statistics of %i logits)', async (statSpan) => {
    const logits = new Float32Array([1, 5, 2, 5, -1]);
    const r = await gpuSample(logits, 5, 1, { temperature: 0, topK: 0, topP: 1, seed: 0 }, 9, 3, statSpan);
    expect(r.ids).toEqual([1]);
    expect(r.logprobs[0]).toBeCloseTo(logProbability(logits, 1), 5); // two tied at 5: just under log(1/2)
    expect(r.next).toBe(1);
    expect(r.state).toEqual([12, 1]);
  });
});
