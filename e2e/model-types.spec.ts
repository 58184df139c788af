// Every GGUF tensor type Spark reads, from each of the three places a user brings a model from: a
// dropped file, an https (here loopback) URL, and a hub repo id with its file named; and sharded
// bf16 / f16 safetensors folders from the hub, from files chosen together and from a chosen folder;
// and an instruct GGUF whose chat template (in its metadata) Edit renders. The model is
// the shipped one converted to each type (src/testing/gguf-test-model.ts, Q4_K_M mixed as
// llama.cpp mixes it), so its completions and Edit proposals are real code; on WebGPU the engine
// must keep every matrix in the file's block format.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { SafetensorsFile } from '../src/model/safetensors.ts';
import { FixtureHub } from '../src/testing/fixture-hub.ts';
import { asQ4KM } from '../src/testing/gguf-family-models.ts';
import { ggufFromHfFiles, type TestGgufWeightType } from '../src/testing/gguf-test-model.ts';
import { SMOLLM2 } from '../src/testing/chat-templates.ts';
import { gv } from '../src/testing/gguf-writer.ts';
import { encodeSafetensors } from '../src/testing/safetensors-writer.ts';
import { expect, ghostText, openWithEngine, setDocument, startAtEnd, test } from './fixtures.ts';
import { FIXTURE_HUB_PORT, FIXTURE_HUB_URL } from './model-hosts.ts';

const REPO = 'test-org/spark-nano-types';
const FOLDER = 'public/models/spark-nano';
type FileType = TestGgufWeightType | 'Q4_K_M';

/** The matrices' formats on the GPU, per file type (BF16 is exact in f16, so it is kept as f16). */
const GPU_FORMATS: Record<FileType, string[]> = {
  F32: ['f32'], F16: ['f16'], BF16: ['f16'], Q8_0: ['q8_0'], Q4_0: ['q4_0'], Q4_K_M: ['q4_k', 'q5_0', 'q6_k', 'q8_0'],
};
const TYPES = Object.keys(GPU_FORMATS) as FileType[];
const fileName = (type: FileType) => `spark-nano-${type.toLowerCase()}.gguf`;

function convert(type: FileType): Uint8Array {
  const files = Object.fromEntries(['config.json', 'tokenizer.json', 'model.safetensors'].map((n) => [n, new Uint8Array(readFileSync(`${FOLDER}/${n}`))]));
  const layers = (JSON.parse(readFileSync(`${FOLDER}/config.json`, 'utf8')) as { num_hidden_layers: number }).num_hidden_layers;
  return type === 'Q4_K_M'
    ? ggufFromHfFiles(files, { editTensors: (ts) => asQ4KM(ts, layers) }).gguf
    : ggufFromHfFiles(files, { weightType: type }).gguf;
}

const status = (page: Page) => page.getByTestId('engine-status');
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

async function expectWorks(page: Page, type: string, statusPrefix: string, gpuFormat?: string): Promise<void> {
  await expect(status(page)).toHaveText(new RegExp(`^${escape(statusPrefix)} · `), { timeout: 90_000 });
  await expect(status(page)).toHaveAttribute('data-state', /ready|fallback/);
  const ready = await page.evaluate(() => window.spark!.engineReady());
  if (ready.backend === 'webgpu') {
    for (const format of gpuFormat !== undefined ? [gpuFormat] : GPU_FORMATS[type as FileType]) expect(ready.weightFormats, `${type}: ${format}`).toContain(format);
  }
  await startAtEnd(page, 'def add(a, b):\n    return a', 'python');
  await page.keyboard.type(' +', { delay: 60 });
  await expect.poll(() => ghostText(page), { timeout: 60_000 }).not.toBe('');
  await setDocument(page, 'def area(w, h):\n    result = w * h\n    return result\n', 'python');
  await page.evaluate(() => window.spark!.setSelections([{ anchorLine: 2, anchorColumn: 1, activeLine: 3, activeColumn: 18 }]));
  const proposal = await page.evaluate(() => window.spark!.edit());
  expect(proposal.preview).toBe(proposal.output);
  await page.evaluate(() => window.spark!.rejectEdit());
}

/** Types a source into "Model…", waits for its size, and confirms the download. */
async function openRemote(page: Page, source: string): Promise<void> {
  await page.getByTestId('model-source-input').fill(source);
  await page.getByTestId('model-source-load').click();
  await expect(page.getByTestId('model-source-note')).toHaveAttribute('data-state', 'confirm', { timeout: 30_000 });
  await page.getByTestId('model-source-confirm').click();
}

test.describe('every GGUF tensor type, from a dropped file, a URL and a hub repo', () => {
  test.slow();
  const files: Partial<Record<FileType, Uint8Array>> = {};
  let hub: FixtureHub;

  test.beforeAll(async () => {
    for (const type of TYPES) files[type] = convert(type);
    hub = await FixtureHub.start({ [REPO]: { main: Object.fromEntries(TYPES.map((t) => [fileName(t), files[t]!])) } }, { port: FIXTURE_HUB_PORT });
  });
  test.afterAll(async () => {
    await hub.dispose();
  });

  for (const type of TYPES) {
    test(`${type}: loads from each source; completes and edits with each`, async ({ page }) => {
      const name = fileName(type);
      await openWithEngine(page);

      await page.getByTestId('model-file-input').setInputFiles({ name, mimeType: 'application/octet-stream', buffer: Buffer.from(files[type]!) });
      await expectWorks(page, type, `model file ${name}`);

      const url = `${FIXTURE_HUB_URL}/${REPO}/resolve/main/${name}`;
      await openRemote(page, url);
      await expectWorks(page, type, url);

      await openRemote(page, `${REPO}:${name}`);
      await expectWorks(page, type, `${REPO}:${name}`);
    });
  }
});

/** The shipped model's folder with its weights re-encoded in `dtype`, in two shards (as the hub shards a big model). */
function shardedFolder(dtype: 'BF16' | 'F16'): Record<string, Uint8Array> {
  const file = SafetensorsFile.parse(new Uint8Array(readFileSync(`${FOLDER}/model.safetensors`)), 'model.safetensors');
  const tensors = file.names().map((name) => { const t = file.tensor(name); return { name, shape: t.shape, values: t.toF32() }; });
  const half = Math.ceil(tensors.length / 2);
  const out: Record<string, Uint8Array> = {};
  const weightMap: Record<string, string> = {};
  [tensors.slice(0, half), tensors.slice(half)].forEach((shard, i) => {
    const name = `model-0000${i + 1}-of-00002.safetensors`;
    out[name] = encodeSafetensors(shard, dtype, { format: 'pt' });
    for (const t of shard) weightMap[t.name] = name;
  });
  out['model.safetensors.index.json'] = new TextEncoder().encode(JSON.stringify({ metadata: {}, weight_map: weightMap }));
  for (const name of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) out[name] = new Uint8Array(readFileSync(`${FOLDER}/${name}`));
  return out;
}

test.describe('a safetensors folder (sharded bf16 and f16), from the hub, chosen files and a chosen folder', () => {
  test.slow();
  const folders = { BF16: shardedFolder('BF16'), F16: shardedFolder('F16') };
  let hub: FixtureHub;

  test.beforeAll(async () => {
    hub = await FixtureHub.start({
      'test-org/spark-nano-bf16': { main: folders.BF16 }, 'test-org/spark-nano-f16': { main: folders.F16 },
    }, { port: FIXTURE_HUB_PORT });
  });
  test.afterAll(async () => {
    await hub.dispose();
  });

  for (const dtype of ['BF16', 'F16'] as const) {
    test(`${dtype}: loads from each source; completes and edits with each`, async ({ page }, testInfo) => {
      await openWithEngine(page);
      const files = Object.entries(folders[dtype]);
      // The files chosen together in the file dialog.
      await page.getByTestId('model-file-input').setInputFiles(files.map(([name, bytes]) => ({ name, mimeType: 'application/octet-stream', buffer: Buffer.from(bytes) })));
      await expectWorks(page, dtype, 'model folder (6 files)', 'f16');
      // The folder chosen with "Open model folder…".
      const dir = testInfo.outputPath(`spark-nano-${dtype.toLowerCase()}`);
      mkdirSync(dir, { recursive: true });
      for (const [name, bytes] of files) writeFileSync(join(dir, name), bytes);
      await page.getByTestId('model-folder-input').setInputFiles(dir);
      await expectWorks(page, dtype, `model folder spark-nano-${dtype.toLowerCase()}`, 'f16');
      // The hub repo.
      const repo = `test-org/spark-nano-${dtype.toLowerCase()}`;
      await openRemote(page, repo);
      await expectWorks(page, dtype, repo, 'f16');
    });
  }
});

test.describe('an instruct model: its chat template, from the GGUF metadata', () => {
  test.slow();

  test('Edit talks to it through the template; a template that does not parse is a clear error and the code stays', async ({ page }) => {
    await openWithEngine(page);
    const files = Object.fromEntries(['config.json', 'tokenizer.json', 'model.safetensors'].map((n) => [n, new Uint8Array(readFileSync(`${FOLDER}/${n}`))]));
    const instruct = (template: string) => Buffer.from(ggufFromHfFiles(files, { weightType: 'F16', metadata: { 'tokenizer.chat_template': gv.str(template) } }).gguf);

    await page.getByTestId('model-file-input').setInputFiles({ name: 'spark-nano-instruct.gguf', mimeType: 'application/octet-stream', buffer: instruct(SMOLLM2) });
    await expect(status(page)).toHaveText(/^model file spark-nano-instruct\.gguf · /, { timeout: 90_000 });
    expect((await page.evaluate(() => window.spark!.engineReady())).chatTemplate).toBe('ok');
    const document = 'def area(w, h):\n    result = w * h\n    return result\n';
    await setDocument(page, document, 'python');
    await page.evaluate(() => window.spark!.setSelections([{ anchorLine: 2, anchorColumn: 1, activeLine: 3, activeColumn: 18 }]));
    const proposal = await page.evaluate(() => window.spark!.edit('rename result to a'));
    expect(proposal.preview).toBe(proposal.output);
    // The chat prompt carries the template's system line and the instruction: far more than the window.
    const last = await page.evaluate(() => window.spark!.lastRequest());
    expect(last?.kind).toBe('rewrite');
    expect(last!.stats.promptTokens).toBeGreaterThan(40);
    await page.evaluate(() => window.spark!.rejectEdit());

    await page.getByTestId('model-file-input').setInputFiles({ name: 'broken-template.gguf', mimeType: 'application/octet-stream', buffer: instruct('{% if messages %}{{ unclosed') });
    await expect(status(page)).toHaveText(/^model file broken-template\.gguf · /, { timeout: 90_000 });
    expect((await page.evaluate(() => window.spark!.engineReady())).chatTemplate).toMatch(/^error: the chat template .* does not parse/);
    await setDocument(page, document, 'python');
    await page.evaluate(() => window.spark!.setSelections([{ anchorLine: 2, anchorColumn: 1, activeLine: 3, activeColumn: 18 }]));
    await expect(page.evaluate(() => window.spark!.edit('rename result to a'))).rejects.toThrow(/chat template cannot be used/);
    await expect(status(page)).toHaveText(/Edit failed: this model's chat template cannot be used: .*Your code is unchanged\./);
    expect((await page.evaluate(() => window.spark!.getState())).text).toBe(document);
  });
});
