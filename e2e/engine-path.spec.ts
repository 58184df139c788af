// Which path runs the model is measured at load, said with its numbers in the status bar and the
// HUD, and overridden by Settings → Engine path; the HUD draws the last ghost's latency waterfall.
import { expect, ghostText, openWithEngine, setSettings, startAtEnd, test } from './fixtures.ts';

// A context with nothing stored: the paths are timed at this load, not read from the run's seed.
test.use({ storageState: { cookies: [], origins: [] } });

test('the engine path is timed at load and named with its numbers; the setting overrides it; the HUD draws the ghost waterfall', async ({ page }) => {
  await openWithEngine(page);
  const ready = await page.evaluate(() => window.spark!.engineReady());
  const path = ready.path!;
  expect(path.how).toBe('measured');
  // The fastest timed path runs (reported, never assumed: on SwiftShader the CPU, on a real GPU WebGPU).
  const timed = path.measurements.filter((m) => m.keystrokeMs !== undefined);
  expect(timed.length).toBeGreaterThanOrEqual(2);
  expect(path.chosen).toBe(timed.reduce((a, b) => (b.keystrokeMs! < a.keystrokeMs! ? b : a)).path);
  console.log(`engine path: ${path.reason}`);
  await expect(page.getByTestId('engine-status')).toContainText(path.reason);

  await page.getByTestId('hud-toggle').click();
  await expect(page.getByTestId('hud-path')).toContainText(path.reason);
  await setSettings(page, { gateThreshold: 0 });
  await startAtEnd(page, 'def add(a, b):\n    return a', 'python');
  await page.keyboard.type(' +', { delay: 60 });
  await expect.poll(() => ghostText(page), { timeout: 60_000 }).not.toBe('');
  // keydown → … → rendered, in stages that add up to the total.
  await expect(page.getByTestId('hud-waterfall')).toHaveText(/^\d+\.\d ms = keydown → asked/, { timeout: 30_000 });
  const { waterfalls } = await page.evaluate(() => window.spark!.hudStats());
  const last = waterfalls.at(-1)!;
  expect(last.stages.map((s) => s.name)).toContain('prefill + first decode');
  expect(last.stages.reduce((a, s) => a + s.ms, 0)).toBeCloseTo(last.totalMs, 6);
  // A ghost from a request says how much of its prompt was prefilled: the prefill stage's reason.
  expect(last.prompt!.prefilledTokens).toBeGreaterThan(0);
  expect(last.prompt!.prefilledTokens).toBeLessThanOrEqual(last.prompt!.promptTokens);
  await expect(page.getByTestId('hud-waterfall')).toContainText(/prefilled \d+ of \d+ prompt tokens/);

  const other = ready.backend === 'cpu' ? 'webgpu' : 'cpu';
  await setSettings(page, { enginePath: other });
  await expect.poll(() => page.evaluate(() => window.spark!.engineReady().then((r) => r.path?.how)), { timeout: 120_000 }).toBe('requested');
  expect((await page.evaluate(() => window.spark!.engineReady())).backend).toBe(other);
  await expect(page.getByTestId('engine-status')).toContainText('as the settings ask');
});
