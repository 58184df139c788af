// A model named by a Hugging Face repo id, as a user types one into "Model…": the fixture hub
// (the hub's URL layout and listing API, on the loopback port the e2e build allows) serves the
// shipped model's GGUF export and its HF folder. Nothing downloads before the user confirms the
// size; an unknown repo fails with model-source.ts's reason and the working model keeps answering.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { FixtureHub } from '../src/testing/fixture-hub.ts';
import { expect, ghostText, openWithEngine, startAtEnd, test } from './fixtures.ts';
import { FIXTURE_HUB_PORT } from './model-hosts.ts';

const MODEL_DIR = 'public/models/spark-nano';
const status = (page: Page) => page.getByTestId('engine-status');
const note = (page: Page) => page.getByTestId('model-source-note');
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

function hubRepos() {
  const folder: Record<string, Uint8Array> = {};
  for (const name of readdirSync(MODEL_DIR)) {
    if (/\.(json|safetensors)$/.test(name)) folder[name] = readFileSync(join(MODEL_DIR, name));
  }
  return {
    'test-org/spark-nano-gguf': { main: { 'spark-nano.gguf': readFileSync(join(MODEL_DIR, 'spark-nano.gguf')), 'README.md': new TextEncoder().encode('# spark-nano GGUF\n') } },
    'test-org/spark-nano': { main: folder },
  };
}

async function expectGhost(page: Page): Promise<void> {
  await startAtEnd(page, 'def add(a, b):\n    return a', 'python');
  await page.keyboard.type(' +', { delay: 60 });
  await expect.poll(() => ghostText(page), { timeout: 60_000 }).not.toBe('');
}

test.describe('a model from a hub repo id', () => {
  test.slow();
  let hub: FixtureHub;

  test.beforeAll(async () => {
    hub = await FixtureHub.start(hubRepos(), { port: FIXTURE_HUB_PORT });
  });
  test.afterAll(async () => {
    await hub.dispose();
  });

  for (const [repo, kind] of [['test-org/spark-nano-gguf', 'GGUF spark-nano\\.gguf'], ['test-org/spark-nano', 'safetensors folder']] as const) {
    test(`${repo}: its size is shown and confirmed before it downloads; then it runs and completes`, async ({ page }) => {
      await openWithEngine(page);
      await expect(status(page)).toHaveText(/^spark-nano · /);
      hub.clearRequests();
      await page.getByTestId('model-source-input').fill(repo);
      await page.getByTestId('model-source-load').click();
      await expect(note(page)).toHaveText(new RegExp(`^${escape(repo)}@[0-9a-f]{40}.* — ${kind} \\([a-zA-Z0-9_+]+\\), [\\d.]+ MiB to download, ~[\\d.]+ [KM]iB on the GPU: fits\\. Run it\\?$`));
      await expect(note(page)).toHaveAttribute('data-state', 'confirm');
      // Looked up, not downloaded: the hub's API, config.json, and the weight files' headers by byte range.
      expect(hub.requests.length).toBeGreaterThan(0);
      expect(hub.requests.filter((r) => r.url.includes('/resolve/') && !r.url.endsWith('/config.json') && r.range === undefined)).toEqual([]);

      await page.getByTestId('model-source-confirm').click();
      await expect(status(page)).toHaveText(new RegExp(`^${escape(repo)} · `), { timeout: 90_000 });
      await expect(status(page)).toHaveAttribute('data-state', /ready|fallback/);
      expect(hub.requests.some((r) => r.url.includes('/resolve/') && (r.status === 200 || r.status === 206))).toBe(true);
      await expectGhost(page);
    });
  }

  test('an unknown repo fails with the reason; nothing loads and spark-nano keeps answering', async ({ page }) => {
    await openWithEngine(page);
    await expect(status(page)).toHaveText(/^spark-nano · /);
    await page.getByTestId('model-source-input').fill('test-org/no-such-model');
    await page.getByTestId('model-source-load').click();
    await expect(note(page)).toHaveText(/test-org\/no-such-model: repository not found on http:\/\/127\.0\.0\.1:\d+/);
    await expect(note(page)).toHaveAttribute('data-state', 'error');
    await expect(page.getByTestId('model-source-confirm')).toBeHidden();
    // A string that is no source at all gets the accepted forms.
    await page.getByTestId('model-source-input').fill('not a model');
    await page.getByTestId('model-source-load').click();
    await expect(note(page)).toHaveText(/not a hub id org\/name.*Accepted: /);
    await expect(status(page)).toHaveText(/^spark-nano · /);
    await expectGhost(page);
  });
});
