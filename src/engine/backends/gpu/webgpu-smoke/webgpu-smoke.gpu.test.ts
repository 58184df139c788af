// The smallest WebGPU program through the raw API (no GpuContext): when it fails, the browser or
// adapter is at fault, not a kernel. vector-add.wgsl is its fixture, not a kernel (kernels/
// structure.test.ts lists it as such).
import { describe, expect, it } from 'vitest';
import source from './vector-add.wgsl?raw';

describe('WebGPU smoke test: vector-add.wgsl through the raw API', () => {
  it('adds two vectors of an awkward length', async () => {
    const adapter = await navigator.gpu.requestAdapter();
    expect(adapter).not.toBeNull();
    const device = await adapter!.requestDevice();
    const n = 1000; // not a multiple of the workgroup size
    const a = Float32Array.from({ length: n }, (_, i) => i * 0.5);
    const b = Float32Array.from({ length: n }, (_, i) => 1 - i);
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
    const mk = (data: Float32Array) => {
      const buf = device.createBuffer({ size: data.byteLength, usage });
      device.queue.writeBuffer(buf, 0, data);
      return buf;
    };
    const bufA = mk(a), bufB = mk(b), out = mk(new Float32Array(n));
    const read = device.createBuffer({ size: n * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const module = device.createShaderModule({ code: source });
    const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    const bind = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [bufA, bufB, out].map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bind);
    pass.dispatchWorkgroups(Math.ceil(n / 64));
    pass.end();
    enc.copyBufferToBuffer(out, 0, read, 0, n * 4);
    device.queue.submit([enc.finish()]);
    await read.mapAsync(GPUMapMode.READ);
    const got = new Float32Array(read.getMappedRange().slice(0));
    read.unmap();
    for (let i = 0; i < n; i++) expect(got[i]).toBe(a[i]! + b[i]!);
    expect(adapter!.info.architecture).toBeTypeOf('string');
    for (const buf of [bufA, bufB, out, read]) buf.destroy();
    device.destroy();
  });
});
