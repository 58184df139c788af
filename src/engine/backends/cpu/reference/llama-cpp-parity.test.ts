// The CPU reference against llama.cpp (node-llama-cpp's prebuilt CPU binary), on the same GGUF
// bytes: random-weight models with the llama, qwen2, DeepSeek-Coder (linear RoPE scaling) and Llama 3 (its RoPE scaling) head layouts
// (src/testing/gguf-family-models.ts) in every file type Spark reads, one fixed set of token-id
// prompts (tokenizers play no part), compared position by position.
//
// What must agree (issue 15's rule): top-1 tokens on >= 98 % of the prompt positions of each
// file, and greedy continuations wherever llama.cpp's top-2 margin exceeds 1e-3 (a step with a
// smaller margin may go either way; the sequences are compared no further after it).
//
// Why not exact logits, and where the rule is widened: llama.cpp's CPU matmuls round the
// activations too, to f16 for F16 weights and to 8-bit blocks (Q8_0, Q8_K) for quantized ones,
// while Spark's CPU reference keeps them in f32. F32 files agree to ~1e-4 (with llama.cpp's KV
// cache in f32), F16 ones to ~1e-2. For quantized files the 8-bit activations move each logit by
// ~0.6 % of the logits' spread (mean |Δ| ~0.05–0.1 here): on these random models, whose logits are
// Gaussian-like with many close seconds, that alone flips 1–4 % of the top-1s, and it flips greedy
// steps with margins far above 1e-3. So for quantized files both rules count only the positions
// whose margin exceeds NOISE_FACTOR × the file's own measured mean |Δ| (what llama.cpp's rounding
// can decide), and the agreement over all positions has a floor of 90 %. Both are reported.
// The differences are log-softmax on both sides (llama.cpp exposes probabilities, not logits).
//
// llama.cpp must load: a missing runtime fails the test with the reason, it is never a skip.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../../../model/load.ts';
import { memoryFetcher } from '../../../../model/model-files.ts';
import { makeFamilyGguf, GGUF_FILE_TYPES, type GgufFamily, type GgufFileType } from '../../../../testing/gguf-family-models.ts';
import { argmax, LlamaCppModel, openLlamaCpp } from '../../../../testing/llama-cpp.ts';
import { SeededRandom } from '../../../../testing/seeded-random.ts';
import { GREEDY } from '../../../api/types.ts';
import { CpuBackend } from '../cpu-backend.ts';
import { ReferenceModel } from './forward.ts';
import { dequantize } from '../../../../model/quant.ts';
import { quantizeK } from '../../../../testing/k-quants.ts';
import type { Llama } from 'node-llama-cpp';

/** Fixed prompts: 4 × 24 ids drawn once from a seed, plus one that repeats (attention to far positions). */
function prompts(vocabSize: number): number[][] {
  const rng = new SeededRandom(2024);
  const random = Array.from({ length: 4 }, () => Array.from({ length: 24 }, () => 5 + Math.floor(rng.next() * (vocabSize - 5))));
  const repeated = [...random[0]!.slice(0, 8), ...random[0]!.slice(0, 8), ...random[0]!.slice(0, 8)];
  return [...random, repeated];
}
const GREEDY_PROMPTS = 3;
const GREEDY_TOKENS = 16;
const MARGIN = 1e-3;
const MIN_TOP1_AGREEMENT = 0.98;
const QUANTIZED_FLOOR = 0.9;
const NOISE_FACTOR = 4;
const isQuantized = (type: GgufFileType) => type !== 'F32' && type !== 'F16';
/** Log-probs below this are left out of the differences: far-off tail values say nothing about the matmuls. */
const TAIL = -30;

function logSoftmaxRows(logits: Float32Array, vocab: number): Float32Array {
  const out = new Float32Array(logits.length);
  for (let r = 0; r < logits.length / vocab; r++) {
    const row = logits.subarray(r * vocab, (r + 1) * vocab);
    let max = -Infinity;
    for (const x of row) max = Math.max(max, x);
    let sum = 0;
    for (const x of row) sum += Math.exp(x - max);
    const lse = max + Math.log(sum);
    for (let i = 0; i < vocab; i++) out[r * vocab + i] = row[i]! - lse;
  }
  return out;
}

/** Top-1 minus top-2 of one row. */
function margin(row: Float32Array): number {
  let a = -Infinity, b = -Infinity;
  for (const x of row) {
    if (x > a) { b = a; a = x; } else if (x > b) b = x;
  }
  return a - b;
}

interface Row {
  family: GgufFamily;
  type: GgufFileType;
  positions: number;
  top1Agree: number;
  /** Positions whose llama.cpp margin exceeds `threshold`, and the agreement there. */
  counted: number;
  top1AgreeCounted: number;
  threshold: number;
  maxDiff: number;
  meanDiff: number;
  greedyCompared: number;
  greedyTotal: number;
}

it('the test models\' Q4_K / Q6_K encoder round-trips within its covering bound', () => {
  const values = new SeededRandom(7).normals(4096, 1);
  // Q4_K: each value within half a step of <= span/15 (+ the scales' rounding); Q6_K: of <= amax/31.
  for (const [type, bound] of [['Q4_K', 0.25], ['Q6_K', 0.08]] as const) {
    const back = dequantize(type, quantizeK(type, values));
    const worst = values.reduce((m, v, i) => Math.max(m, Math.abs(v - back[i]!)), 0);
    expect(worst, type).toBeLessThan(bound);
  }
});

describe('CPU reference vs llama.cpp on the same GGUF files', () => {
  let llama: Llama;
  const rows: Row[] = [];

  beforeAll(async () => {
    llama = await openLlamaCpp();
  }, 60_000);

  afterAll(async () => {
    if (rows.length > 0) {
      const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
      console.log(['llama.cpp parity (log-softmax differences over the prompt positions; "margin >": the positions counted):',
        'family type    top-1 agree (all)  margin >   top-1 agree there  max |Δ|   mean |Δ|  greedy steps matched',
        ...rows.map((r) => `${r.family.padEnd(6)} ${r.type.padEnd(7)} ${pct(r.top1Agree).padStart(7)} of ${String(r.positions).padStart(3)}     ` +
          `${r.threshold.toExponential(1).padStart(7)}   ${pct(r.top1AgreeCounted).padStart(7)} of ${String(r.counted).padStart(3)}    ` +
          `${r.maxDiff.toExponential(2).padStart(8)}  ${r.meanDiff.toExponential(2).padStart(8)}  ${r.greedyCompared}/${r.greedyTotal}`)].join('\n'));
    }
    await llama?.dispose();
  });

  it.each(['llama', 'qwen2', 'deepseek', 'llama3'] as const)('%s: a prompt starts with BOS exactly where llama.cpp starts it with one', async (family) => {
    const gguf = makeFamilyGguf(family, 'F16');
    const loaded = await loadModel(memoryFetcher({ [`${family}.gguf`]: gguf }), { label: `${family}.gguf` });
    const reference = await LlamaCppModel.load(llama, gguf, { contextSize: 64 });
    try {
      const { tokens } = reference.model;
      expect(loaded.tokenizer.promptBos).toBe(tokens.shouldPrependBosToken ? tokens.bos : undefined);
    } finally {
      await reference.dispose();
    }
    if (family === 'llama3' || family === 'deepseek') expect(loaded.tokenizer.promptBos).toBe(0);
  });

  describe.each(['llama', 'qwen2', 'deepseek', 'llama3'] as const)('%s', (family) => {
    it.each(GGUF_FILE_TYPES)('%s', async (type) => {
      const gguf = makeFamilyGguf(family, type);
      const name = `${family}-${type}.gguf`;
      const loaded = await loadModel(memoryFetcher({ [name]: gguf }), { label: name });
      const vocab = loaded.config.vocabSize;
      const reference = await LlamaCppModel.load(llama, gguf, { contextSize: 128, threads: 1, f32Cache: true });
      try {
        const ours = ReferenceModel.fromLoaded(loaded, 128);
        // Per position: llama.cpp's margin, whether the top-1s agree; and the differences.
        const decided: { margin: number; agree: boolean }[] = [];
        let maxDiff = 0, diffSum = 0, diffCount = 0;
        for (const prompt of prompts(vocab)) {
          const want = await reference.logProbs(prompt, vocab);
          const got = logSoftmaxRows(ours.forward(prompt, 0), vocab);
          for (let t = 0; t < prompt.length; t++) {
            const w = want.subarray(t * vocab, (t + 1) * vocab), g = got.subarray(t * vocab, (t + 1) * vocab);
            decided.push({ margin: margin(w), agree: argmax(w) === argmax(g) });
            for (let i = 0; i < vocab; i++) {
              if (w[i]! < TAIL) continue;
              const d = Math.abs(w[i]! - g[i]!);
              maxDiff = Math.max(maxDiff, d);
              diffSum += d;
              diffCount++;
            }
          }
        }
        const meanDiff = diffSum / diffCount;
        const threshold = isQuantized(type) ? Math.max(MARGIN, NOISE_FACTOR * meanDiff) : MARGIN;
        const counted = isQuantized(type) ? decided.filter((p) => p.margin > threshold) : decided;
        const share = (ps: typeof decided) => ps.filter((p) => p.agree).length / ps.length;

        // Greedy: llama.cpp's own continuation and its margins, against Spark's token loop.
        const cpu = new CpuBackend(loaded, { maxContext: 128 });
        let compared = 0;
        const failures: string[] = [];
        for (const prompt of prompts(vocab).slice(0, GREEDY_PROMPTS)) {
          const ref = await reference.greedy(prompt, GREEDY_TOKENS, vocab, true);
          const got: number[] = [];
          await cpu.generate({ promptIds: prompt, maxNewTokens: GREEDY_TOKENS, stopIds: [], sampling: GREEDY, tokensPerSubmit: 4 },
            (ids) => got.push(...ids), new AbortController().signal);
          for (let i = 0; i < GREEDY_TOKENS; i++) {
            const m = margin(ref.logProbs!.subarray(i * vocab, (i + 1) * vocab));
            if (got[i] === ref.tokens[i]) { compared++; continue; }
            if (m > threshold) failures.push(`prompt ${prompt.slice(0, 4).join(',')}…: step ${i} llama.cpp ${ref.tokens[i]} (margin ${m.toFixed(4)}) vs Spark ${got[i]}`);
            break;
          }
        }
        cpu.dispose();

        const row: Row = {
          family, type, positions: decided.length, top1Agree: share(decided), counted: counted.length, top1AgreeCounted: share(counted), threshold,
          maxDiff, meanDiff, greedyCompared: compared, greedyTotal: GREEDY_PROMPTS * GREEDY_TOKENS,
        };
        rows.push(row);
        expect(row.top1AgreeCounted, `top-1 agreement of ${name} where llama.cpp's margin > ${threshold.toPrecision(2)}`).toBeGreaterThanOrEqual(MIN_TOP1_AGREEMENT);
        if (isQuantized(type)) expect(row.top1Agree, `top-1 agreement of ${name} over all positions`).toBeGreaterThanOrEqual(QUANTIZED_FLOOR);
        expect(failures, `greedy sequences of ${name}`).toEqual([]);
      } finally {
        await reference.dispose();
      }
    }, 60_000);
  });
});
