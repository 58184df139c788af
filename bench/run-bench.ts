// `npm run bench`: our engine, the peers and the roofline on the same adapter in one run.
//   1. prompts from real code (this repo's own sources), tokenized with the model's tokenizer;
//   2. bench.html in headless Chromium: engine-bench.ts measures our engine, the bandwidth
//      roofline, the CPU reference, drafts and the sensitivity grid;
//   3. the app itself: keystroke → first ghost (editor-latency.ts);
//   4. the peers (bench/peers/run-peers.ts), same prompt, checked against the same greedy tokens;
//   5. bench.json + bench.md + bench.svg into --out; the last line printed is bench.json's path.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { chromium, type Browser } from '@playwright/test';
import { Tokenizer } from '@huggingface/tokenizers';
import { ROOT, startServer } from './dev-server.ts';
import { launchOptions } from '../scripts/browser.ts';
import { DEFAULT_SETTINGS, TOKENS_PER_SUBMIT_AUTO } from '../src/settings.ts';
import { TOKENS_PER_SUBMIT } from '../src/engine/index.ts';
import { asQ4KM } from '../src/testing/gguf-family-models.ts';
import { ggufFromHfFiles } from '../src/testing/gguf-test-model.ts';
import { parseBenchArgs } from './bench-args.ts';
import type { EngineBenchResult, EngineBenchSpec } from './bench-types.ts';
import { measureEditorLatency } from './editor-latency.ts';
import { measurePauseLatency } from './pause-latency.ts';
import type { PauseLatency } from './pause-report.ts';
import { replayTable, type ReplayReport } from './replay/report.ts';
import { DEFAULT_PROMPT_TEXT } from './peers/args.ts';
import { runLlamaCpp } from './peers/llama-cpp-peer.ts';
import { suppressedIds, type TokenizerJson } from './peers/common.ts';
import { runPeers, type PeersReport } from './peers/run-peers.ts';
import { compareWithSuppressed, decodeLimiter, formatRows, markdown, SPARK_CPU_SIMD_ROW, svgChart, targets, type BenchReport, type EditorLatency, type LlamaCppFormatRun, type PeerRow } from './report.ts';

const MODEL_DIR = join(ROOT, 'public', 'models', 'spark-nano');
/**
 * Real code for the prompts: four of this repo's TypeScript sources, frozen as a fixture so that an
 * edit to the engine never shifts the benchmark's input.
 */
const CODE_FIXTURE = 'bench/fixtures/prompt-code.txt';
const LONG_PROMPT_TOKENS = 2048;

const T0 = Date.now();
const say = (msg: string) => process.stderr.write(`[bench ${((Date.now() - T0) / 1000).toFixed(0)}s] ${msg}\n`);

interface Sizes { repeats: number; longRepeats: number; decodeTokens: number; referenceTokens: number; keystrokes: number; cpuTokens: number; draftTokens: number }
// longRepeats: ~2k-token prefills take tens of seconds on SwiftShader; fewer of them.
const FULL: Sizes = { repeats: 5, longRepeats: 3, decodeTokens: 128, referenceTokens: 50, keystrokes: 8, cpuTokens: 32, draftTokens: 64 };
const QUICK: Sizes = { repeats: 2, longRepeats: 1, decodeTokens: 32, referenceTokens: 16, keystrokes: 2, cpuTokens: 8, draftTokens: 16 };

function buildSpec(tok: Tokenizer, tokJson: TokenizerJson, quick: boolean): EngineBenchSpec {
  const z = quick ? QUICK : FULL;
  const code = readFileSync(join(ROOT, CODE_FIXTURE), 'utf8');
  const encode = (s: string) => tok.encode(s, { add_special_tokens: false }).ids;
  const ids = encode(code);
  if (ids.length < 2100) throw new Error(`bench: only ${ids.length} tokens of code in ${CODE_FIXTURE}; need 2,100`);
  // The keystroke file: 2k tokens of code, then the same text with 1, 2, ... more characters.
  const docText = tok.decode(ids.slice(0, LONG_PROMPT_TOKENS), { skip_special_tokens: false });
  const next = code.slice(docText.length, docText.length + z.keystrokes);
  const keystrokeDocs = [encode(docText), ...Array.from({ length: z.keystrokes }, (_, k) => encode(docText + next.slice(0, k + 1)))];
  const special = (content: string) => {
    const t = tokJson.added_tokens?.find((a) => a.content === content);
    if (!t) throw new Error(`bench: the tokenizer has no ${content}`);
    return t.id;
  };
  // A rewrite as the editor sends it (FIM regeneration of a window) with the window as the draft.
  const codeLines = code.split('\n');
  const prefix = codeLines.slice(20, 60).join('\n') + '\n', middle = codeLines.slice(60, 68).join('\n') + '\n', suffix = codeLines.slice(68, 80).join('\n');
  const rewritePrompt = [special('<fim_prefix>'), ...encode(prefix), special('<fim_suffix>'), ...encode(suffix), special('<fim_middle>')];
  return {
    modelUrl: '/models/spark-nano/',
    q4kmGgufUrl: `/${relative(ROOT, Q4KM_GGUF).split(sep).join('/')}`,
    maxContext: 2048 + 128,
    prefillPrompts: { 128: ids.slice(0, 128), 512: ids.slice(0, 512) },
    decodePrompt: encode(DEFAULT_PROMPT_TEXT),
    decodeTokens: z.decodeTokens,
    keystrokeDocs,
    repeats: z.repeats,
    longRepeats: z.longRepeats,
    // The app lets the engine pick N from the time per token it measured at load; the WebGPU rows use
    // the engine's N for an unmeasured path, and the sensitivity grid covers the others.
    defaultTokensPerSubmit: DEFAULT_SETTINGS.tokensPerSubmit === TOKENS_PER_SUBMIT_AUTO ? TOKENS_PER_SUBMIT.default : DEFAULT_SETTINGS.tokensPerSubmit,
    referenceTokens: z.referenceTokens,
    cpuReferenceTokens: z.cpuTokens,
    sensitivity: quick
      ? { tokensPerSubmit: [1, 8], grids: false, formats: false, decodeTokens: 16, repeats: 1 }
      : { tokensPerSubmit: [1, 4, 8, 16, 32], grids: true, formats: true, decodeTokens: 64, repeats: 3 },
    drafts: { completionPrompt: ids.slice(0, 400), rewritePrompt, rewriteOriginal: encode(middle), tokens: z.draftTokens },
  };
}

async function runEngine(browser: Browser, origin: string, spec: EngineBenchSpec): Promise<EngineBenchResult> {
  const page = await browser.newPage();
  page.on('console', (m) => { if (m.text().startsWith('[bench]') || m.type() === 'error') say(`page: ${m.text()}`); });
  try {
    await page.goto(`${origin}/bench/bench.html`);
    await page.waitForFunction(() => window.sparkBench !== undefined, undefined, { timeout: 120_000 });
    return await page.evaluate((s) => window.sparkBench!.run(s), spec);
  } finally {
    await page.close().catch(() => undefined);
  }
}

function assemble(engine: EngineBenchResult, peers: PeersReport | { error: string }, editor: EditorLatency | { error: string } | undefined, pause: PauseLatency | { error: string } | undefined, quick: boolean, started: number, suppress: number[], llamaCpp: Partial<Record<keyof typeof GGUF_TYPE, LlamaCppFormatRun>>): BenchReport {
  const p = engine.prefill;
  const keyMs = engine.keystroke.ms.median;
  const boundTokensPerSecond = (engine.bandwidth.gbPerSecond * 1e9) / engine.plan.bytesPerToken;
  const dispatchBoundTokensPerSecond = 1000 / (engine.decode.dispatchesPerToken * engine.dispatchOverhead.msPerDispatch);
  const cpuRow = (name: string, cpu: EngineBenchResult['cpuReference']): PeerRow => ({
    name, status: 'ok', decodeTokensPerSecond: cpu.decodeTokensPerSecond.median, sameTokens: cpu.sameTokens, detail: { comparedWith: 'Spark WebGPU greedy', tokens: cpu.tokens.length },
  });
  const cpuRows = [cpuRow(SPARK_CPU_SIMD_ROW, engine.cpuSimd), cpuRow('Spark CPU reference (TypeScript)', engine.cpuReference)];
  const peerRows: PeerRow[] = 'error' in peers
    ? [{ name: 'peers', status: 'failed', error: peers.error }]
    : peers.peers.map(({ tokens: _tokens, ...row }) => row);
  const weightFormats = formatRows(engine.weightFormats, engine.bandwidth.gbPerSecond, llamaCpp);
  // llama.cpp on the F16 GGUF is a peer of the main row (the same f16 weights); ours is greedy
  // with nothing suppressed, and so is it, so the tokens compare directly.
  const f16 = llamaCpp.f16;
  if (f16) {
    peerRows.push('error' in f16
      ? { name: 'llama.cpp (node-llama-cpp, CPU, F16 GGUF)', status: 'failed', error: f16.error, native: true }
      : { name: 'llama.cpp (node-llama-cpp, CPU, F16 GGUF)', status: 'ok', native: true, decodeTokensPerSecond: f16.decodeTokensPerSecond, prefillMs: f16.prefillMs,
        ...compareTokens(engine.greedy, f16.tokens), detail: { threads: f16.threads, runtime: 'native, not in the browser' } });
  }
  const ref = 'error' in peers ? undefined : peers.reference;
  const same = ref ? compareWithSuppressed(engine.greedy, ref, new Set(suppress)) : undefined;
  const partial: Omit<BenchReport, 'targets'> = {
    adapter: engine.adapter,
    model: relative(ROOT, MODEL_DIR),
    quick,
    createdUtc: new Date().toISOString(),
    durationSeconds: Math.round((Date.now() - started) / 1000),
    ours: {
      decodeTokensPerSecond: engine.decode.tokensPerSecond.median,
      prefillTokensPerSecond: Object.fromEntries(Object.entries(p).map(([k, v]) => [k, v.tokensPerSecond.median])),
      ttftMs: engine.decode.ttftMs.median,
      keystroke: {
        prefillTokens: Math.max(...engine.keystroke.prefillTokens), ms: keyMs, fullPrefillMs: engine.keystroke.fullPrefillMs.median,
        speedup: engine.keystroke.fullPrefillMs.median / keyMs, docTokens: engine.keystroke.docTokens,
      },
      readbacksPerToken: engine.decode.readbacksPerToken,
      dispatchesPerToken: engine.decode.dispatchesPerToken,
      submitsPerToken: engine.decode.submitsPerToken,
      tokensPerSubmit: engine.decode.tokensPerSubmit,
      readbacksPerTokenN8Batched: engine.decodeN8Batched.readbacksPerToken,
      measuredN: { tokensPerSubmit: engine.decodeMeasuredN.tokensPerSubmit, msPerToken: engine.decodeMeasuredN.msPerToken, readbacksPerToken: engine.decodeMeasuredN.readbacksPerToken },
      ...(same ? { sameTokens: same.sameTokens, comparedTokens: same.comparedTokens } : {}),
      spread: {
        decodeTokensPerSecond: engine.decode.tokensPerSecond, ttftMs: engine.decode.ttftMs,
        prefillTokensPerSecond: Object.fromEntries(Object.entries(p).map(([k, v]) => [k, v.tokensPerSecond])), keystrokeMs: engine.keystroke.ms,
      },
      prefillGflopPerSecond: Object.fromEntries(Object.entries(p).map(([k, v]) => [k, v.gflopPerSecond])),
    },
    roofline: {
      bandwidthGBps: engine.bandwidth.gbPerSecond, weightBytesPerToken: engine.plan.bytesPerToken,
      boundTokensPerSecond, fraction: engine.decode.tokensPerSecond.median / boundTokensPerSecond,
      msPerDispatch: engine.dispatchOverhead.msPerDispatch, dispatchBoundTokensPerSecond,
      limiter: decodeLimiter(engine.decode.tokensPerSecond.median, boundTokensPerSecond, dispatchBoundTokensPerSecond),
    },
    profile: engine.profile,
    peers: [...peerRows, ...cpuRows],
    sensitivity: engine.sensitivity,
    weightFormats,
    drafts: engine.drafts,
    ...(editor ? { editor } : {}),
    ...(pause ? { pause } : {}),
    engine: { description: engine.description, weightFormat: engine.weightFormat, params: engine.params, plan: engine.plan, features: engine.features, autotune: engine.autotune },
    reference: 'error' in peers
      ? { source: 'none (peers failed)', tokens: [], prompt: [], suppressedCount: suppress.length }
      : { source: peers.referenceSource, tokens: peers.reference, prompt: peers.prompt, suppressedCount: peers.suppressedCount },
  };
  return { ...partial, targets: targets(partial) };
}

/** GGUF type of each of our weight formats: the same ggml blocks (bench/peers/export_gguf.py --type; Q4_K_M: writeQ4KM). */
const GGUF_TYPE = { f16: 'F16', q8_0: 'Q8_0', q4_0: 'Q4_0', q4_k_m: 'Q4_K_M' } as const;
const GGUF_DIR = join(ROOT, 'bench', 'peers', 'out', 'spark-nano');
const Q4KM_GGUF = join(GGUF_DIR, 'model-Q4_K_M.gguf');

/**
 * The default model as a Q4_K_M GGUF, K-quants mixed as llama.cpp mixes them (asQ4KM), for our
 * engine and llama.cpp alike; rebuilt when older than the weights.
 */
function writeQ4KM(): void {
  const mtime = (p: string) => (existsSync(p) ? statSync(p).mtimeMs : 0);
  if (mtime(Q4KM_GGUF) >= mtime(join(MODEL_DIR, 'model.safetensors'))) return;
  const files = Object.fromEntries(['config.json', 'tokenizer.json', 'model.safetensors'].map((n) => [n, new Uint8Array(readFileSync(join(MODEL_DIR, n)))]));
  const layers = (JSON.parse(readFileSync(join(MODEL_DIR, 'config.json'), 'utf8')) as { num_hidden_layers: number }).num_hidden_layers;
  mkdirSync(GGUF_DIR, { recursive: true });
  writeFileSync(Q4KM_GGUF, ggufFromHfFiles(files, { editTensors: (ts) => asQ4KM(ts, layers) }).gguf);
}
const PYTHON = process.env['SPARK_PYTHON'] ?? '/usr/bin/python3';

/** llama.cpp on the default model exported as F16, Q8_0 and Q4_0 GGUF (rebuilt when older than the weights). */
async function llamaCppFormats(spec: EngineBenchSpec, formats: readonly (keyof typeof GGUF_TYPE)[], repeats: number): Promise<Partial<Record<keyof typeof GGUF_TYPE, LlamaCppFormatRun>>> {
  const out: Partial<Record<keyof typeof GGUF_TYPE, LlamaCppFormatRun>> = {};
  mkdirSync(GGUF_DIR, { recursive: true });
  const mtime = (p: string) => (existsSync(p) ? statSync(p).mtimeMs : 0);
  for (const format of formats) {
    const type = GGUF_TYPE[format];
    const gguf = join(GGUF_DIR, `model-${type}.gguf`);
    try {
      if (format !== 'q4_k_m' && mtime(gguf) < mtime(join(MODEL_DIR, 'model.safetensors'))) {
        execFileSync(PYTHON, ['-m', 'bench.peers.export_gguf', '--model', MODEL_DIR, '--out', gguf, '--type', type], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      }
      const run = await runLlamaCpp(gguf, spec.decodePrompt, spec.referenceTokens, repeats);
      out[format] = { ...run, ggufBytes: statSync(gguf).size };
      say(`llama.cpp ${type}: ${run.decodeTokensPerSecond.toFixed(1)} tok/s (${run.threads} threads)`);
    } catch (err) {
      out[format] = { error: message(err) };
    }
  }
  return out;
}

function compareTokens(ours: readonly number[], theirs: readonly number[]): Pick<PeerRow, 'sameTokens' | 'firstMismatch'> {
  const n = Math.min(ours.length, theirs.length);
  const i = Array.from({ length: n }, (_, k) => k).find((k) => ours[k] !== theirs[k]);
  return i === undefined ? { sameTokens: true } : { sameTokens: false, firstMismatch: i };
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0]!;

/** Keystrokes per file of the bench's typing replay (npm run replay's own default is 200; this keeps the bench near its old length). */
const BENCH_REPLAY_KEYSTROKES = 100;

/**
 * `npm run replay` (CPU path; the page sample is skipped: the bench measured the page already) in a
 * child process, its JSON to replay.json; returns its table, or why it failed.
 */
function runReplay(out: string): string {
  say(`typing replay (${BENCH_REPLAY_KEYSTROKES} keystrokes per file)`);
  const run = spawnSync('node', ['scripts/replay.mjs', '--json', '--no-page', '--max-keystrokes', String(BENCH_REPLAY_KEYSTROKES)], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8',
  });
  const last = (run.stdout ?? '').trim().split('\n').at(-1) ?? '';
  if (run.status !== 0 || !last.startsWith('{')) return `The typing replay failed (exit ${run.status}); see the log above.`;
  writeFileSync(join(out, 'replay.json'), `${last}\n`);
  return replayTable(JSON.parse(last) as ReplayReport);
}

export async function main(argv: readonly string[]): Promise<void> {
  const started = Date.now();
  const args = parseBenchArgs(argv);
  const out = resolve(ROOT, args.out);
  mkdirSync(out, { recursive: true });
  const tokJson = JSON.parse(readFileSync(join(MODEL_DIR, 'tokenizer.json'), 'utf8')) as TokenizerJson;
  const tok = new Tokenizer(tokJson, {});
  const spec = buildSpec(tok, tokJson, args.quick);
  const suppress = suppressedIds(tokJson);

  writeQ4KM();
  const { server, origin } = await startServer();
  let engine: EngineBenchResult;
  let editor: EditorLatency | { error: string } | undefined;
  let pause: PauseLatency | { error: string } | undefined;
  const browser = await chromium.launch(launchOptions());
  try {
    say(`engine bench on ${origin} (${args.quick ? 'quick' : 'full'})`);
    engine = await runEngine(browser, origin, spec);
    if (args.editor) {
      say('keystroke → ghost in the app');
      editor = await measureEditorLatency(browser, `${origin}/`, args.quick).catch((err: unknown) => ({ error: message(err) }));
      say('keystroke → ghost after a pause, from outside the app');
      pause = await measurePauseLatency(browser, `${origin}/`, args.quick ? 2 : 12, ROOT).catch((err: unknown) => ({ error: message(err) }));
    }
  } finally {
    await browser.close().catch(() => undefined);
    await server.close();
  }

  let peers: PeersReport | { error: string } = { error: 'skipped (--no-peers)' };
  if (args.peers) {
    say('peers');
    peers = await runPeers({
      model: '', prompt: spec.decodePrompt, promptText: DEFAULT_PROMPT_TEXT, maxNewTokens: spec.referenceTokens,
      peers: args.quick ? ['wllama:wasm'] : ['transformers.js:webgpu', 'transformers.js:wasm', 'wllama:wasm', 'wllama:webgpu'],
      isolate: true, timeoutMs: args.quick ? 90_000 : 300_000, json: '', gguf: '', repeats: args.quick ? 1 : 3,
    }).catch((err: unknown) => ({ error: message(err) }));
  }

  let llamaCpp: Partial<Record<keyof typeof GGUF_TYPE, LlamaCppFormatRun>> = {};
  if (args.peers) {
    say('llama.cpp (node-llama-cpp, CPU) per weight format');
    llamaCpp = await llamaCppFormats(spec, engine.weightFormats.map((f) => f.format), args.quick ? 1 : 3);
  }
  const report = assemble(engine, peers, editor, pause, args.quick, started, suppress, llamaCpp);
  writeFileSync(join(out, 'bench.json'), JSON.stringify(report, null, 2) + '\n');
  // The typing replay (suggestion quality), a full run only: npm test runs its quick form on its own.
  const replay = args.quick || !args.replay ? undefined : runReplay(out);
  writeFileSync(join(out, 'bench.md'), markdown(report) + (replay ? `\n## Typing replay\n\n${replay}\n` : ''));
  writeFileSync(join(out, 'bench.svg'), svgChart(report));
  process.stderr.write(markdown(report) + '\n');
  process.stdout.write(join(out, 'bench.json') + '\n');
}
