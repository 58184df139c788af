// Issue 13's findings on model files, each as the input that showed it: the work a file can ask
// for is bounded before anything large is allocated, bad weights are named, and tensors the
// model never reads do not stop a load.
import { describe, expect, it } from 'vitest';
import { parseModelConfig } from './config.ts';
import { MODEL_LIMITS } from './limits.ts';
import { loadModel } from './load.ts';
import { memoryFetcher } from './model-files.ts';
import { SafetensorsFile } from './safetensors.ts';
import { ModelTokenizer } from './tokenizer.ts';
import { readJson, withJson } from '../testing/model-edits.ts';
import { appendRawTensors, rawSafetensors } from '../testing/safetensors-writer.ts';
import { makeTestModelFiles } from '../testing/test-model.ts';
import { buildTestTokenizer } from '../testing/test-tokenizer.ts';

const files = makeTestModelFiles();
const f16Files = makeTestModelFiles({ dtype: 'F16', seed: 2 });
const config = readJson(files, 'config.json');

/** Runs `fn` and returns its error's message and how long it took to fail. */
async function failure(fn: () => unknown): Promise<{ message: string; ms: number }> {
  const start = performance.now();
  try {
    await fn();
  } catch (err) {
    return { message: (err as Error).message, ms: performance.now() - start };
  }
  throw new Error('expected an error');
}

describe('config.json bounds', () => {
  it('num_hidden_layers 1e6 fails in milliseconds naming the field, the value and the limit', async () => {
    const huge = withJson(files, 'config.json', (c) => ({ ...c, num_hidden_layers: 1_000_000 }));
    const { message, ms } = await failure(() => loadModel(memoryFetcher(huge)));
    expect(message).toBe(`config.json: num_hidden_layers 1000000 is more than ${MODEL_LIMITS.numLayers}`);
    expect(ms).toBeLessThan(500);
  });

  it.each([
    ['hidden_size', 1 << 30, MODEL_LIMITS.hiddenSize],
    ['intermediate_size', 1 << 30, MODEL_LIMITS.intermediateSize],
    ['num_attention_heads', 1 << 20, MODEL_LIMITS.numHeads],
    ['vocab_size', 1e9, MODEL_LIMITS.vocabSize],
    ['head_dim', 1 << 20, MODEL_LIMITS.headDim],
    ['max_position_embeddings', 1e12, MODEL_LIMITS.maxPositionEmbeddings],
  ])('%s %d is refused by name', (field, value, limit) => {
    expect(() => parseModelConfig({ ...config, [field]: value })).toThrow(`config.json: ${field} ${value} is more than ${limit}`);
  });

  it('the attention width (heads × head_dim) is bounded too: each alone may be inside its limit', () => {
    expect(() => parseModelConfig({ ...config, num_attention_heads: 1024, num_key_value_heads: 1024, head_dim: 2048 }))
      .toThrow(`config.json: num_attention_heads × head_dim 2097152 is more than ${MODEL_LIMITS.attentionWidth}`);
  });

  it('eos and bos ids must be inside the vocabulary', () => {
    expect(() => parseModelConfig({ ...config, eos_token_id: [0, 1e9] })).toThrow('config.json: eos_token_id[1] 1000000000 is not below vocab_size 301');
    expect(() => parseModelConfig({ ...config, bos_token_id: 301 })).toThrow('config.json: bos_token_id 301 is not below vocab_size 301');
  });

  it('a config that describes more parameters than the weight files hold fails before the weights are read', async () => {
    const big = withJson(files, 'config.json', (c) => ({ ...c, num_hidden_layers: 500, hidden_size: 4096, num_attention_heads: 32, num_key_value_heads: 8, intermediate_size: 14336 }));
    const { message, ms } = await failure(() => loadModel(memoryFetcher(big)));
    expect(message).toMatch(/^config\.json: describes \d+ parameters \(at least \d+ bytes at 16 bits\) but the weight files hold \d+ bytes$/);
    expect(ms).toBeLessThan(500);
  });
});

describe('tokenizer.json bounds', () => {
  const tok = buildTestTokenizer();
  const withAdded = (id: number) => ({
    ...tok.tokenizerJson,
    added_tokens: [...(tok.tokenizerJson['added_tokens'] as object[]), { id, content: '<huge>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
  });

  it('a token id of 1e9 fails in milliseconds, before the tokenizer library sizes anything by it', async () => {
    const { message, ms } = await failure(() => ModelTokenizer.fromJson(withAdded(1e9), tok.tokenizerConfigJson, { vocabSize: 301 }));
    expect(message).toBe('tokenizer.json: added_tokens id 1000000000 ("<huge>") is not below config.json vocab_size 301');
    expect(ms).toBeLessThan(500);
    const alone = await failure(() => ModelTokenizer.fromJson(withAdded(1e9), tok.tokenizerConfigJson));
    expect(alone.message).toBe(`tokenizer.json: added_tokens id 1000000000 ("<huge>") is not below the vocabulary limit ${MODEL_LIMITS.vocabSize}`);
    expect(alone.ms).toBeLessThan(500);
  });

  it('a model.vocab id past vocab_size is named, through loadModel too', async () => {
    const edited = withJson(files, 'tokenizer.json', (t) => {
      const model = t['model'] as { vocab: Record<string, number> };
      model.vocab['Ġ'] = 123_456_789;
      return t;
    });
    await expect(loadModel(memoryFetcher(edited))).rejects.toThrow('tokenizer.json: model.vocab id 123456789 ("Ġ") is not below config.json vocab_size 301');
  });
});

describe('safetensors bounds', () => {
  it('a header length past the limit is refused by its number', () => {
    const bytes = new Uint8Array(16);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(64 << 20), true);
    expect(() => SafetensorsFile.parse(bytes)).toThrow(`model.safetensors: header length ${64 << 20} is more than ${MODEL_LIMITS.safetensorsHeaderBytes}`);
  });

  it('more header entries than the limit are refused', () => {
    const header: Record<string, unknown> = {};
    for (let i = 0; i <= MODEL_LIMITS.safetensorsEntries; i++) header[`t${i}`] = { dtype: 'F32', shape: [0], data_offsets: [0, 0] };
    expect(() => SafetensorsFile.parse(rawSafetensors(header, new Uint8Array(0))))
      .toThrow(`model.safetensors: header entries ${MODEL_LIMITS.safetensorsEntries + 1} is more than ${MODEL_LIMITS.safetensorsEntries}`);
  });

  it('shapes of too many dimensions, or whose size is not exact, are refused', () => {
    const rank = Array.from({ length: 9 }, () => 1);
    expect(() => SafetensorsFile.parse(rawSafetensors({ w: { dtype: 'F32', shape: rank, data_offsets: [0, 4] } }, new Uint8Array(4))))
      .toThrow(`model.safetensors: tensor w: rank 9 is more than ${MODEL_LIMITS.tensorRank}`);
    expect(() => SafetensorsFile.parse(rawSafetensors({ w: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 4] } }, new Uint8Array(4))))
      .toThrow(/tensor w: shape \[1099511627776, 1099511627776\] has more elements than a file can hold/);
  });

  it('__metadata__ must be an object of strings', () => {
    expect(() => SafetensorsFile.parse(rawSafetensors({ __metadata__: 5 }, new Uint8Array(0)))).toThrow('model.safetensors: __metadata__ is not an object of strings');
    expect(() => SafetensorsFile.parse(rawSafetensors({ __metadata__: { a: 1 } }, new Uint8Array(0)))).toThrow('model.safetensors: __metadata__ is not an object of strings');
  });
});

describe('tensors the model does not use, and tensors that are not finite', () => {
  it('an unused int64 position_ids buffer and a u8 mask are skipped', async () => {
    const withExtras = {
      ...files,
      'model.safetensors': appendRawTensors(files['model.safetensors']!, [
        { name: 'model.position_ids', dtype: 'I64', shape: [1, 4], bytes: new Uint8Array(32) },
        { name: 'model.layers.0.self_attn.causal_mask', dtype: 'U8', shape: [2, 2], bytes: new Uint8Array([1, 0, 1, 1]) },
      ]),
    };
    const model = await loadModel(memoryFetcher(withExtras));
    expect(model.weights.has('model.position_ids')).toBe(false);
    expect(model.weights.has('model.layers.0.mlp.up_proj.weight')).toBe(true);
  });

  it('a used tensor of a non-float dtype still fails, naming it', async () => {
    const st = SafetensorsFile.parse(files['model.safetensors']!);
    const header: Record<string, unknown> = {};
    let end = 0;
    for (const name of st.names()) {
      const e = st.entries.get(name)!;
      header[name] = name === 'model.norm.weight' ? { dtype: 'I32', shape: e.shape, data_offsets: [e.begin, e.end] } : { dtype: e.dtype, shape: e.shape, data_offsets: [e.begin, e.end] };
      end = Math.max(end, e.end);
    }
    const bytes = files['model.safetensors']!;
    const dataStart = bytes.byteLength - end;
    const broken = { ...files, 'model.safetensors': rawSafetensors(header, bytes.subarray(dataStart)) };
    await expect(loadModel(memoryFetcher(broken))).rejects.toThrow('model.safetensors: tensor model.norm.weight has dtype I32; only F32, F16 and BF16 weights are supported');
  });

  it.each([
    ['F32 NaN', files, 'model.layers.1.mlp.down_proj.weight', (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset).setFloat32(at * 4, NaN, true), 'NaN'],
    ['F32 Inf', files, 'model.norm.weight', (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset).setFloat32(at * 4, -Infinity, true), 'an infinity'],
    ['F16 NaN', f16Files, 'model.embed_tokens.weight', (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset).setUint16(at * 2, 0x7e00, true), 'NaN'],
  ] as const)('a %s weight fails the load, naming the tensor and the element', async (_label, base, name, poke, kind) => {
    const copy = base['model.safetensors']!.slice();
    const e = SafetensorsFile.parse(copy).entries.get(name)!;
    const dataStart = copy.byteLength - Math.max(...[...SafetensorsFile.parse(copy).entries.values()].map((t) => t.end));
    poke(copy.subarray(dataStart + e.begin, dataStart + e.end), 7);
    const message = (await failure(() => loadModel(memoryFetcher({ ...base, 'model.safetensors': copy })))).message;
    expect(message).toBe(`model.safetensors: tensor ${name} holds ${kind} (element 7 of ${(e.end - e.begin) / (base === files ? 4 : 2)})`);
  });
});

describe('tokenizer.json shapes found by fuzzing', () => {
  it('a BPE model.vocab that is a string or a list is refused (the library read its entries as tokens with string ids)', () => {
    const tok = buildTestTokenizer();
    const json = { ...tok.tokenizerJson, model: { ...(tok.tokenizerJson['model'] as object), vocab: '12' } };
    expect(() => ModelTokenizer.fromJson(json, tok.tokenizerConfigJson, { vocabSize: 301 }))
      .toThrow('tokenizer.json: model.vocab is "12", not an object of token ids');
    const list = { ...tok.tokenizerJson, model: { ...(tok.tokenizerJson['model'] as object), vocab: [false, ''] } };
    expect(() => ModelTokenizer.fromJson(list, tok.tokenizerConfigJson, { vocabSize: 301 }))
      .toThrow('tokenizer.json: model.vocab is [false,""], not an object of token ids');
  });
});
