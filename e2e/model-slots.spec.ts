// Two model slots, with the real engine and real models: the shipped spark-nano folder runs ghost
// text, and its GGUF export (public/models/spark-nano/spark-nano.gguf), picked with "Load into:
// Edit", runs Edit in a second worker. Who answered is read from the automation handle and from the
// HUD's per-slot lines, never assumed.

import type { Page } from '@playwright/test';
import { expect, ghostText, openWithEngine, setDocument, stableGhost, startAtEnd, test } from './fixtures.ts';

const GGUF_PATH = 'public/models/spark-nano/spark-nano.gguf';
const status = (page: Page) => page.getByTestId('engine-status');
const lastRequest = (page: Page) => page.evaluate(() => window.spark!.lastRequest());

async function ghostFromTyping(page: Page, doc = 'def add(a, b):\n    return a'): Promise<void> {
  await startAtEnd(page, doc, 'python');
  await page.keyboard.type(' +', { delay: 60 });
  await expect.poll(() => ghostText(page), { timeout: 60_000 }).not.toBe('');
}

/** Ctrl+K on a selection, as a user does it; resolves once the proposal is complete. */
async function editWithCtrlK(page: Page): Promise<void> {
  await setDocument(page, 'def area(w, h):\n    result = w * h\n    return result\n', 'python');
  await page.evaluate(() => window.spark!.setCursor(2, 1)); // focuses the editor, where Ctrl+K is bound
  await page.evaluate(() => window.spark!.setSelections([{ anchorLine: 2, anchorColumn: 1, activeLine: 3, activeColumn: 18 }]));
  await page.keyboard.press('Control+k');
  await expect(page.getByTestId('rewrite-bar')).toHaveAttribute('data-state', 'ready', { timeout: 90_000 });
}

test.describe('two model slots', () => {
  test.slow();

  test('a model loaded into Edit: ghost text still comes from the first, Alt+] and Ctrl+K from the second, and the HUD names each', async ({ page }) => {
    await openWithEngine(page);
    await page.getByTestId('hud-toggle').click();
    await page.getByTestId('model-slot-picker').selectOption('edit');
    await page.getByTestId('model-file-input').setInputFiles(GGUF_PATH);
    await expect(status(page)).toHaveText(/^spark-nano · .* \| Edit: model file spark-nano\.gguf/, { timeout: 90_000 });
    const edit = await page.evaluate(() => window.spark!.engineReady('edit'));
    expect(edit.backend).toMatch(/webgpu|cpu/);
    // The settings still say the Edit slot follows ghost text: a picked file is not persisted.
    expect((await page.evaluate(() => window.spark!.getState())).settings.editModelId).toBe('same');

    await ghostFromTyping(page);
    await expect.poll(async () => (await page.evaluate(() => window.spark!.hudStats())).slots.ghost?.model, { timeout: 60_000 }).toBe('spark-nano');
    await expect(page.getByTestId('hud-slot-ghost')).toHaveText(/^spark-nano · completion · TTFT [\d.]+ ms · [\d.]+ tok\/s/);

    // Alternatives (Alt+]) are sampled by the Edit model.
    await stableGhost(page);
    await page.keyboard.press('Alt+BracketRight');
    await expect.poll(async () => (await page.evaluate(() => window.spark!.hudStats())).slots.edit, { timeout: 90_000 })
      .toMatchObject({ model: 'model file spark-nano.gguf', role: 'alternative' });
    await page.keyboard.press('Escape');

    await editWithCtrlK(page);
    expect(await lastRequest(page)).toMatchObject({ kind: 'rewrite', slot: 'edit', model: 'model file spark-nano.gguf' });
    await expect(page.getByTestId('hud-slot-edit')).toHaveText(/^model file spark-nano\.gguf · rewrite · TTFT [\d.]+ ms · [\d.]+ tok\/s/);
    await page.evaluate(() => window.spark!.rejectEdit());

    // Ghost text keeps coming from the first model after the Edit (another context: Esc above
    // dismissed the first one's suggestion, and a dismissal is remembered for its context).
    await ghostFromTyping(page, 'def sub(a, b):\n    return a');
    await expect(page.getByTestId('hud-slot-ghost')).toHaveText(/^spark-nano · completion/);
    await expect(page.getByTestId('hud-slot-edit')).toHaveText(/^model file spark-nano\.gguf · rewrite/);
    // Reported, never asserted: each slot's last time to first token and decode speed on this machine.
    const { slots } = await page.evaluate(() => window.spark!.hudStats());
    test.info().annotations.push({ type: 'hud slots', description: JSON.stringify(slots) });
    console.log(`HUD slots: ${JSON.stringify(slots)}`);
  });

  test('an Edit model that fails to load leaves ghost text running, and Edit goes back to the ghost text model', async ({ page }) => {
    await openWithEngine(page);
    await page.getByTestId('model-slot-picker').selectOption('edit');
    await page.getByTestId('model-file-input').setInputFiles({
      name: 'broken.gguf', mimeType: 'application/octet-stream', buffer: Buffer.from('this is not a model file, just text'.repeat(4)),
    });
    await expect(status(page)).toHaveText(
      /^spark-nano · .* \| Edit: model file broken\.gguf failed to load \(.*not a GGUF file.*\); Edit uses the ghost text model$/, { timeout: 60_000 });
    await expect(status(page)).toHaveAttribute('data-state', 'fallback');
    await ghostFromTyping(page);
    await editWithCtrlK(page);
    expect(await lastRequest(page)).toMatchObject({ kind: 'rewrite', slot: 'edit', model: 'spark-nano' });
  });

  test('Quantize on load, set in the settings panel, loads the model again with Q8_0 weights on the GPU; completions and Edit still work', async ({ page }) => {
    await openWithEngine(page);
    // Float weights before (on WebGPU; the CPU, if the path choice picked it, has no GPU formats).
    const before = (await page.evaluate(() => window.spark!.engineReady())).weightFormats ?? [];
    expect(before).not.toContain('q8_0');
    await page.getByTestId('settings-button').click();
    await page.getByTestId('setting-quantizeOnLoad').fill('q8_0');
    await expect(page.getByTestId('setting-quantizeOnLoad-error')).toHaveText('');
    await page.getByTestId('settings-close').click();
    await expect.poll(async () => (await page.evaluate(() => window.spark!.engineReady())).weightFormats, { timeout: 90_000 }).toEqual(['q8_0']);
    await expect(status(page)).toHaveText(/^spark-nano · /, { timeout: 60_000 });
    await ghostFromTyping(page);
    await editWithCtrlK(page);
    expect(await lastRequest(page)).toMatchObject({ kind: 'rewrite', slot: 'edit', model: 'spark-nano' });
    // A value that is not offered is refused with the choices, and the model stays as it is.
    await page.getByTestId('settings-button').click();
    await page.getByTestId('setting-quantizeOnLoad').fill('q3_k');
    await expect(page.getByTestId('setting-quantizeOnLoad-error')).toHaveText(/"off", "q8_0", "q4_0"/);
    expect((await page.evaluate(() => window.spark!.engineReady())).weightFormats).toEqual(['q8_0']);
  });
});
