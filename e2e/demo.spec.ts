// `npm run demo` must tell the truth: the document it ends with is the script, byte for byte. This
// runs the real demo (e2e/demo/run-demo.mjs: its own headless Chromium, the real engine and default
// model, suggestions on) against the app Playwright serves, on a short script, and checks its
// session.json. The demo's command line refuses bad input with a clear message.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, test } from './fixtures.ts';
// @ts-expect-error -- a plain .mjs module without types
import { firstDifference, offsetAt, positionAt } from './demo/typist.mjs';

const ROOT = resolve(import.meta.dirname, '..');
const DEMO = resolve(ROOT, 'e2e/demo/run-demo.mjs');
const CI_SCRIPT = resolve(ROOT, 'e2e/demo/scripts/ci-session.py');

interface Run { code: number | null; stdout: string; stderr: string }

function runDemo(args: string[], timeoutMs: number): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [DEMO, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', fail);
    child.on('close', (code) => { clearTimeout(timer); done({ code, stdout, stderr }); });
  });
}

test.describe('npm run demo', () => {
  test('positions, offsets and the first difference the demo reports', () => {
    const text = 'ab\ncd\n';
    expect(positionAt(text, 0)).toEqual({ line: 1, column: 1 });
    expect(positionAt(text, 3)).toEqual({ line: 2, column: 1 });
    expect(positionAt(text, 6)).toEqual({ line: 3, column: 1 });
    for (let i = 0; i <= text.length; i++) {
      const { line, column } = positionAt(text, i);
      expect(offsetAt(text, line, column)).toBe(i);
    }
    expect(firstDifference(text, text)).toBeUndefined();
    expect(firstDifference('f(n - 1)\n', 'f(n -) 1)\n')).toMatchObject({ offset: 5, line: 1, column: 6, expectedLine: 'f(n - 1)', actualLine: 'f(n -) 1)' });
  });

  // eslint-disable-next-line no-empty-pattern -- Playwright wants the fixtures as a pattern
  test('refuses bad input with a clear error, before building anything', async ({}, testInfo) => {
    const unknown = testInfo.outputPath('notes.xyz');
    writeFileSync(unknown, 'hello\n');
    const cases: [string[], RegExp][] = [
      [['--script', 'e2e/demo/scripts/no-such-file.py'], /--script e2e\/demo\/scripts\/no-such-file\.py: no such file/],
      [['--script', unknown], /unknown extension "\.xyz".*known: \.ts/],
      [['--script'], /--script needs a value/],
      [['--keys-per-second', '0'], /--keys-per-second 0: must be a number from 1 to 60/],
      [['--keys-per-second', 'fast'], /--keys-per-second fast: must be a number/],
      [['--frobnicate'], /unknown argument "--frobnicate"/],
      [['--model', 'no-such-model'], /--model no-such-model: no model "no-such-model" under public\/models\/.*available: spark-nano/],
      [['--model', 'https://example.com/model.gguf'], /cannot be loaded.*available: spark-nano/],
      [['--url', 'not a url'], /--url not a url: not a URL/],
    ];
    for (const [args, message] of cases) {
      const run = await runDemo(args, 30_000);
      expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).toContain('usage: npm run demo');
    }
  });

  test('a short session ends with the document equal to the script', async ({ baseURL }, testInfo) => {
    test.setTimeout(240_000); // the session itself takes about a minute on two loaded cores
    const script = readFileSync(CI_SCRIPT, 'utf8');
    // What makes the simulated typist's job hard: nested brackets the editor auto-closes, strings
    // in both quotes (auto-closed too), indentation in and out of blocks, blank lines.
    expect(script.split('\n')).toHaveLength(11); // 10 lines, each ending in a newline
    expect(script.endsWith('\n')).toBe(true);
    expect(script).toMatch(/\[\d+, \(\d+, \d+\)\]/);
    expect(script).toMatch(/"[^"\n]+"/);
    expect(script).toMatch(/'[^'\n]+'/);

    const out = testInfo.outputPath('demo');
    const run = await runDemo(['--no-video', '--no-edit', '--keys-per-second', '30', '--script', CI_SCRIPT, '--url', baseURL!, '--out', out], 220_000);
    await testInfo.attach('demo.log', { body: run.stderr, contentType: 'text/plain' });
    expect(existsSync(resolve(out, 'session.json')), run.stderr).toBe(true);
    const session = JSON.parse(readFileSync(resolve(out, 'session.json'), 'utf8'));
    expect(session.script).toBe(script);
    expect(session.finalText).toBe(session.script);
    expect(session.equal).toBe(true);
    expect(session.language).toBe('python');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim().split('\n').at(-1)).toBe(out);

    // The report counts the same session: every character came from a key, a suggestion or the
    // editor, suggestions were on (the engine showed some), and latency percentiles exist.
    const report = JSON.parse(readFileSync(resolve(out, 'latency.json'), 'utf8'));
    expect(report.documentMatchesScript).toBe(true);
    expect(report.charactersTyped).toBeGreaterThan(0);
    expect(report.charactersTyped + report.charactersFromSuggestions + report.charactersFromEditor).toBeGreaterThanOrEqual(script.length);
    expect(report.suggestions.shown).toBeGreaterThan(0);
    expect(report.suggestions.accepted).toBeLessThanOrEqual(report.suggestions.shown);
    expect(report.keystrokeToFirstGhostMs.count).toBeGreaterThan(0);
    for (const p of ['p50', 'p95', 'p99']) expect(typeof report.keystrokeToFirstGhostMs[p]).toBe('number');
    expect(existsSync(resolve(out, '05-final.png'))).toBe(true);
  });
});
