// Security (issue 13): the page runs under a strict Content-Security-Policy (no inline script, no
// eval), nothing the app does violates it, and a fresh start talks to its own origin only.

import { buildModelHosts } from '../vite.config.ts';
import { expect, openWithEngine, setDocument, startAtEnd, test } from './fixtures.ts';
import { E2E_BUILD_ENV } from './model-hosts.ts';

interface Violation { directive: string; blocked: string; source: string; sample: string }

declare global {
  interface Window { __sparkCspViolations?: Violation[] }
}

/** The policy the page declares, as directive -> sources. */
async function declaredPolicy(page: import('@playwright/test').Page): Promise<Map<string, string[]>> {
  const content = await page.evaluate(() => document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.getAttribute('content'));
  expect(content, 'index.html declares a Content-Security-Policy').toBeTruthy();
  return new Map(content!.split(';').map((d) => d.trim()).filter(Boolean).map((d) => {
    const [name, ...sources] = d.split(/\s+/);
    return [name!, sources];
  }));
}

test.describe('security', () => {
  test.slow();

  test('the page declares a strict CSP: scripts and workers from its own origin only, no inline script, no eval', async ({ page }) => {
    await page.goto('/');
    const policy = await declaredPolicy(page);
    expect(policy.get('default-src')).toEqual(["'self'"]);
    expect(policy.get('script-src')).toEqual(["'self'"]);
    expect(policy.get('object-src')).toEqual(["'none'"]);
    expect(policy.get('base-uri')).toEqual(["'none'"]);
    // Fetches: its own origin, the model hosts (Hugging Face; the e2e build adds its fixture hub).
    expect(policy.get('connect-src')).toEqual(["'self'", ...buildModelHosts(E2E_BUILD_ENV).hosts]);
    for (const [directive, sources] of policy) {
      if (directive === 'style-src') continue; // Monaco injects <style> elements and style attributes
      expect(sources, directive).not.toContain("'unsafe-inline'");
      expect(sources, directive).not.toContain("'unsafe-eval'");
      expect(sources, directive).not.toContain('*');
    }
    // The policy is enforced, not just declared: an inline script is refused. (eval cannot be tried
    // from here: Playwright's evaluate runs as DevTools, which the page's CSP does not restrict;
    // 'unsafe-eval' being absent from script-src, checked above, is what forbids it.)
    const inline = await page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__inlineRan = true';
      document.head.append(s);
      return (window as unknown as { __inlineRan?: boolean }).__inlineRan === true;
    });
    expect(inline).toBe(false);
  });

  test('no CSP violation during load, typing, an Edit, share and the settings panel', async ({ page }) => {
    const consoleViolations: string[] = [];
    page.on('console', (m) => { if (/Content.Security.Policy|Refused to/i.test(m.text())) consoleViolations.push(m.text()); });
    page.on('pageerror', (e) => { if (/Content.Security.Policy|Refused to/i.test(e.message)) consoleViolations.push(e.message); });
    await page.addInitScript(() => {
      const seen: Violation[] = [];
      window.__sparkCspViolations = seen;
      document.addEventListener('securitypolicyviolation', (e) => {
        seen.push({ directive: e.effectiveDirective, blocked: e.blockedURI, source: e.sourceFile, sample: e.sample });
      });
    });
    const violations = async () => [...(await page.evaluate(() => window.__sparkCspViolations ?? [])).map((v) => JSON.stringify(v)), ...consoleViolations];

    await openWithEngine(page); // load: the page, Monaco, the engine worker, the model
    await declaredPolicy(page);
    // Typing in TypeScript: Monaco's editor and TS workers start, ghost text streams.
    await startAtEnd(page, 'const values = [1, 2, 3];\nconst total = ', 'typescript');
    await page.keyboard.type('values.', { delay: 40 });
    await expect.poll(async () => (await page.evaluate(() => window.spark!.completionEvents())).some((e) => e.type === 'first-ghost'),
      { timeout: 90_000 }).toBe(true);
    await page.keyboard.press('Escape');
    // An Edit, accepted.
    await setDocument(page, 'def area(w, h):\n    result = w * h\n    return result\n', 'python');
    await page.evaluate(() => window.spark!.setSelections([{ anchorLine: 2, anchorColumn: 1, activeLine: 3, activeColumn: 18 }]));
    await page.evaluate(() => window.spark!.edit());
    expect(await page.evaluate(() => window.spark!.acceptEdit())).toBe(true);
    // Share (the button: hash, clipboard, toast).
    await page.getByTestId('share-button').click();
    await expect(page.getByTestId('toast')).toBeVisible();
    await expect.poll(() => page.evaluate(() => location.hash)).not.toBe('');
    // The settings panel, open and closed.
    await page.getByTestId('settings-button').click();
    await expect(page.getByTestId('settings-panel')).toBeVisible();
    await page.getByTestId('settings-button').click();
    await expect(page.getByTestId('settings-panel')).toBeHidden();

    expect(await violations()).toEqual([]);
  });

  test('a fresh start requests only its own origin', async ({ browser, baseURL }) => {
    const context = await browser.newContext(); // fresh: no saved workspace, no cached plan
    try {
      const page = await context.newPage();
      const urls: string[] = [];
      context.on('request', (r) => urls.push(r.url()));
      await openWithEngine(page);
      await startAtEnd(page, 'def add(a, b):\n    return a', 'python');
      await page.keyboard.type(' +', { delay: 40 });
      await expect.poll(async () => (await page.evaluate(() => window.spark!.completionEvents())).some((e) => e.type === 'request'),
        { timeout: 60_000 }).toBe(true);
      const origin = new URL(baseURL!).origin;
      expect(origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(urls.length).toBeGreaterThan(3); // the page, its script, the worker, the model files
      const foreign = urls.filter((u) => new URL(u).origin !== origin && !u.startsWith('data:'));
      console.log(`fresh start: ${urls.length} requests, all to ${origin}${foreign.length ? `; foreign: ${foreign.join(', ')}` : ''}`);
      expect(foreign).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
