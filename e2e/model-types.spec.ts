// Every GGUF tensor type Spark reads, from each of the three places a user brings a model from: a
// dropped file, an https (here loopback) URL, and a hub repo id with its file named. The model is
// the shipped one converted to each type (src/testing/gguf-test-model.ts, Q4_K_M mixed as
// llama.cpp mixes it), so its completions and Edit proposals are real code; on WebGPU the engine
// must keep every matrix in the file's block format.

import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { FixtureHub } from '../src/testing/fixture-hub.ts';
import { asQ4KM } from '../src/testing/gguf-family-models.ts';
import { ggufFromHfFiles, type TestGgufWeightType } from '../src/testing/gguf-test-model.ts';
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

async function expectWorks(page: Page, type: FileType, statusPrefix: string): Promise<void> {
  await expect(status(page)).toHaveText(new RegExp(`^${escape(statusPrefix)} · `), { timeout: 90_000 });
  await expect(status(page)).toHaveAttribute('data-state', /ready|fallback/);
  const ready = await page.evaluate(() => window.spark!.engineReady());
  if (ready.backend === 'webgpu') {
    for (const format of GPU_FORMATS[type]) expect(ready.weightFormats, `${type}: ${format}`).toContain(format);
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
