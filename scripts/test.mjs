#!/usr/bin/env node
// `npm test`: every suite, in order, then one plain `N passed, N failed` line that counts them all.
//   browser   find or install Chromium (scripts/ensure-browser.mjs)
//   typecheck tsc --noEmit (strict)            — counts as one test
//   lint      eslint                           — counts as one test
//   unit+gpu  vitest (Node, and real Chromium WebGPU)
//   f16       vitest's f16 project: the shader-f16 kernels on Mesa's lavapipe (scripts/ensure-lavapipe.mjs)
//   e2e       Playwright Test on the production build
//   training  pytest, then training/smoke.sh (Debian python3-torch; installed when root on Debian)
//   bench     `npm run bench -- --quick` end to end, and its bench.json has every stable field
//   replay    `npm run replay -- --quick --json` end to end, and its JSON has every reported field
// A suite that cannot start is a failure, never a silent skip.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { ensureBrowser } from './ensure-browser.mjs';
import { ensureLavapipe } from './ensure-lavapipe.mjs';
import { collectTests, reliabilityMarkdown, reliabilityRows } from './reliability.mjs';

const only = process.argv.slice(2); // e.g. `npm test -- unit e2e`
const wants = (name) => only.length === 0 || only.includes(name);
const results = [];
/** Each failed test by name, with its message's first line: printed again at the very end, where a CI log's tail shows it. */
const failures = [];
const firstLine = (message) => String(message ?? '').split('\n').find((l) => l.trim() !== '')?.trim().slice(0, 300) ?? '';
const record = (suite, passed, failed, skipped = 0) => {
  results.push({ suite, passed, failed, skipped });
  console.log(`\n[test] ${suite}: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
};
const sh = (cmd, args, env = {}) => {
  console.log(`[test] $ ${cmd} ${args.join(' ')}`);
  return spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } }).status ?? 1;
};
const readJson = (path) => (existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : undefined);

mkdirSync('test-results', { recursive: true });

// Debian's python3-torch and friends: the training suite needs them, and so does the unit test
// that checks the TypeScript CPU reference against PyTorch's logits — so install them first.
const PYTHON = '/usr/bin/python3';
const hasPythonDeps = () => spawnSync(PYTHON, ['-c', 'import torch, regex, numpy, pytest'], { stdio: 'ignore' }).status === 0;
if ((wants('training') || wants('unit') || wants('bench')) && !hasPythonDeps() && process.getuid?.() === 0 && existsSync('/etc/debian_version')) {
  console.log('[test] installing Debian python3-torch, python3-regex, python3-numpy, python3-pytest for training/ and the PyTorch parity test');
  sh('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-torch python3-regex python3-numpy python3-pytest libopenblas0-pthread']);
}

let chromium;
try {
  chromium = ensureBrowser();
} catch (err) {
  console.error(String(err));
}

if (wants('typecheck')) {
  const code = sh('npx', ['tsc', '--noEmit']);
  if (code !== 0) failures.push('typecheck: tsc --noEmit reported errors (above)');
  record('typecheck', code === 0 ? 1 : 0, code === 0 ? 0 : 1);
}
if (wants('lint')) {
  const code = sh('npx', ['eslint', '.']);
  if (code !== 0) failures.push('lint: eslint reported problems (above)');
  record('lint', code === 0 ? 1 : 0, code === 0 ? 0 : 1);
}
/** The JSON reports RELIABILITY.md is written from. */
const reports = { vitest: undefined, e2e: undefined };
/** One vitest run of `projects` as a suite, its failures listed; the report it wrote. */
function vitestSuite(suite, projects, out, env = {}) {
  rmSync(out, { force: true });
  const code = sh('npx', ['vitest', 'run', ...projects.flatMap((p) => ['--project', p]), '--reporter=default', '--reporter=json', `--outputFile.json=${out}`], env);
  const report = readJson(out);
  for (const file of report?.testResults ?? []) {
    const failedTests = file.assertionResults.filter((a) => a.status === 'failed');
    for (const a of failedTests) failures.push(`${suite} ${file.name.replace(`${process.cwd()}/`, '')} › ${a.fullName}: ${firstLine(a.failureMessages?.[0])}`);
    if (file.status === 'failed' && failedTests.length === 0) failures.push(`${suite} ${file.name.replace(`${process.cwd()}/`, '')}: ${firstLine(file.message)}`);
  }
  if (report) {
    record(suite, report.numPassedTests, report.numFailedTests + (code !== 0 && report.numFailedTests === 0 ? 1 : 0),
      report.numPendingTests + report.numTodoTests);
  } else record(suite, 0, 1);
  return report;
}
if (wants('unit') || wants('gpu')) {
  if (!chromium) console.error('[test] no Chromium: the gpu project will fail');
  reports.vitest = vitestSuite('vitest', ['unit', 'gpu'].filter(wants), 'test-results/vitest.json');
}
// The kernels SwiftShader cannot run (shader-f16), on Mesa's lavapipe through Dawn in Node.
if (wants('f16')) {
  let lavapipe;
  try {
    lavapipe = ensureLavapipe();
  } catch (err) {
    console.error(String(err));
    failures.push(`f16: ${firstLine(String(err))}`);
    record('f16', 0, 1);
  }
  if (lavapipe) vitestSuite('f16', ['f16'], 'test-results/vitest-f16.json', lavapipe);
}
if (wants('e2e')) {
  const out = 'test-results/e2e.json';
  rmSync(out, { force: true });
  const code = sh('npx', ['playwright', 'test', '--reporter=list,json'], { PLAYWRIGHT_JSON_OUTPUT_NAME: out });
  reports.e2e = readJson(out);
  const stats = reports.e2e?.stats;
  const walk = (suite) => {
    for (const spec of suite.specs ?? []) {
      for (const t of spec.tests ?? []) {
        if (t.status !== 'unexpected') continue;
        const error = t.results?.find((r) => r.error)?.error;
        failures.push(`e2e ${spec.file}:${spec.line} › ${spec.title}: ${firstLine(error?.message)}`);
      }
    }
    for (const child of suite.suites ?? []) walk(child);
  };
  for (const suite of reports.e2e?.suites ?? []) walk(suite);
  if (stats) record('e2e', stats.expected + stats.flaky, stats.unexpected + (code !== 0 && stats.unexpected === 0 ? 1 : 0), stats.skipped);
  else record('e2e', 0, 1);
}
if (wants('training') && existsSync('training/tests')) {
  if (!hasPythonDeps()) {
    console.error('[test] training: /usr/bin/python3 lacks torch/regex/numpy/pytest (install Debian python3-torch python3-regex python3-numpy python3-pytest)');
    record('training', 0, 1);
  } else {
    const xml = 'test-results/training.xml';
    rmSync(xml, { force: true });
    const code = sh(PYTHON, ['-m', 'pytest', 'training/tests', 'bench/peers', '-q', `--junitxml=${xml}`]);
    const text = existsSync(xml) ? readFileSync(xml, 'utf8') : '';
    const attr = (name) => Number(new RegExp(`<testsuite[^>]* ${name}="(\\d+)"`).exec(text)?.[1] ?? 0);
    for (const m of text.matchAll(/<testcase[^>]*classname="([^"]*)"[^>]*name="([^"]*)"[^>]*>\s*<(failure|error)[^>]*message="([^"]*)"/g)) {
      failures.push(`training ${m[1]}.${m[2]}: ${firstLine(m[4])}`);
    }
    const total = attr('tests'), failed = attr('failures') + attr('errors'), skipped = attr('skipped');
    record('training', total - failed - skipped, failed + (code !== 0 && failed === 0 ? 1 : 0), skipped);
    // The whole pipeline on a tiny corpus: corpus -> tokenizer -> train -> export -> eval (one test).
    const smoke = sh('bash', ['training/smoke.sh']);
    if (smoke !== 0) failures.push(`smoke: training/smoke.sh exited with ${smoke}`);
    record('smoke', smoke === 0 ? 1 : 0, smoke === 0 ? 0 : 1);
  }
}
/**
 * A tool run end to end as one test: its last line of stdout is checked by `check` (which returns
 * what is wrong); its numbers are reported, never asserted.
 */
function toolSuite(suite, args, check) {
  console.log(`[test] $ node ${args.join(' ')}`);
  const run = spawnSync('node', args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  const lastLine = (run.stdout ?? '').trim().split('\n').at(-1) ?? '';
  const problems = run.status === 0 ? check(lastLine) : [`exit code ${run.status}`];
  for (const p of problems) {
    console.error(`[test] ${suite}: ${p}`);
    failures.push(`${suite}: ${p}`);
  }
  record(suite, problems.length === 0 ? 1 : 0, problems.length === 0 ? 0 : 1);
}

if (wants('bench')) {
  // The quick bench is a smoke test of the whole measuring machinery (our engine, the app, one
  // peer, the PyTorch reference).
  const dir = 'test-results/bench-quick';
  rmSync(dir, { recursive: true, force: true });
  toolSuite('bench', ['scripts/bench.mjs', '--quick', '--out', dir], checkBenchJson);
}
// The typing replay's pipeline (model, baselines, Edit, the page sample) on a few keystrokes.
if (wants('replay')) toolSuite('replay', ['scripts/replay.mjs', '--quick', '--json'], checkReplayJson);

/** The replay's --json line (the format issue 16 fixes); returns what is wrong. */
function checkReplayJson(line) {
  let r;
  try { r = JSON.parse(line); } catch { return [`the last line printed is not JSON: "${line.slice(0, 200)}"`]; }
  const problems = [];
  const fraction = (v, name) => { if (typeof v !== 'number' || !(v >= 0 && v <= 1)) problems.push(`${name} is not a fraction: ${v}`); };
  for (const language of ['python', 'typescript', 'javascript']) {
    const systems = r.languages?.[language];
    for (const system of [r.model, 'copy', 'ngram']) {
      const s = systems?.[system];
      if (!s) { problems.push(`no ${system} row for ${language}`); continue; }
      for (const k of ['acceptRate', 'charsSaved', 'wrongRate']) fraction(s[k], `${language}.${system}.${k}`);
      if (!(s.shownPer100 >= 0) || !(s.keystrokes > 0)) problems.push(`${language}.${system}: shownPer100 ${s.shownPer100}, keystrokes ${s.keystrokes}`);
    }
  }
  const e = r.edit;
  if (!(e?.cases > 0) || ['restored', 'worse', 'declined'].some((k) => !Number.isInteger(e[k]))) problems.push(`edit is incomplete: ${JSON.stringify(e)}`);
  // The page sample must really run (Chromium is there: the gpu suite needs it too).
  if (!(r.page?.cases > 0) || !(r.page?.keystrokes > 0)) problems.push(`the page sample did not run: ${JSON.stringify(r.page)}`);
  return problems;
}

/** The stable fields of bench.json (its report format); returns what is wrong. */
function checkBenchJson(path) {
  if (!path.endsWith('bench.json') || !existsSync(path)) return [`the last line printed is not bench.json's path: "${path}"`];
  const r = JSON.parse(readFileSync(path, 'utf8'));
  const problems = [];
  const num = (v, name) => { if (typeof v !== 'number' || !Number.isFinite(v)) problems.push(`${name} is not a number`); };
  if (typeof r.adapter !== 'string' || typeof r.model !== 'string') problems.push('adapter/model missing');
  num(r.ours?.decodeTokensPerSecond, 'ours.decodeTokensPerSecond');
  for (const k of ['128', '512', '2048']) num(r.ours?.prefillTokensPerSecond?.[k], `ours.prefillTokensPerSecond.${k}`);
  num(r.ours?.ttftMs, 'ours.ttftMs');
  for (const k of ['prefillTokens', 'ms', 'fullPrefillMs']) num(r.ours?.keystroke?.[k], `ours.keystroke.${k}`);
  num(r.ours?.readbacksPerToken, 'ours.readbacksPerToken');
  num(r.ours?.dispatchesPerToken, 'ours.dispatchesPerToken');
  for (const k of ['bandwidthGBps', 'weightBytesPerToken', 'boundTokensPerSecond', 'fraction']) num(r.roofline?.[k], `roofline.${k}`);
  if (!Array.isArray(r.peers) || r.peers.length === 0) problems.push('peers is empty');
  // The quick run's peer (wllama, wasm: no GPU needed) must really run, or the smoke test would
  // pass on a machinery that compares us with nothing.
  else if (!r.peers.some((p) => p.status === 'ok' && !p.name.startsWith('Spark'))) {
    problems.push(`no peer ran: ${r.peers.map((p) => `${p.name}: ${p.error ?? p.status}`).join('; ')}`);
  }
  for (const p of r.peers ?? []) {
    if (p.status !== 'ok' && p.status !== 'failed') problems.push(`peer ${p.name}: status ${p.status}`);
    if (p.status === 'failed' && typeof p.error !== 'string') problems.push(`peer ${p.name}: failed without an error`);
  }
  return problems;
}

// RELIABILITY.md only from a run of every suite that proves a row, so a partial run never
// overwrites it with "not run".
if (['unit', 'gpu', 'e2e'].every(wants) && reports.vitest && reports.e2e) {
  const rows = reliabilityRows(collectTests(reports.vitest, reports.e2e, process.cwd()));
  writeFileSync('RELIABILITY.md', reliabilityMarkdown(rows));
  console.log(`[test] wrote RELIABILITY.md: ${rows.length} fault classes, ${rows.filter((r) => r.lost !== 'none').length} not proven`);
}

const sum = (k) => results.reduce((n, r) => n + r[k], 0);
if (failures.length > 0) {
  console.log('\n[test] failed tests');
  for (const f of failures) console.log(`  ✗ ${f}`);
}
console.log('\n[test] summary');
for (const r of results) console.log(`  ${r.suite.padEnd(10)} ${r.passed} passed, ${r.failed} failed${r.skipped ? `, ${r.skipped} skipped` : ''}`);
const skipped = sum('skipped');
console.log(`${sum('passed')} passed, ${sum('failed')} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(sum('failed') === 0 ? 0 : 1);
