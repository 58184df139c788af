import { afterAll, describe, expect, it } from 'vitest';
import { rope } from '../../../cpu/reference/ops.ts';
import { BufferGroup, GpuContext, runDispatches } from '../../context.ts';
import { ropeKvDispatch, ropeTables } from './rope-kv.ts';
import { maxMixedError, randomArray, readF32, testDevice } from '../../../../../testing/gpu-test-util.ts';

// Tolerance 1e-6 (mixed): the cos/sin tables are the reference's f64 values rounded to f32.
describe('rope-kv.wgsl: RoPE + KV-cache write vs reference rope()', async () => {
  const device = await testDevice();
  const ctx = new GpuContext(device);
  afterAll(() => device.destroy());

  it.each([
    { h: 4, hkv: 2, dh: 8, tokens: 1, pos0: 0, maxPos: 16 },
    { h: 3, hkv: 1, dh: 6, tokens: 5, pos0: 7, maxPos: 20 },
    { h: 2, hkv: 2, dh: 160, tokens: 3, pos0: 1990, maxPos: 2048 },
  ])('H=$h Hkv=$hkv Dh=$dh T=$tokens pos0=$pos0', async ({ h, hkv, dh, tokens, pos0, maxPos }) => {
    using group = new BufferGroup(device, 'test');
    const width = (h + 2 * hkv) * dh;
    const qkv = randomArray(tokens * width, dh + tokens);
    const cacheInit = randomArray(maxPos * hkv * dh, 3);
    const usage = GPUBufferUsage.COPY_SRC;
    const qkvBuf = group.storage('qkv', qkv, usage);
    const kCache = group.storage('k', cacheInit, usage), vCache = group.storage('v', cacheInit, usage);
    const state = group.storage('state', new Uint32Array([pos0, 0]));
    const d = await ropeKvDispatch(ctx, group, {
      heads: { numHeads: h, numKvHeads: hkv, headDim: dh }, tokens, state, qkv: qkvBuf, tables: ropeTables(group, { headDim: dh, ropeTheta: 10000, ropeLinearFactor: 1 }, maxPos), kCache, vCache,
    });
    await runDispatches(device, [d]);
    const positions = Array.from({ length: tokens }, (_, t) => pos0 + t);
    const q = new Float32Array(tokens * h * dh), k = new Float32Array(tokens * hkv * dh), v = new Float32Array(tokens * hkv * dh);
    for (let t = 0; t < tokens; t++) {
      q.set(qkv.subarray(t * width, t * width + h * dh), t * h * dh);
      k.set(qkv.subarray(t * width + h * dh, t * width + (h + hkv) * dh), t * hkv * dh);
      v.set(qkv.subarray(t * width + (h + hkv) * dh, (t + 1) * width), t * hkv * dh);
    }
    rope(q, h, positions, { headDim: dh, ropeTheta: 10000, ropeLinearFactor: 1 });
    rope(k, hkv, positions, { headDim: dh, ropeTheta: 10000, ropeLinearFactor: 1 });
    const gotQkv = await readF32(device, qkvBuf, tokens * width);
    const gotQ = new Float32Array(tokens * h * dh);
    for (let t = 0; t < tokens; t++) gotQ.set(gotQkv.subarray(t * width, t * width + h * dh), t * h * dh);
    expect(maxMixedError(gotQ, q)).toBeLessThan(1e-6);
    const gotK = await readF32(device, kCache, maxPos * hkv * dh), gotV = await readF32(device, vCache, maxPos * hkv * dh);
    const rowLen = hkv * dh;
    expect(maxMixedError(gotK.subarray(pos0 * rowLen, (pos0 + tokens) * rowLen), k)).toBeLessThan(1e-6);
    expect(Array.from(gotV.subarray(pos0 * rowLen, (pos0 + tokens) * rowLen))).toEqual(Array.from(v));
    // Rows outside [pos0, pos0 + T) are untouched.
    expect(Array.from(gotK.subarray(0, pos0 * rowLen))).toEqual(Array.from(cacheInit.subarray(0, pos0 * rowLen)));
  });
});
