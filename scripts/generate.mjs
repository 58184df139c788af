#!/usr/bin/env node
// `npm run generate -- --model <dir> --prompt-file <f> --max-tokens <n> [options]`
// Runs the real engine (the worker the editor uses) in headless Chromium with WebGPU, and prints
// the generated text, or with --json one JSON object on stdout. The model directory and a tiny
// page (scripts/generate.html) are served by a Vite dev server on 127.0.0.1 (a secure context,
// so navigator.gpu exists). Plain .mjs because Node 20 cannot run TypeScript directly; the page
// side is TypeScript, compiled by Vite.
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MODEL_ROUTE = '/__spark_model/';

const USAGE = `usage: npm run generate -- --model <dir> (--prompt-file <file> | --prompt <text>) --max-tokens <n> [options]

  --model <dir>             Hugging Face layout directory (config.json, tokenizer.json, *.safetensors)
  --prompt-file <file>      prompt text (UTF-8); or --prompt <text>
  --suffix-file <file>      text after the cursor: makes a fill-in-the-middle prompt
  --max-tokens <n>          new tokens to generate (>= 0)
  --greedy                  argmax decoding (the default)
  --temperature <t>         sample with temperature t > 0 (with --top-k, --top-p, --seed)
  --top-k <k>               keep the k most likely tokens (0 = all; default 0)
  --top-p <p>               nucleus sampling, 0 < p <= 1 (default 1)
  --seed <s>                random seed for sampling (default 0)
  --tokens-per-submit <n>   tokens decoded per GPU submit (default 8)
  --max-prompt-tokens <n>   prompt token budget (default 4096)
  --ignore-eos              generate exactly --max-tokens (no stop at EOS/special tokens; for benchmarks)
  --drafts                  verify prompt-lookup drafts in batch (output unchanged)
  --backend <b>             webgpu | cpu | auto (default auto: WebGPU, else the CPU reference with a warning)
  --json                    print one JSON object on stdout
  --timeout <seconds>       give up after this long (default 600)
  --verbose                 forward the page's console to stderr`;

class UsageError extends Error {}

const VALUE_FLAGS = new Set(['--model', '--prompt-file', '--prompt', '--suffix-file', '--max-tokens', '--temperature', '--top-k',
  '--top-p', '--seed', '--tokens-per-submit', '--max-prompt-tokens', '--timeout', '--backend']);

function parseArgs(argv) {
  const opts = { greedy: false, json: false, drafts: false, verbose: false, ignoreEos: false, backend: 'auto', tokensPerSubmit: 8, topK: 0, topP: 1, seed: 0, maxPromptTokens: 4096, timeout: 600 };
  const flags = new Set(['--greedy', '--json', '--drafts', '--verbose', '--ignore-eos', '--help', '-h']);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (flags.has(arg)) {
      if (arg === '--help' || arg === '-h') opts.help = true;
      else if (arg === '--ignore-eos') opts.ignoreEos = true;
      else opts[arg.slice(2)] = true;
      continue;
    }
    const [name, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (!VALUE_FLAGS.has(name)) throw new UsageError(`unknown argument ${JSON.stringify(arg)}`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`${name} needs a value`);
    const number = (min, integer = true) => {
      const n = Number(value);
      if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min) throw new UsageError(`${name} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got ${JSON.stringify(value)}`);
      return n;
    };
    switch (name) {
      case '--model': opts.model = value; break;
      case '--prompt-file': opts.promptFile = value; break;
      case '--prompt': opts.prompt = value; break;
      case '--suffix-file': opts.suffixFile = value; break;
      case '--max-tokens': opts.maxTokens = number(0); break;
      case '--temperature': opts.temperature = number(0, false); break;
      case '--top-k': opts.topK = number(0); break;
      case '--top-p': opts.topP = number(0, false); if (opts.topP === 0 || opts.topP > 1) throw new UsageError('--top-p must be in (0, 1]'); break;
      case '--seed': opts.seed = number(0); break;
      case '--tokens-per-submit': opts.tokensPerSubmit = number(1); break;
      case '--max-prompt-tokens': opts.maxPromptTokens = number(4); break;
      case '--timeout': opts.timeout = number(1, false); break;
      case '--backend':
        if (!['webgpu', 'cpu', 'auto'].includes(value)) throw new UsageError(`--backend must be webgpu, cpu or auto, got ${JSON.stringify(value)}`);
        opts.backend = value;
        break;
      default: throw new UsageError(`unknown argument ${JSON.stringify(arg)}`);
    }
  }
  if (opts.help) return opts;
  if (!opts.model) throw new UsageError('--model is required');
  if (opts.model.endsWith('.gguf')) throw new UsageError('GGUF models are not supported yet; pass a Hugging Face layout directory');
  if (!existsSync(opts.model) || !statSync(opts.model).isDirectory()) throw new UsageError(`--model ${opts.model} is not a directory`);
  if (!existsSync(join(opts.model, 'config.json'))) throw new UsageError(`--model ${opts.model} has no config.json (expected a Hugging Face layout directory)`);
  if ((opts.promptFile === undefined) === (opts.prompt === undefined)) throw new UsageError('give exactly one of --prompt-file or --prompt');
  if (opts.promptFile !== undefined && !existsSync(opts.promptFile)) throw new UsageError(`--prompt-file ${opts.promptFile} does not exist`);
  if (opts.suffixFile !== undefined && !existsSync(opts.suffixFile)) throw new UsageError(`--suffix-file ${opts.suffixFile} does not exist`);
  if (opts.maxTokens === undefined) throw new UsageError('--max-tokens is required');
  if (opts.greedy && opts.temperature !== undefined && opts.temperature > 0) throw new UsageError('--greedy and --temperature > 0 contradict each other');
  return opts;
}

/** Vite plugin: serves the model directory under MODEL_ROUTE (no directory escapes). */
function serveModelDir(dir) {
  const base = resolve(dir);
  return {
    name: 'spark-generate-model',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        if (!req.url?.startsWith(MODEL_ROUTE)) return next();
        const name = decodeURIComponent(req.url.slice(MODEL_ROUTE.length).split('?')[0]);
        const file = resolve(base, name);
        if (!file.startsWith(base + sep) || !existsSync(file) || !statSync(file).isFile()) {
          res.statusCode = 404;
          res.end('not found');
          return;
        }
        res.setHeader('content-length', String(statSync(file).size));
        res.setHeader('content-type', file.endsWith('.json') ? 'application/json' : 'application/octet-stream');
        res.setHeader('cache-control', 'no-store');
        createReadStream(file).pipe(res);
      });
    },
  };
}

const perSecond = (tokens, ms) => (ms > 0 ? (tokens * 1000) / ms : 0);
const perToken = (count, tokens) => (tokens > 0 ? count / tokens : 0);
const round = (x, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`generate: ${err.message}\n\n${USAGE}`);
      process.exit(2);
    }
    throw err;
  }
  if (opts.help) {
    console.log(USAGE);
    return;
  }
  const promptText = opts.prompt ?? readFileSync(opts.promptFile, 'utf8');
  const prompt = opts.suffixFile !== undefined
    ? { kind: 'fim', prefix: promptText, suffix: readFileSync(opts.suffixFile, 'utf8') }
    : { kind: 'plain', text: promptText };
  const sampling = opts.temperature !== undefined && opts.temperature > 0
    ? { temperature: opts.temperature, topK: opts.topK, topP: opts.topP, seed: opts.seed }
    : { temperature: 0, topK: 0, topP: 1, seed: 0 };

  const { createServer } = await import('vite');
  const { chromium } = await import('playwright');
  const server = await createServer({
    root: ROOT,
    configFile: join(ROOT, 'vite.config.ts'),
    logLevel: opts.verbose ? 'info' : 'error',
    cacheDir: join(ROOT, 'node_modules/.vite-generate'),
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, watch: null },
    // Pre-bundle up front so Vite never reloads the page mid-run after discovering a dependency.
    optimizeDeps: { entries: ['scripts/generate.html'], include: ['@huggingface/tokenizers'] },
    plugins: [serveModelDir(opts.model)],
  });
  let browser;
  const timer = setTimeout(() => {
    console.error(`generate: timed out after ${opts.timeout} s`);
    process.exit(1);
  }, opts.timeout * 1000);
  try {
    await server.listen();
    const address = server.httpServer.address();
    const origin = `http://127.0.0.1:${address.port}`;
    const { launchOptions } = (await server.ssrLoadModule('/scripts/browser.ts'));
    browser = await chromium.launch({ ...launchOptions(), headless: true });
    const page = await browser.newPage();
    page.on('console', (msg) => { if (opts.verbose || msg.type() === 'error') console.error(`[page] ${msg.text()}`); });
    page.on('pageerror', (err) => console.error(`[page] ${err.message}`));
    await page.goto(`${origin}/scripts/generate.html`);
    await page.waitForFunction(() => typeof window.sparkGenerate === 'function', null, { timeout: 120_000 });
    const result = await page.evaluate((o) => window.sparkGenerate(o), {
      modelUrl: `${origin}${MODEL_ROUTE}`, backend: opts.backend, prompt, maxNewTokens: opts.maxTokens, sampling,
      tokensPerSubmit: opts.tokensPerSubmit, drafts: opts.drafts, maxPromptTokens: opts.maxPromptTokens,
      ignoreStopTokens: opts.ignoreEos,
    });
    report(opts, result);
  } finally {
    clearTimeout(timer);
    await browser?.close();
    await server.close();
  }
}

function report(opts, { ready, done, adapter, totalMs }) {
  const s = done.stats;
  if (ready.fallbackReason) console.error(`generate: warning: running the CPU reference, not WebGPU: ${ready.fallbackReason}`);
  if (opts.json) {
    const out = {
      tokens: done.tokens,
      text: done.text,
      backend: ready.backend,
      adapter,
      stats: {
        promptTokens: s.promptTokens,
        prefillTokens: s.prefillTokens,
        decodeTokens: s.decodeTokens,
        ttftMs: round(s.ttftMs),
        prefillTokensPerSecond: round(perSecond(s.prefillTokens, s.prefillMs)),
        decodeTokensPerSecond: round(perSecond(s.decodeTokens, s.decodeMs)),
        dispatchesPerToken: round(perToken(s.dispatches, s.decodeTokens)),
        submitsPerToken: round(perToken(s.submits, s.decodeTokens)),
        readbacksPerToken: round(perToken(s.readbacks, s.decodeTokens)),
        // Extra fields (the names above are the stable contract):
        reusedTokens: s.reusedTokens,
        droppedTokens: s.droppedTokens,
        prefillMs: round(s.prefillMs),
        decodeMs: round(s.decodeMs),
        submits: s.submits,
        dispatches: s.dispatches,
        readbacks: s.readbacks,
        draftedTokens: s.draftedTokens,
        acceptedDraftTokens: s.acceptedDraftTokens,
        wallMs: round(totalMs),
      },
      finishReason: done.finishReason,
      description: ready.description,
      ...(ready.fallbackReason ? { fallbackReason: ready.fallbackReason } : {}),
      model: { architecture: ready.config.architecture, vocabSize: ready.config.vocabSize, hiddenSize: ready.config.hiddenSize, numLayers: ready.config.numLayers },
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } else {
    process.stdout.write(done.text.endsWith('\n') ? done.text : `${done.text}\n`);
    console.error(`[generate] ${ready.backend} (${adapter}): ${s.promptTokens} prompt tokens, ${s.decodeTokens} generated (${done.finishReason}), `
      + `ttft ${s.ttftMs.toFixed(1)} ms, prefill ${perSecond(s.prefillTokens, s.prefillMs).toFixed(1)} tok/s, decode ${perSecond(s.decodeTokens, s.decodeMs).toFixed(1)} tok/s`);
  }
}

main().catch((err) => {
  console.error(`generate: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
