import { describe, expect, it } from 'vitest';
import { formatProbe, probeWebGpu, type ProbeResult } from './probe.ts';

const ok: ProbeResult = {
  status: 'ok', vendor: 'google', architecture: 'swiftshader', device: '', description: 'SwiftShader Device',
  isFallbackAdapter: false, secureContext: true,
  features: { shaderF16: false, subgroups: true, timestampQuery: true },
};

describe('formatProbe', () => {
  it('names the adapter and every feature we care about', () => {
    expect(formatProbe(ok)).toBe('WebGPU: google swiftshader · shader-f16 no, subgroups yes, timestamp-query yes');
  });

  it('marks a software fallback adapter and falls back to the description when info is empty', () => {
    expect(formatProbe({ ...ok, vendor: '', architecture: '', isFallbackAdapter: true }))
      .toBe('WebGPU: SwiftShader Device (software fallback) · shader-f16 no, subgroups yes, timestamp-query yes');
  });

  it('says plainly when WebGPU is missing, and why when it is the context', () => {
    const none = { ...ok, status: 'no-webgpu' as const };
    expect(formatProbe(none)).toMatch(/^No WebGPU in this browser: the editor works/);
    expect(formatProbe({ ...none, secureContext: false })).toMatch(/not a secure context/);
  });

  it('says plainly when the adapter or device is refused', () => {
    expect(formatProbe({ ...ok, status: 'no-adapter' })).toMatch(/no GPU adapter was offered: the editor works/);
    expect(formatProbe({ ...ok, status: 'no-device', detail: 'lost' }))
      .toMatch(/^WebGPU adapter google swiftshader refused a device \(lost\): the editor works/);
    expect(formatProbe({ ...ok, status: 'error', detail: 'boom' })).toMatch(/probe failed \(boom\)/);
  });
});

describe('probeWebGpu with a GPU double', () => {
  const adapter = (features: string[], deviceFails = false) => ({
    info: { vendor: 'acme', architecture: 'rdna9', device: 'x', description: 'Acme X' },
    features: new Set(features),
    requestDevice: async () => {
      if (deviceFails) throw new Error('device refused');
      return { destroy() {} };
    },
  });
  const gpu = (value: unknown) => ({ requestAdapter: async () => value }) as unknown as GPU;

  it('reports no-webgpu without navigator.gpu', async () => {
    expect((await probeWebGpu({ gpu: undefined })).status).toBe('no-webgpu');
  });

  it('reports no-adapter when requestAdapter gives null', async () => {
    expect((await probeWebGpu({ gpu: gpu(null) })).status).toBe('no-adapter');
  });

  it('reads vendor, architecture and features', async () => {
    const result = await probeWebGpu({ gpu: gpu(adapter(['shader-f16', 'timestamp-query'])) });
    expect(result).toMatchObject({
      status: 'ok', vendor: 'acme', architecture: 'rdna9',
      features: { shaderF16: true, subgroups: false, timestampQuery: true },
    });
  });

  it('reports a refused device with the browser message', async () => {
    expect(await probeWebGpu({ gpu: gpu(adapter([], true)) })).toMatchObject({ status: 'no-device', detail: 'device refused' });
  });

  it('gives up on an adapter request that never answers', async () => {
    const hanging = { requestAdapter: () => new Promise(() => {}) } as unknown as GPU;
    expect(await probeWebGpu({ gpu: hanging, timeoutMs: 20 })).toMatchObject({ status: 'error', detail: expect.stringMatching(/did not answer/) });
  });
});
