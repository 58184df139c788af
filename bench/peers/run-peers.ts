// Node driver for the peers benchmark: builds the exports a peer needs (ONNX for transformers.js,
// GGUF for wllama) from an HF-layout model, computes the PyTorch greedy reference (unless given
// ours), serves bench/peers/peers.html with vite on 127.0.0.1, and runs each peer in its own page
// of headless Chromium (real WebGPU on SwiftShader here). Prints a JSON array of rows.
//
//   node bench/peers/run-peers.mjs [--model DIR] [--prompt 1,2,3] [--reference 4,5,...] [--n 50]
//        [--prompt-text TEXT] [--peers transformers.js:webgpu,wllama:wasm] [--gguf FILE]
//        [--repeats 3] [--no-isolate] [--timeout ms] [--json FILE]
//
// The lead wires runPeers() into `npm run bench`; the CLI is for running this piece alone.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from '@playwright/test';
import { createServer, type ViteDevServer } from 'vite';
import { launchOptions } from '../../scripts/browser.ts';
import { Tokenizer } from '@huggingface/tokenizers';
import { DEFAULT_PROMPT_TEXT, parseArgs, type PeerName, type PeersArgs } from './args.ts';
import { failedRow, suppressedIds, type PeerRequest, type PeerResult, type TokenizerJson } from './common.ts';
import type { PeerSpec } from './peers-page.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');
const OUT = join(HERE, 'out');
/** Debian's python3-torch lives under /usr/bin/python3, not the pyenv python3 on PATH. */
const PYTHON = process.env['SPARK_PYTHON'] ?? '/usr/bin/python3';

/** Runs one of bench/peers' Python scripts as a module of the bench.peers package, from the repo root. */
function py(script: string, args: string[]): string {
  const module = `bench.peers.${script.replace(/\.py$/, '')}`;
  return execFileSync(PYTHON, ['-m', module, ...args], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

const mtime = (p: string) => (existsSync(p) ? statSync(p).mtimeMs : 0);
/** Rebuild an export when it is missing or older than the weights it comes from. */
const stale = (product: string, source: string) => mtime(product) < mtime(source);

export interface PreparedModel {
  /** HF-layout source dir. */
  source: string;
  /** Dir served to the page: config.json, tokenizer.json, onnx/model.onnx, model.gguf. */
  served: string;
  /** The GGUF wllama loads (inside the repo, so vite serves it). */
  gguf: string;
  vocabSize: number;
  tokenizer: TokenizerJson;
  suppress: number[];
  log: string[];
}

/** Pick the model, then build what each peer needs into bench/peers/out/<name>/. */
export function prepareModel(model: string, gguf = '', needs: { onnx: boolean; gguf: boolean } = { onnx: true, gguf: true }): PreparedModel {
  const log: string[] = [];
  let source = model ? resolve(model) : join(ROOT, 'public', 'models', 'spark-nano');
  if (!existsSync(join(source, 'model.safetensors'))) {
    if (model) throw new Error(`${source} has no model.safetensors`);
    // No trained default yet: a tiny random Llama with the project's tokenizer, so the peers
    // still run end to end (numbers from it are about the machinery, not the model).
    source = join(OUT, 'fixture');
    if (!existsSync(join(source, 'model.safetensors'))) {
      const tok = join(ROOT, 'training', 'data', 'corpus', 'tokenizer.json');
      log.push(py('make_fixture.py', ['--out', source, '--tokenizer', tok]).trim());
    }
  }
  const served = join(OUT, basename(source));
  mkdirSync(served, { recursive: true });
  // Every peer reads these from the served dir (wllama its tokenizer.json), whichever exports
  // this run builds; copied each time so they always match the weights.
  if (resolve(served) !== resolve(source)) {
    for (const f of ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json']) {
      if (existsSync(join(source, f))) copyFileSync(join(source, f), join(served, f));
    }
  }
  const weights = join(source, 'model.safetensors');
  if (needs.onnx && stale(join(served, 'onnx', 'model.onnx'), weights)) {
    log.push(py('export_onnx.py', ['--model', source, '--out', served]).trim());
  }
  if (gguf) {
    if (!existsSync(gguf)) throw new Error(`--gguf ${gguf} does not exist`);
    if (relative(ROOT, resolve(gguf)).startsWith('..')) throw new Error(`--gguf must be inside ${ROOT} to be served`);
  } else if (needs.gguf && stale(join(served, 'model.gguf'), weights)) {
    // Our own writer by default: f32 weights, so llama.cpp computes in f32 like the others
    // (with f16 weights its CPU matmuls round the activations to f16 too).
    log.push(py('export_gguf.py', ['--model', source, '--out', join(served, 'model.gguf')]).trim());
  }
  const config = JSON.parse(readFileSync(join(source, 'config.json'), 'utf8')) as { vocab_size: number };
  const tokenizer = JSON.parse(readFileSync(join(source, 'tokenizer.json'), 'utf8')) as TokenizerJson;
  return {
    source, served, gguf: gguf ? resolve(gguf) : join(served, 'model.gguf'),
    vocabSize: config.vocab_size, tokenizer, suppress: suppressedIds(tokenizer), log,
  };
}

/** Prompt ids and text, each from the other when only one is given (no BOS, no template). */
export function resolvePrompt(args: PeersArgs, tokenizer: TokenizerJson): { ids: number[]; text: string } {
  const tok = new Tokenizer(tokenizer, {});
  if (args.prompt) {
    return { ids: args.prompt, text: args.promptText ?? tok.decode(args.prompt, { skip_special_tokens: false }) };
  }
  const text = args.promptText ?? DEFAULT_PROMPT_TEXT;
  return { ids: tok.encode(text, { add_special_tokens: false }).ids, text };
}

/** The PyTorch KV-cache greedy tokens (bench/peers/llama_torch.py), used when the caller has none. */
export function referenceTokens(source: string, prompt: number[], n: number, suppress: number[]): number[] {
  const out = py('llama_torch.py', [
    'greedy', '--model', source, '--prompt', prompt.join(','), '--n', String(n), '--suppress', suppress.join(','),
  ]);
  return (JSON.parse(out) as { tokens: number[] }).tokens;
}

async function startServer(isolate: boolean): Promise<{ server: ViteDevServer; origin: string }> {
  const server = await createServer({
    root: ROOT,
    configFile: false, // our own small config: the app's config is not ours to depend on
    logLevel: 'error',
    clearScreen: false,
    server: {
      host: '127.0.0.1', // a secure context: navigator.gpu exists only there (and on https)
      port: 0,
      strictPort: false,
      // COOP/COEP make the page crossOriginIsolated, which both wasm runtimes need for threads.
      headers: isolate
        ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' }
        : {},
    },
    optimizeDeps: {
      // Pre-bundling would move these packages' own wasm/worker files; serve them as shipped.
      exclude: ['@huggingface/transformers', '@wllama/wllama', 'onnxruntime-web'],
    },
  });
  await server.listen();
  const addr = server.httpServer?.address() as AddressInfo | null;
  if (!addr) throw new Error('vite did not report its address');
  return { server, origin: `http://127.0.0.1:${addr.port}` };
}

function specFor(name: PeerName, prepared: PreparedModel, request: PeerRequest): PeerSpec {
  const base = '/' + relative(ROOT, prepared.served).split('\\').join('/');
  switch (name) {
    case 'transformers.js:webgpu':
    case 'transformers.js:wasm':
      return {
        peer: 'transformers.js',
        device: name === 'transformers.js:webgpu' ? 'webgpu' : 'wasm',
        modelRoot: dirname(base) + '/',
        modelId: basename(base),
        request,
      };
    case 'wllama:wasm':
    case 'wllama:webgpu':
      return {
        peer: 'wllama',
        gpuLayers: name === 'wllama:webgpu' ? 999 : 0,
        ggufUrl: '/' + relative(ROOT, prepared.gguf).split('\\').join('/'),
        tokenizerUrl: `${base}/tokenizer.json`,
        nCtx: 512,
        request,
      };
  }
}

const rowName = (n: PeerName) => n.replace(':', ' (') + ')';

/** Run one peer in a fresh page; a crash, a hang or a missing API all become a failed row. */
async function runOne(browser: Browser, origin: string, name: PeerName, spec: PeerSpec, timeoutMs: number): Promise<PeerResult> {
  const page = await browser.newPage();
  const console: string[] = [];
  const warnings: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && console.length < 20) console.push(m.text());
    if (m.type() === 'warning' && warnings.length < 8) warnings.push(m.text().slice(0, 400));
  });
  page.on('pageerror', (e) => console.push(`pageerror: ${e.message}`));
  try {
    await page.goto(`${origin}/bench/peers/peers.html`);
    await page.waitForFunction(() => window.sparkPeers !== undefined, undefined, { timeout: 60_000 });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<PeerResult>((res) => {
      timer = setTimeout(() => res(failedRow(rowName(name), new Error(`timed out after ${timeoutMs} ms`))), timeoutMs);
    });
    const crashed = new Promise<PeerResult>((res) => {
      page.on('crash', () => res(failedRow(rowName(name), new Error('the page crashed'))));
    });
    const row = await Promise.race([page.evaluate((s) => window.sparkPeers!.run(s), spec), timeout, crashed]);
    clearTimeout(timer);
    if (row.status === 'failed' && console.length > 0) row.detail = { ...row.detail, console: console.join(' | ').slice(0, 2000) };
    if (warnings.length > 0) row.detail = { ...row.detail, warnings: warnings.join(' | ').slice(0, 2000) };
    return row;
  } catch (err) {
    const row = failedRow(rowName(name), err);
    if (console.length > 0) row.detail = { console: console.join(' | ').slice(0, 2000) };
    return row;
  } finally {
    await page.close().catch(() => undefined);
  }
}

export interface PeersReport {
  model: string;
  gguf: string;
  prompt: number[];
  promptText: string;
  suppressedCount: number;
  reference: number[];
  referenceSource: 'caller' | 'pytorch';
  environment: Record<string, string | boolean | number>;
  peers: PeerResult[];
}

export async function runPeers(args: PeersArgs): Promise<PeersReport> {
  // Build only the exports the chosen peers load (the ONNX export takes PyTorch a while).
  const prepared = prepareModel(args.model, args.gguf, {
    onnx: args.peers.some((p) => p.startsWith('transformers.js')),
    gguf: args.peers.some((p) => p.startsWith('wllama')),
  });
  for (const line of prepared.log) process.stderr.write(`[peers] ${line}\n`);
  const { ids: prompt, text: promptText } = resolvePrompt(args, prepared.tokenizer);
  const reference = args.reference ?? referenceTokens(prepared.source, prompt, args.maxNewTokens, prepared.suppress);
  const request: PeerRequest = {
    prompt, promptText, maxNewTokens: args.maxNewTokens, suppress: prepared.suppress, reference, repeats: args.repeats,
  };

  const { server, origin } = await startServer(args.isolate);
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch(launchOptions());
    const envPage = await browser.newPage();
    await envPage.goto(`${origin}/bench/peers/peers.html`);
    await envPage.waitForFunction(() => window.sparkPeers !== undefined, undefined, { timeout: 60_000 });
    const environment = await envPage.evaluate(() => window.sparkPeers!.environment());
    await envPage.close();
    const peers: PeerResult[] = [];
    for (const name of args.peers) {
      process.stderr.write(`[peers] running ${name}\n`);
      peers.push(await runOne(browser, origin, name, specFor(name, prepared, request), args.timeoutMs));
    }
    return {
      model: relative(ROOT, prepared.source),
      gguf: relative(ROOT, prepared.gguf),
      prompt,
      promptText,
      suppressedCount: prepared.suppress.length,
      reference,
      referenceSource: args.reference ? 'caller' : 'pytorch',
      environment,
      peers,
    };
  } finally {
    await browser?.close().catch(() => undefined);
    await server.close();
  }
}

/** CLI entry (called by run-peers.mjs): prints the rows as JSON, the full report to --json. */
export async function main(argv: readonly string[]): Promise<void> {
  const args = parseArgs(argv);
  const report = await runPeers(args);
  if (args.json) writeFileSync(args.json, JSON.stringify(report, null, 2) + '\n');
  process.stdout.write(JSON.stringify(report.peers, null, 2) + '\n');
}
