// "No lost work": two tabs on one workspace, a workspace that cannot be read, a link that names
// another model, and a renderer killed in the middle of typing. Every wait polls a condition.

import {
  expect, flushWorkspace, getState, hashOf, linkFromFreshContext, openApp, recoverableTexts, setDocument, storedText, test,
  waitForReady,
} from './fixtures.ts';

test.describe('no lost work', () => {
  test('a second tab warns, and typing in the stale tab never overwrites the newer text; both are recoverable', async ({ page, context }) => {
    test.slow();
    await openApp(page);
    await setDocument(page, 'first version\n', 'typescript');
    await flushWorkspace(page);

    const second = await context.newPage();
    await openApp(second);
    await expect(second.getByTestId('notice-other-tab')).toContainText('This workspace is open in another tab');
    expect((await getState(second)).text).toBe('first version\n');

    // The first tab moves on; the second still shows the old text and then types into it.
    await setDocument(page, 'newer text from tab one\n');
    await flushWorkspace(page);
    await expect.poll(() => storedText(page)).toBe('newer text from tab one\n');

    await setDocument(second, 'stale tab typing\n');
    await flushWorkspace(second);
    await expect(second.getByTestId('notice-conflict')).toBeVisible();
    expect(await storedText(second)).toBe('newer text from tab one\n');
    expect((await getState(second)).text).toBe('stale tab typing\n');

    const recoverable = await recoverableTexts(second);
    expect(recoverable).toContain('stale tab typing');
    expect(recoverable).toContain('newer text from tab one');
    await second.close();
  });

  test('a workspace that cannot be read is never written over; what is typed is kept for recovery', async ({ page, context }) => {
    test.slow();
    await openApp(page);
    await setDocument(page, 'precious work\n', 'typescript');
    await flushWorkspace(page);

    // A second page whose IndexedDB reads of the workspace fail.
    const broken = await context.newPage();
    await broken.addInitScript(() => {
      const original = IDBObjectStore.prototype.get;
      IDBObjectStore.prototype.get = function (this: IDBObjectStore, key: IDBValidKey | IDBKeyRange) {
        if (key === 'spark.workspace.v1') throw new DOMException('simulated read failure', 'UnknownError');
        return original.call(this, key);
      };
    });
    await page.close();
    await openApp(broken);
    await expect(broken.getByTestId('notice-load-error')).toContainText('could not be read');
    await broken.getByTestId('editor').click(); // a click (a cursor move) used to save the welcome text over the workspace
    await broken.keyboard.type('x');
    await setDocument(broken, 'typed after the failure\n');
    await flushWorkspace(broken);
    const recoverable = await recoverableTexts(broken);
    expect(recoverable.some((t) => t.includes('typed after the failure'))).toBe(true);
    await broken.close();

    const fresh = await context.newPage();
    await openApp(fresh);
    expect((await getState(fresh)).text).toBe('precious work\n');
  });

  test('a link naming another model loads nothing until the user keeps it', async ({ page, browser }) => {
    test.slow();
    const link = await linkFromFreshContext(browser, 'print("other model")\n', 'python', { modelId: 'another-model' });
    const asked: string[] = [];
    page.context().on('request', (request) => {
      if (request.url().includes('another-model')) asked.push(request.url());
    });
    await openApp(page);
    await setDocument(page, 'mine\n', 'typescript');
    await flushWorkspace(page);

    await openApp(page, hashOf(link));
    await expect(page.getByTestId('share-banner')).toBeVisible();
    await expect(page.getByTestId('engine-status')).not.toContainText('another-model');
    expect((await getState(page)).text).toBe('print("other model")\n');
    await page.getByTestId('banner-back-to-workspace').click();
    await expect.poll(() => getState(page)).toMatchObject({ text: 'mine\n', mode: 'workspace' });
    await expect(page.getByTestId('engine-status')).not.toContainText('another-model');
    const ready = await page.evaluate(() => window.spark!.engineReady().then((r) => r.backend, (e: unknown) => `failed: ${String(e)}`));
    expect(ready).not.toMatch(/failed/);
    expect(asked).toEqual([]);
    // Edits made to the link while it was open were kept apart, and the link's text is recoverable.
    expect(await recoverableTexts(page)).toContain('print("other model")');
  });

  test('a failing save shows a warning with export, keeps the text, and is retried without another keystroke', async ({ page }) => {
    test.slow();
    await page.addInitScript(() => {
      const put = IDBObjectStore.prototype.put;
      (window as unknown as { failPuts: boolean }).failPuts = false;
      IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
        if ((window as unknown as { failPuts: boolean }).failPuts) throw new DOMException('simulated', 'QuotaExceededError');
        return put.apply(this, args);
      };
    });
    await openApp(page);
    await setDocument(page, 'saved before the disk filled\n', 'typescript');
    await flushWorkspace(page);
    await page.evaluate(() => { (window as unknown as { failPuts: boolean }).failPuts = true; });
    await setDocument(page, 'typed while the disk is full\n');
    const notice = page.getByTestId('notice-save-error');
    await expect(notice).toContainText('storage for this site is full');
    await expect(page.getByTestId('save-status')).toHaveText('Not saved');
    await notice.getByTestId('export-copy').click();
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe('typed while the disk is full\n');
    expect(await storedText(page)).toBe('saved before the disk filled\n');

    await page.evaluate(() => { (window as unknown as { failPuts: boolean }).failPuts = false; });
    await expect.poll(() => storedText(page), { timeout: 60_000 }).toBe('typed while the disk is full\n');
    await expect(notice).toBeHidden();
  });

  test('killing the renderer mid-typing loses at most the last second', async ({ page, context }) => {
    test.slow();
    await openApp(page);
    await setDocument(page, '', 'plaintext');
    await page.getByTestId('editor').click();
    const typed: Array<{ length: number; at: number }> = [];
    const script = 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(3);
    for (let i = 0; i < script.length; i++) {
      await page.keyboard.type(script[i]!);
      typed.push({ length: i + 1, at: Date.now() });
    }
    const cdp = await context.newCDPSession(page);
    const crashed = page.waitForEvent('crash');
    void cdp.send('Page.crash').catch(() => {}); // the session dies with the renderer
    await crashed;
    const killedAt = Date.now();
    const mustHave = typed.filter((t) => t.at <= killedAt - 1000).at(-1)?.length ?? 0;

    const fresh = await context.newPage();
    await fresh.goto('/');
    await waitForReady(fresh);
    const text = (await getState(fresh)).text;
    expect(script.startsWith(text)).toBe(true);
    expect(text.length).toBeGreaterThanOrEqual(mustHave);
  });
});
