// GPU timestamps per op category, only while profiling is on (the normal path records one compute
// pass with no queries). Consecutive dispatches of one category (embed, rmsnorm, matmul:<role>,
// rope_kv, attention, sampler) share a compute pass with timestampWrites at its start and end;
// the phase total is the sum of its passes. Needs the 'timestamp-query' feature.
import { encodeDispatches, type Dispatch } from './context.ts';

/** Category of a dispatch label: "L3.attention" → "attention", "gate_up.tiles" → "matmul:gate_up". */
export function dispatchCategory(label: string): string {
  const bare = label.replace(/^L\d+\./, '');
  if (bare.endsWith('norm')) return 'rmsnorm';
  const [head] = bare.split(/[.:/]/);
  if (bare.includes('.tiles') || bare.includes('.reduce')) return `matmul:${head}`;
  return head ?? bare;
}

/** Timestamps one query set may hold (WebGPU's limit). */
const MAX_TIMESTAMPS = 4096;

export class PassProfiler implements Disposable {
  private query?: GPUQuerySet;
  private resolve?: GPUBuffer;
  private read?: GPUBuffer;
  private capacity = 0;
  private passes: string[] = [];

  constructor(private readonly device: GPUDevice) {
    if (!device.features.has('timestamp-query')) throw new Error('PassProfiler: the device has no timestamp-query feature');
  }

  /**
   * Records `list` (everything of one submit: the query set may be replaced here, which would
   * invalidate passes recorded earlier in the same encoder) as one pass per run of same-category dispatches — or as a single pass named
   * `whole` when that would overflow the 4096 timestamps a query set holds (deep models, big N).
   */
  encode(enc: GPUCommandEncoder, list: readonly Dispatch[], whole = 'step'): void {
    let runs: Dispatch[][] = [];
    for (const d of list) {
      const last = runs[runs.length - 1];
      if (last && dispatchCategory(last[0]!.label) === dispatchCategory(d.label)) last.push(d);
      else runs.push([d]);
    }
    const names = () => runs.map((run) => dispatchCategory(run[0]!.label));
    let labels = names();
    if (2 * (this.passes.length + runs.length) > MAX_TIMESTAMPS) {
      runs = [[...list]];
      labels = [whole];
    }
    this.ensure(2 * (this.passes.length + runs.length));
    for (const [r, run] of runs.entries()) {
      const i = this.passes.length;
      this.passes.push(labels[r]!);
      const pass = enc.beginComputePass({ timestampWrites: { querySet: this.query!, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
      encodeDispatches(pass, run);
      pass.end();
    }
  }

  /** Resolves this submit's queries into the read buffer (call before finish()). */
  finishEncoding(enc: GPUCommandEncoder): void {
    const n = 2 * this.passes.length;
    if (n === 0) return;
    enc.resolveQuerySet(this.query!, 0, n, this.resolve!, 0);
    enc.copyBufferToBuffer(this.resolve!, 0, this.read!, 0, n * 8);
  }

  /** After the submit: ms per category, summed over passes; resets for the next submit. */
  async collect(): Promise<Record<string, number>> {
    const n = this.passes.length;
    const out: Record<string, number> = {};
    if (n === 0) return out;
    await this.read!.mapAsync(GPUMapMode.READ, 0, n * 16);
    const ns = new BigUint64Array(this.read!.getMappedRange(0, n * 16));
    for (let i = 0; i < n; i++) {
      const ms = ns[2 * i + 1]! > ns[2 * i]! ? Number(ns[2 * i + 1]! - ns[2 * i]!) / 1e6 : 0;
      out[this.passes[i]!] = (out[this.passes[i]!] ?? 0) + ms;
    }
    this.read!.unmap();
    this.passes = [];
    return out;
  }

  private ensure(count: number): void {
    if (count <= this.capacity) return;
    const cap = Math.min(MAX_TIMESTAMPS, Math.max(64, 2 ** Math.ceil(Math.log2(count))));
    if (cap > MAX_TIMESTAMPS) throw new Error(`PassProfiler: ${count} timestamps in one submit exceed the 4096 a query set holds`);
    this.dispose();
    this.capacity = cap;
    this.query = this.device.createQuerySet({ type: 'timestamp', count: cap });
    this.resolve = this.device.createBuffer({ size: cap * 8, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    this.read = this.device.createBuffer({ size: cap * 8, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  }

  [Symbol.dispose](): void { this.dispose(); }
  dispose(): void {
    this.query?.destroy();
    this.resolve?.destroy();
    this.read?.destroy();
    this.capacity = 0;
  }
}
