// Helpers shared by the e2e specs: open the app and drive it through window.spark (see
// src/automation.ts and README "Automation handle") rather than scraping Monaco's DOM.

import { expect, type Browser, type Page } from '@playwright/test';
import type { SparkState } from '../src/automation.ts';
import type { Settings } from '../src/settings.ts';
import type { SelectionState } from '../src/document/snapshot.ts';

export { expect, test } from '@playwright/test';

/**
 * Loads the page afresh (optionally at a hash) and waits until the editor shows its initial state.
 * Going through about:blank makes it a real load: a goto that only changes the hash would be a
 * same-document navigation (hashchange), which is a different path (tested on its own).
 */
export async function openApp(page: Page, hash = ''): Promise<void> {
  if (page.url() !== 'about:blank') await page.goto('about:blank');
  await page.goto(`/${hash}`);
  await waitForReady(page);
}

export async function waitForReady(page: Page): Promise<void> {
  await page.waitForFunction(() => window.spark !== undefined);
  await page.evaluate(() => window.spark!.ready);
}

export function getState(page: Page): Promise<SparkState> {
  return page.evaluate(() => window.spark!.getState());
}

export async function setDocument(page: Page, text: string, language?: string): Promise<void> {
  await page.evaluate(([t, l]) => window.spark!.setDocument(t!, l), [text, language] as const);
}

export async function setSelections(page: Page, selections: SelectionState[]): Promise<void> {
  await page.evaluate((s) => window.spark!.setSelections(s), selections);
}

export async function setSettings(page: Page, settings: Partial<Settings>): Promise<void> {
  await page.evaluate((s) => window.spark!.setSettings(s), settings);
}

export function flushWorkspace(page: Page): Promise<void> {
  return page.evaluate(() => window.spark!.flushWorkspace());
}

/** Shares through the automation handle and returns the link. */
export async function shareLink(page: Page): Promise<string> {
  const outcome = await page.evaluate(() => window.spark!.share());
  if (!outcome.ok) throw new Error(`share failed: ${outcome.message}`);
  return outcome.url;
}

/** The hash part of a link (from '#'), for opening it on another page's origin. */
export const hashOf = (url: string): string => url.slice(url.indexOf('#'));

/** Makes a link in a throwaway context, so the test's own context (and its IndexedDB) is untouched. */
export async function linkFromFreshContext(
  browser: Browser, text: string, language: string, settings: Partial<Settings> = {},
): Promise<string> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await openApp(page);
    await setDocument(page, text, language);
    if (Object.keys(settings).length > 0) await setSettings(page, settings);
    return await shareLink(page);
  } finally {
    await context.close();
  }
}

export function toast(page: Page) {
  return page.getByTestId('toast');
}

export async function expectToast(page: Page, pattern: RegExp): Promise<void> {
  await expect(toast(page)).toBeVisible();
  await expect(toast(page)).toHaveText(pattern);
}

/**
 * Opens the app, waits for the engine (on whichever path the load timed fastest: the CPU on
 * SwiftShader, WebGPU on a real GPU; it must say which and why) and starts the event log. The
 * confidence gate and Edit's never-worse guard are turned off: these specs check the loop's
 * mechanics on whatever the model says, and need a ghost or a proposal where the model's own
 * judgement would hold them back; the gate and the guard have specs of their own.
 */
export async function openWithEngine(page: Page, options: { guards?: boolean } = {}): Promise<void> {
  await openApp(page);
  const ready = await page.evaluate(() => window.spark!.engineReady());
  expect(ready.path?.reason).toBeTruthy();
  if (!options.guards) await setSettings(page, { gateThreshold: 0, editGuard: 'off' });
  await page.evaluate(() => window.spark!.startMeasuring());
}

/** Replaces the document and puts the cursor at its end (the editor gets the focus). */
export async function startAtEnd(page: Page, text: string, language: string): Promise<void> {
  await setDocument(page, text, language);
  const lines = text.split('\n');
  await page.evaluate(([l, c]) => window.spark!.setCursor(l!, c!), [lines.length, lines.at(-1)!.length + 1]);
}

/** The ghost text on screen; Monaco renders its spaces as non-breaking spaces. */
export const ghostText = (page: Page): Promise<string> => page.locator('.ghost-text-decoration, .ghost-text').allTextContents()
  .then((t) => t.join('').replace(/\u00a0/g, ' '));

/** Waits until a ghost is shown and has stopped growing (tokens stream), and returns it. */
export async function stableGhost(page: Page): Promise<string> {
  let previous = '';
  await expect.poll(async () => {
    const now = await ghostText(page);
    const stable = now !== '' && now === previous;
    previous = now;
    return stable;
  }, { timeout: 60_000, intervals: [750] }).toBe(true);
  return previous;
}

/** The texts listed under "Recover…" (opens the list, reads it, closes it). */
export async function recoverableTexts(page: Page): Promise<string[]> {
  await page.getByTestId('recover-button').click();
  const panel = page.getByTestId('recovery-panel');
  await expect(panel).toBeVisible();
  const texts = await panel.getByTestId('recovery-item').evaluateAll(
    (items) => items.map((item) => item.getAttribute('data-first-line') ?? ''),
  );
  await page.getByTestId('recovery-close').click();
  return texts;
}

/** What IndexedDB holds under the workspace key, read directly (not through the app). */
export function storedText(page: Page): Promise<string | undefined> {
  return page.evaluate(() => new Promise<string | undefined>((resolve, reject) => {
    const open = indexedDB.open('keyval-store');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const get = open.result.transaction('keyval').objectStore('keyval').get('spark.workspace.v1');
      get.onerror = () => reject(get.error);
      get.onsuccess = () => {
        const record = get.result as { text?: string } | undefined;
        open.result.close();
        resolve(record?.text);
      };
    };
  }));
}
