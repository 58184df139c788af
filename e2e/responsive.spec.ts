// The UI thread stays responsive (issue 13): no long task while the user types with suggestions
// on, nor while an Edit streams a proposal that diverges from the original, on a 2,000-line file.
// Page load, model load and setup are excluded (the "measured window" below).
//
// Two measures of each task on the page's main thread:
// - wall clock, from a PerformanceObserver on `longtask` (what the browser calls a long task);
// - main-thread CPU time, from Chromium's own trace (`toplevel` RunTask events carry the thread's
//   CPU time as `tdur`).
// On this 2-core box the GPU is SwiftShader, whose compute takes the cores the main thread needs:
// a task of 6-18 ms CPU is stretched to 50-105 ms of wall clock (measured, quiet machine), so the
// wall-clock bound is asserted only with SPARK_LONGTASKS=strict.
//
// Even the CPU clock is not the work alone on this box, a virtual machine (Firecracker, no steal
// time reported): the guest's thread clock runs on while the host or the other vCPU takes the
// core's time. A fixed loop that took 97-102 ms of thread CPU while the page was idle took 103-284
// ms (median 112) while the engine generated and the user typed, on the same thread, in the same
// run. So each window runs a probe, a small fixed loop every 100 ms on the main thread, and divides
// each task's CPU time by how much slower the probe ran near it (its dilation) than before the
// window's typing began: that ratio is the task's work.
//
// The test asserts the house rule, no task of LONG_TASK_MS of work, and reports every task of that
// much CPU with its dilation, phase and what posted it. Measured here beside a core-burning loop,
// the heaviest task of a window was 20-33 ms of CPU (10 windows). What used to cross it: a 175-line
// inserted block drawn whole, and a streaming preview whose wall-clock diff caps flipped it between
// 68 edits and one, made Edit frames of 78-135 ms.
// Dilation comes in bursts, so the window (typing, then an Edit, the same each time) is measured
// up to WINDOWS times and one window within the bound passes; a real regression (per keystroke or
// per streamed update) shows in every window: it has a hundred keystrokes and dozens of updates.
// Playwright's own trace is off here: its DOM snapshot of each action would run on the main
// thread inside the window.

import type { Browser, Page } from '@playwright/test';
import { expect, openWithEngine, setDocument, test } from './fixtures.ts';
import { mainThreadTasks, markTime, markTimes, taskAt, traceEvents, type TracedTask } from './trace.ts';

interface TaskEntry { start: number; duration: number }

declare global {
  interface Window { __sparkLongTasks?: TaskEntry[]; __sparkProbe?: { timer: number; runs: number; sink: number } }
}

/** 2,000 lines of plausible TypeScript (functions of 5 lines, a blank line between them). */
function bigFile(lines: number): string {
  const out: string[] = [];
  for (let i = 0; out.length < lines; i++) {
    out.push(`export function scale${i}(values: number[], factor: number): number[] {`,
      `  const out: number[] = [];`,
      `  for (const v of values) out.push(v * factor + ${i});`,
      `  return out;`,
      `}`,
      '');
  }
  return out.slice(0, lines).join('\n');
}

const FILE = bigFile(2000);

const longTasksSince = (page: Page, since: number) =>
  page.evaluate((t) => (window.__sparkLongTasks ?? []).filter((e) => e.start >= t), since);

test.use({ trace: 'off' }); // see the header

test.describe('responsive UI', () => {
  test.slow();

  test('no long task on the UI thread while typing or while an Edit streams, on a 2,000-line file', async ({ page, browser }) => {
    await page.addInitScript(() => {
      const tasks: { start: number; duration: number }[] = [];
      window.__sparkLongTasks = tasks;
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) tasks.push({ start: e.startTime, duration: e.duration });
      }).observe({ type: 'longtask', buffered: true });
    });
    await openWithEngine(page); // page load + model load: excluded from the measured window
    const loadPhase = await page.evaluate(() => window.__sparkLongTasks!.length);
    const failed: string[] = [];
    for (let n = 1; n <= WINDOWS; n++) {
      const measured = await measureWindow(page, browser, n);
      console.log(`window ${n}: ${measured.summary} (long tasks in load and setup: ${loadPhase}, excluded)`);
      if (measured.long.length === 0) {
        if (process.env['SPARK_LONGTASKS'] === 'strict') {
          expect(measured.wallClock, `long tasks (ms, wall clock) in the measured window`).toEqual([]);
        }
        return;
      }
      failed.push(`window ${n}: ${JSON.stringify(measured.long)}`);
    }
    expect(failed, `main-thread tasks of ${LONG_TASK_MS} ms of work or more (CPU / dilation), in each of ${WINDOWS} windows`).toEqual([]);
  });
});

/** Windows measured at most; the first one within the bound passes (see the header). */
const WINDOWS = 3;
/** The house rule: no main-thread task of this much work (CPU / dilation); a task of this much CPU is reported. */
const LONG_TASK_MS = 50;

/**
 * One measured window, each the same but for one name typed: a few lines typed in the middle of
 * the file (suggestions on), then an Edit of 60 lines that the model rewrites its own way. Returns the tasks of LONG_TASK_MS of
 * work or more (CPU / dilation), and every task over the target with its dilation and phase.
 */
async function measureWindow(page: Page, browser: Browser, n: number) {
  // Setup, excluded: the file (Monaco renders and tokenizes the new viewport, the TS worker
  // receives the file) and the cursor in its middle. The window opens once no long task has
  // started for a second and a half (polled, not slept).
  await setDocument(page, FILE, 'typescript');
  expect((await page.evaluate(() => window.spark!.getState())).text.split('\n')).toHaveLength(2000);
  await page.evaluate(() => window.spark!.setCursor(1000, 1));
  await waitUntilQuiet(page);
  const windowStart = await page.evaluate(() => performance.now());
  await browser.startTracing(page, { categories: ['toplevel', 'blink.user_timing'] });
  await startProbe(page);
  await expect.poll(() => page.evaluate(() => window.__sparkProbe!.runs)).toBeGreaterThanOrEqual(BASELINE_PROBES);

  // Every keystroke reads the document and asks the engine; wait until a ghost was shown for what was typed.
  const typingStart = await page.evaluate(() => performance.mark('spark-test-typing').startTime);
  await page.keyboard.press('Enter');
  await page.keyboard.press('ArrowUp');
  // The function's name differs per window: Esc at the end of a window dismisses the ghost for that context.
  await page.keyboard.type(`export function total${n}(values: number[]): number {\n  let sum = 0;\n  for (const v of values) sum += `, { delay: 40 });
  await expect.poll(() => ghostShownSince(page, typingStart), { timeout: 90_000 }).toBe(true);
  const typing = await longTasksSince(page, windowStart);

  // An Edit on a large selection (60 lines, ~2,400 characters: the diverging 2k window).
  await page.keyboard.press('Escape');
  const editStart = await page.evaluate(() => performance.mark('spark-test-edit').startTime);
  await page.evaluate(() => window.spark!.setSelections([{ anchorLine: 1200, anchorColumn: 1, activeLine: 1260, activeColumn: 1 }]));
  const proposal = await page.evaluate(() => window.spark!.edit());
  const selected = (await page.evaluate(() => window.spark!.getState())).text.split('\n').slice(1199, 1260).join('\n');
  expect(proposal.output, 'the model must diverge from the original for this test to mean anything').not.toBe(selected);
  expect(proposal.preview).toBe(proposal.output);
  // The output has more lines than the selection: inserted lines show as a block between the lines.
  await expect.poll(() => page.locator('.spark-edit-inserted-block').count()).toBeGreaterThan(0);
  const editing = await longTasksSince(page, editStart);
  const editMs = await page.evaluate((t) => performance.now() - t, editStart);

  await page.evaluate(() => clearInterval(window.__sparkProbe!.timer));
  const trace = traceEvents(await browser.stopTracing());
  await page.keyboard.press('Escape'); // reject the proposal
  await expect(page.locator('.spark-edit-inserted-block')).toHaveCount(0);
  const tasks = mainThreadTasks(trace);
  expect(tasks.length, 'the trace must hold the main thread\'s tasks for this test to mean anything').toBeGreaterThan(100);
  const editAt = markTime(trace, 'spark-test-edit');
  const ms = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(', ');
  const byCpu = [...tasks].sort((a, b) => b.cpuMs - a.cpuMs);
  const traced = Math.min(...tasks.map((t) => t.ts));
  const dilation = probeDilation(tasks, markTimes(trace, PROBE_MARK), markTime(trace, 'spark-test-typing'));
  // Each with the probe's dilation near it, its work (CPU / dilation), its phase and when in it (ms since the window's or the Edit's start).
  const heavy = byCpu.filter((t) => t.cpuMs >= LONG_TASK_MS).map((t) => {
    const near = dilation.at(t.ts);
    return { ...t, dilation: near, workMs: t.cpuMs / near,
      ...(t.ts < editAt ? { phase: 'typing', atMs: (t.ts - traced) / 1000 } : { phase: 'edit', atMs: (t.ts - editAt) / 1000 }) };
  });
  const long = heavy.filter((t) => t.workMs >= LONG_TASK_MS);
  return {
    long,
    wallClock: await longTasksSince(page, windowStart),
    summary: `long tasks (wall clock) typing ${JSON.stringify(typing)}, edit ${JSON.stringify(editing)}; `
      + `edit output ${proposal.output.length} chars vs ${selected.length} selected, shown after ${editMs.toFixed(0)} ms; main-thread tasks traced: ${tasks.length}, `
      + `most CPU ${ms(byCpu.slice(0, 5).map((t) => t.cpuMs))} ms (wall ${ms(byCpu.slice(0, 5).map((t) => t.wallMs))} ms)`
      + `; probe ${dilation.baselineMs.toFixed(2)} ms of CPU before typing, dilation p50 ${dilation.p50.toFixed(2)} max ${dilation.max.toFixed(2)}`
      + (heavy.length > 0 ? `; ${LONG_TASK_MS} ms of CPU or more: ${JSON.stringify(heavy)}` : ''),
  };
}

/** Whether a ghost was shown since `since` (the page's clock; the event log keeps the last 1,000 events only). */
const ghostShownSince = (page: Page, since: number) =>
  page.evaluate((t) => window.spark!.completionEvents().some((e) => e.type === 'first-ghost' && e.at >= t), since);

const PROBE_MARK = 'spark-test-probe';
/** Probe runs before typing starts: the probe's undilated CPU time is their median. */
const BASELINE_PROBES = 12;
/** Probes this close to a task (ms, either side) give its dilation. */
const NEAR_MS = 300;

/** Every 100 ms, a fixed loop on the main thread (~2 ms on an idle box), marked so the trace finds its task. */
async function startProbe(page: Page): Promise<void> {
  await page.evaluate((mark) => {
    const probe = { timer: 0, runs: 0, sink: 0 };
    probe.timer = window.setInterval(() => {
      performance.mark(mark);
      let x = probe.runs + 1;
      for (let i = 0; i < 80_000; i++) x = (x * 1103515245 + 12345) % 2147483648;
      probe.sink = x;
      probe.runs++;
    }, 100);
    window.__sparkProbe = probe;
  }, PROBE_MARK);
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

/**
 * How much slower than its baseline (the median of its runs before `typingAt`) the probe ran near
 * a time: the median ratio of the probe runs within NEAR_MS of it, never below 1.
 */
function probeDilation(tasks: readonly TracedTask[], probeMarks: readonly number[], typingAt: number) {
  const runs = probeMarks.map((at) => taskAt(tasks, at)).filter((t): t is TracedTask => t !== undefined);
  const baselineMs = median(runs.filter((t) => t.ts < typingAt).map((t) => t.cpuMs));
  if (!(baselineMs > 0)) throw new Error('the probe ran no baseline: its marks found no task in the trace');
  const ratios = runs.filter((t) => t.ts >= typingAt).map((t) => ({ ts: t.ts, ratio: Math.max(1, t.cpuMs / baselineMs) }));
  const all = ratios.map((r) => r.ratio);
  return {
    baselineMs,
    p50: median(all),
    max: Math.max(1, ...all),
    at(ts: number): number {
      const near = ratios.filter((r) => Math.abs(r.ts - ts) <= NEAR_MS * 1000).map((r) => r.ratio);
      return near.length > 0 ? median(near) : 1;
    },
  };
}

/** Resolves once no long task has started for a second and a half and none was added since the last look. */
async function waitUntilQuiet(page: Page): Promise<void> {
  let seen = -1;
  await expect.poll(async () => {
    const { quiet, count } = await page.evaluate(() => {
      const last = window.__sparkLongTasks!.at(-1);
      return { quiet: !last || performance.now() - (last.start + last.duration) > 1_500, count: window.__sparkLongTasks!.length };
    });
    const stable = quiet && count === seen;
    seen = count;
    return stable;
  }, { timeout: 60_000, intervals: [500] }).toBe(true);
}
