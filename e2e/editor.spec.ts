import { expect, getState, openApp, test } from './fixtures.ts';

test.describe('the editor page', () => {
  test('shows the editor, bars and HUD slot; takes typing; picks languages; probes WebGPU', async ({ page }) => {
    await openApp(page);
    for (const id of ['editor', 'status-bar', 'hud-slot', 'share-button', 'language-picker', 'webgpu-probe']) {
      await expect(page.getByTestId(id)).toBeAttached();
    }
    const box = await page.getByTestId('editor').boundingBox();
    const viewport = page.viewportSize()!;
    expect(box!.height).toBeGreaterThan(viewport.height * 0.8); // full height, less the bars

    await page.evaluate(() => window.spark!.setDocument(''));
    await page.getByTestId('editor').click();
    await page.keyboard.type('const answer = 42;');
    await page.keyboard.press('Enter');
    await page.keyboard.type('answer');
    const state = await getState(page);
    expect(state.text).toBe('const answer = 42;\nanswer');
    expect(state.cursor).toEqual({ line: 2, column: 7 });
    await expect(page.getByTestId('cursor-position')).toHaveText('Ln 2, Col 7');

    // The language picker offers at least these, and follows the document's language both ways.
    const picker = page.getByTestId('language-picker');
    for (const label of ['TypeScript', 'JavaScript', 'Python', 'Rust', 'Go', 'C']) {
      await expect(picker.locator('option', { hasText: new RegExp(`^${label}$`) })).toHaveCount(1);
    }
    await picker.selectOption('rust');
    expect((await getState(page)).language).toBe('rust');
    await page.evaluate(() => window.spark!.setLanguage('go'));
    await expect(picker).toHaveValue('go');

    // The WebGPU probe (async, never blocking the editor) finds SwiftShader here.
    const probe = await page.evaluate(() => window.spark!.probe);
    expect(probe.status).toBe('ok');
    await expect(page.getByTestId('webgpu-probe')).toContainText('swiftshader');
    await expect(page.getByTestId('webgpu-probe')).toContainText('timestamp-query');
  });

  test('TypeScript diagnostics come from the TS worker (Vite ?worker)', async ({ page }) => {
    await openApp(page);
    await page.evaluate(() => window.spark!.setDocument('const n: number = "not a number";\n', 'typescript'));
    // The squiggle is drawn only after the TS language service (in its worker) reports the error.
    await expect(page.locator('[data-testid="editor"] .squiggly-error').first()).toBeAttached({ timeout: 60_000 });
  });

  test('settings panel: valid input applies, invalid input is kept with an error', async ({ page }) => {
    await openApp(page);
    await page.getByTestId('settings-button').click();
    await expect(page.getByTestId('settings-panel')).toBeVisible();
    const temperature = page.getByTestId('setting-temperature');
    await temperature.fill('0.8');
    expect((await getState(page)).settings.temperature).toBe(0.8);
    await temperature.fill('7');
    await expect(page.getByTestId('setting-temperature-error')).toHaveText(/at most 2/);
    await expect(temperature).toHaveValue('7'); // what the user typed is not lost
    expect((await getState(page)).settings.temperature).toBe(0.8); // and not applied
    await page.getByTestId('settings-close').click();
    await expect(page.getByTestId('settings-panel')).toBeHidden();
  });
});

test('without WebGPU the page says so plainly and still works as an editor', async ({ page }) => {
  // Hide navigator.gpu before any page script runs, as in a browser without WebGPU.
  await page.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true });
  });
  await openApp(page);
  await expect(page.getByTestId('webgpu-probe')).toHaveText(/^No WebGPU in this browser: the editor works/);
  await page.evaluate(() => window.spark!.setDocument(''));
  await page.getByTestId('editor').click();
  await page.keyboard.type('still typing');
  expect((await getState(page)).text).toBe('still typing');
});
