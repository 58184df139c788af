// The GPU side of the token loop's steps. Each step is one submit and one readback of sampled ids:
// positions live on the GPU (`state {pos, step}`), and the sampler writes each sampled id into the
// next step's input, so N decode steps are N copies of one dispatch list in one compute pass.
import type { SamplingParams } from '../../api/types.ts';
import type { Samples, StepContext, Stepper } from '../token-loop.ts';
import { encodeDispatches } from './context.ts';
import type { ForwardGraph, GpuModel } from './gpu-model.ts';
import { PassProfiler } from './profiler.ts';
import { OUT_SLOT_WORDS, readOutSlots, samplerParamWords } from './kernels/sampler/sampler.ts';

const STAGING_RING = 3;
const GREEDY_GRAPH: SamplingParams = { temperature: 0, topK: 0, topP: 1, seed: 0 };

type Phase = 'prefill' | 'decode' | 'verify' | 'logits';

export interface GpuStepperLimits {
  maxDraftTokens: number;
  maxTokensPerSubmit: number;
  firstTokenAlone: boolean;
}

export class GpuStepper implements Stepper, Disposable {
  readonly capacity: number;
  readonly maxBatch: number;
  readonly maxDraftTokens: number;
  readonly maxTokensPerSubmit: number;
  readonly maxDecodeStepsPerCall: number;
  readonly vocabSize: number;
  readonly hostResident = false;
  readonly firstTokenAlone: boolean;
  readonly phaseClock: 'gpu-timestamp' | 'wall-clock';
  private readonly device: GPUDevice;
  private readonly verifyGraphs = new Map<number, ForwardGraph>();
  private readonly staging: GPUBuffer[];
  private ring = 0;
  /** Where logits() reads a row of logits back; made on first use (most requests never need it). */
  private logitsStaging?: GPUBuffer;
  /** GPU timestamps per op category, when the device has 'timestamp-query'. */
  private readonly profiler?: PassProfiler;

  constructor(private readonly model: GpuModel, private readonly decodeGraph: ForwardGraph, limits: GpuStepperLimits) {
    this.device = model.ctx.device;
    this.capacity = model.sizes.maxContext;
    this.maxBatch = model.sizes.maxBatch;
    this.vocabSize = model.config.vocabSize;
    this.maxDraftTokens = limits.maxDraftTokens;
    this.maxTokensPerSubmit = limits.maxTokensPerSubmit;
    this.maxDecodeStepsPerCall = limits.maxTokensPerSubmit;
    this.firstTokenAlone = limits.firstTokenAlone;
    const bytes = model.sizes.outSlots * OUT_SLOT_WORDS * 4;
    this.staging = Array.from({ length: STAGING_RING }, (_, i) =>
      this.device.createBuffer({ label: `ids-staging-${i}`, size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }));
    if (this.device.features.has('timestamp-query')) this.profiler = new PassProfiler(this.device);
    this.phaseClock = this.profiler ? 'gpu-timestamp' : 'wall-clock';
  }

  async prefill(ids: readonly number[], start: number, extraDecode: number, ctx: StepContext): Promise<Samples> {
    using graph = await this.model.buildForward(ids.length, 1, ctx.sampling);
    this.writeIds(ids);
    this.writeState(start);
    return this.submit([{ graph, repeat: 1 }, { graph: this.decodeGraph, repeat: extraDecode }], 1 + extraDecode, 'prefill', ctx);
  }

  decode(pending: number, pos: number, steps: number, ctx: StepContext): Promise<Samples> {
    this.writeIds([pending]);
    this.writeState(pos);
    return this.submit([{ graph: this.decodeGraph, repeat: steps }], steps, 'decode', ctx);
  }

  async verify(pending: number, drafts: readonly number[], pos: number, ctx: StepContext): Promise<Samples> {
    const graph = await this.verifyGraph(drafts.length + 1);
    this.writeIds([pending, ...drafts]);
    this.writeState(pos);
    return this.submit([{ graph, repeat: 1 }], drafts.length + 1, 'verify', ctx);
  }

  /** A prefill whose last logits row is read back too (its sample is ignored: the host samples). */
  async logits(ids: readonly number[], start: number, ctx: StepContext): Promise<Float32Array> {
    using graph = await this.model.buildForward(ids.length, 1, ctx.sampling);
    this.writeIds(ids);
    this.writeState(start);
    const bytes = this.vocabSize * 4;
    this.logitsStaging ??= this.device.createBuffer({ label: 'logits-staging', size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const staging = this.logitsStaging;
    await this.submit([{ graph, repeat: 1 }], 1, 'logits', ctx, (enc) => enc.copyBufferToBuffer(this.model.logitsBuffer, 0, staging, 0, bytes));
    await staging.mapAsync(GPUMapMode.READ, 0, bytes);
    const row = new Float32Array(staging.getMappedRange(0, bytes).slice(0));
    staging.unmap();
    ctx.stats.readbacks++; // a second buffer mapped after the submit's own
    return row;
  }

  /**
   * Builds the verify graph of every draft width now, at load: the first draft of a new width
   * then costs no graph build mid-typing, and the GPU holds the same buffers from load on (a soak
   * test checks that nothing grows).
   */
  async prepare(): Promise<void> {
    for (let width = 2; width <= this.maxDraftTokens + 1; width++) await this.verifyGraph(width);
  }

  /** Positions past n are simply overwritten by the next step that reaches them. */
  truncate(): void {}

  private async verifyGraph(tokens: number): Promise<ForwardGraph> {
    let g = this.verifyGraphs.get(tokens);
    if (!g) {
      g = await this.model.buildForward(tokens, tokens, GREEDY_GRAPH);
      this.verifyGraphs.set(tokens, g);
    }
    return g;
  }

  private writeIds(ids: readonly number[]): void {
    this.device.queue.writeBuffer(this.model.ids, 0, new Uint32Array(ids));
  }

  private writeState(pos: number): void {
    this.device.queue.writeBuffer(this.model.state, 0, new Uint32Array([pos, 0]));
  }

  /**
   * Records the graphs (each `repeat` times) in one compute pass, copies `count` sampled ids (with
   * their log-probabilities) to a staging buffer of the ring, submits once and reads back once.
   */
  private async submit(work: { graph: ForwardGraph; repeat: number }[], count: number, phase: Phase, ctx: StepContext, alsoCopy?: (enc: GPUCommandEncoder) => void): Promise<Samples> {
    const { stats, phases } = ctx;
    for (const { graph, repeat } of work) {
      if (repeat === 0) continue;
      const words = samplerParamWords(this.vocabSize, graph.rows, graph.tokens - graph.rows, graph.rows === 1 ? graph.tokens : 0, ctx.sampling, graph.statParts);
      this.device.queue.writeBuffer(graph.samplerParams, 0, words);
    }
    const enc = this.device.createCommandEncoder({ label: phase });
    const timed = ctx.profiling ? this.profiler : undefined;
    if (timed) {
      // One encode() for the whole submit, so the query set is sized once before any pass uses it.
      timed.encode(enc, work.flatMap(({ graph, repeat }) => Array.from({ length: repeat }, () => graph.dispatches).flat()));
    } else {
      const pass = enc.beginComputePass();
      for (const { graph, repeat } of work) for (let r = 0; r < repeat; r++) encodeDispatches(pass, graph.dispatches);
      pass.end();
    }
    for (const { graph, repeat } of work) stats.dispatches += repeat * graph.dispatches.length;
    const staging = this.staging[this.ring]!;
    this.ring = (this.ring + 1) % this.staging.length;
    const bytes = count * OUT_SLOT_WORDS * 4;
    enc.copyBufferToBuffer(this.model.outIds, 0, staging, 0, bytes);
    alsoCopy?.(enc);
    timed?.finishEncoding(enc);
    const t0 = performance.now();
    this.device.queue.submit([enc.finish()]);
    stats.submits++;
    await staging.mapAsync(GPUMapMode.READ, 0, bytes);
    const samples = readOutSlots(new Uint32Array(staging.getMappedRange(0, bytes).slice(0)), count);
    staging.unmap();
    stats.readbacks++;
    if (ctx.profiling) {
      const wall = performance.now() - t0;
      if (timed) {
        let total = 0;
        for (const [category, ms] of Object.entries(await timed.collect())) {
          phases[`${phase}:${category}`] = (phases[`${phase}:${category}`] ?? 0) + ms;
          total += ms;
        }
        phases[phase] = (phases[phase] ?? 0) + total;
      } else {
        phases[phase] = (phases[phase] ?? 0) + wall;
      }
    }
    return samples;
  }

  [Symbol.dispose](): void {
    this.decodeGraph[Symbol.dispose]();
    for (const g of this.verifyGraphs.values()) g[Symbol.dispose]();
    this.verifyGraphs.clear();
    for (const s of this.staging) s.destroy();
    this.logitsStaging?.destroy();
    this.profiler?.dispose();
  }
}
