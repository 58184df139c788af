// The engine's lab: backends and their instruments, run in the calling page (the bench, tests).
// Reached through the façade's loadLab(), never imported directly from outside the engine.
export { CpuBackend } from './backends/cpu/cpu-backend.ts';
export { createGpuBackend, requestEngineDevice } from './backends/gpu/gpu-backend.ts';
export { measureDispatchOverhead, measureReadBandwidth } from './backends/gpu/bandwidth.ts';
export { describeGrid, gridOf, planMatrix } from './backends/plan/wafer-plan.ts';
export { describeFormats, roleShapes } from './backends/plan/model-plan.ts';
export { promptLookupDraft } from './worker/draft/prompt-lookup.ts';
export { speculativeEditDraft } from './worker/draft/speculative-edit.ts';
export { buildPrompt } from './worker/prompt.ts';
