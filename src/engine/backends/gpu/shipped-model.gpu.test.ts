// The shipped default model (public/models/spark-nano, served by Vite at /models/spark-nano/) on
// real WebGPU vs the CPU reference: logits within tolerance and identical greedy tokens, with and
// without drafts. Skipped while the model is not in the checkout.
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../../model/load.ts';
import { type GenerateRequest } from '../backend.ts';
import { GREEDY } from '../../api/types.ts';
import { CpuBackend } from '../cpu/cpu-backend.ts';
import { ReferenceModel } from '../cpu/reference/forward.ts';
import { createGpuBackend, type GpuBackend } from './gpu-backend.ts';
import { describeFormats } from '../plan/model-plan.ts';
import { readF32, testDevice } from '../../../testing/gpu-test-util.ts';

const BASE = '/models/spark-nano/';
const present = (await fetch(`${BASE}config.json`)).ok && (await fetch(`${BASE}model.safetensors`, { method: 'HEAD' })).ok;

const CODE = `import math

def mean(values):
    """Arithmetic mean of a non-empty list."""
    total = 0
    for v in values:
        total += v
    return total / len(values)

def variance(values):
    m = mean(values)
    return sum((v - m) ** 2 for v in values) / len(values)

def stddev(values):
`;

describe.skipIf(!present)('shipped model spark-nano on WebGPU', async () => {
  const device = await testDevice();
  afterAll(() => device.destroy());

  it('logits match the reference and greedy decoding is token-identical (N=8, with and without drafts)', async () => {
    const model = await loadModel(BASE);
    const gpu: GpuBackend = await createGpuBackend(model, { device, autotune: false, maxContext: 512 });
    try {
      const prompt = model.tokenizer.encode(CODE);
      const req = (extra: Partial<GenerateRequest> = {}): GenerateRequest => ({
        promptIds: prompt, maxNewTokens: 48, stopIds: [], sampling: GREEDY, tokensPerSubmit: 8, ...extra,
      });
      const run = async (b: GpuBackend | CpuBackend, r: GenerateRequest) => {
        const out: number[] = [];
        await b.generate(r, (ids) => out.push(...ids), new AbortController().signal);
        return out;
      };
      const got = await run(gpu, req({ maxNewTokens: 1 }));
      const logits = await readF32(device, gpu.model.logitsBuffer, model.config.vocabSize);
      const want = ReferenceModel.fromLoaded(model, 512).forward(prompt, 0, { logits: 'last' });
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(logits[i]! - want[i]!) / (1 + Math.abs(want[i]!)));
      expect(worst).toBeLessThan(2e-4); // f16 weights exactly as the reference decodes them; f32 maths
      const cpu = await run(new CpuBackend(model, { maxContext: 512 }), req());
      expect(got).toEqual(cpu.slice(0, 1));
      expect(await run(gpu, req())).toEqual(cpu);
      expect(await run(gpu, req({ draft: (s, max) => { // prompt lookup: continue after the last earlier match of the final token
        const last = s[s.length - 1]!;
        const at = s.lastIndexOf(last, s.length - 2);
        return at < 0 ? [] : s.slice(at + 1, at + 1 + max);
      } }))).toEqual(cpu);
      console.log(`spark-nano (${model.config.hiddenSize}d × ${model.config.numLayers} layers, ${describeFormats(gpu.plan.formats)}): ${model.tokenizer.decode(cpu)}`);
    } finally {
      gpu.dispose();
    }
  });
});
