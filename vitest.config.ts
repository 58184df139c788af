// Three test projects (and a bench one):
//  - unit: plain Node, for everything that does not need a GPU (share links, settings, the wafer
//    plan, the CPU reference, post-processing). Fast, run on every change.
//  - gpu:  the same Vitest API, but each file runs inside real headless Chromium with WebGPU
//    (SwiftShader here), served from 127.0.0.1 so navigator.gpu exists. Every WGSL kernel is
//    checked here against its CPU reference.
//  - f16:  the GPU files whose kernels need shader-f16, again in Node on Dawn with Mesa's lavapipe.
// Vitest over Jest/node:test because it reuses vite.config (the ?raw WGSL imports, workers)
// and has a browser mode, so kernel tests are ordinary test files, not page scripts.
import { defineConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
import { launchOptions } from './scripts/browser.ts';

/** The GPU test files that also run on lavapipe (they run in Chromium too, in the gpu project). */
const F16_PROJECT = ['src/engine/backends/gpu/kernels/matmul-f16/matmul-f16.gpu.test.ts', 'src/engine/backends/gpu/gpu-backend-f16.gpu.test.ts'];

/** Real headless Chromium (WebGPU on SwiftShader here), on loopback. */
const chromium = () => ({
  enabled: true,
  headless: true,
  provider: playwright({ launchOptions: launchOptions() }),
  instances: [{ browser: 'chromium' as const }],
  api: { host: '127.0.0.1' },
});

export default defineConfig({
  server: { host: '127.0.0.1' },
  test: {
    projects: [
      {
        extends: './vite.config.ts',
        test: {
          name: 'unit',
          environment: 'node',
          // The CPU reference's tests run real forward passes: a few seconds each on a quiet core,
          // and several times that on a loaded 2-core machine, which the 5 s default did not allow.
          testTimeout: 30_000,
          include: ['src/**/*.test.ts', 'bench/**/*.test.ts', 'scripts/**/*.test.ts'],
          exclude: ['src/**/*.gpu.test.ts'],
        },
      },
      {
        extends: './vite.config.ts',
        test: {
          name: 'gpu',
          include: ['src/**/*.gpu.test.ts'],
          testTimeout: 120_000,
          browser: chromium(),
        },
      },
      {
        // The GPU tests that need what SwiftShader lacks (shader-f16), in Node on Dawn with Mesa's
        // lavapipe: `npm test` runs it with scripts/ensure-lavapipe.mjs's environment.
        extends: './vite.config.ts',
        test: {
          name: 'f16',
          environment: 'node',
          include: F16_PROJECT,
          setupFiles: ['src/testing/dawn-node-setup.ts'],
          testTimeout: 120_000,
        },
      },
      {
        // Measurements, not checks: only run by name (scripts/test.mjs names unit and gpu).
        extends: './vite.config.ts',
        test: {
          name: 'cache-bench',
          include: ['bench/**/*.browser-bench.ts'],
          testTimeout: 600_000,
          browser: chromium(),
        },
      },
    ],
  },
});
