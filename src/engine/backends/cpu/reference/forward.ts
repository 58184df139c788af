// The whole model forward pass on the CPU, composed only of reference/ops.ts, with a KV cache.
// This is the ground truth the WebGPU engine is tested against, and the fallback backend.
//
// Per layer (HF LlamaDecoderLayer / Qwen2DecoderLayer):
//   h = x + o_proj(attention(rope(q_proj(n)), rope(k_proj(n)), v_proj(n)))   n = rmsNorm(x)
//   x' = h + down_proj(silu(gate_proj(m)) * up_proj(m))                       m = rmsNorm(h)
// then logits = lm_head(rmsNorm(x_last_layer)).
import type { ModelConfig } from '../../../../model/config.ts';
import type { LoadedModel } from '../../../../model/load.ts';
import type { WeightTensor } from '../../../../model/tensor.ts';
import { EMBED_TOKENS, FINAL_NORM, layerWeightName, outputWeightName, type LayerWeight } from '../../../../model/weights.ts';
import { ReferenceKvCache } from './kv-cache.ts';
import { addInPlace, attention, embed, REFERENCE_MATMUL, rmsNorm, rope, swiglu, type MatmulOp } from './ops.ts';

interface LayerWeights {
  inputNorm: Float32Array; // [D]
  q: Float32Array; // [H*Dh, D]
  k: Float32Array; // [Hkv*Dh, D]
  v: Float32Array; // [Hkv*Dh, D]
  qBias?: Float32Array; // [H*Dh]
  kBias?: Float32Array; // [Hkv*Dh]
  vBias?: Float32Array; // [Hkv*Dh]
  o: Float32Array; // [D, H*Dh]
  postNorm: Float32Array; // [D]
  gate: Float32Array; // [I, D]
  up: Float32Array; // [I, D]
  down: Float32Array; // [D, I]
}

export interface ForwardOptions {
  /** 'all': logits for every new position [T, V]; 'last': only the last one [1, V] (prefill). */
  logits?: 'all' | 'last';
}

/**
 * Where the matrix products run: by default the reference's linear(); a factory (the CPU path's
 * SIMD one) gets every matrix and bias once, and gives back the op and the arrays to keep instead.
 */
export type MatmulFactory = (arrays: readonly Float32Array[]) => { op: MatmulOp; views: Float32Array[] };

export class ReferenceModel {
  private readonly layers: LayerWeights[];
  private embedTable: Float32Array; // [V, D]
  private readonly finalNorm: Float32Array; // [D]
  private lmHead: Float32Array; // [V, D] (the embedding table itself when tied)
  private readonly cache: ReferenceKvCache;
  private readonly matmul: MatmulOp = REFERENCE_MATMUL;

  /** Decodes every weight to f32 once. maxPositions defaults to the config's context length. */
  constructor(readonly config: ModelConfig, weights: ReadonlyMap<string, WeightTensor>, maxPositions = config.maxPositionEmbeddings, matmul?: MatmulFactory) {
    const f32 = (name: string) => {
      const t = weights.get(name);
      if (!t) throw new Error(`reference model: missing tensor ${name}`);
      return t.toF32();
    };
    this.embedTable = f32(EMBED_TOKENS);
    this.finalNorm = f32(FINAL_NORM);
    this.lmHead = config.tieWordEmbeddings ? this.embedTable : f32(outputWeightName(config));
    this.layers = Array.from({ length: config.numLayers }, (_, l) => {
      const w = (part: LayerWeight) => f32(layerWeightName(l, part));
      const layer: LayerWeights = {
        inputNorm: w('input_layernorm.weight'),
        q: w('self_attn.q_proj.weight'), k: w('self_attn.k_proj.weight'), v: w('self_attn.v_proj.weight'),
        o: w('self_attn.o_proj.weight'),
        postNorm: w('post_attention_layernorm.weight'),
        gate: w('mlp.gate_proj.weight'), up: w('mlp.up_proj.weight'), down: w('mlp.down_proj.weight'),
      };
      if (config.attentionBias) {
        layer.qBias = w('self_attn.q_proj.bias');
        layer.kBias = w('self_attn.k_proj.bias');
        layer.vBias = w('self_attn.v_proj.bias');
      }
      return layer;
    });
    if (matmul) {
      const products = ['q', 'k', 'v', 'qBias', 'kBias', 'vBias', 'o', 'gate', 'up', 'down'] as const;
      const arrays = [this.lmHead, ...this.layers.flatMap((layer) => products.flatMap((p) => layer[p] ?? []))];
      const placed = matmul(arrays);
      const view = new Map(arrays.map((a, i) => [a, placed.views[i]!]));
      this.matmul = placed.op;
      if (this.lmHead === this.embedTable) this.embedTable = view.get(this.lmHead)!;
      this.lmHead = view.get(this.lmHead)!;
      for (const layer of this.layers) for (const p of products) if (layer[p]) layer[p] = view.get(layer[p])!;
    }
    this.cache = new ReferenceKvCache(config.numLayers, config.numKvHeads * config.headDim, maxPositions);
  }

  static fromLoaded(model: LoadedModel, maxPositions?: number, matmul?: MatmulFactory): ReferenceModel {
    return new ReferenceModel(model.config, model.weights, maxPositions, matmul);
  }

  /** Positions whose keys/values are cached. */
  get cachedLength(): number {
    return this.cache.length;
  }

  get capacity(): number {
    return this.cache.capacity;
  }

  /** Drops cached positions >= n. */
  truncate(n: number): void {
    this.cache.truncate(n);
  }

  /**
   * Runs ids [T] at positions startPos..startPos+T-1 and returns logits, row-major [T or 1, V].
   * The cache is truncated to startPos first (startPos <= cachedLength), then extended by T.
   */
  forward(ids: readonly number[], startPos: number, options: ForwardOptions = {}): Float32Array {
    const c = this.config;
    if (ids.length === 0) throw new Error('forward: no tokens');
    if (startPos < 0 || startPos > this.cache.length) throw new Error(`forward: startPos ${startPos} outside the cached 0..${this.cache.length}`);
    this.cache.truncate(startPos);
    const t = ids.length;
    const positions = Array.from({ length: t }, (_, i) => startPos + i);
    const d = c.hiddenSize, qDim = c.numHeads * c.headDim, kvDim = c.numKvHeads * c.headDim;

    let x = embed(this.embedTable, d, ids); // [T, D]
    this.layers.forEach((w, l) => {
      const n = rmsNorm(x, w.inputNorm, c.rmsNormEps); // [T, D]
      const q = rope(this.matmul.linear(n, w.q, qDim, d, w.qBias), c.numHeads, positions, c); // [T, H, Dh]
      const k = rope(this.matmul.linear(n, w.k, kvDim, d, w.kBias), c.numKvHeads, positions, c); // [T, Hkv, Dh]
      const v = this.matmul.linear(n, w.v, kvDim, d, w.vBias); // [T, Hkv, Dh]
      this.cache.write(l, startPos, k, v);
      const cached = this.cache.view(l, startPos + t); // [L, Hkv, Dh]
      const attn = attention(q, cached.k, cached.v, c.numHeads, c.numKvHeads, c.headDim, startPos); // [T, H, Dh]
      const h = addInPlace(x, this.matmul.linear(attn, w.o, d, qDim)); // [T, D]
      const m = rmsNorm(h, w.postNorm, c.rmsNormEps);
      const mlp = swiglu(this.matmul.linear(m, w.gate, c.intermediateSize, d), this.matmul.linear(m, w.up, c.intermediateSize, d)); // [T, I]
      x = addInPlace(h, this.matmul.linear(mlp, w.down, d, c.intermediateSize)); // [T, D]
    });
    this.cache.commit(startPos + t);

    const rows = options.logits === 'last' ? x.subarray((t - 1) * d) : x; // [T or 1, D]
    return this.matmul.linear(rmsNorm(rows, this.finalNorm, c.rmsNormEps), this.lmHead, c.vocabSize, d); // [T or 1, V]
  }
}
