// The model resident on the GPU: weights uploaded once in the wafer plan's tile-major layout,
// activations sized for the largest batch, the KV cache, and the forward pass as a list of
// dispatches (built once per batch shape, recorded as often as needed — no host in the loop).
//
// Buffers (T = tokens in the forward, R = logits rows):
//   ids [maxT] u32, state {pos, step}        token input and the GPU-side position counter
//   x [maxT, D] residual stream, h [maxT, D] normed, qkv [maxT, (H+2Hkv)·Dh], att [maxT, H·Dh],
//   mlp [maxT, I], partials [Qmax, maxT, Nmax], logits/probs [maxRows, V], outIds [ring],
//   rowStats [maxRows, lm_head workgroups, 3] (the lm_head's per-workgroup max, argmax, Σ exp)
//   kCache/vCache per layer [maxContext, Hkv, Dh]

import type { ModelConfig } from '../../../model/config.ts';
import type { LoadedModel } from '../../../model/load.ts';
import type { WeightTensor } from '../../../model/tensor.ts';
import { EMBED_TOKENS, FINAL_NORM, layerWeightName, outputWeightName, type LayerWeight } from '../../../model/weights.ts';
import type { SamplingParams } from '../../api/types.ts';
import type { ModelWaferPlan } from '../plan/model-plan.ts';
import type { MatrixPlan } from '../plan/wafer-plan.ts';
import { BufferGroup, type Dispatch, type GpuContext } from './context.ts';
import { attentionDispatch } from './kernels/attention/attention.ts';
import { embedDispatches } from './kernels/embed/embed.ts';
import { matmulDispatches, rowStatParts, type Epilogue } from './kernels/matmul/matmul.ts';
import { rmsnormDispatch } from './kernels/rmsnorm/rmsnorm.ts';
import { ropeKvDispatch, ropeTables, type RopeTables } from './kernels/rope-kv/rope-kv.ts';
import { samplerDispatch } from './kernels/sampler/sampler.ts';
import { uploadTiled, type TiledMatrix } from './kernels/shared/weights.ts';
import { concat, matrixData, type MatrixLayout } from './matrix-data.ts';
import { kvCacheBytes, scratchBytes, type GpuModelSizes } from './memory.ts';

interface LayerBuffers {
  inputNorm: GPUBuffer;
  postNorm: GPUBuffer;
  qkv: TiledMatrix;
  qkvBias?: GPUBuffer;
  o: TiledMatrix;
  gateUp: TiledMatrix;
  down: TiledMatrix;
  kCache: GPUBuffer;
  vCache: GPUBuffer;
}

export type { GpuMemoryEstimate, GpuModelSizes } from './memory.ts';
export { estimateGpuMemory } from './memory.ts';

/** A forward pass as dispatches, plus the sampler's uniform (rewritten per request). */
export interface ForwardGraph extends Disposable {
  tokens: number;
  rows: number;
  /** Row-statistics entries per logits row (the sampler's uniform carries it). */
  statParts: number;
  dispatches: Dispatch[];
  samplerParams: GPUBuffer;
}

export class GpuModel implements Disposable {
  readonly weights: BufferGroup;
  readonly config: ModelConfig;
  readonly layers: LayerBuffers[] = [];
  readonly embed: TiledMatrix;
  readonly lmHead: TiledMatrix;
  readonly finalNorm: GPUBuffer;
  readonly rope: RopeTables;
  readonly ids: GPUBuffer;
  readonly state: GPUBuffer;
  readonly outIds: GPUBuffer;
  private readonly x: GPUBuffer;
  private readonly h: GPUBuffer;
  private readonly qkv: GPUBuffer;
  private readonly att: GPUBuffer;
  private readonly mlp: GPUBuffer;
  private readonly partials: GPUBuffer;
  private readonly logits: GPUBuffer;
  private readonly probs: GPUBuffer;
  private readonly rowStats: GPUBuffer | undefined;

  constructor(readonly ctx: GpuContext, model: LoadedModel, readonly plan: ModelWaferPlan, readonly sizes: GpuModelSizes) {
    const c = model.config;
    this.config = c;
    const g = ctx.group('model');
    this.weights = g;
    try {
      const tensor = (name: string): WeightTensor => {
        const t = model.weights.get(name);
        if (!t) throw new Error(`gpu model: missing tensor ${name}`);
        return t;
      };
      const f32 = (name: string) => tensor(name).toF32();
      /** The plan of role r's matrix (in layer l, whose format may differ from the role's). */
      const role = (r: keyof ModelWaferPlan['roles'], l?: number) => {
        const p = (l === undefined ? undefined : this.plan.layers?.[r]?.[l]) ?? this.plan.roles[r];
        if (!p) throw new Error(`gpu model: the plan has no ${r} matrix`);
        return p;
      };
      const matrix = (plan: MatrixPlan, names: string[], layout: MatrixLayout = 'stack') =>
        uploadTiled(g, plan, matrixData(plan.format, names.map(tensor), layout), sizes.maxBindingBytes);
      const cacheBytes = kvCacheBytes(c, sizes) / (2 * c.numLayers);
      for (let l = 0; l < c.numLayers; l++) {
        const name = (part: LayerWeight) => layerWeightName(l, part);
        const names = (...parts: LayerWeight[]) => parts.map(name);
        const mkF = (n: number) => new Float32Array(n);
        const layer: LayerBuffers = {
          inputNorm: g.storage(`L${l}.input_norm`, f32(name('input_layernorm.weight'))),
          postNorm: g.storage(`L${l}.post_norm`, f32(name('post_attention_layernorm.weight'))),
          qkv: matrix(role('qkv', l), names('self_attn.q_proj.weight', 'self_attn.k_proj.weight', 'self_attn.v_proj.weight')),
          o: matrix(role('o', l), names('self_attn.o_proj.weight')),
          // gate/up interleaved row by row: row 2i = gate_i, 2i+1 = up_i (the SwiGLU pair of one thread).
          gateUp: matrix(role('gate_up', l), names('mlp.gate_proj.weight', 'mlp.up_proj.weight'), 'interleave'),
          down: matrix(role('down', l), names('mlp.down_proj.weight')),
          kCache: g.create(`L${l}.k_cache`, cacheBytes, GPUBufferUsage.STORAGE),
          vCache: g.create(`L${l}.v_cache`, cacheBytes, GPUBufferUsage.STORAGE),
        };
        if (c.attentionBias) {
          layer.qkvBias = g.storage(`L${l}.qkv_bias`, concat(names('self_attn.q_proj.bias', 'self_attn.k_proj.bias', 'self_attn.v_proj.bias').map(f32), mkF));
        }
        this.layers.push(layer);
      }
      this.lmHead = matrix(role('lm_head'), [outputWeightName(c)]);
      // Tied: the embedding gather reads the lm_head's tile-major buffer — one copy of the table.
      this.embed = c.tieWordEmbeddings ? this.lmHead : matrix(role('embed'), [EMBED_TOKENS]);
      this.finalNorm = g.storage('final_norm', f32(FINAL_NORM));
      this.rope = ropeTables(g, c, sizes.maxContext);

      const act = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
      const bytes = scratchBytes(c, plan, sizes);
      this.ids = g.create('ids', bytes.ids, act);
      this.state = g.create('state', bytes.state, act);
      this.outIds = g.create('out_ids', bytes.outIds, act);
      this.x = g.create('x', bytes.x, act);
      this.h = g.create('h', bytes.h, act);
      this.qkv = g.create('qkv', bytes.qkv, act);
      this.att = g.create('att', bytes.att, act);
      this.mlp = g.create('mlp', bytes.mlp, act);
      this.partials = g.create('partials', bytes.partials, GPUBufferUsage.STORAGE);
      this.logits = g.create('logits', bytes.logits, act);
      this.probs = g.create('probs', bytes.probs, GPUBufferUsage.STORAGE);
      this.rowStats = bytes.rowStats ? g.create('row_stats', bytes.rowStats, GPUBufferUsage.STORAGE) : undefined;
    } catch (err) {
      g.dispose();
      throw err;
    }
  }

  /** The logits of the last forward (tests), rows × V. */
  get logitsBuffer(): GPUBuffer { return this.logits; }

  /**
   * The dispatches of one forward over T tokens at positions state.pos.., sampling the last
   * `rows` positions. rows = 1 advances state by T (prefill, decode); rows > 1 (verification)
   * samples every row and leaves state to the host.
   */
  async buildForward(tokens: number, rows: number, sampling: SamplingParams): Promise<ForwardGraph> {
    const { ctx, config: c, sizes } = this;
    if (tokens < 1 || tokens > sizes.maxBatch) throw new Error(`forward: ${tokens} tokens outside 1..${sizes.maxBatch}`);
    if (rows < 1 || rows > Math.min(tokens, sizes.maxRows)) throw new Error(`forward: ${rows} logits rows outside 1..${Math.min(tokens, sizes.maxRows)}`);
    const g = ctx.group(`forward-T${tokens}`);
    try {
      const heads = { numHeads: c.numHeads, numKvHeads: c.numKvHeads, headDim: c.headDim };
      const eps = c.rmsNormEps;
      const d = c.hiddenSize;
      const list: Dispatch[] = await embedDispatches(ctx, g, { table: this.embed, ids: this.ids, out: this.x, tokens });
      /**
       * The matmul after an RMSNorm: with the plan's norm prologue the matmul normalises x itself;
       * else the norm dispatch writes h first.
       */
      const normed = async (weights: TiledMatrix, norm: GPUBuffer, m: { out: GPUBuffer; tokens: number; epilogue: Epilogue; bias?: GPUBuffer; inRow?: number; rowStats?: GPUBuffer; label: string }) => {
        const { inRow = 0, label, ...rest } = m;
        if (weights.plan.normPrologue) {
          return matmulDispatches(ctx, g, { ...rest, weights, x: this.x, xRow: inRow, norm: { weight: norm, eps }, partials: this.partials });
        }
        return [
          await rmsnormDispatch(ctx, g, { x: this.x, weight: norm, out: this.h, dim: d, tokens: m.tokens, eps, inRow, label }),
          ...await matmulDispatches(ctx, g, { ...rest, weights, x: this.h, partials: this.partials }),
        ];
      };
      for (const [l, w] of this.layers.entries()) {
        const tag = (s: string) => ({ label: `L${l}.${s}` });
        list.push(...await normed(w.qkv, w.inputNorm, { out: this.qkv, tokens, epilogue: 'store', ...(w.qkvBias ? { bias: w.qkvBias } : {}), ...tag('input_norm') }));
        list.push(await ropeKvDispatch(ctx, g, { heads, tokens, state: this.state, qkv: this.qkv, tables: this.rope, kCache: w.kCache, vCache: w.vCache, ...tag('rope_kv') }));
        list.push(await attentionDispatch(ctx, g, { heads, tokens, state: this.state, qkv: this.qkv, kCache: w.kCache, vCache: w.vCache, out: this.att, ...tag('attention') }));
        list.push(...await matmulDispatches(ctx, g, { weights: w.o, x: this.att, out: this.x, partials: this.partials, tokens, epilogue: 'residual' }));
        list.push(...await normed(w.gateUp, w.postNorm, { out: this.mlp, tokens, epilogue: 'swiglu', ...tag('post_norm') }));
        list.push(...await matmulDispatches(ctx, g, { weights: w.down, x: this.mlp, out: this.x, partials: this.partials, tokens, epilogue: 'residual' }));
      }
      // With the plan's rowStats the lm_head also reduces its logits per workgroup (max, argmax,
      // Σ exp), so the sampler, one workgroup, combines those instead of scanning the vocabulary.
      const stats = this.rowStats ? { buffer: this.rowStats, parts: rowStatParts(this.lmHead.plan) } : undefined;
      list.push(...await normed(this.lmHead, this.finalNorm, { out: this.logits, tokens: rows, epilogue: 'store', inRow: tokens - rows, ...(stats ? { rowStats: stats.buffer } : {}), label: 'final_norm' }));
      const statParts = stats?.parts ?? 0;
      const sampler = await samplerDispatch(ctx, g, {
        vocab: c.vocabSize, rows, firstRowToken: tokens - rows, advance: rows === 1 ? tokens : 0, sampling,
        state: this.state, logits: this.logits, probs: this.probs, nextIds: this.ids, outIds: this.outIds, ...(stats ? { rowStats: stats } : {}),
      });
      list.push(sampler);
      return { tokens, rows, statParts, dispatches: list, samplerParams: sampler.params, [Symbol.dispose]: () => g.dispose() };
    } catch (err) {
      g.dispose();
      throw err;
    }
  }

  [Symbol.dispose](): void { this.dispose(); }
  dispose(): void { this.weights.dispose(); }
}
