// Model downloads into the model cache, in the real app against the fixture hub: the progress bar
// shows bytes, speed and time left while a hub GGUF downloads; Cancel stops it and keeps the
// working model; loading again resumes with a Range request; after a page reload the cache manager
// lists the model and loads it with no request to the hub at all; Delete removes it.

import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { FixtureHub } from '../src/testing/fixture-hub.ts';
import { expect, openWithEngine, test } from './fixtures.ts';
import { FIXTURE_HUB_PORT } from './model-hosts.ts';

const REPO = 'test-org/spark-nano-gguf';
const GGUF = readFileSync('public/models/spark-nano/spark-nano.gguf');
const status = (page: Page) => page.getByTestId('engine-status');
const resolves = (hub: FixtureHub) => hub.requests.filter((r) => r.url.includes('/resolve/'));

/** Looks the repo up (which reads its header by range), then, just before Download, runs `beforeDownload`. */
async function confirmDownload(page: Page, beforeDownload?: () => void): Promise<void> {
  await page.getByTestId('model-source-input').fill(REPO);
  await page.getByTestId('model-source-load').click();
  await expect(page.getByTestId('model-source-note')).toHaveAttribute('data-state', 'confirm');
  beforeDownload?.();
  await page.getByTestId('model-source-confirm').click();
}

test.describe('the model cache', () => {
  test.slow();
  let hub: FixtureHub;

  test.beforeAll(async () => {
    hub = await FixtureHub.start({ [REPO]: { main: { 'spark-nano.gguf': GGUF } } }, { port: FIXTURE_HUB_PORT });
  });
  test.afterAll(async () => {
    await hub.dispose();
  });

  test('download with progress and Cancel, resume, then a reload loads it from the cache with no network; Delete removes it', async ({ page }) => {
    // Counts the page's requests to keep its storage; each still goes to the browser.
    await page.addInitScript(() => {
      const w = window as unknown as { persistCalls: number };
      w.persistCalls = 0;
      const persist = StorageManager.prototype.persist;
      StorageManager.prototype.persist = function (this: StorageManager) {
        w.persistCalls++;
        return persist.call(this);
      };
    });
    await openWithEngine(page);
    await expect(status(page)).toHaveText(/^spark-nano · /);

    // The download stalls half way, so the bar can be seen and cancelled (the lookup's header read comes before).
    const half = Math.floor(GGUF.byteLength / 2);
    await confirmDownload(page, () => hub.interruptNext(half, 'stall'));
    const bar = page.getByTestId('download-bar');
    await expect(bar).toBeVisible();
    await expect(page.getByTestId('download-text')).toHaveText(/^Downloading spark-nano\.gguf: [\d.]+ (KiB|MiB) of 4\.7 MiB · [\d.]+ (B|KiB|MiB|GiB)\/s · \d+ s left$/);
    await expect(page.getByTestId('download-progress')).toHaveAttribute('max', String(GGUF.byteLength));
    await page.getByTestId('download-cancel').click();
    await expect(bar).toBeHidden();
    await expect(status(page)).toHaveText(`Stopped loading ${REPO}; what it downloaded is kept, and loading it again resumes there · still using spark-nano`);

    // Loading it again resumes where the cancelled download stopped.
    await expect.poll(() => resolves(hub).filter((r) => r.range === undefined).length).toBe(1); // the stalled response, once its connection closed
    await confirmDownload(page, () => hub.clearRequests());
    await expect(status(page)).toHaveText(new RegExp(`^${REPO} · `), { timeout: 90_000 });
    // The hub logs a request when its connection closes, which may come just after the load is ready.
    await expect.poll(() => resolves(hub)).toEqual([expect.objectContaining({ status: 206, range: expect.stringMatching(/^bytes=[1-9]\d*-$/) })]);

    // A reload: the cache manager lists it, and it loads with no request to the hub.
    await page.reload();
    await openWithEngine(page);
    await expect(status(page)).toHaveText(/^spark-nano · /);
    hub.clearRequests();
    await page.getByTestId('cache-button').click();
    const row = page.getByTestId('cache-row').filter({ hasText: REPO });
    await expect(row.getByTestId('cache-size')).toHaveText('4.7 MiB');
    await expect(page.getByTestId('cache-total')).toHaveText(
      /^Models: 4\.7 MiB · this page uses .* of .* allowed \((Cache API|OPFS)\) · the browser (keeps them until you delete them|may evict them when storage runs low)$/);
    // With a whole model cached, the page asked the browser to keep its storage (Chromium answers by
    // itself): on this page, or already before the reload if the browser said yes then (only the page asks).
    await expect.poll(() => page.evaluate(async () => (window as unknown as { persistCalls: number }).persistCalls > 0 || await navigator.storage.persisted())).toBe(true);
    await row.getByTestId('cache-load').click();
    // The cache keeps the commit the user confirmed: the model loads as org/name@<sha>:file.
    await expect(status(page)).toHaveText(new RegExp(`^${REPO}@[0-9a-f]{40}:spark-nano\\.gguf · `), { timeout: 90_000 });
    await expect(status(page)).toHaveAttribute('data-state', /ready|fallback/);
    expect(hub.requests).toEqual([]);

    await page.getByTestId('cache-button').click();
    await expect(row).toBeVisible();
    await row.getByTestId('cache-delete').click();
    await expect(row).toBeHidden();
    await expect(page.getByTestId('cache-rows')).toHaveText('No models cached.');
  });
});
