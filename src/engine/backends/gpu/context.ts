// Shared plumbing for the kernel modules: a device, a pipeline cache, tracked buffers, and the
// `Dispatch` record every op produces. Ops never encode directly; they return Dispatch records
// that the backend records into one compute pass per submit (no host in the loop).

export interface Dispatch {
  label: string;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  workgroups: readonly [number, number, number];
}

/** A group of GPU buffers destroyed together (a model's weights, one request's uniforms). */
export class BufferGroup implements Disposable {
  private readonly buffers = new Set<GPUBuffer>();
  constructor(readonly device: GPUDevice, readonly label: string, private readonly onDispose?: (group: BufferGroup) => void) {}

  create(label: string, size: number, usage: GPUBufferUsageFlags): GPUBuffer {
    const limits = this.device.limits;
    const max = usage & GPUBufferUsage.STORAGE ? Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize) : limits.maxBufferSize;
    if (size > max) {
      throw new Error(`${this.label}/${label}: ${size} bytes exceed this device's limit of ${max} (request higher limits, use f16 weights or a smaller context)`);
    }
    // Zero-sized bindings are invalid; 16 bytes also satisfies every alignment rule.
    const buf = this.device.createBuffer({ label: `${this.label}/${label}`, size: Math.max(16, Math.ceil(size / 4) * 4), usage });
    this.buffers.add(buf);
    return buf;
  }

  /** A storage buffer holding `data` (padded to 4 bytes). */
  storage(label: string, data: ArrayBufferView, extraUsage: GPUBufferUsageFlags = 0): GPUBuffer {
    const buf = this.create(label, data.byteLength, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | extraUsage);
    writePadded(this.device, buf, data);
    return buf;
  }

  /** A uniform buffer from 32-bit words (u32 unless given as a Float32Array). */
  uniform(label: string, words: Uint32Array | Float32Array): GPUBuffer {
    const size = Math.ceil(words.byteLength / 16) * 16;
    const buf = this.create(label, size, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
    writePadded(this.device, buf, words);
    return buf;
  }

  get count(): number { return this.buffers.size; }

  /** Bytes of all live buffers in the group (as allocated: padded to 4, at least 16). */
  get bytes(): number {
    let sum = 0;
    for (const b of this.buffers) sum += b.size;
    return sum;
  }

  [Symbol.dispose](): void { this.dispose(); }
  dispose(): void {
    for (const b of this.buffers) b.destroy();
    this.buffers.clear();
    this.onDispose?.(this);
  }
}

function writePadded(device: GPUDevice, buf: GPUBuffer, data: ArrayBufferView): void {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (bytes.byteLength % 4 === 0) { device.queue.writeBuffer(buf, 0, bytes); return; }
  const padded = new Uint8Array(Math.ceil(bytes.byteLength / 4) * 4);
  padded.set(bytes);
  device.queue.writeBuffer(buf, 0, padded);
}

/** Device + pipeline cache. One per backend (no module-level state). */
export class GpuContext {
  private readonly pipelines = new Map<string, Promise<GPUComputePipeline>>();
  /** Buffer groups not yet disposed: what a soak test watches for leaks. */
  private readonly groups = new Set<BufferGroup>();
  constructor(readonly device: GPUDevice) {}

  /** A buffer group counted in `liveBuffers` until it is disposed. */
  group(label: string): BufferGroup {
    const g = new BufferGroup(this.device, label, (done) => this.groups.delete(done));
    this.groups.add(g);
    return g;
  }

  /** GPU buffers alive in this context's groups (the weights, the KV cache, forward graphs). */
  get liveBuffers(): number {
    let n = 0;
    for (const g of this.groups) n += g.count;
    return n;
  }

  /** Compiles (once per distinct code/entry/constants) a compute pipeline with an auto layout. */
  pipeline(label: string, code: string, entryPoint: string, constants: Record<string, number> = {}): Promise<GPUComputePipeline> {
    const key = `${label}|${entryPoint}|${JSON.stringify(constants)}|${code.length}|${hashString(code)}`;
    let p = this.pipelines.get(key);
    if (!p) {
      const module = this.device.createShaderModule({ label, code });
      p = this.device.createComputePipelineAsync({ label: `${label}:${entryPoint}`, layout: 'auto', compute: { module, entryPoint, constants } })
        .catch(async (err: unknown) => {
          // Surface the WGSL compiler's messages, not just "invalid module".
          const info = await module.getCompilationInfo();
          const msgs = info.messages.map((m) => `${m.type} ${m.lineNum}:${m.linePos} ${m.message}`).join('\n');
          throw new Error(`pipeline ${label}:${entryPoint}: ${String(err)}${msgs ? `\n${msgs}` : ''}`);
        });
      this.pipelines.set(key, p);
    }
    return p;
  }

  bindGroup(pipeline: GPUComputePipeline, label: string, buffers: Record<number, GPUBuffer>): GPUBindGroup {
    return this.device.createBindGroup({
      label,
      layout: pipeline.getBindGroupLayout(0),
      entries: Object.entries(buffers).map(([binding, buffer]) => ({ binding: Number(binding), resource: { buffer } })),
    });
  }
}

function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Records dispatches into a compute pass. */
export function encodeDispatches(pass: GPUComputePassEncoder, list: readonly Dispatch[]): void {
  for (const d of list) {
    pass.setPipeline(d.pipeline);
    pass.setBindGroup(0, d.bindGroup);
    pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
  }
}

/** Checks a workgroup count against the device limit, with a clear error. */
export function checkWorkgroups(device: GPUDevice, label: string, wg: readonly [number, number, number]): readonly [number, number, number] {
  const max = device.limits.maxComputeWorkgroupsPerDimension;
  for (const v of wg) {
    if (!Number.isInteger(v) || v < 1 || v > max) throw new Error(`${label}: workgroup count ${wg.join('x')} outside 1..${max}`);
  }
  return wg;
}

/** Copies a buffer to a fresh MAP_READ buffer and returns its contents (tests, the autotune's lane check). */
export async function readBuffer(device: GPUDevice, src: GPUBuffer, byteLength: number, offset = 0): Promise<ArrayBuffer> {
  const staging = device.createBuffer({ size: Math.ceil(byteLength / 4) * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(src, offset, staging, 0, Math.ceil(byteLength / 4) * 4);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = staging.getMappedRange().slice(0, byteLength);
  staging.unmap();
  staging.destroy();
  return out;
}

/** Runs dispatches in one pass and waits for the queue (tests, the autotune's lane check). */
export async function runDispatches(device: GPUDevice, list: readonly Dispatch[]): Promise<void> {
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  encodeDispatches(pass, list);
  pass.end();
  device.queue.submit([enc.finish()]);
  await device.queue.onSubmittedWorkDone();
}
