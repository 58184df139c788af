// The page side of the peers benchmark: exposes window.sparkPeers.run(spec) for run-peers.ts.
// Each peer module is loaded only when asked for, so a peer whose package fails to load cannot
// take the other down; the import error becomes that peer's failed row.
import ortMjsUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url';
import ortWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import wllamaWasmUrl from '@wllama/wllama/esm/wasm/wllama.wasm?url';
import { failedRow, type PeerRequest, type PeerResult } from './common.ts';

export type PeerSpec =
  | { peer: 'transformers.js'; device: 'webgpu' | 'wasm'; modelRoot: string; modelId: string; request: PeerRequest }
  | { peer: 'wllama'; gpuLayers: number; ggufUrl: string; tokenizerUrl: string; nCtx: number; request: PeerRequest };

export interface SparkPeersApi {
  run(spec: PeerSpec): Promise<PeerResult>;
  /** What the page can use: WebGPU adapter, cross-origin isolation (threads). */
  environment(): Promise<Record<string, string | boolean | number>>;
}

declare global {
  interface Window {
    sparkPeers?: SparkPeersApi;
  }
}

const abs = (u: string) => new URL(u, location.href).href;

async function run(spec: PeerSpec): Promise<PeerResult> {
  if (spec.peer === 'transformers.js') {
    const name = `transformers.js (${spec.device})`;
    try {
      const { runTransformersPeer } = await import('./transformers-peer.ts');
      return await runTransformersPeer(
        { modelRoot: spec.modelRoot, modelId: spec.modelId, device: spec.device, ortWasm: { mjs: abs(ortMjsUrl), wasm: abs(ortWasmUrl) } },
        spec.request,
      );
    } catch (err) {
      return failedRow(name, err, { stage: 'import' });
    }
  }
  const name = `wllama (${spec.gpuLayers > 0 ? 'webgpu' : 'wasm'})`;
  try {
    const { runWllamaPeer } = await import('./wllama-peer.ts');
    return await runWllamaPeer(
      { ggufUrl: spec.ggufUrl, tokenizerUrl: spec.tokenizerUrl, wasmUrl: abs(wllamaWasmUrl), gpuLayers: spec.gpuLayers, nCtx: spec.nCtx },
      spec.request,
    );
  } catch (err) {
    return failedRow(name, err, { stage: 'import' });
  }
}

async function environment(): Promise<Record<string, string | boolean | number>> {
  const out: Record<string, string | boolean | number> = {
    crossOriginIsolated: globalThis.crossOriginIsolated,
    hardwareConcurrency: navigator.hardwareConcurrency,
    webgpu: 'gpu' in navigator,
  };
  if ('gpu' in navigator) {
    const adapter = await navigator.gpu.requestAdapter();
    if (adapter) {
      out['adapter'] = `${adapter.info.vendor} ${adapter.info.architecture}`.trim();
      out['features'] = [...adapter.features].sort().join(',');
    }
  }
  return out;
}

window.sparkPeers = { run, environment };
const log = document.getElementById('log');
if (log) log.textContent = 'ready';
