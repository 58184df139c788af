// Keystroke → first ghost character in the real page (the latency target): opens the app,
// waits for the engine, types code a key at a time at a steady pace and reads the completion
// controller's own events through the automation handle (window.spark). Nothing is accepted, so
// every key is a real keystroke that the edit loop has to answer. The confidence gate is off: it
// decides whether a suggestion is worth showing, not how fast one arrives, and with it on most of
// this script's keys would show nothing to time (pause-latency.ts measures with the defaults).
import type { Browser } from '@playwright/test';
import { percentile, type EditorLatency } from './report.ts';

/** A fast typist: ~100 words per minute is about 120 ms per character. */
const KEY_DELAY_MS = 120;

const SCRIPT = [
  'def mean(values):',
  '    total = 0',
  '    for value in values:',
  '        total += value',
  '    return total / len(values)',
  '',
  'def variance(values):',
  '    m = mean(values)',
  '    return sum((v - m) ** 2 for v in values) / len(values)',
];

export async function measureEditorLatency(browser: Browser, appUrl: string, quick: boolean): Promise<EditorLatency> {
  const lines = quick ? SCRIPT.slice(0, 1) : SCRIPT;
  const page = await browser.newPage();
  try {
    await page.goto(appUrl);
    await page.waitForFunction(() => window.spark !== undefined, undefined, { timeout: 120_000 });
    await page.evaluate(() => window.spark!.ready);
    const engine = await page.evaluate(() => window.spark!.engineReady());
    await page.evaluate(() => window.spark!.setSettings({ gateThreshold: 0 }));
    await page.evaluate(() => { window.spark!.startMeasuring(); window.spark!.setDocument('', 'python'); window.spark!.setCursor(1, 1); });
    let keystrokes = 0;
    for (const line of lines) {
      for (const ch of line) {
        await page.keyboard.type(ch);
        keystrokes++;
        await page.waitForTimeout(KEY_DELAY_MS);
      }
      // Escape drops any ghost so Enter is a newline, then clear Monaco's auto-indent: the
      // script brings its own.
      await page.keyboard.press('Escape');
      await page.keyboard.press('Enter');
      await page.keyboard.press('Shift+Home');
      await page.keyboard.press('Delete');
      keystrokes++;
    }
    await page.waitForTimeout(1000); // the last key's ghost
    const events = await page.evaluate(() => window.spark!.completionEvents());
    const ghosts = events.flatMap((e) => (e.type === 'first-ghost' ? [e.keystrokeToGhostMs] : []));
    return {
      keystrokeToGhostMs: { count: ghosts.length, p50: percentile(ghosts, 50), p95: percentile(ghosts, 95), p99: percentile(ghosts, 99) },
      keystrokes,
      requests: events.filter((e) => e.type === 'request').length,
      cancelled: events.filter((e) => e.type === 'cancelled').length,
      typedThrough: events.filter((e) => e.type === 'typed-through').length,
      keyDelayMs: KEY_DELAY_MS,
      path: engine.path?.reason ?? `${engine.backend} (${engine.description})`,
    };
  } finally {
    await page.close().catch(() => undefined);
  }
}
