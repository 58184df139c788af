// Models beyond the shipped one, as the page offers them: "Model…" says a hub model's size and
// whether it fits this GPU before anything downloads, lists it under Recent once it ran, and a share
// link naming it asks (host, size, fit) before downloading. The fixture hub stands in for the hub;
// its request log shows what was fetched when: before Download, only the hub's API and byte ranges
// of the weight file's header (metadata), never the file.

import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { DEFAULT_SETTINGS } from '../src/settings.ts';
import { decodeShareHash, encodeShareHash } from '../src/share/link-codec.ts';
import { FixtureHub, type FixtureRequest } from '../src/testing/fixture-hub.ts';
import { expect, expectToast, getState, hashOf, openApp, openWithEngine, shareLink, test } from './fixtures.ts';
import { FIXTURE_HUB_PORT } from './model-hosts.ts';

const GGUF = readFileSync('public/models/spark-nano/spark-nano.gguf');
const REPO = 'test-org/spark-nano-gguf';
const status = (page: Page) => page.getByTestId('engine-status');
const note = (page: Page) => page.getByTestId('model-source-note');
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
/** The model's summary line: resolved source, format, download size, GPU estimate and verdict. */
const summary = (pinned: string) => `${escape(pinned)} — GGUF spark-nano\\.gguf \\([A-Z0-9_+]+\\), [\\d.]+ MiB to download, ~[\\d.]+ [KM]iB on the GPU: fits`;

function linkTo(model: string): string {
  const encoded = encodeShareHash({
    text: 'def add(a, b):\n    return a', language: 'python',
    selections: [{ anchorLine: 2, anchorColumn: 13, activeLine: 2, activeColumn: 13 }], settings: DEFAULT_SETTINGS, model,
  });
  if (!encoded.ok) throw new Error(encoded.message);
  return encoded.hash;
}

/** Before Download: the weight file only by byte ranges that together stay well short of the file. */
function expectNoDownload(requests: readonly FixtureRequest[]): void {
  const weights = requests.filter((r) => r.url.includes('/resolve/'));
  for (const r of weights) expect(r.range, `${r.method} ${r.url}`).toMatch(/^bytes=\d+-\d+$/);
  const ranged = weights.reduce((sum, r) => {
    const [, start, end] = /^bytes=(\d+)-(\d+)$/.exec(r.range!)!;
    return sum + Math.min(Number(end) + 1, GGUF.byteLength) - Number(start);
  }, 0);
  expect(ranged).toBeLessThan(GGUF.byteLength / 2);
}

test.describe('remote models: fit, recents and share links', () => {
  test.slow();
  let hub: FixtureHub;
  let pinned: string;

  test.beforeAll(async () => {
    hub = await FixtureHub.start({}, { port: FIXTURE_HUB_PORT });
    const sha = hub.addRepo(REPO, { main: { 'spark-nano.gguf': GGUF } })['main']!;
    pinned = `${REPO}@${sha}:spark-nano.gguf`;
  });
  test.afterAll(async () => {
    await hub.dispose();
  });

  test('the picker shows size and GPU fit before a download; after the load the model is under Recent, and picking it asks again', async ({ page }) => {
    const workers: string[] = [];
    page.on('worker', (worker) => workers.push(worker.url()));
    await openWithEngine(page);
    await expect(status(page)).toHaveText(/^spark-nano · /);
    hub.clearRequests();
    await page.getByTestId('model-source-input').fill(REPO);
    await page.getByTestId('model-source-load').click();
    await expect(note(page)).toHaveText(new RegExp(`^${summary(pinned)}\\. Run it\\?$`));
    await expect(note(page)).toHaveAttribute('data-fit', 'fits');
    expectNoDownload(hub.requests);
    // The headers were parsed off the UI thread, in the lookup's own worker.
    expect(workers.some((url) => /describe-worker/.test(url))).toBe(true);
    await expect(page.getByTestId('model-recents')).toBeHidden();

    await page.getByTestId('model-source-confirm').click();
    await expect(status(page)).toHaveText(new RegExp(`^${escape(REPO)} · `), { timeout: 90_000 });
    // Shared now, the link carries the model as the commit that was confirmed.
    const shared = decodeShareHash(hashOf(await shareLink(page)), { modelHosts: [`http://127.0.0.1:${FIXTURE_HUB_PORT}`] });
    expect(shared.ok && shared.state.model).toBe(pinned);
    await expect(page.getByTestId('model-recents-toggle')).toHaveText('Recent (1)');
    await page.getByTestId('model-recents-toggle').click();
    const row = page.getByTestId('model-recent');
    await expect(row).toHaveText(new RegExp(`^${escape(REPO)}[\\d.]+ MiB · just now×$`));

    await row.getByTestId('model-recent-open').click();
    await expect(note(page)).toHaveText(new RegExp(`^${summary(pinned)}\\. Run it\\?$`));
    await page.getByTestId('model-source-cancel').click();
    await page.getByTestId('model-recents-toggle').click();
    await row.getByTestId('model-recent-remove').click();
    await expect(page.getByTestId('model-recents')).toBeHidden();
  });

  test('a share link naming a hub model asks first (host, size, fit); nothing downloads until Download, then it runs', async ({ page }) => {
    hub.clearRequests();
    await openApp(page, linkTo(pinned));
    const prompt = page.getByTestId('notice-link-model');
    await expect(prompt).toContainText(new RegExp(`This link names the model ${summary(pinned)}, from 127\\.0\\.0\\.1:${FIXTURE_HUB_PORT}\\. Nothing is downloaded unless you choose Download\\.`));
    expect((await getState(page)).text).toBe('def add(a, b):\n    return a');
    await page.evaluate(() => window.spark!.engineReady());
    await expect(status(page)).toHaveText(/^spark-nano · /);
    expectNoDownload(hub.requests);

    await page.getByTestId('link-model-download').click();
    await expect(prompt).toBeHidden();
    await expect(status(page)).toHaveText(new RegExp(`^${escape(pinned)} · `), { timeout: 90_000 });
    expect(hub.requests.some((r) => r.url.includes('/resolve/') && r.range === undefined && r.status === 200)).toBe(true);
  });

  test('Keep current model closes the prompt and downloads nothing', async ({ page }) => {
    hub.clearRequests();
    await openApp(page, linkTo(pinned));
    await expect(page.getByTestId('link-model-download')).toBeVisible();
    await page.getByTestId('link-model-keep').click();
    await expect(page.getByTestId('notice-link-model')).toBeHidden();
    await page.evaluate(() => window.spark!.engineReady());
    await expect(status(page)).toHaveText(/^spark-nano · /);
    expectNoDownload(hub.requests);
  });

  test('a link whose model is on a host the page may not fetch from is refused with the reason; nothing opens or loads', async ({ page }) => {
    hub.clearRequests();
    await openApp(page, linkTo('https://evil.example.com/m.gguf'));
    await expectToast(page, /model: evil\.example\.com is not a host this page may download models from.*Nothing from it was opened\./);
    expect((await getState(page)).text).not.toContain('def add');
    await expect(page.getByTestId('notice-link-model')).toBeHidden();
    expect(hub.requests).toEqual([]);
    // Typed into "Model…", the same host is refused before any request (the lookup's worker is not under the page's CSP).
    await page.getByTestId('model-source-input').fill('https://evil.example.com/m.gguf');
    await page.getByTestId('model-source-load').click();
    await expect(note(page)).toHaveText('https://evil.example.com/m.gguf: evil.example.com is not a host this page may download models from');
    await expect(page.getByTestId('model-source-confirm')).toBeHidden();
  });
});
