import { describe, expect, it } from 'vitest';
import { loadModel, type LoadProgress } from './load.ts';
import { memoryFetcher } from './model-files.ts';
import { SafetensorsFile } from './safetensors.ts';
import { encodeSafetensors } from '../testing/safetensors-writer.ts';
import { makeTestModelFiles, TEST_MODEL_VARIANTS, testModelFetcher } from '../testing/test-model.ts';
import { expectedWeightShapes } from './weights.ts';

describe('loadModel on the generated test models', () => {
  it.each(Object.keys(TEST_MODEL_VARIANTS) as (keyof typeof TEST_MODEL_VARIANTS)[])('loads variant %s with every tensor checked', async (variant) => {
    const options = TEST_MODEL_VARIANTS[variant];
    const progress: LoadProgress[] = [];
    const model = await loadModel(testModelFetcher(options), { onProgress: (p) => progress.push(p), label: variant });
    expect(model.source).toBe(variant);
    expect(model.config.architecture).toBe(options.architecture);
    expect(model.config).toMatchObject({ vocabSize: 301, hiddenSize: 72, numHeads: 6, numKvHeads: 2, headDim: 12, intermediateSize: 200, numLayers: 2 });
    expect(model.config.attentionBias).toBe(options.architecture === 'Qwen2ForCausalLM');
    const expected = expectedWeightShapes(model.config);
    for (const [name, shape] of expected) expect(model.weights.get(name)?.shape, name).toEqual(shape);
    expect(model.weights.size).toBe(expected.size);
    expect(model.tokenizer.decode(model.tokenizer.encode('x = 1\n'))).toBe('x = 1\n');
    const files = progress.map((p) => p.file);
    expect(files).toContain('config.json');
    expect(files.some((f) => f.endsWith('.safetensors'))).toBe(true);
    const last = progress.filter((p) => p.file.endsWith('.safetensors')).at(-1)!;
    expect(last.loadedBytes).toBe(last.totalBytes);
  });

  it('is deterministic per seed, and the f16/bf16 variants hold the rounded f32 weights', () => {
    const a = makeTestModelFiles({ seed: 7 });
    const b = makeTestModelFiles({ seed: 7 });
    const same = (x: Uint8Array, y: Uint8Array) => x.length === y.length && x.every((v, i) => v === y[i]);
    expect(same(a['model.safetensors']!, b['model.safetensors']!)).toBe(true);
    expect(same(makeTestModelFiles({ seed: 8 })['model.safetensors']!, a['model.safetensors']!)).toBe(false);
    const f32 = SafetensorsFile.parse(a['model.safetensors']!).tensor('model.layers.0.mlp.up_proj.weight').toF32();
    const f16 = SafetensorsFile.parse(makeTestModelFiles({ seed: 7, dtype: 'F16' })['model.safetensors']!).tensor('model.layers.0.mlp.up_proj.weight').toF32();
    const bf16 = SafetensorsFile.parse(makeTestModelFiles({ seed: 7, dtype: 'BF16' })['model.safetensors']!).tensor('model.layers.0.mlp.up_proj.weight').toF32();
    for (let i = 0; i < f32.length; i += 97) {
      expect(Math.abs(f16[i]! - f32[i]!)).toBeLessThanOrEqual(Math.abs(f32[i]!) * 2 ** -11 + 2 ** -24);
      expect(Math.abs(bf16[i]! - f32[i]!)).toBeLessThanOrEqual(Math.abs(f32[i]!) * 2 ** -8);
    }
  });

  it('names the missing file, tensor or mismatched shape', async () => {
    const files = makeTestModelFiles();
    const without = (name: string) => Object.fromEntries(Object.entries(files).filter(([n]) => n !== name));
    await expect(loadModel(memoryFetcher(without('config.json')))).rejects.toThrow(/config\.json not found/);
    await expect(loadModel(memoryFetcher(without('tokenizer.json')))).rejects.toThrow(/tokenizer\.json not found/);
    await expect(loadModel(memoryFetcher(without('model.safetensors')))).rejects.toThrow(/neither model\.safetensors nor model\.safetensors\.index\.json/);
    // tokenizer_config.json is optional
    await expect(loadModel(memoryFetcher(without('tokenizer_config.json')))).resolves.toBeDefined();

    const st = SafetensorsFile.parse(files['model.safetensors']!);
    const rewritten = (skip: string, reshape?: [string, number[]]) => encodeSafetensors(st.names().filter((n) => n !== skip).map((name) => {
      const t = st.tensor(name);
      const shape = reshape && reshape[0] === name ? reshape[1] : [...t.shape];
      return { name, shape, values: t.toF32() };
    }), 'F32');
    await expect(loadModel(memoryFetcher({ ...files, 'model.safetensors': rewritten('model.layers.1.mlp.down_proj.weight') })))
      .rejects.toThrow(/missing tensor model\.layers\.1\.mlp\.down_proj\.weight \[72, 200\]/);
    await expect(loadModel(memoryFetcher({ ...files, 'model.safetensors': rewritten('', ['model.norm.weight', [8, 9]]) })))
      .rejects.toThrow(/model\.norm\.weight has shape \[8, 9\], config says \[72\]/);

    const smallVocab = JSON.parse(new TextDecoder().decode(files['config.json'])) as Record<string, unknown>;
    smallVocab['vocab_size'] = 200;
    await expect(loadModel(memoryFetcher({ ...files, 'config.json': new TextEncoder().encode(JSON.stringify(smallVocab)) })))
      .rejects.toThrow(/tokenizer\.json: model\.vocab id \d+ \(".*"\) is not below config\.json vocab_size 200/);

    const sharded = makeTestModelFiles({ sharded: true });
    const noShard = Object.fromEntries(Object.entries(sharded).filter(([n]) => n !== 'model-00002-of-00002.safetensors'));
    await expect(loadModel(memoryFetcher(noShard))).rejects.toThrow(/shard model-00002-of-00002\.safetensors .* not found/);
  });

  it('reports HTTP errors and truncated downloads', async () => {
    const files = makeTestModelFiles();
    const failing = async (name: string) => (name === 'tokenizer.json' ? new Response('boom', { status: 500, statusText: 'Internal' }) : memoryFetcher(files)(name));
    await expect(loadModel(failing)).rejects.toThrow(/tokenizer\.json: HTTP 500/);
    const short = async (name: string) => (name === 'model.safetensors'
      ? new Response(files[name]!.slice(0, 1000), { headers: { 'content-length': String(files[name]!.byteLength) } })
      : memoryFetcher(files)(name));
    await expect(loadModel(short)).rejects.toThrow(/model\.safetensors: truncated download/);
  });
});
