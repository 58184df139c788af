import {
  expect, flushWorkspace, getState, linkFromFreshContext, hashOf, openApp, recoverableTexts, setDocument, storedText, test,
  waitForReady,
} from './fixtures.ts';

test.describe('workspace persistence', () => {
  test('typed text comes back after a reload', async ({ page }) => {
    await openApp(page);
    await page.evaluate(() => window.spark!.setDocument('', 'javascript'));
    await page.getByTestId('editor').click();
    await page.keyboard.type('let persisted = true;');
    // No explicit flush: the autosave stores it by itself.
    await expect.poll(() => storedText(page)).toBe('let persisted = true;');
    await page.reload();
    await waitForReady(page);
    const state = await getState(page);
    expect(state.text).toBe('let persisted = true;');
    expect(state.language).toBe('javascript');
    expect(state.cursor).toEqual({ line: 1, column: 22 });
  });

  test('a share link does not overwrite the saved workspace without asking', async ({ page, browser }) => {
    test.slow(); // several full page loads of the 4 MB editor bundle on a shared 2-core box
    const link = await linkFromFreshContext(browser, 'shared = "from a friend"\n', 'python', { temperature: 1.2 });

    await openApp(page);
    await setDocument(page, 'my own work\n', 'typescript');
    await flushWorkspace(page);

    // Open the link: the snippet shows, the banner asks, nothing is saved yet.
    await openApp(page, hashOf(link));
    await expect(page.getByTestId('share-banner')).toBeVisible();
    await expect(page.getByTestId('share-banner')).toContainText('Your saved workspace is kept');
    let state = await getState(page);
    expect(state).toMatchObject({ text: 'shared = "from a friend"\n', language: 'python', mode: 'shared' });
    expect(state.settings.temperature).toBe(1.2);
    await setDocument(page, 'shared, and edited\n'); // edits to a shared snippet are kept apart, under Recover…
    await flushWorkspace(page);
    expect(await storedText(page)).toBe('my own work\n');
    expect(await recoverableTexts(page)).toContain('shared, and edited');

    // Reloading without the link: the saved workspace is intact.
    await openApp(page);
    state = await getState(page);
    expect(state).toMatchObject({ text: 'my own work\n', language: 'typescript', mode: 'workspace' });
    expect(state.settings.temperature).toBe(0);

    // "Back to my workspace" returns to it.
    await openApp(page, hashOf(link));
    await page.getByTestId('banner-back-to-workspace').click();
    await expect(page.getByTestId('share-banner')).toBeHidden();
    await expect.poll(() => getState(page)).toMatchObject({ text: 'my own work\n', mode: 'workspace' });
    expect(page.url()).not.toContain('#');

    // "Keep shared as my workspace" replaces it, and that survives a reload.
    await openApp(page, hashOf(link));
    await page.getByTestId('banner-keep-shared').click();
    await expect(page.getByTestId('share-banner')).toBeHidden();
    await expect.poll(() => storedText(page)).toBe('shared = "from a friend"\n');
    await openApp(page);
    state = await getState(page);
    expect(state).toMatchObject({ text: 'shared = "from a friend"\n', language: 'python', mode: 'workspace' });
    expect(state.settings.temperature).toBe(1.2);
    // The workspace it replaced is one click away.
    expect(await recoverableTexts(page)).toContain('my own work');
  });
});
