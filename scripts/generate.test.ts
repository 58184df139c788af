// The CLI's argument checking (a full run needs Chromium and is exercised by hand / benches).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

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
    [['--model', 'm.gguf', '--prompt', 'x', '--max-tokens', '3'], /GGUF models are not supported yet/],
    [['--model', dir, '--max-tokens', '3'], /exactly one of --prompt-file or --prompt/],
    [['--model', dir, '--prompt-file', prompt], /--max-tokens is required/],
    [['--model', dir, '--prompt-file', prompt, '--max-tokens', 'many'], /--max-tokens must be an integer >= 0/],
    [['--model', dir, '--prompt-file', prompt, '--max-tokens', '3', '--backend', 'tpu'], /--backend must be webgpu, cpu or auto/],
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
