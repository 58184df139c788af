// GGUF files load to the same model as the Hugging Face directory they were converted from: the
// same config, the same weights (dequantized), the same tokenizer; and every way a file can be
// unsupported or broken is an Error that names the thing, before any weight is decoded.
import { GGMLQuantizationType, GGUFValueType } from '@huggingface/gguf';
import { describe, expect, it } from 'vitest';
import { encodeGguf, gv, type GgufTensorToWrite } from '../testing/gguf-writer.ts';
import { encodeAs, makeTestGguf, permuteRows, type TestGgufOptions } from '../testing/gguf-test-model.ts';
import { SeededRandom } from '../testing/seeded-random.ts';
import { f32ToF16Bits } from './half.ts';
import { hfTensorName, isGgufSource, loadGguf, unpermuteRows } from './gguf.ts';
import { loadModel, type LoadedModel, type LoadProgress } from './load.ts';
import { MODEL_LIMITS } from './limits.ts';
import { memoryFetcher, urlFetcher } from './model-files.ts';
import { BLOCK, dequantize, quantize } from './quant.ts';
import { WeightTensor } from './tensor.ts';

/** Dimensions whose rows are whole Q8_0 / Q4_0 blocks (32). */
const BLOCK_DIMS = { hiddenSize: 64, numHeads: 4, numKvHeads: 2, intermediateSize: 96 } as const;
const SAMPLES = ['x = 1\n', 'def fibonacci(n):\n    return n if n < 2 else fibonacci(n - 1) + fibonacci(n - 2)\n',
  'for (let i = 0; i < items.length; i++) {\n  total += items[i];\n}\n', '  \t\n\n  ünïcode → 你好 🚀 123456'];

async function both(options: TestGgufOptions): Promise<{ hf: LoadedModel; gguf: LoadedModel; bytes: Uint8Array }> {
  const { gguf, files } = makeTestGguf(options);
  return { hf: await loadModel(memoryFetcher(files)), gguf: await loadGguf(gguf, { fileName: 'test.gguf' }), bytes: gguf };
}

function expectSameConfig(gguf: LoadedModel, hf: LoadedModel): void {
  // GGUF stores eps and theta as f32; everything else is exact.
  expect({ ...gguf.config, rmsNormEps: 0, ropeTheta: 0 }).toEqual({ ...hf.config, rmsNormEps: 0, ropeTheta: 0 });
  expect(gguf.config.rmsNormEps).toBe(Math.fround(hf.config.rmsNormEps));
  expect(gguf.config.ropeTheta).toBe(Math.fround(hf.config.ropeTheta));
}

const reencoded = (type: 'F16' | 'BF16' | 'Q8_0' | 'Q4_0', values: Float32Array) =>
  new WeightTensor('x', type, [values.length], encodeAs(type, values)).toF32();

describe('loadGguf: a converted test model loads like its HF directory', () => {
  it.each([
    ['llama', { architecture: 'LlamaForCausalLM' }],
    ['llama tied', { architecture: 'LlamaForCausalLM', tieWordEmbeddings: true, seed: 2 }],
    ['qwen2 tied', { architecture: 'Qwen2ForCausalLM', tieWordEmbeddings: true, seed: 3 }],
    ['qwen2 untied, padded vocab', { architecture: 'Qwen2ForCausalLM', seed: 4, vocabPadding: 11 }],
  ] as const)('%s (F32): same config, bit-identical weights (q/k un-permuted), same tokenizer', async (_, options) => {
    const { hf, gguf } = await both(options);
    expectSameConfig(gguf, hf);
    expect([...gguf.weights.keys()].sort()).toEqual([...hf.weights.keys()].sort());
    for (const [name, t] of hf.weights) {
      const g = gguf.weights.get(name)!;
      expect(g.dtype, name).toBe('F32');
      expect(g.shape, name).toEqual(t.shape);
      expect(g.toF32(), name).toEqual(t.toF32());
    }
    for (const text of SAMPLES) {
      expect(gguf.tokenizer.encode(text), text).toEqual(hf.tokenizer.encode(text));
      expect(gguf.tokenizer.decode(gguf.tokenizer.encode(text))).toBe(text);
    }
    expect(gguf.tokenizer.specials).toEqual(hf.tokenizer.specials);
    expect(gguf.source).toBe('test.gguf');
  });

  it.each(['F16', 'BF16', 'Q8_0', 'Q4_0'] as const)('%s weights dequantize to the source rounded to that type, norms stay F32', async (type) => {
    for (const architecture of ['LlamaForCausalLM', 'Qwen2ForCausalLM'] as const) {
      const { hf, gguf } = await both({ ...BLOCK_DIMS, architecture, weightType: type, seed: 5 });
      expectSameConfig(gguf, hf);
      for (const [name, t] of hf.weights) {
        const g = gguf.weights.get(name)!;
        expect(g.dtype, name).toBe(t.shape.length === 2 ? type : 'F32');
        // Quantization is per row (whole blocks), so rows moved by the un-permutation keep their values.
        expect(g.toF32(), name).toEqual(t.shape.length === 2 ? reencoded(type, t.toF32()) : t.toF32());
      }
    }
  });

  it('K-quant rows (Q4_K, Q6_K) of llama q/k move as whole blocks', async () => {
    const rng = new SeededRandom(9);
    const blocks = (type: 'Q4_K' | 'Q6_K', count: number) => {
      const out = new Uint8Array(count * BLOCK[type].bytes);
      for (let i = 0; i < out.length; i++) out[i] = Math.floor(rng.next() * 256);
      const view = new DataView(out.buffer);
      for (let b = 0; b < count; b++) {
        const at = b * BLOCK[type].bytes;
        // Finite scales: random bits could be NaN.
        if (type === 'Q4_K') { view.setUint16(at, f32ToF16Bits(0.01), true); view.setUint16(at + 2, f32ToF16Bits(0.002), true); }
        else view.setUint16(at + 208, f32ToF16Bits(0.003), true);
      }
      return out;
    };
    const written = new Map<string, Uint8Array>();
    const options: TestGgufOptions = {
      hiddenSize: 256, numHeads: 4, numKvHeads: 2, intermediateSize: 256, numLayers: 1,
      editTensors: (tensors) => tensors.map((t) => {
        const type = { 'blk.0.attn_q.weight': 'Q4_K', 'blk.0.attn_k.weight': 'Q6_K', 'blk.0.ffn_down.weight': 'Q4_K' }[t.name] as 'Q4_K' | 'Q6_K' | undefined;
        if (!type) return t;
        const bytes = blocks(type, (t.dims[0]! * t.dims[1]!) / 256);
        written.set(t.name, bytes);
        return { ...t, type, bytes };
      }),
    };
    const model = await loadGguf(makeTestGguf(options).gguf);
    const q = model.weights.get('model.layers.0.self_attn.q_proj.weight')!;
    const k = model.weights.get('model.layers.0.self_attn.k_proj.weight')!;
    expect([q.dtype, k.dtype]).toEqual(['Q4_K', 'Q6_K']);
    // Permuting the loaded rows as the converter does gives back the file's rows.
    expect(permuteRows(q.toF32(), 256, 4)).toEqual(dequantize('Q4_K', written.get('blk.0.attn_q.weight')!));
    expect(permuteRows(k.toF32(), 128, 2)).toEqual(dequantize('Q6_K', written.get('blk.0.attn_k.weight')!));
    expect(model.weights.get('model.layers.0.mlp.down_proj.weight')!.bytes).toEqual(written.get('blk.0.ffn_down.weight'));
  });

  it('keeps weights as views into the file, except the un-permuted llama q/k', async () => {
    const { gguf } = makeTestGguf({ ...BLOCK_DIMS, weightType: 'Q8_0' });
    const model = await loadGguf(gguf);
    for (const [name, t] of model.weights) {
      expect(t.bytes.buffer === gguf.buffer, name).toBe(!/\.(q|k)_proj\.weight$/.test(name));
    }
    expect(model.weightBytes).toBe(gguf.byteLength);
  });
});

describe('q/k row permutation', () => {
  it("the converter's permute interleaves each head's two RoPE halves; unpermuteRows undoes it", () => {
    const rows = (n: number) => Float32Array.from({ length: n }, (_, i) => i);
    expect([...permuteRows(rows(8), 8, 1)]).toEqual([0, 4, 1, 5, 2, 6, 3, 7]);
    expect([...permuteRows(rows(8), 8, 2)]).toEqual([0, 2, 1, 3, 4, 6, 5, 7]);
    for (const [n, heads] of [[8, 1], [8, 2], [24, 3], [48, 4]] as const) {
      const permuted = permuteRows(rows(n * 3), n, heads);
      const back = unpermuteRows(new WeightTensor('q', 'F32', [n, 3], new Uint8Array(permuted.buffer)), heads).toF32();
      expect([...back]).toEqual([...rows(n * 3)]);
    }
  });

  it('quantized rows move as byte ranges', () => {
    const values = Float32Array.from({ length: 8 * 32 }, (_, i) => Math.sin(i));
    const t = new WeightTensor('k', 'Q8_0', [8, 32], quantize('Q8_0', permuteRows(values, 8, 2)));
    expect(unpermuteRows(t, 2).toF32()).toEqual(dequantize('Q8_0', quantize('Q8_0', values)));
  });
});

describe('GGUF tokenizer', () => {
  it('control tokens are special and matched whole, so FIM prompts keep their tokens', async () => {
    const { gguf } = await both({});
    const { tokenizer } = gguf;
    const prompt = '<fim_prefix>def f(x):\n    <fim_suffix>\n<fim_middle>';
    const ids = tokenizer.encode(prompt);
    expect(ids.filter((id) => tokenizer.isSpecial(id))).toEqual([1, 3, 2]);
    expect(tokenizer.decode(ids)).toBe(prompt);
    expect(tokenizer.decode(ids, { skipSpecialTokens: true })).toBe('def f(x):\n    \n');
  });

  it.each(['qwen2', 'llama-bpe', 'smollm', 'starcoder', 'gpt-2', 'deepseek-coder', 'default'])('pre-tokenizer %s round-trips text', async (pre) => {
    const model = await loadGguf(makeTestGguf({ pre }).gguf);
    for (const text of [...SAMPLES, "it's 12345 o'clock -- isn't it?"]) expect(model.tokenizer.decode(model.tokenizer.encode(text))).toBe(text);
  });

  it('splits digits as each pre-tokenizer says', async () => {
    const pieces = async (pre: string) => {
      const { tokenizer } = await loadGguf(makeTestGguf({ pre }).gguf);
      return tokenizer.encode('12345').map((id) => tokenizer.tokenString(id));
    };
    expect(await pieces('qwen2')).toEqual(['1', '2', '3', '4', '5']);
    expect((await pieces('llama-bpe')).join('|')).not.toMatch(/\d{4}/);
  });
});

describe('linear RoPE scaling (DeepSeek-Coder)', () => {
  it('reads rope.scaling.type linear with its factor; a missing factor is named by its GGUF key', async () => {
    const scaled = await loadGguf(makeTestGguf({ metadata: { 'llama.rope.scaling.type': gv.str('linear'), 'llama.rope.scaling.factor': gv.f32(4) } }).gguf);
    expect(scaled.config.ropeLinearFactor).toBe(4);
    expect((await loadGguf(makeTestGguf().gguf)).config.ropeLinearFactor).toBe(1);
    await expect(loadGguf(makeTestGguf({ metadata: { 'llama.rope.scaling.type': gv.str('linear') } }).gguf, { fileName: 'm.gguf' }))
      .rejects.toThrow(/^m\.gguf: llama\.rope\.scaling\.factor must be a number from 1 to 1024/);
  });
});

describe('the FIM order', () => {
  it('is PSM unless the file says spark.fim_order (our exporter writes it; GGUF has no key of its own)', async () => {
    expect((await loadGguf(makeTestGguf().gguf)).config.fimOrder).toBe('psm');
    expect((await loadGguf(makeTestGguf({ metadata: { 'spark.fim_order': gv.str('spm') } }).gguf)).config.fimOrder).toBe('spm');
    await expect(loadGguf(makeTestGguf({ metadata: { 'spark.fim_order': gv.str('mps') } }).gguf, { fileName: 'm.gguf' }))
      .rejects.toThrow(/^m\.gguf: spark\.fim_order must be one of "psm", "spm", got "mps"/);
  });
});

describe('unsupported files name what is unsupported', () => {
  const load = (options: TestGgufOptions) => loadGguf(makeTestGguf(options).gguf, { fileName: 'm.gguf' });

  it('an architecture other than llama / qwen2, before any tensor is looked at', async () => {
    // The q projection is also an unsupported type: the architecture is reported first.
    await expect(load({ metadata: { 'general.architecture': gv.str('phi3') }, editTensors: withType('blk.0.attn_q.weight', GGMLQuantizationType.Q5_K) }))
      .rejects.toThrow('m.gguf: architecture "phi3" is not supported (supported: llama, qwen2)');
  });

  it('a tensor type the engine has no kernel for, naming the tensor and the type', async () => {
    await expect(load({ editTensors: withType('blk.0.attn_q.weight', GGMLQuantizationType.Q5_K) }))
      .rejects.toThrow('m.gguf: tensor blk.0.attn_q.weight has type Q5_K; supported: F32, F16, BF16, Q8_0, Q4_0, Q5_0, Q4_K, Q6_K');
    await expect(load({ editTensors: withType('output_norm.weight', 999) })).rejects.toThrow('tensor output_norm.weight has type #999');
    await expect(load({ ...BLOCK_DIMS, editTensors: (ts) => ts.map((t) => (t.name === 'output_norm.weight' ? { ...t, type: 'Q8_0', bytes: quantize('Q8_0', new Float32Array(64)) } : t)) }))
      .rejects.toThrow('tensor output_norm.weight has type Q8_0; a 1-D tensor must be F32, F16, BF16');
  });

  it('a SentencePiece or other tokenizer, or an unknown pre-tokenizer', async () => {
    await expect(load({ metadata: { 'tokenizer.ggml.model': gv.str('llama') } })).rejects.toThrow('m.gguf: tokenizer.ggml.model "llama" (SentencePiece) is not supported yet');
    await expect(load({ metadata: { 'tokenizer.ggml.model': gv.str('bert') } })).rejects.toThrow('tokenizer.ggml.model "bert" is not supported yet');
    await expect(load({ metadata: { 'tokenizer.ggml.model': undefined } })).rejects.toThrow('m.gguf: no tokenizer.ggml.model');
    await expect(load({ pre: 'tekken' })).rejects.toThrow('tokenizer.ggml.pre "tekken" is not supported yet (supported: llama-bpe, qwen2');
  });

  it('maths the engine does not implement: rope scaling, partial rotary, MoE, unequal head sizes, extra tensors; Llama 3 RoPE factors checked', async () => {
    await expect(load({ metadata: { 'llama.rope.scaling.type': gv.str('yarn'), 'llama.rope.scaling.factor': gv.f32(4) } })).rejects.toThrow(/m\.gguf: unsupported rope_scaling: .*yarn/);
    const ropeFreqs = (dims: number[], values: number[]) => ({ editTensors: (ts: GgufTensorToWrite[]) => [...ts, { name: 'rope_freqs.weight', type: 'F32' as const, dims, bytes: new Uint8Array(new Float32Array(values).buffer) }] });
    await expect(load(ropeFreqs([6], [1, 1, 0, 2, 4, 8]))).rejects.toThrow('m.gguf: rope_freqs.weight: element 2 is 0; each must be a positive number');
    await expect(load(ropeFreqs([5], [1, 1, 1, 2, 4]))).rejects.toThrow('m.gguf: rope_freqs.weight: shape [5]; a head of 12 needs [6]');
    // Llama 3's scaling: the factors are the config's.
    expect((await load(ropeFreqs([6], [1, 1, 1.5, 2, 4, 8]))).config.ropeFreqFactors).toEqual([1, 1, 1.5, 2, 4, 8]);
    await expect(load({ metadata: { 'llama.rope.dimension_count': gv.u32(6) } })).rejects.toThrow('unsupported partial_rotary_factor: 0.5');
    await expect(load({ metadata: { 'llama.expert_count': gv.u32(8) } })).rejects.toThrow('llama.expert_count 8: mixture-of-experts models are not supported');
    await expect(load({ metadata: { 'llama.attention.value_length': gv.u32(16) } })).rejects.toThrow('llama.attention.value_length 16 differs from the key head size 12');
    await expect(load({ editTensors: (ts) => [...ts, { name: 'blk.0.attn_q_norm.weight', type: 'F32', dims: [12], bytes: new Uint8Array(48) }] }))
      .rejects.toThrow('m.gguf: tensors the LlamaForCausalLM forward pass does not read: blk.0.attn_q_norm.weight');
    await expect(load({ editTensors: (ts) => [...ts, { name: 'blk.0.attn_q.bias', type: 'F32', dims: [72], bytes: new Uint8Array(288) }] }))
      .rejects.toThrow('does not read: blk.0.attn_q.bias');
  });

  it('metadata values are checked and named by their GGUF key', async () => {
    await expect(load({ metadata: { 'llama.block_count': gv.u32(1_000_000) } })).rejects.toThrow(`m.gguf: llama.block_count 1000000 is more than ${MODEL_LIMITS.numLayers}`);
    await expect(load({ metadata: { 'llama.embedding_length': gv.str('72') } })).rejects.toThrow('m.gguf: llama.embedding_length is "72", not an integer');
    await expect(load({ metadata: { 'llama.attention.head_count_kv': gv.array(GGUFValueType.UINT32, [2, 2]) } })).rejects.toThrow('llama.attention.head_count_kv is an array');
    await expect(load({ metadata: { 'llama.feed_forward_length': undefined } })).rejects.toThrow('m.gguf: missing llama.feed_forward_length');
    await expect(load({ metadata: { 'llama.attention.head_count_kv': gv.u32(4) } })).rejects.toThrow('m.gguf: unsupported llama.attention.head_count_kv: 4 does not divide llama.attention.head_count 6');
    await expect(load({ metadata: { 'tokenizer.ggml.eos_token_id': gv.u32(301) } })).rejects.toThrow('tokenizer.ggml.eos_token_id 301 is not a token id below 301');
    await expect(load({ metadata: { 'tokenizer.ggml.token_type': gv.array(GGUFValueType.INT32, [1, 2]) } })).rejects.toThrow('token_type has 2 entries for 301 tokens');
    await expect(load({ metadata: { 'tokenizer.ggml.merges': gv.array(GGUFValueType.STRING, ['a b c']) } })).rejects.toThrow('tokenizer.ggml.merges[0] "a b c" is not two tokens');
  });

  it('a file that describes more parameters than it holds fails by the numbers, at the bits of its smallest type', async () => {
    await expect(load({ ...BLOCK_DIMS, weightType: 'Q4_0', metadata: { 'llama.block_count': gv.u32(500) } }))
      .rejects.toThrow(/^m\.gguf: describes \d+ parameters \(at least \d+ bytes at 4\.5 bits\) but the weight files hold \d+ bytes$/);
  });
});

/** A tensor list edit that gives `name` another ggml type (keeping its bytes). */
const withType = (name: string, type: number) => (ts: GgufTensorToWrite[]) => ts.map((t) => (t.name === name ? { ...t, type } : t));

describe('broken GGUF files fail fast with an Error naming the file', () => {
  const { gguf: valid } = makeTestGguf({ numLayers: 1 });
  const u64At = (bytes: Uint8Array, at: number, value: bigint) => {
    const copy = bytes.slice();
    new DataView(copy.buffer).setBigUint64(at, value, true);
    return copy;
  };
  const cases: [string, () => Uint8Array, string | RegExp][] = [
    ['empty', () => new Uint8Array(0), 'm.gguf: truncated: 0 bytes, too short for a GGUF header'],
    ['not GGUF', () => new TextEncoder().encode('{"not": "a gguf file at all"}'), 'm.gguf: not a GGUF file'],
    ['version 1', () => { const b = valid.slice(); b[4] = 1; return b; }, 'm.gguf: GGUF version 1 is not supported (2 and 3 are)'],
    ['big-endian', () => { const b = valid.slice(); new DataView(b.buffer).setUint32(4, 3, false); return b; }, 'big-endian GGUF files are not supported'],
    ['2^63 tensors', () => u64At(valid, 8, 1n << 63n), `m.gguf: tensor count 9223372036854775808 is more than ${MODEL_LIMITS.ggufTensors}`],
    ['1e6 metadata entries', () => u64At(valid, 16, 1_000_000n), `m.gguf: metadata entries 1000000 is more than ${MODEL_LIMITS.ggufMetadataEntries}`],
    ['more tensors than bytes', () => u64At(valid, 8, 60_000n), /^m\.gguf: truncated: 60000 tensors and \d+ metadata entries need a header of at least \d+ bytes; the file has \d+$/],
    ['a key longer than the file', () => u64At(valid, 24, 1n << 40n), /^m\.gguf: /],
    ['truncated in the tensor infos', () => valid.subarray(0, 30_000), /^m\.gguf: /],
    ['truncated in the data', () => valid.subarray(0, valid.length - 100), /m\.gguf: truncated: tensor \S+ ends at byte \d+; the file has \d+/],
  ];
  it.each(cases)('%s', async (_, bytes, message) => {
    const start = performance.now();
    await expect(loadGguf(bytes(), { fileName: 'm.gguf' })).rejects.toThrow(message);
    expect(performance.now() - start).toBeLessThan(500);
  });

  const load = (editTensors: TestGgufOptions['editTensors'], metadata?: TestGgufOptions['metadata']) =>
    loadGguf(makeTestGguf({ numLayers: 1, editTensors, ...(metadata ? { metadata } : {}) }).gguf, { fileName: 'm.gguf' });
  const edit = (name: string, change: Partial<GgufTensorToWrite>) => (ts: GgufTensorToWrite[]) => ts.map((t) => (t.name === name ? { ...t, ...change } : t));

  it('tensor offsets past the end, misaligned, or overlapping', async () => {
    await expect(load(edit('blk.0.attn_norm.weight', { offset: 1n << 40n }))).rejects.toThrow(/truncated: tensor blk\.0\.attn_norm\.weight ends at byte \d+; the file has \d+/);
    await expect(load(edit('blk.0.attn_norm.weight', { offset: (1n << 64n) - 32n }))).rejects.toThrow(/truncated: tensor blk\.0\.attn_norm\.weight ends at byte/);
    await expect(load(edit('output_norm.weight', { offset: 4n }))).rejects.toThrow('tensor output_norm.weight: offset 4 is not a multiple of the alignment 32');
    await expect(load(edit('output_norm.weight', { offset: 0n }))).rejects.toThrow(/tensors \S+ and \S+ overlap/);
  });

  it('wrong shapes, missing or duplicate tensors, a bad alignment', async () => {
    await expect(load(edit('output_norm.weight', { dims: [8, 9] }))).rejects.toThrow('tensor output_norm.weight has shape [9, 8] (GGUF dims [8, 9]); the metadata says [72]');
    await expect(load(edit('blk.0.ffn_down.weight', { dims: [72, 200] }))).rejects.toThrow('tensor blk.0.ffn_down.weight has shape [200, 72] (GGUF dims [72, 200]); the metadata says [72, 200]');
    await expect(load((ts) => ts.filter((t) => t.name !== 'blk.0.ffn_norm.weight'))).rejects.toThrow('m.gguf: missing tensor blk.0.ffn_norm.weight');
    await expect(load((ts) => [...ts, ts.at(-1)!])).rejects.toThrow(/m\.gguf: tensor \S+ is listed twice/);
    await expect(load(undefined, { 'general.alignment': gv.u32(48) })).rejects.toThrow('m.gguf: general.alignment 48 is not a power of two up to 65536');
  });

  it('a NaN weight is named', async () => {
    const nan = (ts: GgufTensorToWrite[]) => ts.map((t) => {
      if (t.name !== 'blk.0.ffn_gate.weight') return t;
      const bytes = t.bytes.slice();
      new DataView(bytes.buffer).setFloat32(40, NaN, true);
      return { ...t, bytes };
    });
    await expect(load(nan)).rejects.toThrow('m.gguf: tensor blk.0.ffn_gate.weight holds NaN (element 10 of 14400)');
  });
});

describe('loadModel takes a GGUF source', () => {
  it('through a fetcher, labelled with the .gguf name, with progress', async () => {
    const { gguf, files } = makeTestGguf({ architecture: 'Qwen2ForCausalLM', tieWordEmbeddings: true });
    const progress: LoadProgress[] = [];
    const model = await loadModel(memoryFetcher({ 'qwen.gguf': gguf }), { label: 'qwen.gguf', onProgress: (p) => progress.push(p) });
    expectSameConfig(model, await loadModel(memoryFetcher(files)));
    expect(progress.at(-1)).toEqual({ file: 'qwen.gguf', loadedBytes: gguf.byteLength, totalBytes: gguf.byteLength });
    await expect(loadModel(memoryFetcher({}), { label: 'gone.gguf' })).rejects.toThrow('gone.gguf: gone.gguf not found');
  });

  it("by URL: a .gguf URL's own name fetches it, with its query string", async () => {
    const { gguf } = makeTestGguf();
    const requested: string[] = [];
    const original = globalThis.fetch;
    globalThis.fetch = (async (input: RequestInfo | URL) => {
      requested.push(String(input));
      return new Response(gguf.slice(), { headers: { 'content-length': String(gguf.byteLength) } });
    }) as typeof fetch;
    try {
      const model = await loadModel('https://example.test/models/tiny.Q8_0.gguf');
      expect(model.source).toBe('https://example.test/models/tiny.Q8_0.gguf');
      await urlFetcher('https://example.test/models/')('config.json');
    } finally {
      globalThis.fetch = original;
    }
    expect(requested).toEqual(['https://example.test/models/tiny.Q8_0.gguf', 'https://example.test/models/config.json']);
  });

  it('isGgufSource and the tensor name map', () => {
    expect(['m.gguf', 'https://h/x/M.GGUF', 'https://h/x/m.gguf?download=true', '/models/a.b.gguf#x'].map(isGgufSource)).toEqual([true, true, true, true]);
    expect(['https://h/x-GGUF/', 'https://h/models/spark-nano/', 'model.gguf.json', 'gguf'].map(isGgufSource)).toEqual([false, false, false, false]);
    expect(hfTensorName('blk.11.ffn_down.weight')).toBe('model.layers.11.mlp.down_proj.weight');
    expect(hfTensorName('token_embd.weight')).toBe('model.embed_tokens.weight');
    expect(hfTensorName('blk.01.ffn_down.weight')).toBeUndefined();
    expect(hfTensorName('blk.0.ffn_down_exps.weight')).toBeUndefined();
  });
});

describe('the test GGUF writer', () => {
  it('writes every metadata type the library reads back', async () => {
    const { gguf: parse } = await import('@huggingface/gguf');
    const bytes = encodeGguf({
      u8: gv.u8(255), i8: gv.i8(-128), u16: gv.u16(65535), i16: gv.i16(-32768), u32: gv.u32(2 ** 32 - 1), i32: gv.i32(-(2 ** 31)),
      u64: gv.u64(2n ** 64n - 1n), i64: gv.i64(-(2n ** 63n)), f32: gv.f32(0.5), f64: gv.f64(1e300), t: gv.bool(true), s: gv.str('héllo'),
      a: gv.array(GGUFValueType.INT16, [1, -2]), strings: gv.array(GGUFValueType.STRING, ['x', '']),
    }, [{ name: 't', type: 'F32', dims: [2], bytes: new Uint8Array(8) }]);
    const out = await parse('https://gguf.invalid/x.gguf', {
      fetch: (async () => new Response(bytes.slice())) as unknown as typeof fetch,
    });
    expect(out.metadata).toMatchObject({
      u8: 255, i8: -128, u16: 65535, i16: -32768, u32: 2 ** 32 - 1, i32: -(2 ** 31), u64: 2n ** 64n - 1n, i64: -(2n ** 63n),
      f32: 0.5, f64: 1e300, t: true, s: 'héllo', a: [1, -2], strings: ['x', ''],
    });
    expect(out.tensorInfos).toEqual([{ name: 't', n_dims: 1, shape: [2n], dtype: 0, offset: 0n }]);
    expect(Number(out.tensorDataOffset) % 32).toBe(0);
  });
});
