#!/usr/bin/env node
// `npm run demo [-- [--out <dir>] [--no-video]]`: a scripted coding session in headless Chromium
// with the real engine and the default model. It builds the app, serves it on 127.0.0.1, types code
// at human speed, waits for suggestions and accepts some, uses Edit once, and opens the share link
// of what it typed in a second page. Writes a video of the session (see screencast.mjs),
// screenshots and a latency report (JSON + markdown) to the output folder, whose path it prints on
// the last line.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium } from '@playwright/test';
import { ensureBrowser } from '../../scripts/ensure-browser.mjs';
import { openRecordedPage } from './screencast.mjs';

// Not 4190: that is ManageSieve's, on the fetch spec's list of blocked ports (Node and Chromium refuse it).
const PORT = 4195;
const BASE = `http://127.0.0.1:${PORT}/`;
/** Human typing: ~12 characters a second, the pace the latency budget is judged at. */
const KEY_DELAY_MS = 80;
const argv = process.argv.slice(2);
const outArg = argv.indexOf('--out');
const RECORD = !argv.includes('--no-video');
const OUT = resolve(outArg >= 0 && argv[outArg + 1] ? argv[outArg + 1] : `out/demo-${new Date().toISOString().replace(/[:.]/g, '-')}`);
const ARGS = ['--enable-unsafe-webgpu', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** The session: lines typed one key at a time; after each, accept the suggestion if one shows. */
const SCRIPT = [
  'def fibonacci(n):',
  '    if n < 2:',
  '        return n',
  '    return fibonacci(n - 1) + fibonacci(n - 2)',
  '',
  'def factorial(n):',
  '    result = 1',
  '    for i in range(2, n + 1):',
  '        result = result * i',
  '    return result',
];

const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] : undefined; };

async function main() {
  mkdirSync(OUT, { recursive: true });
  const executablePath = ensureBrowser();
  console.error('[demo] building the app');
  if (spawnSync('npx', ['vite', 'build', '--logLevel', 'warn'], { stdio: 'inherit' }).status !== 0) throw new Error('vite build failed');
  const server = spawn('npx', ['vite', 'preview', '--host', '127.0.0.1', '--port', String(PORT), '--strictPort'], { stdio: 'ignore', detached: true });
  try {
    await waitForServer();
    const browser = await chromium.launch({ executablePath, args: ARGS });
    // Recorded with the CDP screencast + ffmpeg (or Playwright's recorder); without either the
    // session still runs and the report says why there is no video. The recorder costs CPU (JPEG
    // frames in the browser, the encoder beside it): --no-video measures latency without it.
    const contextOptions = { viewport: { width: 1280, height: 720 }, permissions: ['clipboard-read', 'clipboard-write'] };
    const recording = await openRecordedPage(browser, contextOptions, { dir: OUT, name: 'session', record: RECORD });
    const { context, page } = recording;
    await page.goto(BASE);
    await page.waitForFunction(() => window.spark !== undefined);
    await page.evaluate(() => window.spark.ready);
    const engine = await page.evaluate(() => window.spark.engineReady());
    console.error(`[demo] engine: ${engine.backend} — ${engine.description}`);
    // Open the HUD first: clicking it takes the focus, and setCursor gives it back to the editor.
    await page.getByTestId('hud-toggle').click();
    await page.evaluate(() => { window.spark.startMeasuring(); window.spark.setDocument('', 'python'); window.spark.setCursor(1, 1); });

    // Type each line a key at a time, as a person would; whenever the ghost text is exactly what
    // the line continues with, accept it with Tab and skip those keys.
    let accepted = 0, acceptedChars = 0;
    const ghostText = async () => (await page.locator('.ghost-text-decoration, .ghost-text').allTextContents()).join('').replace(/\u00a0/g, ' ');
    for (const line of SCRIPT) {
      let i = 0;
      while (i < line.length) {
        await page.keyboard.type(line[i]);
        i++;
        await page.waitForTimeout(KEY_DELAY_MS);
        const ghost = await ghostText();
        if (ghost.trim() !== '' && !ghost.includes('\n') && line.slice(i).startsWith(ghost)) {
          // The ghost may grow between reading it and Tab (tokens still stream), so check what
          // Tab really inserted (the cursor is always at the end of the document here) and take
          // it back if it goes beyond the script.
          const before = (await page.evaluate(() => window.spark.getState())).text;
          await page.keyboard.press('Tab');
          const after = (await page.evaluate(() => window.spark.getState())).text;
          const inserted = after.startsWith(before) ? after.slice(before.length) : undefined;
          if (inserted !== undefined && inserted !== '' && line.slice(i).startsWith(inserted)) {
            i += inserted.length;
            accepted++;
            acceptedChars += inserted.length;
          } else if (after !== before) {
            await page.evaluate((text) => {
              window.spark.setDocument(text);
              const lines = text.split('\n');
              window.spark.setCursor(lines.length, lines.at(-1).length + 1);
            }, before);
          }
        }
      }
      await page.keyboard.press('End');
      await page.keyboard.press('Enter');
      // Monaco auto-indents after Enter; the script supplies its own indentation. (Delete, not
      // Backspace: on a line with no indentation there is no selection, and Backspace would join lines.)
      await page.keyboard.press('Shift+Home');
      await page.keyboard.press('Delete');
    }
    await page.screenshot({ path: join(OUT, '01-typed.png') });

    // Edit once: rewrite the factorial body.
    await page.evaluate(() => window.spark.setSelections([{ anchorLine: 7, anchorColumn: 1, activeLine: 10, activeColumn: 18 }]));
    const edit = await page.evaluate(() => window.spark.edit());
    await page.screenshot({ path: join(OUT, '02-edit-proposed.png') });
    await page.evaluate(() => window.spark.rejectEdit());

    const share = await page.evaluate(() => window.spark.share());
    const stats = await page.evaluate(() => window.spark.hudStats());
    const events = await page.evaluate(() => window.spark.completionEvents());
    const typed = (await page.evaluate(() => window.spark.getState())).text;
    await page.screenshot({ path: join(OUT, '03-hud.png') });

    // The share link in a second page (a fresh context: nothing saved there).
    const second = await browser.newContext();
    const page2 = await second.newPage();
    await page2.goto(share.ok ? share.url : BASE);
    await page2.waitForFunction(() => window.spark !== undefined);
    await page2.evaluate(() => window.spark.ready);
    const reopened = (await page2.evaluate(() => window.spark.getState())).text;
    await page2.screenshot({ path: join(OUT, '04-share-link-opened.png') });
    await second.close();
    const video = await recording.stop(); // before closing the context: ffmpeg finishes the file
    console.error(video.error ? `[demo] no video: ${video.error}` : `[demo] video: ${video.file} (${video.probe ? `${video.probe.durationS.toFixed(1)} s, ${video.probe.frames} frames` : `${video.frames} frames`})`);
    await context.close();
    await browser.close();

    const ghostMs = events.filter((e) => e.type === 'first-ghost').map((e) => e.keystrokeToGhostMs);
    const report = {
      engine, video, accepted, acceptedChars, typedCharacters: SCRIPT.join('\n').length,
      keystrokeToFirstGhostMs: { count: ghostMs.length, p50: pct(ghostMs, 50), p95: pct(ghostMs, 95), p99: pct(ghostMs, 99) },
      requests: events.filter((e) => e.type === 'request').length,
      cancelled: events.filter((e) => e.type === 'cancelled').length,
      typedThrough: events.filter((e) => e.type === 'typed-through').length,
      hud: stats,
      edit: { outputChars: edit.output.length },
      shareLink: share.ok ? { length: share.url.length, reopenedIdentical: reopened === typed } : { error: share.message },
    };
    writeFileSync(join(OUT, 'latency.json'), JSON.stringify(report, null, 2) + '\n');
    const f = (v) => (v === undefined ? '–' : v.toFixed(1));
    writeFileSync(join(OUT, 'latency.md'), [
      `# Spark demo — ${new Date().toISOString()}`, '',
      `Backend: ${engine.backend} (${engine.description}).`, '',
      video.error ? `No video: ${video.error}` : `Video: ${video.file} (${[video.method, video.codec, video.probe && `${video.probe.durationS.toFixed(1)} s`, video.probe && `${video.probe.frames} frames`, video.fps && `${video.fps} fps`].filter(Boolean).join(', ')}).`, '',
      '| metric | value |', '|---|---|',
      `| keystroke → first ghost p50 / p95 / p99 (ms) | ${f(report.keystrokeToFirstGhostMs.p50)} / ${f(report.keystrokeToFirstGhostMs.p95)} / ${f(report.keystrokeToFirstGhostMs.p99)} (n=${ghostMs.length}) |`,
      `| requests / cancelled / typed-through | ${report.requests} / ${report.cancelled} / ${report.typedThrough} |`,
      `| time to first token p50 (ms) | ${f(stats.ttftMs.p50)} |`,
      `| decode tok/s (last request) | ${f(stats.lastRequest?.decodeTokensPerSecond)} |`,
      `| draft acceptance | ${stats.drafts.acceptance === undefined ? '–' : (100 * stats.drafts.acceptance).toFixed(0) + '%'} |`,
      `| suggestions accepted (characters) | ${accepted} (${acceptedChars}) |`,
      `| share link reopened identical | ${report.shareLink.reopenedIdentical ?? false} |`, '',
    ].join('\n'));
    console.log(OUT);
  } finally {
    try { process.kill(-server.pid); } catch { /* already gone */ }
  }
}

async function waitForServer() {
  for (let i = 0; i < 120; i++) {
    try { if ((await fetch(BASE)).ok) return; } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`preview server did not start on ${BASE}`);
}

main().catch((err) => { console.error(`[demo] ${err?.stack ?? err}`); process.exit(1); });
