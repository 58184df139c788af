// A local model file, as a user brings one: picked with "Open model file…" or dropped on the page.
// The file is the shipped model's own GGUF export (public/models/spark-nano/spark-nano.gguf), so
// its answers are real code; a file that is not GGUF must fail with the loader's reason and leave
// the working model answering.

import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { ggufFromHfFiles } from '../src/testing/gguf-test-model.ts';
import { expect, ghostText, openWithEngine, setDocument, startAtEnd, test } from './fixtures.ts';

const GGUF_PATH = 'public/models/spark-nano/spark-nano.gguf';
const status = (page: Page) => page.getByTestId('engine-status');

async function expectGhost(page: Page): Promise<void> {
  await startAtEnd(page, 'def add(a, b):\n    return a', 'python');
  await page.keyboard.type(' +', { delay: 60 });
  await expect.poll(() => ghostText(page), { timeout: 60_000 }).not.toBe('');
}

async function expectEditProposal(page: Page): Promise<void> {
  await setDocument(page, 'def area(w, h):\n    result = w * h\n    return result\n', 'python');
  await page.evaluate(() => window.spark!.setSelections([{ anchorLine: 2, anchorColumn: 1, activeLine: 3, activeColumn: 18 }]));
  const proposal = await page.evaluate(() => window.spark!.edit());
  expect(proposal.preview).toBe(proposal.output);
  await page.evaluate(() => window.spark!.rejectEdit());
}

test.describe('a local model file', () => {
  test.slow();

  test('picked with the file input: named in the status bar, completes, edits; reload needs a new pick', async ({ page }) => {
    await openWithEngine(page);
    await expect(status(page)).toHaveAttribute('data-state', 'ready');
    await page.getByTestId('model-file-input').setInputFiles(GGUF_PATH);
    await expect(status(page)).toHaveText(/^model file spark-nano\.gguf · /, { timeout: 90_000 });
    await expect(status(page)).toHaveAttribute('data-state', /ready|fallback/);
    await expect(page.getByTestId('model-file-note')).toHaveText(/model file: spark-nano\.gguf \(4\.7 MiB\) — pick it again after reload/);
    await expectGhost(page);
    await expectEditProposal(page);

    // The file is not persisted: after a reload the shipped model runs, and the page says which file was lost.
    await page.reload();
    await page.waitForFunction(() => window.spark !== undefined);
    await page.evaluate(() => window.spark!.engineReady());
    await expect(status(page)).toHaveText(/^spark-nano · /);
    await expect(page.getByTestId('model-file-note')).toHaveText(/spark-nano\.gguf was in use before this page loaded — pick it again/);
  });

  test('dropped on the page: loads and completes; a dropped text file gets a clear message', async ({ page }) => {
    await openWithEngine(page);
    const drop = (url: string, name: string) => page.evaluate(async ([u, n]) => {
      const blob = await (await fetch(u!)).blob();
      const data = new DataTransfer();
      data.items.add(new File([blob], n!));
      document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
    }, [url, name] as const);
    await drop('/models/spark-nano/config.json', 'notes.json');
    await expect(page.getByTestId('toast')).toHaveText(/notes\.json: not a model file\. Drop a \.gguf file, or a model folder \(config\.json, tokenizer\.json and its \*\.safetensors together\) to run it/);
    await drop('/models/spark-nano/spark-nano.gguf', 'dropped.gguf');
    await expect(status(page)).toHaveText(/^model file dropped\.gguf · /, { timeout: 90_000 });
    await expectGhost(page);
  });

  test('the shipped model as Q8_0 and Q4_0 GGUFs (blocks kept quantized on the GPU): completes and edits', async ({ page }) => {
    await openWithEngine(page);
    const folder = 'public/models/spark-nano';
    const files = Object.fromEntries(['config.json', 'tokenizer.json', 'model.safetensors']
      .map((name) => [name, new Uint8Array(readFileSync(`${folder}/${name}`))]));
    for (const weightType of ['Q8_0', 'Q4_0'] as const) {
      const name = `spark-nano-${weightType.toLowerCase()}.gguf`;
      const { gguf } = ggufFromHfFiles(files, { weightType });
      await page.getByTestId('model-file-input').setInputFiles({ name, mimeType: 'application/octet-stream', buffer: Buffer.from(gguf) });
      await expect(status(page)).toHaveText(new RegExp(`^model file ${name.replace('.', '\\.')} · `), { timeout: 90_000 });
      const ready = await page.evaluate(() => window.spark!.engineReady());
      // On the GPU every matrix stays in the file's block format (the shipped model's table is tied).
      if (ready.backend === 'webgpu') expect(ready.weightFormats).toEqual([weightType.toLowerCase()]);
      await expectGhost(page);
      await expectEditProposal(page);
    }
  });

  test('a file that is not GGUF fails with the loader\'s reason and the working model keeps answering', async ({ page }) => {
    await openWithEngine(page);
    await page.getByTestId('model-file-input').setInputFiles({
      name: 'broken.gguf', mimeType: 'application/octet-stream', buffer: Buffer.from('this is not a model file, just text'.repeat(4)),
    });
    await expect(status(page)).toHaveText(/broken\.gguf failed to load.*not a GGUF file.*still using spark-nano/, { timeout: 60_000 });
    await expect(status(page)).toHaveAttribute('data-state', 'fallback');
    await expectGhost(page);
    await expectEditProposal(page);
  });
});
