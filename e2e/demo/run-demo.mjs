#!/usr/bin/env node
// `npm run demo [-- options]` (README "Demo"; `--help` lists the options): a coding session in
// headless Chromium with the real engine and the default model. It builds the app, serves it on
// 127.0.0.1, types a script a key at a time as a person does (e2e/demo/typist.mjs: the editor's
// auto-closing and auto-indent stay on), accepts suggestions that are exactly what comes next, uses
// Edit once, and opens the share link of what it typed in a second page. The built-in session is
// the default; `--script <file>` types any source file instead.
//
// The document must end equal to the script, byte for byte: session.json holds both, and the demo
// exits 1 when they differ. Writes a video (screencast.mjs), screenshots and a report (JSON +
// markdown) to the output folder, whose path it prints on the last line.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';
import { ensureBrowser } from '../../scripts/ensure-browser.mjs';
import { findFfmpeg, openRecordedPage } from './screencast.mjs';
import { parseArgs, UsageError, USAGE } from './options.mjs';
import { firstDifference, Typist } from './typist.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
// Not 4190: that is ManageSieve's, on the fetch spec's list of blocked ports (Node and Chromium refuse it).
const PORT = 4195;
const ARGS = ['--enable-unsafe-webgpu', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** The built-in session (Python); the Edit step rewrites the factorial body, lines 7–10. */
const BUILT_IN = {
  language: 'python',
  text: [
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
    '',
  ].join('\n'),
  editSelection: { anchorLine: 7, anchorColumn: 1, activeLine: 10, activeColumn: 18 },
};

const log = (msg) => console.error(`[demo] ${msg}`);
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] : undefined; };

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2), { root: ROOT });
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`[demo] error: ${err.message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (opts.help) { console.log(USAGE); return; }
  const session = opts.script !== undefined
    ? { language: opts.language, text: opts.script, file: opts.scriptFile, notes: opts.scriptNotes }
    : { ...BUILT_IN, file: undefined, notes: [] };
  for (const note of session.notes) log(`--script: ${note}`);
  const OUT = opts.out;
  mkdirSync(OUT, { recursive: true });
  const executablePath = ensureBrowser();

  let server, BASE = opts.url;
  if (!BASE) {
    BASE = `http://127.0.0.1:${PORT}/`;
    log('building the app');
    if (spawnSync('npx', ['vite', 'build', '--logLevel', 'warn'], { stdio: ['ignore', 2, 2], cwd: ROOT }).status !== 0) throw new Error('vite build failed');
    server = spawn('npx', ['vite', 'preview', '--host', '127.0.0.1', '--port', String(PORT), '--strictPort'], { stdio: 'ignore', detached: true, cwd: ROOT });
  }
  let failed = false;
  try {
    await waitForServer(BASE);
    const browser = await chromium.launch({ executablePath, args: ARGS });
    // Recorded with the CDP screencast + ffmpeg (or Playwright's recorder); without either the
    // session still runs and the report says why there is no video. The recorder costs CPU (JPEG
    // frames in the browser, the encoder beside it): --no-video measures latency without it.
    const contextOptions = { viewport: { width: 1280, height: 720 }, permissions: ['clipboard-read', 'clipboard-write'] };
    const recording = await openRecordedPage(browser, contextOptions, { dir: OUT, name: 'session', record: opts.video });
    const { context, page } = recording;
    await page.goto(BASE);
    await page.waitForFunction(() => window.spark !== undefined);
    await page.evaluate(() => window.spark.ready);
    if (opts.model) {
      log(`model: ${opts.model}`);
      await page.evaluate((modelId) => window.spark.setSettings({ modelId }), opts.model);
    }
    let engine;
    try {
      engine = await page.evaluate(() => window.spark.engineReady());
    } catch (err) {
      throw new Error(`model ${opts.model ?? '(default)'} failed to load: ${String(err?.message ?? err).split('\n')[0]}`, { cause: err });
    }
    log(`engine: ${engine.backend} — ${engine.description}`);
    // Open the HUD first: clicking it takes the focus, and setCursor gives it back to the editor.
    await page.getByTestId('hud-toggle').click();
    await page.evaluate((language) => { window.spark.startMeasuring(); window.spark.setDocument('', language); window.spark.setCursor(1, 1); }, session.language);

    // The completion log keeps its newest 1000 events: collect them as the session goes.
    const events = [];
    let seenAt = -Infinity;
    const collectEvents = async () => {
      for (const e of await page.evaluate(() => window.spark.completionEvents())) {
        if (e.at > seenAt) events.push(e);
      }
      seenAt = events.length ? events[events.length - 1].at : seenAt;
    };
    const linesTotal = session.text.split('\n').length;
    log(`typing ${session.file ?? 'the built-in session'} (${session.language}, ${linesTotal} lines, ${session.text.length} characters) at ${opts.keysPerSecond} keys/s`);
    const typist = new Typist(page, session.text, {
      keysPerSecond: opts.keysPerSecond,
      debug: process.env.SPARK_DEMO_DEBUG === '1',
      log: (m) => { log(`  ${m}`); if (/^line \d+\/\d+ ok$/.test(m)) collectEvents().catch(() => {}); },
    });
    const t0 = performance.now();
    let typingError;
    try {
      await typist.run();
    } catch (err) {
      typingError = String(err?.message ?? err);
      log(`typing failed: ${typingError}`);
    }
    const typingS = (performance.now() - t0) / 1000;
    await collectEvents();
    const typed = (await page.evaluate(() => window.spark.getState())).text;
    await page.screenshot({ path: join(OUT, '01-typed.png') });

    let edit;
    if (opts.edit) {
      // Edit once (then reject it: the document stays the script). The built-in session rewrites the
      // factorial body; a script of yours, the block at its last line of code.
      const lines = typed.split('\n');
      let last = lines.length;
      while (last > 1 && lines[last - 1].trim() === '') last--;
      const selection = session.editSelection ?? { anchorLine: last, anchorColumn: lines[last - 1].length + 1, activeLine: last, activeColumn: lines[last - 1].length + 1 };
      await page.evaluate((s) => window.spark.setSelections([s]), selection);
      const t = performance.now();
      const result = await page.evaluate(() => window.spark.edit());
      edit = { outputChars: result.output.length, ms: Math.round(performance.now() - t) };
      await page.screenshot({ path: join(OUT, '02-edit-proposed.png') });
      await page.evaluate(() => window.spark.rejectEdit());
    }

    const share = await page.evaluate(() => window.spark.share());
    const stats = await page.evaluate(() => window.spark.hudStats());
    await collectEvents();
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

    // The ground truth: the document as the session ends, against the script. The last screenshot
    // and the video's last frame show it: no ghost text (it would read as code), the HUD folded
    // away so more of the code shows, from the top when it all fits.
    await page.bringToFront();
    await finalView(page);
    const finalText = (await page.evaluate(() => window.spark.getState())).text;
    await page.screenshot({ path: join(OUT, '05-final.png') });
    const video = await recording.stop(); // before closing the context: ffmpeg finishes the file
    log(video.error ? `no video: ${video.error}` : `video: ${video.file} (${video.probe ? `${video.probe.durationS.toFixed(1)} s, ${video.probe.frames} frames` : `${video.frames} frames`})`);
    if (!video.error) video.lastFrame = lastFrame(join(OUT, video.file), join(OUT, '06-video-last-frame.png'));
    await context.close();
    await browser.close();

    const difference = firstDifference(session.text, finalText);
    writeFileSync(join(OUT, 'session.json'), JSON.stringify({
      script: session.text, finalText, equal: difference === undefined,
      scriptFile: session.file ?? null, language: session.language, notes: session.notes,
      ...(difference ? { firstDifference: difference } : {}), ...(typingError ? { typingError } : {}),
    }, null, 2) + '\n');

    const t = typist.stats;
    const ghostMs = events.filter((e) => e.type === 'first-ghost').map((e) => e.keystrokeToGhostMs);
    // A suggestion is shown once per engine request (its first ghost); Monaco re-displays it on each
    // key typed through it, which the HUD counts as `timesDisplayed`.
    const shown = ghostMs.length;
    const report = {
      engine, model: opts.model ?? 'default (settings)', video,
      script: { file: session.file ?? 'built-in', language: session.language, lines: linesTotal, characters: session.text.length },
      documentMatchesScript: difference === undefined,
      typingSeconds: Number(typingS.toFixed(1)), keysPerSecond: opts.keysPerSecond,
      charactersTyped: t.charactersTyped,
      charactersFromSuggestions: t.charactersFromSuggestions,
      charactersFromEditor: t.charactersFromEditor,
      suggestions: { shown, accepted: t.suggestionsAccepted, rejected: Math.max(0, shown - t.suggestionsAccepted), acceptancesUndone: t.acceptancesUndone, timesDisplayed: stats.suggestions.shown, tabAcceptsCountedByEditor: stats.suggestions.acceptedFull },
      typist: t,
      keystrokeToFirstGhostMs: { count: ghostMs.length, p50: pct(ghostMs, 50), p95: pct(ghostMs, 95), p99: pct(ghostMs, 99) },
      requests: events.filter((e) => e.type === 'request').length,
      cancelled: events.filter((e) => e.type === 'cancelled').length,
      typedThrough: events.filter((e) => e.type === 'typed-through').length,
      hud: stats,
      edit: edit ?? 'skipped (--no-edit)',
      shareLink: share.ok ? { length: share.url.length, reopenedIdentical: reopened === finalText } : { error: share.message },
    };
    writeFileSync(join(OUT, 'latency.json'), JSON.stringify(report, null, 2) + '\n');
    const f = (v) => (v === undefined ? '–' : v.toFixed(1));
    writeFileSync(join(OUT, 'latency.md'), [
      `# Spark demo — ${new Date().toISOString()}`, '',
      `Backend: ${engine.backend} (${engine.description}).`, '',
      `Script: ${session.file ?? 'the built-in session'} (${session.language}, ${linesTotal} lines, ${session.text.length} characters), typed at ${opts.keysPerSecond} keys/s in ${typingS.toFixed(1)} s.`, '',
      difference === undefined ? 'The final document equals the script, byte for byte (session.json).'
        : `**The final document differs from the script** at line ${difference.line}, column ${difference.column} (session.json).`, '',
      video.error ? `No video: ${video.error}` : `Video: ${video.file} (${[video.method, video.codec, video.probe && `${video.probe.durationS.toFixed(1)} s`, video.probe && `${video.probe.frames} frames`, video.fps && `${video.fps} fps`].filter(Boolean).join(', ')}).`, '',
      '| metric | value |', '|---|---|',
      `| characters typed / from accepted suggestions / from the editor (auto-indent) | ${t.charactersTyped} / ${t.charactersFromSuggestions} / ${t.charactersFromEditor} |`,
      `| suggestions shown / accepted / rejected (undone after Tab) | ${shown} / ${t.suggestionsAccepted} / ${report.suggestions.rejected} (${t.acceptancesUndone}) |`,
      `| keystroke → ghost p50 / p95 / p99 (ms) | ${f(report.keystrokeToFirstGhostMs.p50)} / ${f(report.keystrokeToFirstGhostMs.p95)} / ${f(report.keystrokeToFirstGhostMs.p99)} (n=${ghostMs.length}) |`,
      `| requests / cancelled / typed-through | ${report.requests} / ${report.cancelled} / ${report.typedThrough} |`,
      `| time to first token p50 (ms) | ${f(stats.ttftMs.p50)} |`,
      `| decode tok/s (last request) | ${f(stats.lastRequest?.decodeTokensPerSecond)} |`,
      `| draft acceptance | ${stats.drafts.acceptance === undefined ? '–' : (100 * stats.drafts.acceptance).toFixed(0) + '%'} |`,
      `| share link reopened identical | ${report.shareLink.reopenedIdentical ?? false} |`, '',
    ].join('\n'));

    if (typingError) failed = true;
    if (difference) {
      failed = true;
      log(`FAILED: the final document differs from the script at line ${difference.line}, column ${difference.column}:`);
      log(`  script:   ${JSON.stringify(difference.expectedLine)}`);
      log(`  document: ${JSON.stringify(difference.actualLine)}`);
    } else {
      log(`the final document equals the script (${session.text.length} characters); typed ${t.charactersTyped}, from suggestions ${t.charactersFromSuggestions}, suggestions shown/accepted/rejected ${shown}/${t.suggestionsAccepted}/${report.suggestions.rejected}`);
    }
    console.log(OUT);
  } finally {
    if (server) try { process.kill(-server.pid); } catch { /* already gone */ }
  }
  if (failed) process.exit(1);
}

/** The editor with the finished document: HUD folded, no ghost, scrolled to show as much as fits from the top. */
async function finalView(page) {
  await page.keyboard.press('Escape'); // hides a ghost (the editor has the focus)
  if (await page.getByTestId('hud-stats').isVisible()) await page.getByTestId('hud-toggle').click();
  await page.evaluate(() => {
    const { text } = window.spark.getState();
    const lines = text.split('\n');
    window.spark.setCursor(1, 1);
    window.spark.setCursor(lines.length, lines.at(-1).length + 1);
  });
  const ghosts = page.locator('[data-testid="editor"] .ghost-text-decoration, [data-testid="editor"] .suggest-preview-text');
  // A suggestion may come for the cursor's new place: wait for it and hide it too.
  for (let i = 0; i < 3; i++) {
    try {
      await ghosts.first().waitFor({ state: 'attached', timeout: 1500 });
    } catch { break; }
    await page.keyboard.press('Escape');
    await ghosts.first().waitFor({ state: 'detached', timeout: 5000 }).catch(() => {});
  }
}

/** The video's last frame as a PNG (what a viewer sees when it ends), or the reason there is none. */
function lastFrame(videoFile, png) {
  const ff = findFfmpeg({ install: false });
  if (!ff.path) return { error: ff.error };
  const r = spawnSync(ff.path, ['-hide_banner', '-loglevel', 'error', '-y', '-sseof', '-1', '-i', videoFile, '-update', '1', '-frames:v', '1000', png], { encoding: 'utf8' });
  return r.status === 0 ? { file: png.split('/').at(-1) } : { error: `ffmpeg: ${r.stderr.trim().split('\n').at(-1)}` };
}

async function waitForServer(base) {
  for (let i = 0; i < 120; i++) {
    try { if ((await fetch(base)).ok) return; } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`no app at ${base}`);
}

main().catch((err) => { console.error(`[demo] ${err?.stack ?? err}`); process.exit(1); });
