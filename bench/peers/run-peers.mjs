#!/usr/bin/env node
// Launcher for run-peers.ts: Node 20 cannot run TypeScript itself and the repo has no TS runner,
// so load the module through Vite's module runner (the same transform the app and tests use).
import { runnerImport } from 'vite';

const { module } = await runnerImport(new URL('./run-peers.ts', import.meta.url).pathname, {
  configFile: false,
  logLevel: 'error',
});
await module.main(process.argv.slice(2));
