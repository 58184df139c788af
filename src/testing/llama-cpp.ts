// llama.cpp, through node-llama-cpp's prebuilt CPU binary, as an independent reference for GGUF
// files: next-token log-probabilities at every position of a token sequence, and greedy decoding.
//
// node-llama-cpp exposes no raw logits; with greedy sampling it returns, per position, the softmax
// of the whole vocabulary's raw logits (AddonContext.cpp: sampleToken, probabilities). Their logs
// are the logits less a per-position constant (log-sum-exp), which is all a comparison needs: the
// other side is normalised the same way (logSoftmax). f32 probabilities keep log-probs down to
// about -87 (exp underflow), far below the few units the test models' logits spread over.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ControlledEvaluateIndexOutput, ControlledEvaluateInputItem, Llama, LlamaContext, LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp';

/**
 * Loads the runtime, or throws saying why: a missing binary for this platform is an environment
 * failure the caller must see, not a reason to skip.
 */
export async function openLlamaCpp(): Promise<Llama> {
  try {
    const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
    return await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error, progressLogs: false });
  } catch (err) {
    throw new Error(
      `llama.cpp (node-llama-cpp 3.21.1, prebuilt CPU binary) could not be loaded on ${process.platform}-${process.arch}: ` +
      `${err instanceof Error ? err.message : String(err)}. Run \`npm ci\` so its prebuilt binary for this platform is installed.`,
      { cause: err },
    );
  }
}

/** A GGUF file loaded into llama.cpp with one context; dispose() frees both and the temporary file. */
export class LlamaCppModel {
  private constructor(readonly model: LlamaModel, readonly context: LlamaContext, private readonly sequence: LlamaContextSequence, private readonly dir: string) {}

  /**
   * llama.cpp reads models from a path: the bytes go to a temporary file first. threads 0: all the
   * machine's; a busy machine's spin-waits make 1 faster for these small models. f32Cache: keys
   * and values in f32, as Spark's CPU reference keeps them (llama.cpp's default is f16).
   */
  static async load(llama: Llama, gguf: Uint8Array, options: { contextSize?: number; threads?: number; f32Cache?: boolean } = {}): Promise<LlamaCppModel> {
    const dir = mkdtempSync(join(tmpdir(), 'spark-llama-cpp-'));
    try {
      const modelPath = join(dir, 'model.gguf');
      writeFileSync(modelPath, gguf);
      const model = await llama.loadModel({ modelPath, gpuLayers: 0, useMmap: false });
      const context = await model.createContext({
        contextSize: options.contextSize ?? 256, threads: options.threads ?? 0, sequences: 1,
        ...(options.f32Cache ? { experimentalKvCacheKeyType: 'F32', experimentalKvCacheValueType: 'F32', flashAttention: false } : {}),
      });
      return new LlamaCppModel(model, context, context.getSequence(), dir);
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /**
   * Log-probabilities of the next token after each prefix of `ids`, [T, V] row-major, from a fresh
   * sequence (position 0 onwards).
   */
  async logProbs(ids: readonly number[], vocabSize: number): Promise<Float32Array> {
    const sequence = this.sequence;
    await sequence.clearHistory();
    {
      const results = await sequence.controlledEvaluate(ids.map((id): ControlledEvaluateInputItem => [id as Token, { generateNext: { probabilities: true } }]));
      const out = new Float32Array(ids.length * vocabSize).fill(-Infinity);
      ids.forEach((_, t) => out.set(logProbRow(results[t], vocabSize, t), t * vocabSize));
      return out;
    }
  }

  /**
   * Greedy continuation of `ids` by `n` tokens (stop tokens ignored: the sequence is what is
   * compared), each step's log-probabilities [n, V] when `withLogProbs`, and decode tokens/s over
   * the steps after the first (the first belongs to the prompt's evaluation).
   */
  async greedy(ids: readonly number[], n: number, vocabSize: number, withLogProbs = false): Promise<{ tokens: number[]; logProbs?: Float32Array; decodeTokensPerSecond: number }> {
    const sequence = this.sequence;
    await sequence.clearHistory();
    const next = { generateNext: withLogProbs ? { probabilities: true } : { token: true } };
    const logProbs = withLogProbs ? new Float32Array(n * vocabSize) : undefined;
    {
      const tokens: number[] = [];
      let input: ControlledEvaluateInputItem[] = [...ids.slice(0, -1).map((id) => id as Token), [ids.at(-1) as Token, next]];
      let firstAt = 0;
      while (tokens.length < n) {
        const result = (await sequence.controlledEvaluate(input)).at(-1);
        let token: number;
        if (logProbs) {
          const row = logProbRow(result, vocabSize, tokens.length);
          logProbs.set(row, tokens.length * vocabSize);
          token = argmax(row);
        } else {
          if (result?.next.token == null) throw new Error(`llama.cpp sampled no token at step ${tokens.length}`);
          token = result.next.token;
        }
        if (tokens.length === 0) firstAt = performance.now();
        tokens.push(token);
        input = [[token as Token, next]];
      }
      const seconds = (performance.now() - firstAt) / 1000;
      return { tokens, ...(logProbs ? { logProbs } : {}), decodeTokensPerSecond: n > 1 ? (n - 1) / seconds : NaN };
    }
  }

  async dispose(): Promise<void> {
    await this.context.dispose();
    await this.model.dispose();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function logProbRow(result: ControlledEvaluateIndexOutput | undefined, vocabSize: number, t: number): Float32Array {
  const probs = result?.next.probabilities;
  if (!probs) throw new Error(`llama.cpp returned no probabilities at position ${t}`);
  const row = new Float32Array(vocabSize).fill(-Infinity);
  for (const [token, p] of probs) row[token] = Math.log(p);
  return row;
}

/** Index of the largest value, the first on ties (as a greedy sampler's stable sort gives). */
export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
  return best;
}
