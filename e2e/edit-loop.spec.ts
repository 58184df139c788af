// The edit loop with the real engine (WebGPU here: SwiftShader) and the shipped default model.
// Suggestions are read back from the page (Monaco's ghost text) and from the automation handle's
// event log, never assumed: whatever the model proposes, the rules around it must hold.

import { expect, ghostText, openWithEngine, setDocument, setSettings, stableGhost, startAtEnd, test } from './fixtures.ts';
import type { CompletionEvent } from '../src/editor/inline/completion-controller.ts';

test.describe('edit loop on the default model', () => {
  test.slow();

  test('the confidence gate holds back what it estimates unlikely to be taken, counts it in the HUD, and lets it through at 0', async ({ page }) => {
    await openWithEngine(page, { guards: true });
    await setSettings(page, { gateThreshold: 1 }); // nothing is certain: every suggestion is held back
    await page.getByTestId('hud-toggle').click();
    await startAtEnd(page, 'def add(a, b):\n    return a', 'python');
    await page.keyboard.type(' +', { delay: 60 });
    await expect.poll(async () => (await page.evaluate(() => window.spark!.completionEvents())).some((e) => e.type === 'gated'), { timeout: 60_000 }).toBe(true);
    expect(await ghostText(page)).toBe('');
    expect((await page.evaluate(() => window.spark!.completionEvents())).some((e) => e.type === 'first-ghost')).toBe(false);
    await expect.poll(async () => (await page.evaluate(() => window.spark!.hudStats())).suggestions.gated, { timeout: 30_000 }).toBeGreaterThan(0);
    await expect(page.getByTestId('hud')).toContainText(/[1-9]\d* gated/);
    await setSettings(page, { gateThreshold: 0 });
    await page.keyboard.type(' ', { delay: 60 });
    await expect.poll(() => ghostText(page), { timeout: 60_000 }).not.toBe('');
  });

  test('typing produces ghost text and Tab inserts exactly it', async ({ page }) => {
    await openWithEngine(page);
    await startAtEnd(page, 'def add(a, b):\n    return a', 'python');
    await page.keyboard.type(' +', { delay: 60 });
    await expect.poll(() => ghostText(page), { timeout: 60_000 }).not.toBe('');
    // The ghost grows while tokens stream: accept only once it has stopped changing.
    await stableGhost(page);
    const before = (await page.evaluate(() => window.spark!.getState())).text;
    const shown = await ghostText(page);
    await page.keyboard.press('Tab');
    const after = (await page.evaluate(() => window.spark!.getState())).text;
    expect(after.startsWith(before)).toBe(true);
    expect(after.length).toBeGreaterThan(before.length);
    // A stream may still add a token between reading the ghost and pressing Tab (the ghost only
    // ever grows within one request), so what Tab inserted must start with everything shown.
    expect(after.slice(before.length).startsWith(shown)).toBe(true);
  });

  test('typing fast never shows a stale suggestion', async ({ page }) => {
    await openWithEngine(page);
    const start = 'const values = [1, 2, 3];\nconst total = ';
    await startAtEnd(page, start, 'typescript');
    await page.keyboard.type('values.', { delay: 15 });
    const state = await page.evaluate(() => window.spark!.getState());
    expect(state.text.endsWith('const total = values.')).toBe(true);
    const finalChars = state.text.length; // the cursor is at the end
    type Events = Awaited<ReturnType<NonNullable<typeof window.spark>['completionEvents']>>;
    const read = (): Promise<Events> => page.evaluate(() => window.spark!.completionEvents());
    // A slow machine may show a ghost for "values" before "." arrives; that one was current when
    // shown, and a fast path may show one that "." then types through. What must hold: the final
    // context gets a ghost of its own, or one typed through up to it ...
    const servedFinal = (events: Events) => events.some((e, i) => (e.type === 'first-ghost' && e.prefixChars === finalChars)
      || (e.type === 'typed-through' && events.slice(0, i).some((g) => g.type === 'first-ghost' && g.prefixChars + e.chars === finalChars)));
    await expect.poll(async () => servedFinal(await read()), { timeout: 60_000 }).toBe(true);
    const events = await read();
    expect(events.filter((e) => e.type === 'request').length).toBeGreaterThanOrEqual(1);
    // ... and no ghost ever appears for a context after a request for a later context was made.
    for (const ghost of events) {
      if (ghost.type !== 'first-ghost') continue;
      const newer = events.find((e) => e.type === 'request' && e.prefixChars > ghost.prefixChars && e.at <= ghost.at);
      expect(newer, `ghost at ${ghost.prefixChars} chars shown after a request at ${newer && 'prefixChars' in newer ? newer.prefixChars : ''}`).toBeUndefined();
    }
  });

  test('typing the suggested characters makes no new request', async ({ page }) => {
    await openWithEngine(page);
    await startAtEnd(page, 'import os\n\nprint(os', 'python');
    await page.keyboard.type('.', { delay: 50 });
    // The ghost as it settles: while tokens stream, each growth hides and re-shows it for a moment,
    // so a second read of a ghost just seen can be empty.
    const shown = await stableGhost(page);
    const requestsBefore = (await page.evaluate(() => window.spark!.completionEvents())).filter((e) => e.type === 'request').length;
    await page.keyboard.type(shown.slice(0, 1), { delay: 50 });
    // Monaco asks the provider again after its own short delay (longer on a loaded machine):
    // wait for that answer (served from the suggestion, or wrongly a new request), then check
    // which it was. What the page held goes into the failure message.
    const asked = (events: CompletionEvent[]) => events.some((e) => e.type === 'typed-through') || events.filter((e) => e.type === 'request').length > requestsBefore;
    const state = async () => JSON.stringify({
      shown,
      ghost: await ghostText(page),
      text: (await page.evaluate(() => window.spark!.getState())).text,
      focused: await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 120)),
      events: await page.evaluate(() => window.spark!.completionEvents()),
    });
    await expect.poll(async () => asked(await page.evaluate(() => window.spark!.completionEvents())), { timeout: 60_000 })
      .toBe(true).catch(async (err: Error) => { throw new Error(`${err.message}\n${await state()}`); });
    const events = await page.evaluate(() => window.spark!.completionEvents());
    expect(events.filter((e) => e.type === 'request').length, await state()).toBe(requestsBefore);
  });

  test('an Edit proposes minimal edits whose application equals the model output', async ({ page }) => {
    await openWithEngine(page);
    const doc = 'def area(w, h):\n    result = w * h\n    return result\n\nprint(area(2, 3))\n';
    await setDocument(page, doc, 'python');
    await page.evaluate(() => window.spark!.setSelections([{ anchorLine: 2, anchorColumn: 1, activeLine: 3, activeColumn: 18 }]));
    const proposal = await page.evaluate(() => window.spark!.edit());
    expect(proposal.preview).toBe(proposal.output);
    const original = '    result = w * h\n    return result';
    expect(await page.evaluate(() => window.spark!.acceptEdit())).toBe(true);
    const after = (await page.evaluate(() => window.spark!.getState())).text;
    expect(after).toBe(doc.replace(original, proposal.output));
    // One undo step restores the original.
    await page.getByTestId('editor').click({ position: { x: 300, y: 300 } });
    await page.keyboard.press('Control+z');
    expect((await page.evaluate(() => window.spark!.getState())).text).toBe(doc);
  });

  test('an Edit collapses the selection while its proposal shows, and Esc gives it back', async ({ page }) => {
    await openWithEngine(page);
    const doc = 'def area(w, h):\n    result = w * h\n    return result\n\nprint(area(2, 3))\n';
    await setDocument(page, doc, 'python');
    const selection = { anchorLine: 2, anchorColumn: 1, activeLine: 3, activeColumn: 18 };
    await page.evaluate((s) => window.spark!.setSelections([s]), selection);
    await page.evaluate(() => window.spark!.edit());
    expect((await page.evaluate(() => window.spark!.getState())).selections).toEqual([{ anchorLine: 2, anchorColumn: 1, activeLine: 2, activeColumn: 1 }]);
    await page.evaluate(() => window.spark!.rejectEdit());
    const after = await page.evaluate(() => window.spark!.getState());
    expect(after.selections).toEqual([selection]);
    expect(after.text).toBe(doc);
  });

  test('Edit on correct code: the never-worse guard keeps it unless the model scores its rewrite at least as likely, and says so', async ({ page }) => {
    await openWithEngine(page, { guards: true });
    // The case: a correct Python function that Edit used to replace with unrelated text.
    const doc = 'def merge(a, b):\n    out = dict(a)\n    for key, value in b.items():\n        out[key] = value\n    return out\n\n\nprint(merge({1: 2}, {3: 4}))\n';
    await setDocument(page, doc, 'python');
    await page.evaluate(() => window.spark!.setSelections([{ anchorLine: 1, anchorColumn: 1, activeLine: 5, activeColumn: 15 }]));
    const proposal = await page.evaluate(() => window.spark!.edit());
    const event = await page.evaluate(() => window.spark!.lastRequest());
    expect(event?.kind).toBe('rewrite');
    if (proposal.preview === undefined) {
      // Declined: the bar says why, and the document is exactly what it was.
      await expect(page.getByTestId('rewrite-bar')).toHaveAttribute('data-state', 'declined');
      await expect(page.getByTestId('rewrite-bar')).toHaveText(/^Edit: no confident edit — .*Your code is unchanged\.$/);
      expect((await page.evaluate(() => window.spark!.getState())).text).toBe(doc);
    } else {
      // Kept: then the model itself scored it no worse than the original; it must at least be Python that finished.
      expect(proposal.preview).not.toMatch(/\b(export|interface|const|function)\b/);
    }
  });

  test('drafted and undrafted greedy outputs are identical', async ({ page }) => {
    await openWithEngine(page);
    const prompt = 'function add(a, b) {\n  return a + b;\n}\n\nfunction sub(a, b) {\n  return a - b;\n}\n\nfunction mul(a, b) {\n';
    const run = (drafts: boolean) => page.evaluate(([p, d]) => window.spark!.generate({
      prompt: { kind: 'plain', text: p as string }, maxNewTokens: 48, drafts: d as boolean, tokensPerSubmit: 8, ignoreStopTokens: true,
    }), [prompt, drafts] as const);
    const plain = await run(false);
    const drafted = await run(true);
    expect(drafted.tokens).toEqual(plain.tokens);
    expect(plain.tokens).toHaveLength(48);
    expect(drafted.stats.draftedTokens).toBeGreaterThan(0);
  });
});
