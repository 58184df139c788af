import { afterAll, describe, expect, it } from 'vitest';
import { attention } from '../../../cpu/reference/ops.ts';
import { BufferGroup, GpuContext, runDispatches } from '../../context.ts';
import { attentionDispatch } from './attention.ts';
import { maxMixedError, randomArray, readF32, testDevice } from '../../../../../testing/gpu-test-util.ts';

// Tolerance 1e-5: online softmax (one pass, rescaled) vs the reference's two passes, f32 vs f64 sums.
describe('attention.wgsl: causal GQA over the KV cache vs reference attention()', async () => {
  const device = await testDevice();
  const ctx = new GpuContext(device);
  afterAll(() => device.destroy());

  it.each([
    { h: 4, hkv: 2, dh: 8, tokens: 1, past: 0 },
    { h: 4, hkv: 1, dh: 12, tokens: 1, past: 37 },
    { h: 3, hkv: 3, dh: 20, tokens: 9, past: 5 },
    { h: 6, hkv: 2, dh: 64, tokens: 33, past: 0 },
    { h: 2, hkv: 1, dh: 128, tokens: 70, past: 19 },
    { h: 6, hkv: 2, dh: 12, tokens: 9, past: 5, perQueryOnly: true },
  ])('H=$h Hkv=$hkv Dh=$dh T=$tokens past=$past perQueryOnly=$perQueryOnly', async ({ h, hkv, dh, tokens, past, perQueryOnly }) => {
    using group = new BufferGroup(device, 'test');
    const maxPos = past + tokens + 3;
    const width = (h + 2 * hkv) * dh;
    const qkv = randomArray(tokens * width, dh * tokens, 2);
    const kc = randomArray(maxPos * hkv * dh, 5, 2), vc = randomArray(maxPos * hkv * dh, 6);
    const out = group.create('out', tokens * h * dh * 4, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC);
    const d = await attentionDispatch(ctx, group, {
      heads: { numHeads: h, numKvHeads: hkv, headDim: dh }, tokens, state: group.storage('state', new Uint32Array([past, 0])),
      qkv: group.storage('qkv', qkv), kCache: group.storage('k', kc), vCache: group.storage('v', vc), out, perQueryOnly,
    });
    await runDispatches(device, [d]);
    const q = new Float32Array(tokens * h * dh);
    for (let t = 0; t < tokens; t++) q.set(qkv.subarray(t * width, t * width + h * dh), t * h * dh);
    const len = (past + tokens) * hkv * dh;
    const want = attention(q, kc.subarray(0, len), vc.subarray(0, len), h, hkv, dh, past);
    expect(maxMixedError(await readF32(device, out, tokens * h * dh), want)).toBeLessThan(1e-5);
  });

  it('the tiled prefill kernel and the per-query kernel agree to the bit (drafts rely on it)', async () => {
    using group = new BufferGroup(device, 'test');
    const h = 6, hkv = 2, dh = 12, tokens = 40, past = 7;
    const width = (h + 2 * hkv) * dh;
    const args = {
      heads: { numHeads: h, numKvHeads: hkv, headDim: dh }, tokens, state: group.storage('state', new Uint32Array([past, 0])),
      qkv: group.storage('qkv', randomArray(tokens * width, 3, 2)), kCache: group.storage('k', randomArray((past + tokens) * hkv * dh, 4, 2)),
      vCache: group.storage('v', randomArray((past + tokens) * hkv * dh, 5)),
    };
    const outs = [0, 1].map((i) => group.create(`out${i}`, tokens * h * dh * 4, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC));
    await runDispatches(device, [
      await attentionDispatch(ctx, group, { ...args, out: outs[0]! }),
      await attentionDispatch(ctx, group, { ...args, out: outs[1]!, perQueryOnly: true }),
    ]);
    const [a, b] = await Promise.all(outs.map((o) => readF32(device, o, tokens * h * dh)));
    expect(Array.from(a!)).toEqual(Array.from(b!));
  });

  it('rejects heads larger than the kernel supports', async () => {
    using group = new BufferGroup(device, 'test');
    const b = group.create('b', 16, GPUBufferUsage.STORAGE);
    await expect(attentionDispatch(ctx, group, {
      heads: { numHeads: 1, numKvHeads: 1, headDim: 512 }, tokens: 1, state: b, qkv: b, kCache: b, vCache: b, out: b,
    })).rejects.toThrow(/MAX_HEAD_DIM/);
    await expect(attentionDispatch(ctx, group, {
      heads: { numHeads: 1, numKvHeads: 1, headDim: 6 }, tokens: 1, state: b, qkv: b, kCache: b, vCache: b, out: b,
    })).rejects.toThrow(/multiple of 4/);
  });
});
