// The page side of `npm run bench`: our engine on the default model, in the same headless
// Chromium (real WebGPU: SwiftShader here) the peers run in. Exposes window.sparkBench.run(spec)
// for run-bench.ts. Every figure comes from the engine's own counters (GenerateStats) or from
// wall-clock around real generations; nothing here is modelled.
import { GREEDY, loadLab, tokensPerSubmitFor, type Backend, type ForcedGrid, type GenerateRequest, type GpuBackend, type GpuBackendOptions, type TunedPlan } from '../src/engine/index.ts';
import { loadModel, type LoadedModel } from '../src/model/load.ts';
import { spread, type EngineBenchResult, type EngineBenchSpec, type SensitivityRow, type WeightFormatRow } from './bench-types.ts';

const { CpuBackend, createGpuBackend, requestEngineDevice, describeFormats, describeGrid, gridOf, measureDispatchOverhead, measureReadBandwidth, promptLookupDraft, roleShapes, speculativeEditDraft } = await loadLab();

declare global {
  interface Window {
    sparkBench?: { run(spec: EngineBenchSpec): Promise<EngineBenchResult> };
  }
}

// ---- Magic numbers, with their reasons -------------------------------------------------------
/** Streaming-read buffer: far above any cache SwiftShader's CPU has, small enough to allocate. */
const BANDWIDTH_MB = 32;
/** KV positions for the sensitivity backends: their prompts are short, so keep uploads small. */
const SENSITIVITY_CONTEXT = 256;
/** Tile columns compared ("1 against many"), each with a chain and a tree reduce when Q > 1. */
const GRID_COLUMNS = [1, 4, 8];

const log = (msg: string) => console.log(`[bench] ${msg}`);

interface Run { tokens: number[]; stats: Awaited<ReturnType<Backend['generate']>> }

async function generate(backend: Backend, req: Partial<GenerateRequest> & { promptIds: readonly number[] }): Promise<Run> {
  const tokens: number[] = [];
  const stats = await backend.generate(
    { maxNewTokens: 1, stopIds: [], sampling: GREEDY, tokensPerSubmit: 8, ...req },
    (ids) => tokens.push(...ids), new AbortController().signal);
  return { tokens, stats };
}

/** Empties the KV cache's reuse for `prompt`: one token that differs from its first. */
async function forget(backend: Backend, prompt: readonly number[]): Promise<void> {
  await generate(backend, { promptIds: [(prompt[0]! + 1) % backend.config.vocabSize] });
}

/** Tokens/s after the first token (the first belongs to the prefill submit). */
const decodeRate = (r: Run) => ((r.stats.decodeTokens - 1) * 1000) / Math.max(1e-6, r.stats.decodeMs);

/**
 * `repeats` generations of `tokens` tokens. fresh: prefill the whole prompt every time (for the
 * time to first token); otherwise the prompt stays in the KV cache between runs, which is what
 * the editor sees and saves the bench slow re-prefills (decode speed does not depend on it).
 */
async function repeatDecode(backend: Backend, prompt: readonly number[], tokens: number, n: number, repeats: number, extra: Partial<GenerateRequest> = {}, fresh = false) {
  const runs: Run[] = [];
  for (let r = 0; r < repeats; r++) {
    if (fresh) await forget(backend, prompt);
    runs.push(await generate(backend, { promptIds: prompt, maxNewTokens: tokens, tokensPerSubmit: n, ...extra }));
  }
  const last = runs.at(-1)!.stats;
  return {
    runs,
    rate: spread(runs.map(decodeRate)),
    perToken: (k: 'readbacks' | 'submits' | 'dispatches') => last[k] / last.decodeTokens,
  };
}

async function openDevice(): Promise<GPUDevice> {
  if (!navigator.gpu) throw new Error('WebGPU is not available in this browser (navigator.gpu is missing)');
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) throw new Error('WebGPU: no adapter');
  return requestEngineDevice(adapter);
}

/** An in-memory plan cache: every backend of one format shares one autotune. */
function memoryPlanCache() {
  const plans = new Map<string, TunedPlan>();
  return { get: async (k: string) => plans.get(k), set: async (k: string, v: TunedPlan) => { plans.set(k, v); } };
}

function gridsOf(backend: GpuBackend): string {
  return Object.entries(backend.plan.roles).filter(([, p]) => p)
    .map(([role, p]) => `${role}:${describeGrid(gridOf(p!))}`).join(', ');
}

/** What the autotune chose per role on this adapter, out of how many timed candidates. */
function autotuneOf(backend: GpuBackend): EngineBenchResult['autotune'] {
  return Object.fromEntries(Object.entries(backend.tuned ?? {}).map(([role, t]) => [role, {
    chosen: describeGrid(t!.grid), ms: t!.ms,
    candidates: t!.candidates.map((c) => ({ grid: describeGrid(c.grid), ms: c.ms })),
    skipped: (t!.skipped ?? []).map((s) => s.reason),
    ...(t!.norm ? { norm: t!.norm } : {}), ...(t!.f16 ? { f16: t!.f16 } : {}), ...(t!.argmax ? { argmax: t!.argmax } : {}),
  }]));
}

/** Same tile rows as the default grid, Q tile columns, on every matrix. */
function forcedColumns(model: LoadedModel, q: number, reduce: 'chain' | 'tree'): ForcedGrid {
  return Object.fromEntries(roleShapes(model.config).filter((s) => s.role !== 'embed')
    .map((s) => [s.role, { tileRows: 64 * s.rowsPerThread, colTiles: q, reduce }]));
}

async function sensitivity(spec: EngineBenchSpec, model: LoadedModel, device: GPUDevice, main: GpuBackend, base: GpuBackendOptions): Promise<SensitivityRow[]> {
  const s = spec.sensitivity;
  const rows: SensitivityRow[] = [];
  const row = async (name: string, group: SensitivityRow['group'], backend: GpuBackend, n: number) => {
    const d = await repeatDecode(backend, spec.decodePrompt, s.decodeTokens, n, s.repeats);
    rows.push({ name, group, decodeTokensPerSecond: d.rate, dispatchesPerToken: d.perToken('dispatches'), readbacksPerToken: d.perToken('readbacks'), detail: gridsOf(backend) });
    log(`sensitivity ${name}: ${d.rate.median.toFixed(1)} tok/s`);
  };
  for (const n of s.tokensPerSubmit) await row(`N=${n}`, 'tokens-per-submit', main, n);
  const n = spec.defaultTokensPerSubmit;
  if (s.grids) {
    for (const q of GRID_COLUMNS) {
      for (const reduce of q === 1 ? (['chain'] as const) : (['chain', 'tree'] as const)) {
        const b = await createGpuBackend(model, { ...base, device, forceGrid: forcedColumns(model, q, reduce), maxContext: SENSITIVITY_CONTEXT });
        try { await row(q === 1 ? 'Q=1 (no reduce)' : `Q=${q} ${reduce}`, 'grid', b, n); } finally { b.dispose(); }
      }
    }
  }
  if (s.formats) {
    for (const weightFormat of ['f32', 'f16'] as const) {
      const b = await createGpuBackend(model, { ...base, device, weightFormat, maxContext: SENSITIVITY_CONTEXT });
      try { await row(`${weightFormat} weights`, 'weights', b, n); } finally { b.dispose(); }
    }
  }
  return rows;
}

/**
 * F16, Q8_0 and Q4_0 of the same checkpoint (quantized on load), and its Q4_K_M GGUF as the file
 * has it (K-quants are not made on load), each its own backend on the same device.
 */
async function weightFormats(spec: EngineBenchSpec, model: LoadedModel, device: GPUDevice, base: GpuBackendOptions): Promise<WeightFormatRow[]> {
  const rows: WeightFormatRow[] = [];
  const q4km = spec.q4kmGgufUrl !== undefined ? await loadModel(spec.q4kmGgufUrl) : undefined;
  const runs = [
    ...(['f16', 'q8_0', 'q4_0'] as const).map((format) => ({ format, model, weightFormat: format })),
    ...(q4km ? [{ format: 'q4_k_m' as const, model: q4km, weightFormat: undefined }] : []),
  ];
  for (const { format, model: m, weightFormat } of runs) {
    const b = await createGpuBackend(m, { ...base, device, ...(weightFormat ? { weightFormat } : {}), maxContext: SENSITIVITY_CONTEXT });
    try {
      await generate(b, { promptIds: spec.decodePrompt, maxNewTokens: 2 }); // warm-up
      const d = await repeatDecode(b, spec.decodePrompt, spec.referenceTokens, spec.defaultTokensPerSubmit, spec.repeats);
      rows.push({ format, decodeTokensPerSecond: d.rate, bytesPerToken: b.plan.summary.bytesPerToken, storedBytes: b.plan.summary.storedBytes, tokens: d.runs[0]!.tokens });
      log(`weights ${format}: ${d.rate.median.toFixed(1)} tok/s, ${(b.plan.summary.bytesPerToken / 1e6).toFixed(2)} MB/token`);
    } finally { b.dispose(); }
  }
  return rows;
}

async function drafts(spec: EngineBenchSpec, backend: GpuBackend) {
  const d = spec.drafts;
  const compare = async (prompt: number[], draft: GenerateRequest['draft']) => {
    const off = await repeatDecode(backend, prompt, d.tokens, spec.defaultTokensPerSubmit, spec.repeats);
    const on = await repeatDecode(backend, prompt, d.tokens, spec.defaultTokensPerSubmit, spec.repeats, { draft });
    const last = on.runs.at(-1)!;
    return {
      off: off.rate, on: on.rate,
      accepted: last.stats.acceptedDraftTokens, drafted: last.stats.draftedTokens,
      identical: on.runs.every((r) => r.tokens.join() === off.runs[0]!.tokens.join()),
    };
  };
  const completion = await compare(d.completionPrompt, promptLookupDraft);
  log(`drafts, completion: ${completion.off.median.toFixed(1)} → ${completion.on.median.toFixed(1)} tok/s`);
  const rewrite = await compare(d.rewritePrompt, speculativeEditDraft(d.rewriteOriginal, d.rewritePrompt.length));
  log(`drafts, rewrite: ${rewrite.off.median.toFixed(1)} → ${rewrite.on.median.toFixed(1)} tok/s`);
  return { completion, rewrite };
}

async function run(spec: EngineBenchSpec): Promise<EngineBenchResult> {
  const loaded = await loadModel(spec.modelUrl);
  // Long prefills (2048) run the same weights with more KV positions than the model was trained
  // for: RoPE extends, the speed is what is measured, not the quality.
  const model: LoadedModel = { ...loaded, config: { ...loaded.config, maxPositionEmbeddings: Math.max(loaded.config.maxPositionEmbeddings, spec.maxContext) } };
  const params = [...loaded.weights.values()].reduce((s, t) => s + t.size, 0);
  const device = await openDevice();
  const base: GpuBackendOptions = { planCache: memoryPlanCache() };
  let main: GpuBackend | undefined;
  try {
    const bw = await measureReadBandwidth(device, { megabytes: BANDWIDTH_MB });
    const overhead = await measureDispatchOverhead(device);
    log(`stream read ${bw.gbPerSecond.toFixed(2)} GB/s; ${overhead.msPerDispatch.toFixed(3)} ms per empty dispatch`);
    main = await createGpuBackend(model, { ...base, device, maxContext: spec.maxContext });
    const n = spec.defaultTokensPerSubmit;
    await generate(main, { promptIds: spec.decodePrompt, maxNewTokens: 2 }); // warm-up

    const dec = await repeatDecode(main, spec.decodePrompt, Math.max(spec.decodeTokens, spec.referenceTokens), n, spec.repeats, {}, true);
    const greedy = dec.runs[0]!.tokens.slice(0, spec.referenceTokens);
    log(`decode N=${n}: ${dec.rate.median.toFixed(1)} tok/s`);

    const prefill: EngineBenchResult['prefill'] = {};
    const layerParams = params - loaded.config.vocabSize * loaded.config.hiddenSize; // embeddings are gathered, not multiplied
    const [doc, ...typed] = spec.keystrokeDocs;
    // The ~2k-token prefill is the keystroke file itself: its last run leaves the file in the KV
    // cache, exactly where an editor is before the next key.
    for (const [len, prompt] of [...Object.entries(spec.prefillPrompts), ['2048', doc!] as const]) {
      const runs: Run[] = [];
      for (let r = 0; r < (prompt.length > 1024 ? spec.longRepeats : spec.repeats); r++) {
        await forget(main, prompt);
        runs.push(await generate(main, { promptIds: prompt }));
      }
      const ms = spread(runs.map((r) => r.stats.prefillMs));
      const tokens = runs[0]!.stats.prefillTokens;
      prefill[len] = { tokens, ms, tokensPerSecond: spread(runs.map((r) => (r.stats.prefillTokens * 1000) / r.stats.prefillMs)), gflopPerSecond: (2 * layerParams * tokens) / (ms.median / 1000) / 1e9 };
      log(`prefill ${len} (${tokens} tokens): ${prefill[len]!.tokensPerSecond.median.toFixed(0)} tok/s`);
    }
    const keyRuns: Run[] = [];
    for (const ids of typed) keyRuns.push(await generate(main, { promptIds: ids }));
    const keystroke = { docTokens: doc!.length, prefillTokens: keyRuns.map((r) => r.stats.prefillTokens), ms: spread(keyRuns.map((r) => r.stats.prefillMs)), fullPrefillMs: prefill['2048']!.ms };
    log(`keystroke: ${keystroke.prefillTokens.join(',')} tokens, ${keystroke.ms.median.toFixed(1)} ms vs ${keystroke.fullPrefillMs.median.toFixed(0)} ms full`);

    // Where decode's GPU time goes: one profiled run (timestamp queries where the adapter has them).
    main.setProfiling(true);
    await forget(main, spec.decodePrompt);
    const profiled = await generate(main, { promptIds: spec.decodePrompt, maxNewTokens: spec.decodeTokens, tokensPerSubmit: n });
    main.setProfiling(false);
    const perToken = Object.fromEntries(Object.entries(profiled.stats.phases ?? {})
      .filter(([k]) => k.startsWith('decode:')).map(([k, ms]) => [k.slice('decode:'.length), ms / Math.max(1, profiled.stats.decodeTokens - 1)]));
    const profile = { clock: profiled.stats.phaseClock ?? 'none', decodeMsPerTokenByKernel: perToken };

    const msPerToken = 1000 / dec.rate.median;
    const measuredN = tokensPerSubmitFor(msPerToken);
    const dm = await repeatDecode(main, spec.decodePrompt, spec.decodeTokens, measuredN, Math.min(2, spec.repeats));
    const decodeMeasuredN = { tokensPerSubmit: measuredN, msPerToken, tokensPerSecond: dm.rate, readbacksPerToken: dm.perToken('readbacks') };
    log(`decode at the measured N=${measuredN} (${msPerToken.toFixed(2)} ms per token): ${dm.perToken('readbacks').toFixed(3)} readbacks per token`);

    const batched = await createGpuBackend(model, { ...base, device, maxContext: SENSITIVITY_CONTEXT, firstTokenAlone: false });
    let decodeN8Batched: EngineBenchResult['decodeN8Batched'];
    try {
      const d8 = await repeatDecode(batched, spec.decodePrompt, spec.decodeTokens, 8, spec.repeats);
      decodeN8Batched = { tokensPerSecond: d8.rate, readbacksPerToken: d8.perToken('readbacks') };
    } finally { batched.dispose(); }

    // The CPU paths the page can choose: the reference's products, and WebAssembly SIMD ones.
    const cpuPath = async (matmul: 'reference' | 'simd', label: string): Promise<EngineBenchResult['cpuReference']> => {
      const cpu = new CpuBackend(loaded, { maxContext: 1024, matmul });
      const runs: Run[] = [];
      try {
        for (let r = 0; r < Math.min(2, spec.repeats); r++) runs.push(await generate(cpu, { promptIds: spec.decodePrompt, maxNewTokens: spec.cpuReferenceTokens, tokensPerSubmit: 1 }));
      } finally { cpu.dispose(); }
      const tokens = runs[0]!.tokens;
      log(`${label}: ${spread(runs.map(decodeRate)).median.toFixed(1)} tok/s`);
      return { decodeTokensPerSecond: spread(runs.map(decodeRate)), tokens, sameTokens: tokens.join() === dec.runs[0]!.tokens.slice(0, tokens.length).join() };
    };
    const cpuReference = await cpuPath('reference', 'CPU reference');
    const cpuSimd = await cpuPath('simd', 'CPU SIMD');

    const draftResult = await drafts(spec, main);
    const sens = await sensitivity(spec, model, device, main, base);
    const formats = await weightFormats(spec, model, device, base);
    const info = device.adapterInfo;
    const last = dec.runs.at(-1)!.stats;
    return {
      adapter: `${info.vendor} ${info.architecture}`.trim() + (info.description ? ` (${info.description})` : ''),
      features: [...device.features].sort(),
      description: main.description,
      weightFormat: describeFormats(main.plan.formats),
      params,
      plan: { bytesPerToken: main.plan.summary.bytesPerToken, grids: gridsOf(main) },
      autotune: autotuneOf(main),
      bandwidth: { gbPerSecond: bw.gbPerSecond, megabytes: BANDWIDTH_MB, bestMs: bw.bestMs },
      dispatchOverhead: overhead,
      profile,
      decode: {
        tokensPerSubmit: n, tokensPerSecond: dec.rate, ttftMs: spread(dec.runs.map((r) => r.stats.ttftMs)),
        readbacksPerToken: last.readbacks / last.decodeTokens, submitsPerToken: last.submits / last.decodeTokens, dispatchesPerToken: last.dispatches / last.decodeTokens,
      },
      decodeN8Batched,
      decodeMeasuredN,
      prefill,
      keystroke,
      greedy,
      cpuReference,
      cpuSimd,
      drafts: draftResult,
      sensitivity: sens,
      weightFormats: formats,
    };
  } finally {
    main?.dispose();
    device.destroy();
  }
}

window.sparkBench = { run };
const status = document.getElementById('log');
if (status) status.textContent = 'ready';
