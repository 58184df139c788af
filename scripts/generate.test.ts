// The CLI: its argument and source checking, and real runs (headless Chromium, the real engine)
// that load models from the fixture hub by repo id, as they would from huggingface.co. The runs
// are few (each starts a browser): one HF sharded-bf16 repo at a revision, one GGUF repo.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FixtureHub } from '../src/testing/fixture-hub.ts';
import { makeTestGguf } from '../src/testing/gguf-test-model.ts';
import { makeTestModelFiles } from '../src/testing/test-model.ts';

const run = (...args: string[]) => spawnSync(process.execPath, ['scripts/generate.mjs', ...args], { encoding: 'utf8', timeout: 60_000 });

describe('npm run generate: usage errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'spark-generate-'));
  writeFileSync(join(dir, 'config.json'), '{}');
  writeFileSync(join(dir, 'prompt.txt'), 'x');
  const prompt = join(dir, 'prompt.txt');

  it.each([
    [[], /--model is required/],
    [['--model', '/definitely/not/here', '--prompt', 'x', '--max-tokens', '3'], /is not a directory/],
    [['--model', tmpdir(), '--prompt', 'x', '--max-tokens', '3'], /has no config\.json/],
    [['--model', 'm.gguf', '--prompt', 'x', '--max-tokens', '3'], /model source "m\.gguf": no such file or folder, and not a hub id/],
    [['--model', '/nowhere/m.gguf', '--prompt', 'x', '--max-tokens', '3'], /--model \/nowhere\/m\.gguf: no such \.gguf file/],
    [['--model', 'https://example.com/models/tiny', '--prompt', 'x', '--max-tokens', '3'], /a URL must name a \.gguf file/],
    [['--model', 'org/name@v1:config.json', '--prompt', 'x', '--max-tokens', '3'], /the file after ":" must be a \.gguf file/],
    [['--model', 'org/name', '--hub-endpoint', 'nowhere', '--prompt', 'x', '--max-tokens', '3'], /hub endpoint "nowhere" is not a URL/],
    [['--model', dir, '--max-tokens', '3'], /exactly one of --prompt-file or --prompt/],
    [['--model', dir, '--prompt-file', prompt], /--max-tokens is required/],
    [['--model', dir, '--prompt-file', prompt, '--max-tokens', 'many'], /--max-tokens must be an integer >= 0/],
    [['--model', dir, '--prompt-file', prompt, '--max-tokens', '3', '--backend', 'tpu'], /--backend must be webgpu, cpu or auto/],
    [['--model', dir, '--prompt-file', prompt, '--max-tokens', '3', '--quantize', 'q4_k'], /--quantize must be q8_0 or q4_0, got "q4_k"/],
    [['--model', dir, '--prompt-file', prompt, '--max-tokens', '3', '--top-p', '1.5'], /--top-p must be in \(0, 1\]/],
    [['--model', dir, '--prompt-file', prompt, '--max-tokens', '3', '--greedy', '--temperature', '0.7'], /contradict/],
    [['--model', dir, '--prompt-file', prompt, '--max-tokens', '3', '--frobnicate'], /unknown argument "--frobnicate"/],
  ] as const)('%j → exit 2 with a clear message', (args, message) => {
    const result = run(...args);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain('usage: npm run generate');
    expect(result.stdout).toBe('');
  });

  it('--help prints the usage on stdout', () => {
    const result = run('--help');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('--tokens-per-submit');
  });
});

interface CliRun { status: number | null; stdout: string; stderr: string }

/** The CLI as a child process, without blocking this process (the fixture hub answers from here). */
function runAsync(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['scripts/generate.mjs', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
    child.on('error', reject);
    child.on('close', (status) => { clearTimeout(timer); resolve({ status, stdout, stderr }); });
  });
}

describe('npm run generate: models from a hub', () => {
  const BLOCK_DIMS = { hiddenSize: 64, numHeads: 4, numKvHeads: 2, intermediateSize: 96 } as const;
  let hub: FixtureHub;
  let shas: Record<string, string>;
  beforeAll(async () => {
    hub = await FixtureHub.start({
      'spark-test/tiny-gguf': { main: { 'tiny-q8_0.gguf': makeTestGguf({ ...BLOCK_DIMS, weightType: 'Q8_0', seed: 5 }).gguf } },
    });
    shas = hub.addRepo('spark-test/tiny-qwen2', {
      main: makeTestModelFiles({ seed: 9 }),
      v1: makeTestModelFiles({ architecture: 'Qwen2ForCausalLM', dtype: 'BF16', sharded: true, seed: 4 }),
    });
  });
  afterAll(() => hub.dispose());
  const common = ['--prompt', 'def add(a, b):', '--max-tokens', '4', '--greedy', '--ignore-eos', '--json'];

  it('org/name@revision with --hub-endpoint: HF sharded bf16, pinned to the commit', async () => {
    const run = await runAsync(['--model', 'spark-test/tiny-qwen2@v1', '--hub-endpoint', hub.url, ...common]);
    expect(run.status, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.tokens).toHaveLength(4);
    expect(out.format).toBe('safetensors:bf16');
    expect(out.source).toEqual({ label: `spark-test/tiny-qwen2@${shas['v1']}`, layout: 'hf', commit: shas['v1'] });
    expect(out.model).toMatchObject({ architecture: 'Qwen2ForCausalLM', hiddenSize: 72, numLayers: 2 });
    if (out.backend === 'webgpu') {
      // Untied: the embedding table is on the GPU too, beside the streamed matrices.
      expect(out.gpuWeights.embeddingBytes).toBeGreaterThan(0);
      expect(out.gpuWeightBytes).toBe(out.gpuWeights.bytes);
      expect(out.gpuWeightBytes).toBeGreaterThanOrEqual(out.formatParameters.bf16 * 2);
    } else {
      expect(out.gpuWeightBytes).toBeNull();
    }
    const resolves = hub.requests.filter((r) => r.url.includes('/resolve/'));
    expect(resolves.length).toBeGreaterThan(0);

    // Quantized to Q8_0 on upload: the same bf16 checkpoint, its matrices in 34-byte blocks.
    const quantized = await runAsync(['--model', 'spark-test/tiny-qwen2@v1', '--hub-endpoint', hub.url, '--quantize', 'q8_0', ...common]);
    expect(quantized.status, quantized.stderr).toBe(0);
    const q = JSON.parse(quantized.stdout);
    expect(q.format).toBe('safetensors:bf16');
    if (q.backend === 'webgpu') {
      expect(new Set(Object.values(q.gpuWeights.formats))).toEqual(new Set(['q8_0']));
      expect(q.gpuWeightBytes).toBeLessThan(out.gpuWeightBytes);
    }
    expect(resolves.every((r) => r.url.includes(`/resolve/${shas['v1']}/`))).toBe(true);
  }, 180_000);

  it('a GGUF repo through HF_ENDPOINT: kept as Q8_0 blocks on the GPU', async () => {
    const run = await runAsync(['--model', 'spark-test/tiny-gguf:tiny-q8_0.gguf', ...common], { HF_ENDPOINT: hub.url });
    expect(run.status, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.tokens).toHaveLength(4);
    expect(out.format).toBe('gguf:Q8_0');
    expect(out.source.layout).toBe('gguf');
    if (out.backend === 'webgpu') {
      expect(new Set(Object.values(out.gpuWeights.formats))).toEqual(new Set(['q8_0']));
      // 34 bytes per 32 weights, padding aside: well under f16's 64.
      expect(out.gpuWeightBytes).toBeLessThan(out.formatParameters.Q8_0 * 1.5);
      expect(out.gpuWeightBytes).toBeGreaterThanOrEqual(Math.floor(out.formatParameters.Q8_0 * 34 / 32));
    }
  }, 180_000);

  it('an unknown repo or revision fails before any browser starts, naming it', async () => {
    const repo = await runAsync(['--model', 'nobody/nothing', '--hub-endpoint', hub.url, ...common]);
    expect(repo.status).toBe(1);
    expect(repo.stderr).toMatch(/generate: nobody\/nothing: repository not found on http:\/\/127\.0\.0\.1:\d+/);
    const revision = await runAsync(['--model', 'spark-test/tiny-qwen2@v9', '--hub-endpoint', hub.url, ...common]);
    expect(revision.status).toBe(1);
    expect(revision.stderr).toMatch(/no revision "v9"/);
    expect(revision.stdout).toBe('');
  }, 120_000);
});
