// Keystroke → ghost after a pause, measured from outside the app: a capture-phase keydown listener
// and a MutationObserver on Monaco's ghost text, both installed before the app's own code runs, so
// the figure includes everything the app does (keydown handling, Monaco's provider call, the
// worker, rendering) and nothing the app reports about itself. The typing is real keyboard input
// into real third-party files (TypeScript and Python), with the app's default settings.
import { readFileSync } from 'node:fs';
import type { Browser, Page } from '@playwright/test';
import { nearestRank as percentile } from '../src/hud/percentiles.ts';
import type { GhostWaterfall, PromptCounts } from '../src/hud/waterfall.ts';
import type { PauseLanguage, PauseLatency } from './pause-report.ts';

/** Held-out files the model never trained on (bench/replay/heldout/). */
export const PAUSE_FILES = [
  { language: 'typescript', path: 'bench/replay/heldout/zod/src/v4/core/core.ts' },
  { language: 'python', path: 'bench/replay/heldout/python3-click/click/formatting.py' },
] as const;

/** Characters typed before each pause, and the gap between them (a quick typist). */
const TYPED_CHARS = 8;
const KEY_GAP_MS = 90;
/** A pause with no ghost after this long counts as "no ghost". */
const GHOST_WAIT_MS = 2000;

/**
 * Installed before any page script: when each key was pressed (the event's own timestamp, so input
 * delay counts) and when the page got to it, and when a ghost's text appeared or changed, on the
 * page's clock: in the frame that paints it. A change made in a frame's rendering step (Monaco
 * changes its view in an animation-frame callback) is painted in that frame, so it counts at once;
 * a change made elsewhere waits for the next frame. The same rule as the app's own
 * src/editor/inline/ghost-render-watch.ts (this script cannot import it: it is serialized).
 */
interface KeyTimes { pressed: number; handled: number }

function installProbe(): void {
  const probe = { keys: [] as KeyTimes[], ghosts: [] as number[] };
  (window as unknown as { __pauseProbe: typeof probe }).__pauseProbe = probe;
  addEventListener('keydown', (e) => probe.keys.push({ pressed: e.timeStamp, handled: performance.now() }), true);
  // In a rendering step from this (the first) animation-frame callback until a message that can
  // only arrive after the frame.
  let rendering = false;
  const frameDone = new MessageChannel();
  frameDone.port1.onmessage = () => { rendering = false; };
  const onFrame = () => { rendering = true; frameDone.port2.postMessage(0); requestAnimationFrame(onFrame); };
  requestAnimationFrame(onFrame);
  let shown = '';
  const look = () => {
    const text = [...document.querySelectorAll('.ghost-text-decoration, .ghost-text')].map((e) => e.textContent ?? '').join('');
    if (text !== '' && text !== shown) {
      if (rendering) probe.ghosts.push(performance.now());
      else requestAnimationFrame(() => probe.ghosts.push(performance.now()));
    }
    shown = text;
  };
  addEventListener('DOMContentLoaded', () => new MutationObserver(look).observe(document.body, { subtree: true, childList: true, characterData: true }));
}

/** Lines to pause in: code with something to complete, spread over the file past its header. */
export function pausePoints(text: string, count: number): { line: number; indent: number; content: string }[] {
  const lines = text.split('\n');
  const candidates = lines.map((l, i) => ({ line: i + 1, indent: l.length - l.trimStart().length, content: l.trim() }))
    .filter((c) => c.line > lines.length * 0.1 && c.content.length >= 12 && !/^(#|\/\/|\*|\/\*)/.test(c.content));
  const step = candidates.length / count;
  return Array.from({ length: Math.min(count, candidates.length) }, (_, i) => candidates[Math.floor(i * step)]!);
}

/** Keystroke → ghost for one pause, and when the ghost appeared (the page's performance.now()). */
async function pauseOnce(page: Page, point: { line: number; indent: number; content: string }): Promise<{ ms: number; at: number } | undefined> {
  await page.keyboard.press('Escape');
  await page.evaluate(([l, c]) => window.spark!.setCursor(l!, c!), [point.line, point.indent + 1]);
  await page.keyboard.press('Shift+End');
  await page.keyboard.press('Delete');
  for (const ch of point.content.slice(0, TYPED_CHARS)) {
    await page.waitForTimeout(KEY_GAP_MS);
    await page.keyboard.type(ch);
  }
  const lastKey = await page.evaluate(() => (window as unknown as { __pauseProbe: { keys: KeyTimes[] } }).__pauseProbe.keys.at(-1)!);
  // A frame drawn after the key was pressed but before the page handled it shows the previous key's
  // ghost, not this one's: the ghost counts from the first frame after the handling.
  const ghostAt = await page.waitForFunction((after) => {
    const probe = (window as unknown as { __pauseProbe: { ghosts: number[] } }).__pauseProbe;
    return probe.ghosts.find((t) => t > after) ?? false;
  }, lastKey.handled, { timeout: GHOST_WAIT_MS, polling: 'raf' }).then((h) => h.jsonValue() as Promise<number>, () => undefined);
  return ghostAt === undefined ? undefined : { ms: ghostAt - lastKey.pressed, at: ghostAt };
}

/** Waterfalls whose ghost reached the screen within this of the outside probe's frame are the same ghost. */
const SAME_FRAME_MS = 8;

export interface PauseOptions {
  /**
   * The HUD measures too (window.spark.startMeasuring()), and each ghost's waterfall total is set
   * beside the outside figure. Off by default: measuring turns the engine's profiling on.
   */
  waterfall?: boolean;
  /** settings.gateThreshold for the run; the app's default when absent. */
  gateThreshold?: number;
}

export async function measurePauseLatency(browser: Browser, appUrl: string, pausesPerFile: number, root = '.', options: PauseOptions = {}): Promise<PauseLatency> {
  const { waterfall = false, gateThreshold } = options;
  const page = await browser.newPage();
  try {
    await page.addInitScript(installProbe);
    await page.goto(appUrl);
    await page.waitForFunction(() => window.spark !== undefined, undefined, { timeout: 120_000 });
    await page.evaluate(() => window.spark!.ready);
    if (gateThreshold !== undefined) await page.evaluate((g) => window.spark!.setSettings({ gateThreshold: g }), gateThreshold);
    const ready = await page.evaluate(() => window.spark!.engineReady());
    if (waterfall) await page.evaluate(() => window.spark!.startMeasuring());
    const timeOrigin = await page.evaluate(() => performance.timeOrigin);
    let unpaired = 0;
    let slowest: NonNullable<PauseLatency['waterfall']>['slowest'];
    const languages: PauseLanguage[] = [];
    const pairs: [number, number][] = [];
    const stageMs: Record<string, number[]> = {};
    const prompts: PromptCounts[] = [];
    for (const file of PAUSE_FILES) {
      const text = readFileSync(`${root}/${file.path}`, 'utf8');
      await page.evaluate(([t, l]) => window.spark!.setDocument(t!, l), [text, file.language] as const);
      await page.locator('.monaco-editor textarea').first().focus();
      const latenciesMs: number[] = [];
      const points = pausePoints(text, pausesPerFile);
      for (const point of points) {
        const ghost = await pauseOnce(page, point);
        if (ghost !== undefined) latenciesMs.push(ghost.ms);
        if (ghost !== undefined && waterfall) {
          // The HUD's waterfall for the same ghost: the one that ended in the frame the probe saw.
          // (Not one drawn just before the last key: under load such a frame can be within a few ms.)
          // Searched by time, not by position: the HUD keeps only its latest waterfalls, so once that
          // list is full its length no longer tells which ones are new.
          const at = timeOrigin + ghost.at;
          const key = at - ghost.ms;
          const w = await page.waitForFunction(([t, k, tol]) => window.spark!.hudStats().waterfalls
            .find((x) => x.renderedAt >= k! && Math.abs(x.renderedAt - t!) <= tol!) ?? false,
          [at, key, SAME_FRAME_MS] as const, { timeout: 2000 })
            .then((h) => h.jsonValue() as Promise<GhostWaterfall>, () => undefined);
          if (w) {
            pairs.push([ghost.ms, w.totalMs]);
            for (const s of w.stages) (stageMs[s.name] ??= []).push(s.ms);
            if (w.prompt) prompts.push(w.prompt);
            if (!slowest || ghost.ms > slowest.outsideMs) slowest = { outsideMs: ghost.ms, stages: w.stages, ...(w.prompt ? { prompt: w.prompt } : {}) };
          } else unpaired++;
        }
      }
      languages.push({ language: file.language, file: file.path, pauses: points.length, ghosts: latenciesMs.length, latenciesMs });
    }
    const all = languages.flatMap((l) => l.latenciesMs);
    const pauses = languages.reduce((n, l) => n + l.pauses, 0);
    return {
      path: ready.path?.reason ?? `${ready.backend} (${ready.description})`,
      ...(gateThreshold !== undefined ? { gateThreshold } : {}),
      languages, p50: percentile(all, 50), p95: percentile(all, 95), ghostShare: pauses > 0 ? all.length / pauses : 0,
      typedChars: TYPED_CHARS, keyGapMs: KEY_GAP_MS,
      ...(waterfall ? {
        waterfall: {
          pairs, unpaired, worstShare: Math.max(0, ...pairs.map(([o, h]) => Math.abs(h - o) / o)),
          stages: Object.fromEntries(Object.entries(stageMs).map(([name, v]) => [name, percentile(v, 50)!])),
          ...(prompts.length > 0 ? {
            prompts: {
              ghosts: prompts.length,
              promptTokensP50: percentile(prompts.map((p) => p.promptTokens), 50)!,
              prefilledP50: percentile(prompts.map((p) => p.prefilledTokens), 50)!,
              prefilledMax: Math.max(...prompts.map((p) => p.prefilledTokens)),
            },
          } : {}),
          ...(slowest ? { slowest } : {}),
        },
      } : {}),
    };
  } finally {
    await page.close().catch(() => undefined);
  }
}
