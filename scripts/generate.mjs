#!/usr/bin/env node
// `npm run generate -- --model <folder | file.gguf | https URL | org/name[@revision]> --prompt-file <f> --max-tokens <n> [options]`
// Runs the real engine (the worker the editor uses) in headless Chromium with WebGPU, and prints
// the generated text, or with --json one JSON object on stdout. The model's files and a tiny page
// (scripts/generate.html) are served by a Vite dev server on 127.0.0.1 (a secure context, so
// navigator.gpu exists): whatever the source (src/model/model-source.ts: a folder or .gguf on disk
// opened here, a URL, a hub repository), the page loads it from that one local route, so the engine
// loads it exactly as it loads any model by URL. Plain .mjs because Node 20 cannot run TypeScript
// directly; the TypeScript it needs is compiled by Vite (ssrLoadModule here, the page in Chromium).
/* global Response, AbortController -- Node 20 has both; the config lists browser globals only */
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { ensureBrowser } from './ensure-browser.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MODEL_ROUTE = '/__spark_model/';

const USAGE = `usage: npm run generate -- --model <source> (--prompt-file <file> | --prompt <text>) --max-tokens <n> [options]

  --model <source>          a Hugging Face layout folder (config.json, tokenizer.json, *.safetensors),
                            a .gguf file, an https URL of a .gguf file, or a hub repo id
                            org/name[@revision][:file.gguf] (config.json in the repo: that layout;
                            else its one .gguf file, or the one named after the colon).
                            A local path wins over a hub id of the same spelling (./org/name forces it)
  --hub-endpoint <url>      hub to load repo ids from (default $HF_ENDPOINT, else https://huggingface.co)
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
  --quantize <q>            q8_0 | q4_0: quantize the f16/f32/bf16 matrices to these blocks on upload to the GPU (a GGUF's block-typed ones stay)
  --json                    print one JSON object on stdout
  --timeout <seconds>       give up after this long (default 600)
  --verbose                 forward the page's console to stderr`;

class UsageError extends Error {}

const VALUE_FLAGS = new Set(['--model', '--hub-endpoint', '--prompt-file', '--prompt', '--suffix-file', '--max-tokens', '--temperature', '--top-k',
  '--top-p', '--seed', '--tokens-per-submit', '--max-prompt-tokens', '--timeout', '--backend', '--quantize']);

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
      case '--hub-endpoint': opts.hubEndpoint = value; break;
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
      case '--quantize':
        if (!['q8_0', 'q4_0'].includes(value)) throw new UsageError(`--quantize must be q8_0 or q4_0, got ${JSON.stringify(value)}`);
        opts.quantize = value;
        break;
      default: throw new UsageError(`unknown argument ${JSON.stringify(arg)}`);
    }
  }
  if (opts.help) return opts;
  if (!opts.model) throw new UsageError('--model is required');
  if ((opts.promptFile === undefined) === (opts.prompt === undefined)) throw new UsageError('give exactly one of --prompt-file or --prompt');
  if (opts.promptFile !== undefined && !existsSync(opts.promptFile)) throw new UsageError(`--prompt-file ${opts.promptFile} does not exist`);
  if (opts.suffixFile !== undefined && !existsSync(opts.suffixFile)) throw new UsageError(`--suffix-file ${opts.suffixFile} does not exist`);
  if (opts.maxTokens === undefined) throw new UsageError('--max-tokens is required');
  if (opts.greedy && opts.temperature !== undefined && opts.temperature > 0) throw new UsageError('--greedy and --temperature > 0 contradict each other');
  return opts;
}

const localKind = (path) => {
  if (!existsSync(path)) return undefined;
  return statSync(path).isDirectory() ? 'dir' : 'file';
};

/**
 * A folder or .gguf file on disk as a ModelFileSource (src/model/model-source.ts): whole files and
 * byte ranges, nothing outside the folder (or other than the one file).
 */
function localSource(spec) {
  const path = resolve(spec.path);
  const single = spec.kind === 'gguf-file';
  const base = single ? dirname(path) : path;
  const fileName = single ? basename(path) : undefined;
  return {
    label: spec.path,
    layout: single ? 'gguf' : 'hf',
    ...(single ? { ggufFile: fileName } : {}),
    async fetch(name, { range } = {}) {
      const file = resolve(base, name);
      const inside = single ? name === fileName : file.startsWith(base + sep);
      if (!inside || !existsSync(file) || !statSync(file).isFile()) return new Response(null, { status: 404, statusText: 'Not Found' });
      const size = statSync(file).size;
      if (!range) return new Response(Readable.toWeb(createReadStream(file)), { headers: { 'content-length': String(size) } });
      if (range.start >= size) return new Response(null, { status: 416, headers: { 'content-range': `bytes */${size}` } });
      const end = Math.min(range.end, size);
      return new Response(Readable.toWeb(createReadStream(file, { start: range.start, end: end - 1 })), {
        status: 206, headers: { 'content-length': String(end - range.start), 'content-range': `bytes ${range.start}-${end - 1}/${size}` },
      });
    },
  };
}

/** Opens --model: a usage error for what cannot be a model source, a plain error for what fails to load. */
async function openSource(opts, sources) {
  let spec;
  let endpoint;
  try {
    spec = sources.parseModelSource(opts.model, localKind);
    endpoint = sources.hubEndpoint(opts.hubEndpoint, process.env.HF_ENDPOINT);
  } catch (err) {
    throw new UsageError(err.message);
  }
  if (spec.kind === 'folder') {
    if (!existsSync(spec.path) || !statSync(spec.path).isDirectory()) throw new UsageError(`--model ${spec.path} is not a directory`);
    if (!existsSync(join(spec.path, 'config.json'))) throw new UsageError(`--model ${spec.path} has no config.json (expected a Hugging Face layout directory)`);
  }
  if (spec.kind === 'gguf-file' && (!existsSync(spec.path) || !statSync(spec.path).isFile())) throw new UsageError(`--model ${spec.path}: no such .gguf file`);
  return sources.openModelSource(spec, { endpoint, openLocal: async (local) => localSource(local) });
}

/** Vite plugin: serves the model source's files under MODEL_ROUTE, streamed from wherever they are. */
function serveModelSource(holder) {
  return {
    name: 'spark-generate-model',
    configureServer(server) {
      server.middlewares.use(async (req, res, next) => {
        if (!req.url?.startsWith(MODEL_ROUTE)) return next();
        const name = decodeURIComponent(req.url.slice(MODEL_ROUTE.length).split('?')[0]);
        const controller = new AbortController();
        res.on('close', () => controller.abort());
        try {
          const upstream = holder.source ? await holder.source.fetch(name, { signal: controller.signal }) : new Response(null, { status: 404 });
          res.statusCode = upstream.status;
          res.setHeader('cache-control', 'no-store');
          if (!upstream.ok || !upstream.body) {
            await upstream.body?.cancel();
            res.end();
            return;
          }
          // A compressed upstream's Content-Length counts encoded bytes; the body here is decoded.
          const encoding = upstream.headers.get('content-encoding');
          const length = upstream.headers.get('content-length');
          if (length !== null && (encoding === null || encoding === 'identity')) res.setHeader('content-length', length);
          res.setHeader('content-type', name.endsWith('.json') ? 'application/json' : 'application/octet-stream');
          const body = Readable.fromWeb(upstream.body);
          body.on('error', (err) => {
            console.error(`generate: ${name}: ${err.message}`);
            res.destroy(err);
          });
          body.pipe(res);
        } catch (err) {
          if (controller.signal.aborted) return;
          console.error(`generate: ${name}: ${err.message}`);
          if (res.headersSent) res.destroy(err);
          else { res.statusCode = 502; res.end(err.message); }
        }
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

  // Before the timeout starts: on a fresh clone this may install Chromium.
  process.env.CHROMIUM_PATH ??= ensureBrowser();
  const { createServer } = await import('vite');
  const { chromium } = await import('playwright');
  // The source is opened once the server (which compiles model-source.ts) exists; the route reads it then.
  const holder = { source: undefined };
  const server = await createServer({
    root: ROOT,
    configFile: join(ROOT, 'vite.config.ts'),
    logLevel: opts.verbose ? 'info' : 'error',
    cacheDir: join(ROOT, 'node_modules/.vite-generate'),
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, watch: null },
    // Pre-bundle up front so Vite never reloads the page mid-run after discovering a dependency.
    optimizeDeps: { entries: ['scripts/generate.html'], include: ['@huggingface/tokenizers'] },
    plugins: [serveModelSource(holder)],
  });
  let browser;
  const timer = setTimeout(() => {
    console.error(`generate: timed out after ${opts.timeout} s`);
    process.exit(1);
  }, opts.timeout * 1000);
  try {
    const sources = await server.ssrLoadModule('/src/model/model-source.ts');
    const { describeModelFormat } = await server.ssrLoadModule('/src/model/model-format.ts');
    holder.source = await openSource(opts, sources);
    const format = await describeModelFormat(holder.source);
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
    const route = holder.source.layout === 'gguf' ? holder.source.ggufFile.split('/').map(encodeURIComponent).join('/') : '';
    const result = await page.evaluate((o) => window.sparkGenerate(o), {
      modelUrl: `${origin}${MODEL_ROUTE}${route}`, backend: opts.backend, prompt, maxNewTokens: opts.maxTokens, sampling,
      tokensPerSubmit: opts.tokensPerSubmit, drafts: opts.drafts, maxPromptTokens: opts.maxPromptTokens,
      ignoreStopTokens: opts.ignoreEos, ...(opts.quantize ? { quantize: opts.quantize } : {}),
    });
    report(opts, result, holder.source, format);
  } finally {
    clearTimeout(timer);
    await browser?.close();
    await server.close();
  }
}

/**
 * Weight bytes the GPU backend holds for the model's matrices, from its wafer plan: every layer's
 * matrices and the LM head as stored (tile-major, padded, Q8_0/Q4_0 blocks as blocks), plus the
 * embedding table when untied (the plan's totals leave it out: it is gathered, not streamed).
 * Norm and bias vectors are not in the plan. Undefined without a plan (the CPU reference).
 */
function gpuWeights(plan) {
  if (!plan) return undefined;
  const embed = plan.roles.embed?.storedBytes ?? 0;
  return { bytes: plan.summary.storedBytes + embed, streamedPerToken: plan.summary.bytesPerToken, embeddingBytes: embed, formats: plan.formats };
}

function report(opts, { ready, done, adapter, totalMs }, source, format) {
  const s = done.stats;
  const gpu = gpuWeights(ready.plan);
  if (ready.fallbackReason) console.error(`generate: warning: running the CPU reference, not WebGPU: ${ready.fallbackReason}`);
  if (opts.json) {
    const out = {
      tokens: done.tokens,
      text: done.text,
      backend: ready.backend,
      adapter,
      format: format.label,
      gpuWeightBytes: gpu?.bytes ?? null,
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
      source: { label: source.label, layout: source.layout, ...(source.commit ? { commit: source.commit } : {}) },
      formatParameters: format.parameters,
      ...(gpu ? { gpuWeights: gpu } : {}),
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } else {
    process.stdout.write(done.text.endsWith('\n') ? done.text : `${done.text}\n`);
    console.error(`[generate] ${source.label} (${format.label}${gpu ? `, ${(gpu.bytes / 2 ** 20).toFixed(1)} MiB of weights on the GPU` : ''})`);
    console.error(`[generate] ${ready.backend} (${adapter}): ${s.promptTokens} prompt tokens, ${s.decodeTokens} generated (${done.finishReason}), `
      + `ttft ${s.ttftMs.toFixed(1)} ms, prefill ${perSecond(s.prefillTokens, s.prefillMs).toFixed(1)} tok/s, decode ${perSecond(s.decodeTokens, s.decodeMs).toFixed(1)} tok/s`);
  }
}

main().catch((err) => {
  if (err instanceof UsageError) {
    console.error(`generate: ${err.message}\n\n${USAGE}`);
    process.exit(2);
  }
  console.error(`generate: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
