// The engine's public face. Code outside src/engine/ imports from here and nowhere else (a lint
// rule holds it): what is not exported here may change without the UI, the bench or the scripts
// noticing.
import { EngineClient } from './api/client.ts';
import type { Engine } from './api/engine.ts';
import { SupervisedEngine, type SupervisorOptions } from './api/supervisor.ts';

/**
 * The engine in its own Worker, supervised: a worker that crashes or stops answering is replaced
 * and the model loaded again. The app's engine.
 */
export function createWorkerEngine(options: SupervisorOptions = {}): Engine {
  return new SupervisedEngine(() => EngineClient.create(), options);
}

/**
 * The engine in the calling thread, behind the same interface and protocol (tests, tools with no
 * UI to keep responsive). Loaded on demand, so a page that never calls it never downloads it.
 */
export async function createInPageEngine(): Promise<Engine> {
  const { InPageWorker } = await import('./worker/in-page.ts');
  return new EngineClient(new InPageWorker());
}

export type { Engine } from './api/engine.ts';
export { SUPERVISOR_DEFAULTS, type SupervisorOptions } from './api/supervisor.ts';
export type { GenerateOptions, Generation, LoadOptions } from './api/client.ts';
export { BACKEND_PREFERENCES } from './api/protocol.ts';
export { ENGINE_CACHE_KEY_PREFIXES } from './api/cache-keys.ts';
export type {
  BackendPreference, ChatMessage, DiagnosticsEvent, DoneEvent, ErrorEvent, FinishReason, LoadProgressEvent, PromptSpec, ReadyEvent, TokensEvent, WorkerTrace,
} from './api/protocol.ts';
export { QUANTIZE_FORMATS, type GpuOptions, type QuantizeFormat } from './api/gpu-options.ts';
export type { CachedModel, CacheListing } from '../model/cache/model-cache.ts';
export { CONTEXT_TOKENS, MAX_DRAFT_TOKENS, MAX_TOKENS, PROMPT_TOKENS, PROMPT_WINDOW, SUBMIT_BUDGET_MS, TOKENS_PER_SUBMIT, tokensPerSubmitFor, type Range } from './api/limits.ts';
export { decodeTokensPerSecond, emptyStats, GREEDY, type BackendKind, type GenerateStats, pathSummary, type PathChoice, type PathMeasurement, type SamplingParams } from './api/types.ts';
export {
  PE_SRAM_BYTES, type ForcedGrid, type GridChoice, type MatrixPlan, type MatrixRole, type ModelWaferPlan, type WeightFormat,
} from './api/plan-types.ts';
export { formatProbe, probeWebGpu, type ProbeResult } from './api/probe.ts';

// A remote model (hub id or URL) described before it is downloaded: size, format, GPU fit. On demand,
// in a worker of its own in a page (it carries the hub client, and header parsing takes CPU).
export type { DescribeOptions, GpuFitReport, GpuLimits, RemoteModelInfo } from './remote-model.ts';
export const describeRemoteModel = async (
  source: string, options?: import('./remote-model.ts').DescribeOptions,
): Promise<import('./remote-model.ts').RemoteModelInfo> => (await import('./remote-model-client.ts')).describeRemoteModel(source, options);

// The lab: backends run in the calling page, for the bench and tests. Its values load on demand
// (`await loadLab()`), so importing this façade costs no backend code, in a page or in Node.
export type { Backend, GenerateRequest } from './backends/backend.ts';
export type { GpuBackend, GpuBackendOptions } from './backends/gpu/gpu-backend.ts';
export type { TunedPlan } from './backends/gpu/autotune.ts';
export type Lab = typeof import('./lab.ts');
export const loadLab = (): Promise<Lab> => import('./lab.ts');
