// Peer: wllama (llama.cpp compiled to WebAssembly; its WebGPU backend when n_gpu_layers > 0) on the
// GGUF of the model (bench/peers/export_gguf.py). Fed token ids directly, greedy, exactly N tokens.
import { Wllama } from '@wllama/wllama';
import {
  byteLevelInverse,
  bytesKey,
  failedRow,
  medianRow,
  type GenerationRun,
  type PeerRequest,
  type PeerResult,
} from './common.ts';

export interface WllamaPeerOptions {
  /** URL of the GGUF file. */
  ggufUrl: string;
  /** URL of tokenizer.json (to map the pieces llama.cpp reports back to ids). */
  tokenizerUrl: string;
  /** URL of wllama.wasm (shipped in the npm package, served by vite). */
  wasmUrl: string;
  /** 0 = llama.cpp's CPU (wasm SIMD) backend; > 0 offloads that many layers to its WebGPU backend. */
  gpuLayers: number;
  nCtx: number;
}

/** Tokens per timed request at least (see runWllamaPeer). */
const TIMED_TOKENS = 64;

/** The parts of a streamed completion chunk we read (llama-server's OAI-compatible shape). */
interface CompletionChunk {
  choices?: { text?: string; logprobs?: unknown }[];
  completion_probabilities?: { id?: number; bytes?: number[] }[];
  tokens?: number[];
  timings?: { prompt_n?: number; prompt_ms?: number; predicted_n?: number; predicted_per_second?: number };
  usage?: { prompt_tokens?: number } | null;
}

/** llama-server puts token info in different places depending on the options; take what is there. */
function idsFromChunk(chunk: CompletionChunk, inverse: Map<string, number>): number[] | undefined {
  if (Array.isArray(chunk.tokens) && chunk.tokens.length > 0) return chunk.tokens;
  const probs = chunk.completion_probabilities;
  if (Array.isArray(probs) && probs.length > 0) {
    const out: number[] = [];
    for (const p of probs) {
      if (typeof p.id === 'number') out.push(p.id);
      else if (Array.isArray(p.bytes)) {
        const id = inverse.get(bytesKey(p.bytes));
        if (id === undefined) throw new Error(`wllama reported a piece with unknown bytes [${p.bytes.join(',')}]`);
        out.push(id);
      }
    }
    return out;
  }
  const lp = chunk.choices?.[0]?.logprobs as { content?: { id?: number; bytes?: number[] }[] } | null | undefined;
  if (lp && Array.isArray(lp.content) && lp.content.length > 0) {
    return idsFromChunk({ completion_probabilities: lp.content }, inverse);
  }
  return undefined;
}

async function adapterSummary(): Promise<{ name: string; shaderF16: boolean }> {
  if (!('gpu' in navigator)) return { name: 'navigator.gpu missing', shaderF16: false };
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) return { name: 'requestAdapter() returned null', shaderF16: false };
  return { name: `${adapter.info.vendor} ${adapter.info.architecture}`.trim(), shaderF16: adapter.features.has('shader-f16') };
}

/** Greedy-decode req.maxNewTokens tokens with wllama; never throws (failures become rows). */
export async function runWllamaPeer(opts: WllamaPeerOptions, req: PeerRequest): Promise<PeerResult> {
  const name = `wllama (${opts.gpuLayers > 0 ? 'webgpu' : 'wasm'})`;
  let stage = 'fetch';
  let wllama: Wllama | undefined;
  const chunks: unknown[] = [];
  const nativeLog: string[] = [];
  const placementLog: string[] = [];
  try {
    const [gguf, tokJson] = await Promise.all([
      fetch(opts.ggufUrl).then((r) => {
        if (!r.ok) throw new Error(`GET ${opts.ggufUrl}: HTTP ${r.status}`);
        return r.blob();
      }),
      fetch(opts.tokenizerUrl).then((r) => {
        if (!r.ok) throw new Error(`GET ${opts.tokenizerUrl}: HTTP ${r.status}`);
        return r.json() as Promise<{ model: { vocab: Record<string, number> } }>;
      }),
    ]);
    const inverse = byteLevelInverse(tokJson.model.vocab);
    stage = 'load';
    // llama.cpp reports why a request failed only in its native log (the JS side then sees a
    // garbled reply), so keep the native log and surface its warnings/errors in the row.
    const keep = (...a: unknown[]) => {
      if (nativeLog.length < 40) nativeLog.push(a.map(String).join(' '));
    };
    // Info lines are dropped except the ones saying where the weights went, which is how a
    // "webgpu" row proves it ran on WebGPU.
    const placement = (...a: unknown[]) => {
      const line = a.map(String).join(' ');
      if (/model buffer size|offloaded|using device/i.test(line) && placementLog.length < 12) placementLog.push(line.trim());
    };
    wllama = new Wllama(
      { default: opts.wasmUrl },
      { suppressNativeLog: false, logger: { debug: placement, log: placement, warn: keep, error: keep } },
    );
    const t0 = performance.now();
    await wllama.loadModel([gguf], {
      n_ctx: opts.nCtx,
      n_batch: Math.max(512, req.prompt.length),
      n_gpu_layers: opts.gpuLayers,
      n_threads: globalThis.crossOriginIsolated ? Math.min(2, navigator.hardwareConcurrency) : 1,
      // f32 KV cache (llama.cpp's default is f16): the same arithmetic as the other engines.
      cache_type_k: 'f32',
      cache_type_v: 'f32',
      warmup: true,
    });
    const loadMs = performance.now() - t0;
    if (opts.gpuLayers > 0 && !placementLog.some((l) => /webgpu/i.test(l))) {
      // Asked for WebGPU, but llama.cpp silently fell back to its CPU backend: a row with CPU
      // numbers under a "webgpu" name would be wrong, so this row fails with the evidence.
      const adapter = await adapterSummary();
      throw new Error(
        `llama.cpp did not place the model on WebGPU (log: ${placementLog.join('; ').replace(/\s+/g, ' ') || 'no placement lines'}); ` +
          `adapter: ${adapter.name}` +
          // ggml-webgpu.cpp creates its device with required_features = {ShaderF16, ...}.
          (adapter.shaderF16 ? '' : ", which lacks 'shader-f16' that llama.cpp's WebGPU backend requires"),
      );
    }
    const bias: Record<string, number> = {};
    for (const id of req.suppress) bias[String(id)] = -1e9; // see PeerRequest.suppress
    const params = {
      // Text, not ids: wllama 3 rejects a token array ("type must be string, but is array").
      // The GGUF's pre-tokenizer matches ours, and the row reports the prompt length it saw.
      prompt: req.promptText,
      max_tokens: req.maxNewTokens,
      temperature: 0, // llama.cpp: temp <= 0 is greedy (argmax)
      top_k: 1,
      ignore_eos: true,
      // llama-server takes {"id": bias}; wllama's typings intersect that with an array form no
      // value can satisfy, hence the cast.
      logit_bias: bias as never,
      cache_prompt: false, // every run pays its own prefill
      n_probs: 1, // makes the server report each token (id and bytes), so ids can be checked
      // ...taken after the sampler chain (logit_bias applied), so the reported candidate is the
      // chosen token: before it, a suppressed non-UTF-8 byte token could be the top candidate
      // and llama-server fails to serialize it ("invalid UTF-8 byte").
      post_sampling_probs: true,
      return_tokens: true,
    };
    stage = 'warmup';
    await wllama.createCompletion({ ...params, max_tokens: 2 });
    stage = 'generate';
    const runs: GenerationRun[] = [];
    let timings: CompletionChunk['timings'];
    let promptTokens: number | undefined;
    // wllama hands tokens to the page by polling its worker, so chunk arrival times bunch up and
    // say little about when each token was made. Wall clock over two requests does not depend on
    // that: T1 = one token (prefill + first token), TM = M tokens; decode rate = (M - 1) / (TM - T1).
    // Each request carries tens of ms of polling jitter, so M is at least TIMED_TOKENS: over a
    // short span (16 tokens at ~100 tok/s) the jitter can make TM <= T1. Greedy with EOS ignored,
    // the first N of the M tokens are the N-token answer, which is what is compared.
    const timed = Math.min(Math.max(req.maxNewTokens, TIMED_TOKENS), opts.nCtx - req.prompt.length - 8);
    if (timed < req.maxNewTokens) throw new Error(`n_ctx ${opts.nCtx} leaves no room for ${req.maxNewTokens} new tokens after a ${req.prompt.length}-token prompt`);
    const engine = wllama;
    const generate = async (maxTokens: number) => {
      const ids: number[] = [];
      let own: CompletionChunk['timings'];
      const start = performance.now();
      await engine.createCompletion({
        ...params,
        max_tokens: maxTokens,
        stream: true,
        onData: (chunk: unknown) => {
          if (chunks.length < 3) chunks.push(chunk);
          const c = chunk as CompletionChunk;
          if (c.timings) timings = own = c.timings;
          if (typeof c.usage?.prompt_tokens === 'number') promptTokens = c.usage.prompt_tokens;
          ids.push(...(idsFromChunk(c, inverse) ?? []));
        },
      });
      const ms = performance.now() - start;
      if (ids.length === 0) {
        throw new Error(`no token ids in wllama's stream; first chunks: ${JSON.stringify(chunks).slice(0, 600)}`);
      }
      return { ids, ms, own: own?.predicted_per_second };
    };
    for (let r = 0; r < (req.repeats ?? 1); r++) {
      const one = await generate(1);
      const all = await generate(timed);
      runs.push({
        ids: all.ids.slice(0, req.maxNewTokens),
        timing: { start: 0, firstToken: one.ms, end: all.ms, tokens: all.ids.length },
        ...(all.own === undefined ? {} : { ownDecodeTokensPerSecond: all.own }),
      });
    }
    // llama.cpp's count of the prompt tokens it evaluated: equal to ours means it tokenized the
    // text to the same length (the ids themselves are not reported back).
    const seen = timings?.prompt_n ?? promptTokens ?? -1;
    return medianRow(name, runs, req.reference, {
      loadMs: Math.round(loadMs),
      promptTokens: req.prompt.length,
      promptTokensSeen: seen,
      llamaPromptMs: timings?.prompt_ms ?? -1,
      timedTokens: timed,
      threads: wllama.getNumThreads(),
      multithread: wllama.isMultithread(),
      navigatorGpu: wllama.isSupportWebGPU(), // navigator.gpu exists; see placement for where it ran
      libllama: Wllama.getLibllamaVersion(),
      placement: placementLog.join(' | ').slice(0, 600),
    });
  } catch (err) {
    const detail: Record<string, string> = { stage };
    if (placementLog.length > 0) detail['placement'] = placementLog.join(' | ').slice(0, 600);
    if (nativeLog.length > 0) detail['nativeLog'] = nativeLog.join(' | ').slice(-2000);
    return failedRow(name, err, detail);
  } finally {
    await wllama?.exit().catch(() => undefined);
  }
}
