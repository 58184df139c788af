// Greedy decoding on Spark's CPU reference (plain TypeScript, no GPU or WGSL), for tests outside the
// engine that need the reference's tokens: the Chromium tests compare the page's engine with it.
import { ReferenceModel } from '../engine/backends/cpu/reference/forward.ts';
import { argmax } from '../engine/backends/cpu/reference/sampler.ts';
import type { LoadedModel } from '../model/load.ts';

/** The `steps` tokens the reference picks greedily after `prompt` (stop tokens ignored). */
export function referenceGreedy(model: LoadedModel, prompt: readonly number[], steps: number): number[] {
  const vocab = model.config.vocabSize;
  const reference = ReferenceModel.fromLoaded(model, prompt.length + steps);
  const tokens: number[] = [];
  let logits = reference.forward([...prompt], 0);
  for (let i = 0; i < steps; i++) {
    const best = argmax(logits.subarray(logits.length - vocab));
    tokens.push(best);
    logits = reference.forward([best], prompt.length + i);
  }
  return tokens;
}
