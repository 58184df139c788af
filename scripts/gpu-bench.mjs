#!/usr/bin/env node
// `npm run bench:gpu [-- --allow-software]`: the bench on a machine with a real GPU (an NVIDIA card
// on Linux, no display): headless Chromium with WebGPU on Vulkan, the quick bench (our engine, the
// roofline, the sensitivity grid, both editor probes, one peer), at most 8 minutes, written to
// bench/results/<adapter>/. It fails, and writes nothing there, when Chromium gives it a software
// adapter (SwiftShader) instead: that would be this machine's numbers under a GPU's name.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LIMIT_S = 8 * 60;
// Chromium's WebGPU on Vulkan without a display (Dawn picks the NVIDIA ICD).
const GPU_FLAGS = '--enable-features=Vulkan,VulkanFromANGLE --use-angle=vulkan --use-vulkan=native --disable-vulkan-surface --ignore-gpu-blocklist --enable-gpu';

const allowSoftware = process.argv.includes('--allow-software');
const out = mkdtempSync(join(tmpdir(), 'spark-gpu-bench-'));
const started = Date.now();
const run = spawnSync('node', ['scripts/bench.mjs', '--quick', '--no-replay', '--out', out], {
  stdio: 'inherit', timeout: LIMIT_S * 1000, killSignal: 'SIGTERM',
  env: { ...process.env, SPARK_CHROMIUM_ARGS: `${process.env.SPARK_CHROMIUM_ARGS ?? ''} ${GPU_FLAGS}`.trim() },
});
const seconds = Math.round((Date.now() - started) / 1000);
if (run.error || run.status !== 0) {
  console.error(`[gpu-bench] the bench did not finish (${run.error ? run.error.message : `exit ${run.status}`}) after ${seconds} s (limit ${LIMIT_S} s)`);
  process.exit(1);
}
const report = JSON.parse(readFileSync(join(out, 'bench.json'), 'utf8'));
const adapter = String(report.adapter ?? 'unknown');
if (/swiftshader|llvmpipe|software/i.test(adapter) && !allowSoftware) {
  console.error(`[gpu-bench] Chromium gave a software adapter (${adapter}), not a GPU: nothing written. Check the Vulkan driver (vulkaninfo), or pass --allow-software to keep it anyway.`);
  process.exit(1);
}
const slug = adapter.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'unknown';
const dest = join('bench', 'results', slug);
rmSync(dest, { recursive: true, force: true });
cpSync(out, dest, { recursive: true });
console.log(`[gpu-bench] ${adapter}: ${seconds} s; results in ${dest}/ (bench.json, bench.md, bench.svg)`);
