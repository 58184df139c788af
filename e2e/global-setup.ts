// Every e2e test starts in a fresh browser context, so without this each page load would time the
// engine's paths and autotune the matrices again (8–10 s of two shared cores, behind every test).
// Once per run, one load measures them and its IndexedDB records of those two caches (nothing
// else: not the workspace) become every test context's starting storage. engine-path.spec.ts opts
// out, so the measuring at load stays tested.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { chromium, type FullConfig } from '@playwright/test';
import { launchOptions } from '../scripts/browser.ts';
import { ENGINE_CACHE_KEY_PREFIXES, SEED_STATE } from './seed-state.ts';

type StoredOrigin = { origin: string; localStorage: { name: string; value: string }[] };
type StoredDatabase = { name: string; version: number; stores: { name: string; records: { key?: unknown }[] }[] };

export default async function globalSetup(config: FullConfig): Promise<void> {
  const baseURL = config.projects[0]?.use.baseURL;
  if (!baseURL) throw new Error('e2e global setup: no baseURL');
  const browser = await chromium.launch(launchOptions());
  try {
    const context = await browser.newContext({ baseURL });
    const page = await context.newPage();
    await page.goto('/');
    await page.waitForFunction(() => window.spark !== undefined, undefined, { timeout: 120_000 });
    await page.evaluate(() => window.spark!.ready);
    const ready = await page.evaluate(() => window.spark!.engineReady());
    if (!ready.path) throw new Error(`e2e global setup: the engine chose no path (${ready.backend})`);
    // storageState's type leaves out the IndexedDB it returns with indexedDB: true.
    const state = await context.storageState({ indexedDB: true }) as { origins: (StoredOrigin & { indexedDB?: StoredDatabase[] })[] };
    const origins = state.origins.map((o) => ({
      ...o,
      localStorage: [],
      indexedDB: (o.indexedDB ?? []).map((db) => ({
        ...db,
        stores: db.stores.map((s) => ({ ...s, records: s.records.filter((r) => typeof r.key === 'string' && ENGINE_CACHE_KEY_PREFIXES.some((p) => (r.key as string).startsWith(p))) })),
      })),
    }));
    const kept = origins.flatMap((o) => o.indexedDB).flatMap((db) => db.stores).flatMap((s) => s.records).length;
    if (kept === 0) throw new Error('e2e global setup: the load stored no tuned plan or path choice');
    mkdirSync(dirname(SEED_STATE), { recursive: true });
    writeFileSync(SEED_STATE, JSON.stringify({ cookies: [], origins }));
    await context.close();
  } finally {
    await browser.close();
  }
}
