// End-to-end tests: the production build served by `vite preview` on 127.0.0.1 (a secure
// context, so WebGPU is exposed), driven in real headless Chromium.
import { defineConfig } from '@playwright/test';
import { launchOptions } from './scripts/browser.ts';
import { E2E_BUILD_ENV } from './e2e/model-hosts.ts';
import { SEED_STATE } from './e2e/seed-state.ts';

const PORT = 4173;

export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  timeout: 120_000,
  expect: { timeout: 30_000 },
  fullyParallel: false,
  workers: 1, // two shared cores: SwiftShader already uses both
  retries: 0,
  reporter: process.env['CI'] ? [['list'], ['json', { outputFile: 'test-results/e2e.json' }]] : 'list',
  // One load measures the engine's paths and tunes its plan; every test context starts with those
  // records (e2e/global-setup.ts).
  globalSetup: './e2e/global-setup.ts',
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    storageState: SEED_STATE,
    launchOptions: launchOptions(),
    permissions: ['clipboard-read', 'clipboard-write'],
    // No screenshots in the trace: they come from a screencast, for which every frame is drawn in
    // software (SwiftShader) in the GPU process: 27 ms of CPU per frame against 0.5 without it,
    // measured on this 2-core box, where it took half a core from the page while typing. The
    // trace keeps its DOM snapshots, which is what a failure is read from.
    trace: { mode: 'retain-on-failure', screenshots: false },
  },
  webServer: {
    command: `npx vite build --logLevel warn && npx vite preview --host 127.0.0.1 --port ${PORT} --strictPort`,
    url: `http://127.0.0.1:${PORT}`,
    // The build may contact the fixture hub e2e/model-source.spec.ts starts, and resolves repo ids there.
    env: E2E_BUILD_ENV,
    timeout: 300_000,
    reuseExistingServer: !process.env['CI'],
  },
});
