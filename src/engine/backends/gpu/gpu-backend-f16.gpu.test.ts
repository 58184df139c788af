// The f16-maths tile pass in the whole engine: the autotune races it on the roles that read a
// normalised x, and a plan that uses it decodes with drafts exactly as without. Runs in both GPU
// projects: Chromium (SwiftShader has no shader-f16: everything here skips but the fallback) and
// `npm test`'s f16 project on Mesa's lavapipe, where nothing may skip (src/testing/dawn-node-setup.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type LoadedModel } from '../../../model/load.ts';
import { TEST_MODEL_VARIANTS, testModelFetcher } from '../../../testing/test-model.ts';
import { testDevice } from '../../../testing/gpu-test-util.ts';
import { GREEDY } from '../../api/types.ts';
import type { GenerateRequest } from '../backend.ts';
import { autotunePlan, type TunedPlan } from './autotune.ts';
import { GpuContext } from './context.ts';
import { createGpuBackend, type GpuBackend } from './gpu-backend.ts';
import { f16MathFits } from './kernels/matmul-f16/matmul-f16.ts';
import { uniformFormats } from '../plan/model-plan.ts';
import type { GridChoice } from '../plan/wafer-plan.ts';

const PROMPT = [9, 20, 31, 42, 53, 64, 75, 86, 97, 108, 119, 130];
const request = (extra: Partial<GenerateRequest> = {}): GenerateRequest => ({
  promptIds: PROMPT, maxNewTokens: 24, stopIds: [], sampling: GREEDY, tokensPerSubmit: 8, ...extra,
});
const tokens = async (backend: GpuBackend, req: GenerateRequest) => {
  const out: number[] = [];
  await backend.generate(req, (ids) => out.push(...ids), new AbortController().signal);
  return out;
};
const f16Grid: GridChoice = { tileRows: 64, colTiles: 1, reduce: 'chain', f16Math: true };

describe('f16 maths in the GPU backend', async () => {
  const device = await testDevice(['timestamp-query', 'subgroups', 'shader-f16']);
  let model: LoadedModel;
  beforeAll(async () => { model = await loadModel(testModelFetcher(TEST_MODEL_VARIANTS['llama-tied-f16'])); });
  afterAll(() => device.destroy());

  it.runIf(f16MathFits(device))('the autotune races f16 maths against f32 on qkv, gate_up and lm_head only, and keeps the faster', async () => {
    const tuned = await autotunePlan(new GpuContext(device), model.config, uniformFormats('f16'), { candidates: () => [], reps: 2, trials: 1 });
    for (const role of ['qkv', 'gate_up', 'lm_head'] as const) {
      const t = tuned[role]!;
      expect(t.f16!.f16Ms).toBeGreaterThan(0);
      expect(t.f16!.f32Ms).toBeGreaterThan(0);
      expect(!!t.grid.f16Math).toBe(t.f16!.f16Ms < t.f16!.f32Ms);
    }
    console.log('f16 maths vs f32, ms per GEMV', JSON.stringify(Object.fromEntries(Object.entries(tuned).filter(([, t]) => t!.f16).map(([r, t]) => [r, t!.f16]))));
    for (const role of ['o', 'down'] as const) {
      expect(tuned[role]!.f16).toBeUndefined();
      expect(tuned[role]!.grid.f16Math).toBeFalsy();
    }
  });

  it.runIf(f16MathFits(device))('a plan multiplying in halves decodes with drafts exactly as without, close to the f32 plan', async () => {
    const f16 = await createGpuBackend(model, { device, maxContext: 128, forceGrid: { qkv: f16Grid, gate_up: { ...f16Grid, tileRows: 128 }, lm_head: f16Grid } });
    const f32 = await createGpuBackend(model, { device, maxContext: 128, autotune: false });
    try {
      expect(f16.plan.roles.qkv!.f16Math && f16.plan.roles.gate_up!.f16Math && f16.plan.roles.lm_head!.f16Math).toBe(true);
      const plain = await tokens(f16, request());
      expect(await tokens(f16, request({ draft: (s, max) => s.slice(-max) }))).toEqual(plain);
      // Halves round differently, so a near tie may flip a later token; the start agrees.
      expect(plain.slice(0, 4)).toEqual((await tokens(f32, request())).slice(0, 4));
    } finally {
      f16.dispose();
      f32.dispose();
    }
  });

  it('a cached f16-maths choice on a device without shader-f16 falls back to the default grid', async () => {
    const plain = await testDevice();
    try {
      const cached: TunedPlan = { qkv: { grid: f16Grid, ms: 1, candidates: [{ grid: f16Grid, ms: 1 }] } };
      const b = await createGpuBackend(model, { device: plain, maxContext: 64, planCache: { get: async () => cached, set: async () => {} } });
      expect(b.plan.roles.qkv!.f16Math).toBe(false);
      expect(b.plan.source.qkv).toBe('default');
      b.dispose();
    } finally {
      plain.destroy();
    }
  });
});
