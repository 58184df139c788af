// The page behind `npm run generate`: runs the real engine worker (the same worker engine the
// editor uses) and hands the result back to scripts/generate.mjs through window.sparkGenerate.
import { createWorkerEngine, type BackendPreference, type DoneEvent, type PromptSpec, type QuantizeFormat, type ReadyEvent, type SamplingParams } from '../src/engine/index.ts';

export interface PageGenerateOptions {
  modelUrl: string;
  backend: BackendPreference;
  prompt: PromptSpec;
  maxNewTokens: number;
  sampling: SamplingParams;
  tokensPerSubmit: number;
  drafts: boolean;
  maxPromptTokens: number;
  ignoreStopTokens: boolean;
  /** Quantize float matrices to these blocks on upload (the GPU backend's weightFormat). */
  quantize?: QuantizeFormat;
}

export interface PageGenerateResult {
  ready: ReadyEvent;
  done: DoneEvent;
  /** Wall clock from posting the request to the first streamed token / to done, in the page. */
  firstTokenMs: number;
  totalMs: number;
  adapter: string;
}

async function adapterName(ready: ReadyEvent): Promise<string> {
  if (ready.backend === 'cpu') return ready.description;
  const adapter = await navigator.gpu?.requestAdapter();
  if (!adapter) return ready.description;
  const { vendor, architecture, device, description } = adapter.info;
  return [vendor, architecture, device, description].filter(Boolean).join(' / ') || ready.description;
}

async function sparkGenerate(options: PageGenerateOptions): Promise<PageGenerateResult> {
  const client = createWorkerEngine();
  try {
    const ready = await client.load(options.modelUrl, { backend: options.backend, ...(options.quantize ? { gpuOptions: { quantizeFloats: options.quantize } } : {}) });
    const started = performance.now();
    let firstTokenMs = -1;
    const generation = client.generate({
      prompt: options.prompt,
      maxNewTokens: options.maxNewTokens,
      sampling: options.sampling,
      tokensPerSubmit: options.tokensPerSubmit,
      drafts: options.drafts,
      maxPromptTokens: options.maxPromptTokens,
      ignoreStopTokens: options.ignoreStopTokens,
    }, () => {
      if (firstTokenMs < 0) firstTokenMs = performance.now() - started;
    });
    const done = await generation.done;
    return { ready, done, firstTokenMs, totalMs: performance.now() - started, adapter: await adapterName(ready) };
  } finally {
    client.dispose();
  }
}

(window as unknown as { sparkGenerate: typeof sparkGenerate }).sparkGenerate = sparkGenerate;
document.title = 'spark-generate-ready';
