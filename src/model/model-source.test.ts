// Model sources: the string forms, and hub repositories loaded through the fixture hub (the same
// URL layout and listing API as huggingface.co) giving exactly the weights loaded from memory.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FixtureHub } from '../testing/fixture-hub.ts';
import { gv } from '../testing/gguf-writer.ts';
import { makeTestGguf } from '../testing/gguf-test-model.ts';
import { makeTestModelFiles } from '../testing/test-model.ts';
import { loadGguf } from './gguf.ts';
import { loadModel, type LoadedModel } from './load.ts';
import { describeModelFormat } from './model-format.ts';
import { memoryFetcher } from './model-files.ts';
import {
  hubEndpoint, loadModelFrom, openHubSource, openModelSource, openUrlSource, parseModelSource, type LocalPathKind, type ModelSourceSpec,
} from './model-source.ts';

describe('parseModelSource', () => {
  const disk: LocalPathKind = (p) => ({ 'models/tiny': 'dir', 'qwen/coder': 'dir', 'm.gguf': 'file', 'notes.txt': 'file' } as const)[p];

  it.each<[string, ModelSourceSpec]>([
    ['public/models/spark-nano', { kind: 'folder', path: 'public/models/spark-nano' }],
    ['./org/name', { kind: 'folder', path: './org/name' }],
    ['/abs/model', { kind: 'folder', path: '/abs/model' }],
    ['../m/q8.gguf', { kind: 'gguf-file', path: '../m/q8.gguf' }],
    ['weights/model-q4_0.gguf', { kind: 'gguf-file', path: 'weights/model-q4_0.gguf' }],
    ['Qwen/Qwen2.5-Coder-0.5B', { kind: 'hub', repo: 'Qwen/Qwen2.5-Coder-0.5B' }],
    ['HuggingFaceTB/SmolLM2-135M@main', { kind: 'hub', repo: 'HuggingFaceTB/SmolLM2-135M', revision: 'main' }],
    ['org/name@refs/pr/1', { kind: 'hub', repo: 'org/name', revision: 'refs/pr/1' }],
    ['Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF@v1:qwen2.5-coder-0.5b-instruct-q8_0.gguf',
      { kind: 'hub', repo: 'Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF', revision: 'v1', file: 'qwen2.5-coder-0.5b-instruct-q8_0.gguf' }],
    ['org/name:sub/x.GGUF', { kind: 'hub', repo: 'org/name', file: 'sub/x.GGUF' }],
    ['https://example.com/m/model-q4_0.gguf?download=true', { kind: 'url', url: 'https://example.com/m/model-q4_0.gguf?download=true', fileName: 'model-q4_0.gguf' }],
    ['http://127.0.0.1:8080/x.gguf', { kind: 'url', url: 'http://127.0.0.1:8080/x.gguf', fileName: 'x.gguf' }],
  ])('%s', (input, spec) => {
    expect(parseModelSource(input)).toEqual(spec);
  });

  it('a path that exists locally wins over a hub id of the same spelling', () => {
    expect(parseModelSource('qwen/coder', disk)).toEqual({ kind: 'folder', path: 'qwen/coder' });
    expect(parseModelSource('qwen/other', disk)).toEqual({ kind: 'hub', repo: 'qwen/other' });
    expect(parseModelSource('m.gguf', disk)).toEqual({ kind: 'gguf-file', path: 'm.gguf' });
  });

  it.each([
    ['', /it is empty/],
    ['   ', /it is empty/],
    ['http://example.com/x.gguf', /must be https/],
    ['ftp://example.com/x.gguf', /must be https/],
    ['https://example.com/models/tiny', /must name a \.gguf file/],
    ['https://user:pw@example.com/x.gguf', /credentials/],
    ['https://', /not a valid URL/],
    ['justaname', /not a hub id/],
    ['org/name@', /not a hub id/],
    ['org/name@v1:config.json', /must be a \.gguf file/],
    ['org/name:../x.gguf', /not a path inside the repository/],
    ['org/name@../main', /not a valid revision/],
    ['-org/name', /not a hub id/],
  ])('%j is refused, naming the input and the accepted forms', (input, why) => {
    expect(() => parseModelSource(input)).toThrow(why);
    expect(() => parseModelSource(input)).toThrow(`model source ${JSON.stringify(input)}`);
    expect(() => parseModelSource(input)).toThrow(/Accepted: a model folder .* org\/name\[@revision\]\[:file\.gguf\]/);
  });

  it('with a file system: a missing path or a non-GGUF file says so', () => {
    expect(() => parseModelSource('missing', disk)).toThrow(/no such file or folder, and not a hub id/);
    expect(() => parseModelSource('a/b/c', disk)).toThrow(/no such file or folder/);
    expect(() => parseModelSource('gone.gguf', disk)).toThrow(/no such file or folder/);
    expect(() => parseModelSource('notes.txt', disk)).toThrow(/a file but not a \.gguf file/);
  });

  it('hubEndpoint: the option, else HF_ENDPOINT, else huggingface.co; checked', () => {
    expect(hubEndpoint()).toBe('https://huggingface.co');
    expect(hubEndpoint(undefined, 'https://mirror.example/')).toBe('https://mirror.example');
    expect(hubEndpoint('http://127.0.0.1:9/', 'https://ignored')).toBe('http://127.0.0.1:9');
    expect(() => hubEndpoint('not a url')).toThrow(/is not a URL/);
    expect(() => hubEndpoint('ftp://x')).toThrow(/must be http/);
  });

  it('local paths need the caller to open them', async () => {
    await expect(openModelSource({ kind: 'folder', path: 'x' })).rejects.toThrow(/local paths cannot be opened here/);
  });
});

const BLOCK_DIMS = { hiddenSize: 64, numHeads: 4, numKvHeads: 2, intermediateSize: 96 } as const;

function expectSameWeights(a: LoadedModel, b: LoadedModel): void {
  expect(a.config).toEqual(b.config);
  expect([...a.weights.keys()].sort()).toEqual([...b.weights.keys()].sort());
  for (const [name, t] of a.weights) {
    const u = b.weights.get(name)!;
    expect([name, u.dtype, u.shape]).toEqual([name, t.dtype, t.shape]);
    expect(Buffer.from(u.bytes).equals(Buffer.from(t.bytes)), name).toBe(true);
  }
  expect(a.tokenizer.encode('def main():\n  return 42')).toEqual(b.tokenizer.encode('def main():\n  return 42'));
}

describe('hub sources through the fixture hub', () => {
  const sharded = makeTestModelFiles({ architecture: 'Qwen2ForCausalLM', dtype: 'BF16', sharded: true, seed: 4 });
  const other = makeTestModelFiles({ seed: 9 });
  const q8 = makeTestGguf({ ...BLOCK_DIMS, weightType: 'Q8_0', seed: 5 }).gguf;
  const q4 = makeTestGguf({ ...BLOCK_DIMS, weightType: 'Q4_0', seed: 6 }).gguf;
  // Q4_0 matrices with a Q8_0 output: a mix, as llama.cpp's recipes make.
  const mixed = makeTestGguf({
    ...BLOCK_DIMS, weightType: 'Q4_0', seed: 6, metadata: { 'general.file_type': gv.u32(15) },
    editTensors: (ts) => ts.map((t) => (t.name === 'output.weight' ? { ...t, type: 'Q8_0' as const, bytes: new Uint8Array((t.bytes.byteLength / 18) * 34) } : t)),
  }).gguf;
  let hub: FixtureHub;
  let shas: Record<string, string>;
  beforeAll(async () => {
    hub = await FixtureHub.start({
      'spark-test/gguf-one': { main: { 'model-q8_0.gguf': q8, 'README.md': new TextEncoder().encode('# test') } },
      'spark-test/gguf-many': { main: { 'm-q8_0.gguf': q8, 'm-q4_0.gguf': q4, 'm-mix.gguf': mixed } },
      'spark-test/empty': { main: { 'README.md': new TextEncoder().encode('# nothing') } },
    }, { pageSize: 3 });
    // main holds a different model, so loading @v1 proves the revision is honoured.
    shas = hub.addRepo('spark-test/qwen2-bf16-sharded', { main: other, v1: sharded });
  });
  afterAll(() => hub.dispose());
  const endpoint = () => ({ endpoint: hub.url });
  const open = (input: string) => openModelSource(parseModelSource(input), endpoint());

  it('HF sharded bf16 at a revision: pinned to its commit, same weights as from memory', async () => {
    const source = await open('spark-test/qwen2-bf16-sharded@v1');
    expect(source.layout).toBe('hf');
    expect(source.commit).toBe(shas['v1']);
    expect(source.label).toBe(`spark-test/qwen2-bf16-sharded@${shas['v1']}`);
    expect(source.files?.get('model-00001-of-00002.safetensors')?.size).toBe(sharded['model-00001-of-00002.safetensors']!.byteLength);
    const progress: string[] = [];
    const fromHub = await loadModelFrom(source, { onProgress: (p) => progress.push(p.file) });
    expectSameWeights(fromHub, await loadModel(memoryFetcher(sharded)));
    expect(new Set(progress)).toEqual(new Set(Object.keys(sharded)));
    // Files come from the pinned commit, and model.safetensors (not listed) was never requested.
    const resolves = hub.requests.filter((r) => r.url.includes('/resolve/'));
    expect(resolves.every((r) => r.url.includes(`/resolve/${shas['v1']}/`))).toBe(true);
    expect(resolves.some((r) => r.url.endsWith('/model.safetensors'))).toBe(false);
    // The commit itself is a revision too.
    const bySha = await open(`spark-test/qwen2-bf16-sharded@${shas['v1']}`);
    expect(bySha.commit).toBe(shas['v1']);
  });

  it('the main branch when no revision is given', async () => {
    const source = await open('spark-test/qwen2-bf16-sharded');
    expect(source.commit).toBe(shas['main']);
    expectSameWeights(await loadModelFrom(source), await loadModel(memoryFetcher(other)));
  });

  it('GGUF: the single .gguf of a repo, or the one named after a colon; same weights as from the bytes', async () => {
    const one = await open('spark-test/gguf-one');
    expect([one.layout, one.ggufFile]).toEqual(['gguf', 'model-q8_0.gguf']);
    expectSameWeights(await loadModelFrom(one), await loadGguf(q8, { fileName: 'model-q8_0.gguf' }));
    const named = await open('spark-test/gguf-many@main:m-q4_0.gguf');
    expect(named.label).toMatch(/^spark-test\/gguf-many@[0-9a-f]{40}:m-q4_0\.gguf$/);
    expectSameWeights(await loadModelFrom(named), await loadGguf(q4, { fileName: 'm-q4_0.gguf' }));
  });

  it('format from the headers alone (byte ranges, no weights downloaded)', async () => {
    hub.clearRequests();
    const bf16 = await describeModelFormat(await open('spark-test/qwen2-bf16-sharded@v1'));
    expect(bf16.label).toBe('safetensors:bf16');
    const resolves = hub.requests.filter((r) => r.url.endsWith('.safetensors'));
    expect(resolves.length).toBe(4); // length, then header, of each of two shards
    expect(resolves.every((r) => r.range !== undefined && r.status === 206)).toBe(true);
    expect((await describeModelFormat(await open('spark-test/gguf-one'))).label).toBe('gguf:Q8_0');
    const q4Format = await describeModelFormat(await open('spark-test/gguf-many:m-q4_0.gguf'));
    expect(q4Format.label).toBe('gguf:Q4_0');
    expect(Object.keys(q4Format.parameters).sort()).toEqual(['F32', 'Q4_0']); // norms stay F32
    const mix = await describeModelFormat(await open('spark-test/gguf-many:m-mix.gguf'));
    expect(mix.label).toBe('gguf:Q4_K_M'); // the file's own recipe name for a mix
    expect(Object.keys(mix.matrixParameters).sort()).toEqual(['Q4_0', 'Q8_0']); // and what it really holds
    expect((await describeModelFormat({ ...(await open('spark-test/qwen2-bf16-sharded@v1')), files: undefined })).label).toBe('safetensors:bf16');
  });

  it('a GGUF by URL (the fixture resolve URL)', async () => {
    const url = `${hub.url}/spark-test/gguf-one/resolve/main/model-q8_0.gguf`;
    const source = openUrlSource(parseModelSource(url) as Extract<ModelSourceSpec, { kind: 'url' }>);
    expectSameWeights(await loadModelFrom(source), await loadGguf(q8, { fileName: 'model-q8_0.gguf' }));
    expect((await describeModelFormat(source)).label).toBe('gguf:Q8_0');
  });

  it.each([
    ['nobody/nothing', /nobody\/nothing: repository not found on http:\/\/127\.0\.0\.1:\d+ \(HTTP 404: Repository not found/],
    ['spark-test/gguf-one@v9', /spark-test\/gguf-one: no revision "v9" \(a branch, tag or commit\) on http:\/\/127\.0\.0\.1:\d+; the repository exists/],
    ['spark-test/gguf-one:other.gguf', /spark-test\/gguf-one: no file "other\.gguf" in the repository \(its \.gguf files: model-q8_0\.gguf\)/],
    ['spark-test/gguf-many', /spark-test\/gguf-many: the repository has 3 \.gguf files; name one as spark-test\/gguf-many:<file> \(m-mix\.gguf, m-q4_0\.gguf, m-q8_0\.gguf\)/],
    ['spark-test/empty', /spark-test\/empty: neither config\.json nor a \.gguf file in the repository \(it has README\.md\)/],
  ])('%s: a clear error', async (input, message) => {
    await expect(open(input)).rejects.toThrow(message);
  });

  it('an unreachable hub says so', async () => {
    const gone = await FixtureHub.start();
    await gone.dispose();
    await expect(openHubSource({ kind: 'hub', repo: 'a/b' }, { endpoint: gone.url })).rejects.toThrow(/a\/b: cannot reach the hub \(http:\/\/127\.0\.0\.1:\d+: fetch failed/);
  });
});
