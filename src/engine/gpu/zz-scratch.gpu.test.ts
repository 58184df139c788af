import { it } from 'vitest';
import { BufferGroup, GpuContext, runDispatches } from './context.ts';
import { attentionDispatch } from './attention.ts';
import { matmulDispatches, uploadTiled } from './matmul.ts';
import { planMatrix } from '../plan/wafer-plan.ts';
import { randomArray, testDevice } from './test-util.ts';

it('times', async () => {
  const device = await testDevice();
  const ctx = new GpuContext(device);
  const group = new BufferGroup(device, 't');
  const h = 6, hkv = 2, dh = 12, T = 2000;
  const width = (h + 2 * hkv) * dh;
  const qkv = group.storage('qkv', randomArray(T * width, 1));
  const kc = group.storage('k', randomArray(T * hkv * dh, 2)), vc = group.storage('v', randomArray(T * hkv * dh, 3));
  const out = group.create('o', T * h * dh * 4, GPUBufferUsage.STORAGE);
  for (const tokens of [2000, 1]) {
    const state = group.storage('s', new Uint32Array([tokens === 1 ? 1999 : 0, 0]));
    const d = await attentionDispatch(ctx, group, { heads: { numHeads: h, numKvHeads: hkv, headDim: dh }, tokens, state, qkv, kCache: kc, vCache: vc, out });
    await runDispatches(device, [d]);
    const t0 = performance.now();
    await runDispatches(device, [d]);
    console.log(`attention T=${tokens}: ${(performance.now() - t0).toFixed(1)} ms`);
  }
  for (const [n, k] of [[120, 72], [400, 72], [72, 200]]) {
    const plan = planMatrix('w', n!, k!, 'f32', { tileRows: 64, colTiles: 1, reduce: 'chain' });
    const w = uploadTiled(group, plan, randomArray(n! * k!, 4));
    const x = group.storage('x', randomArray(T * k!, 5));
    const y = group.create('y', T * n! * 4, GPUBufferUsage.STORAGE);
    for (const tokens of [2000, 1]) {
      const list = await matmulDispatches(ctx, group, { weights: w, x, out: y, tokens, epilogue: 'store' });
      await runDispatches(device, list);
      const t0 = performance.now();
      await runDispatches(device, list);
      console.log(`matmul ${n}x${k} T=${tokens}: ${(performance.now() - t0).toFixed(1)} ms`);
    }
  }
  group.dispose();
  device.destroy();
});
