#!/usr/bin/env node
// `npm run latency -- [--url <app>] [--pauses N] [--waterfall] [--gate T]`: loads bench/run-latency.ts through Vite's module
// runner (the repo has no other TypeScript runner for Node) and runs it. See bench/run-latency.ts.
import { runnerImport } from 'vite';
import { ensureBrowser } from './ensure-browser.mjs';

// A fresh clone has no Chromium until something finds or installs one (as `npm test` does).
process.env.CHROMIUM_PATH ??= ensureBrowser();

const { module } = await runnerImport(new URL('../bench/run-latency.ts', import.meta.url).pathname, {
  configFile: false,
  logLevel: 'error',
});
try {
  await module.main(process.argv.slice(2));
} catch (err) {
  console.error(`[latency] failed: ${err instanceof Error ? err.stack ?? err.message : err}`);
  process.exit(1);
}
