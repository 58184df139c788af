// Peer: transformers.js (onnxruntime-web, WebGPU or WASM backend) on the ONNX export of the model
// (bench/peers/export_onnx.py). Runs in the page, fed token ids directly (no tokenizer): the
// comparison is of the forward pass and the cache, not of tokenization.
import { AutoModelForCausalLM, BaseStreamer, LogLevel, Tensor, env, type TextStreamer } from '@huggingface/transformers';
import { failedRow, medianRow, type GenerationRun, type PeerRequest, type PeerResult } from './common.ts';

export interface TransformersPeerOptions {
  /** URL of the directory holding model dirs (transformers.js `env.localModelPath`), e.g. '/bench/peers/out/'. */
  modelRoot: string;
  /** The model dir's name under modelRoot (must contain config.json and onnx/model.onnx). */
  modelId: string;
  device: 'webgpu' | 'wasm';
  /** URLs of onnxruntime-web's wasm factory and binary, served locally (the default is a CDN). */
  ortWasm: { mjs: string; wasm: string };
}

/** Records when generate() hands out tokens: the first put() is the prompt itself, then one per step. */
class TimingStreamer extends BaseStreamer {
  readonly stamps: number[] = [];
  readonly ids: number[] = [];
  private sawPrompt = false;

  override put(value: bigint[][]): void {
    const now = performance.now();
    if (!this.sawPrompt) {
      this.sawPrompt = true;
      return;
    }
    for (const id of value[0] ?? []) {
      this.ids.push(Number(id));
      this.stamps.push(now);
    }
  }

  override end(): void {}
}

let configured = false;

function configureEnv(opts: TransformersPeerOptions): void {
  if (configured) return;
  configured = true;
  env.allowRemoteModels = false; // a benchmark must never fetch weights from the Hub
  env.allowLocalModels = true;
  env.localModelPath = opts.modelRoot;
  env.useBrowserCache = false; // measure the same path every run, no Cache API state
  env.useWasmCache = false;
  // Warnings stay on: ORT says there which nodes it did not place on the WebGPU EP, and
  // run-peers.ts copies page warnings into the row.
  env.logLevel = LogLevel.WARNING;
  const onnx = env.backends.onnx as { wasm?: { wasmPaths?: unknown; numThreads?: number } };
  if (onnx.wasm) {
    onnx.wasm.wasmPaths = { ...opts.ortWasm };
    // Threads need crossOriginIsolated (COOP/COEP); without it ORT silently falls back to 1.
    onnx.wasm.numThreads = globalThis.crossOriginIsolated ? Math.min(2, navigator.hardwareConcurrency) : 1;
  }
}

/** Greedy-decode req.maxNewTokens tokens with transformers.js; never throws (failures become rows). */
export async function runTransformersPeer(opts: TransformersPeerOptions, req: PeerRequest): Promise<PeerResult> {
  const name = `transformers.js (${opts.device})`;
  let stage = 'configure';
  try {
    configureEnv(opts);
    if (opts.device === 'webgpu' && !('gpu' in navigator)) throw new Error('navigator.gpu is missing');
    stage = 'load';
    const t0 = performance.now();
    const model = await AutoModelForCausalLM.from_pretrained(opts.modelId, {
      device: opts.device,
      dtype: 'fp32', // the export is f32; ask for exactly onnx/model.onnx
    });
    const loadMs = performance.now() - t0;
    try {
      const n = req.prompt.length;
      const inputIds = new Tensor('int64', BigInt64Array.from(req.prompt, (t) => BigInt(t)), [1, n]);
      const attentionMask = new Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]);
      const gen = {
        inputs: inputIds,
        attention_mask: attentionMask,
        max_new_tokens: req.maxNewTokens,
        // Exactly N tokens, like the other peers: EOS may not end the run early.
        min_new_tokens: req.maxNewTokens,
        do_sample: false,
        ...(req.suppress.length > 0 ? { suppress_tokens: req.suppress } : {}),
      };
      // One untimed warm-up generation of 2 tokens: the first run compiles WebGPU pipelines and
      // uploads weights; the benchmark is of steady-state decoding, as for the other engines.
      stage = 'warmup';
      await model.generate({ ...gen, max_new_tokens: 2, min_new_tokens: 2 });
      stage = 'generate';
      const runs: GenerationRun[] = [];
      for (let r = 0; r < (req.repeats ?? 1); r++) {
        const streamer = new TimingStreamer();
        const start = performance.now();
        // The typings (from JSDoc) ask for a TextStreamer, but generate() only calls put()/end().
        await model.generate({ ...gen, streamer: streamer as unknown as TextStreamer });
        const end = performance.now();
        const first = streamer.stamps[0];
        if (first === undefined) throw new Error('generate() produced no tokens');
        runs.push({ ids: streamer.ids, timing: { start, firstToken: first, end, tokens: streamer.ids.length } });
      }
      return medianRow(name, runs, req.reference, {
        loadMs: Math.round(loadMs),
        threads: (env.backends.onnx as { wasm?: { numThreads?: number } }).wasm?.numThreads ?? 0,
      });
    } finally {
      await model.dispose();
    }
  } catch (err) {
    return failedRow(name, err, { stage });
  }
}
