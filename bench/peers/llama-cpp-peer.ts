// llama.cpp itself as a peer: node-llama-cpp's prebuilt CPU binary (no GPU), in Node, on a GGUF of
// the same weights. Greedy decode of the same prompt ids; decode tokens/s over the tokens after the
// first (the first belongs to the prompt's evaluation), as the other peers are timed.
//
// Threads: llama.cpp's workers spin while they wait, so on a small or busy machine one thread can
// beat all of them; both are run and the faster is the row, with the count in its detail.
import { availableParallelism } from 'node:os';
// A static import: the bench's driver runs under Vite's module runner, which is closed by the time
// a dynamic import would run.
import { getLlama, LlamaLogLevel, type ControlledEvaluateInputItem, type Token } from 'node-llama-cpp';

export interface LlamaCppRun {
  decodeTokensPerSecond: number;
  prefillMs: number;
  tokens: number[];
  threads: number;
}

export async function runLlamaCpp(modelPath: string, prompt: readonly number[], maxNewTokens: number, repeats: number): Promise<LlamaCppRun> {
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error, progressLogs: false });
  try {
    const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
    let best: LlamaCppRun | undefined;
    for (const threads of [...new Set([1, availableParallelism()])]) {
      const context = await model.createContext({ contextSize: Math.max(256, prompt.length + maxNewTokens + 8), threads, sequences: 1 });
      const sequence = context.getSequence();
      const runs: LlamaCppRun[] = [];
      for (let r = 0; r < repeats + 1; r++) { // the first run warms up and is not counted
        await sequence.clearHistory();
        const next = { generateNext: { token: true } };
        let input: ControlledEvaluateInputItem[] = [...prompt.slice(0, -1).map((id) => id as Token), [prompt.at(-1) as Token, next]];
        const tokens: number[] = [];
        const start = performance.now();
        let firstAt = start;
        while (tokens.length < maxNewTokens) {
          const token = (await sequence.controlledEvaluate(input)).at(-1)?.next.token;
          if (token == null) throw new Error(`llama.cpp sampled no token at step ${tokens.length}`);
          if (tokens.length === 0) firstAt = performance.now();
          tokens.push(token);
          input = [[token, next]];
        }
        const end = performance.now();
        if (r > 0) runs.push({ tokens, threads, prefillMs: firstAt - start, decodeTokensPerSecond: ((maxNewTokens - 1) * 1000) / (end - firstAt) });
      }
      await context.dispose();
      const median = runs.map((x) => x.decodeTokensPerSecond).sort((a, b) => a - b)[runs.length >> 1]!;
      const run = runs.find((x) => x.decodeTokensPerSecond === median)!;
      if (!best || run.decodeTokensPerSecond > best.decodeTokensPerSecond) best = run;
    }
    await model.dispose();
    return best!;
  } finally {
    await llama.dispose();
  }
}
