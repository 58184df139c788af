import {
  expect, expectToast, flushWorkspace, getState, hashOf, openApp, setDocument, setSelections, setSettings,
  shareLink, test, waitForReady,
} from './fixtures.ts';

const SNIPPET = 'def greet(name):\r\n\treturn f"héllo, {name} 🚀"\r\n\r\nprint(greet("wörld"))\r\n';

test.describe('playground links', () => {
  test('a link made in one context opens the identical state in a fresh one', async ({ page, browser }) => {
    test.slow(); // several full page loads of the 4 MB editor bundle on a shared 2-core box
    await openApp(page);
    await setDocument(page, SNIPPET, 'python');
    await setSelections(page, [
      { anchorLine: 2, anchorColumn: 2, activeLine: 2, activeColumn: 8 },
      { anchorLine: 4, anchorColumn: 7, activeLine: 4, activeColumn: 7 },
    ]);
    await setSettings(page, { temperature: 0.6, topK: 20, topP: 0.9, seed: 7, debounceMs: 25, tokensPerSubmit: 8, maxTokens: 128 });
    const before = await getState(page);

    await page.getByTestId('share-button').click();
    await expectToast(page, /Link copied/);
    const url = page.url();
    expect(url).toMatch(/#v1\.[A-Za-z0-9_-]+$/);
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(url);

    const fresh = await browser.newContext();
    const other = await fresh.newPage();
    await other.goto(url);
    await waitForReady(other);
    const after = await getState(other);
    expect(after.text).toBe(SNIPPET);
    expect(after).toEqual({ ...before, mode: 'workspace' }); // nothing saved there yet: nothing to ask about
    await expect(other.getByTestId('language-picker')).toHaveValue('python');
    await fresh.close();
  });

  test('Ctrl+S shares too', async ({ page }) => {
    await openApp(page);
    await setDocument(page, 'fn main() {}\n', 'rust');
    await page.getByTestId('editor').click();
    await page.keyboard.press('Control+s');
    await expectToast(page, /Link copied/);
    expect(page.url()).toContain('#v1.');
  });

  test('a document too big for a link is refused with a message', async ({ page }) => {
    await openApp(page);
    // Pseudo-random text does not compress, so it can't fit in 60,000 link characters.
    await page.evaluate(() => {
      let seed = 1;
      const chars = Array.from({ length: 80_000 }, () => {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        return String.fromCharCode(33 + ((seed >>> 16) % 94));
      });
      window.spark!.setDocument(chars.join(''), 'plaintext');
    });
    await page.getByTestId('share-button').click();
    await expectToast(page, /too big for a link/);
    expect(page.url()).not.toContain('#v1.');
  });

  test('a link pasted into the address bar of an open tab (hashchange) opens with the banner', async ({ page, browser }) => {
    test.slow(); // several full page loads of the 4 MB editor bundle on a shared 2-core box
    const other = await browser.newContext();
    const maker = await other.newPage();
    await openApp(maker);
    await setDocument(maker, 'package main\n', 'go');
    const link = await shareLink(maker);
    await other.close();

    await openApp(page);
    await setDocument(page, 'unsaved keystrokes\n', 'c');
    await page.evaluate((hash) => { window.location.hash = hash; }, hashOf(link));
    await expect(page.getByTestId('share-banner')).toBeVisible();
    expect(await getState(page)).toMatchObject({ text: 'package main\n', language: 'go', mode: 'shared' });
    await page.getByTestId('banner-back-to-workspace').click();
    // The keystrokes typed before the link arrived were flushed to the workspace, not lost.
    await expect.poll(() => getState(page)).toMatchObject({ text: 'unsaved keystrokes\n', language: 'c', mode: 'workspace' });
  });

  test('malformed, truncated, future-version and oversized links show a clear message and change nothing', async ({ page }) => {
    test.slow(); // several full page loads of the 4 MB editor bundle on a shared 2-core box
    await openApp(page);
    await setDocument(page, 'my saved work\n', 'go');
    const good = hashOf(await shareLink(page));
    await setDocument(page, 'my saved work, edited\n', 'go');
    await setSelections(page, [{ anchorLine: 1, anchorColumn: 4, activeLine: 1, activeColumn: 9 }]);
    await flushWorkspace(page);
    const saved = await getState(page);

    const cases: Array<[string, string, RegExp]> = [
      ['malformed', '#v1.not*base64!', /isn't a valid Spark playground link/],
      ['truncated', good.slice(0, good.length - 6), /incomplete: it was probably cut off/],
      ['future version', good.replace('#v1.', '#v7.'), /newer version of Spark \(format v7; this page reads v1\)/],
      ['oversized', `#v1.${'A'.repeat(70_000)}`, /over the size limit/],
    ];
    for (const [name, hash, message] of cases) {
      await test.step(name, async () => {
        await openApp(page, hash);
        await expectToast(page, message);
        await expect(page.getByTestId('toast')).toContainText('Nothing from it was opened');
        await expect(page.getByTestId('share-banner')).toBeHidden();
        expect(await getState(page)).toEqual(saved);
      });
    }
    await openApp(page); // and the saved workspace was not touched
    expect(await getState(page)).toEqual(saved);
  });
});
