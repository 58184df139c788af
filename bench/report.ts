// bench.json, its markdown table and its SVG chart, from the measurements of one run. Pure, so
// the report's shape and its arithmetic are unit-tested (report.test.ts). Field names under
// ours/roofline/peers follow bench.json's stable format (checked by scripts/test.mjs); everything else is added freely.
import { nearestRank } from '../src/hud/percentiles.ts';
import { pauseSummary, type PauseLatency } from './pause-report.ts';
import type { EngineBenchResult, SensitivityRow, Spread, WeightFormatRow } from './bench-types.ts';

export interface PeerRow {
  name: string;
  status: 'ok' | 'failed';
  error?: string;
  decodeTokensPerSecond?: number;
  /** The peer's own internal figure (llama.cpp's timings), beside the wall clock. */
  ownDecodeTokensPerSecond?: number;
  prefillMs?: number;
  sameTokens?: boolean;
  firstMismatch?: number;
  detail?: Record<string, string | number | boolean>;
  /** Runs outside the browser (llama.cpp through node-llama-cpp): shown, but not one of the in-browser peers the targets compare with. */
  native?: boolean;
}

export interface EditorLatency {
  keystrokeToGhostMs: { count: number; p50?: number; p95?: number; p99?: number };
  keystrokes: number;
  requests: number;
  cancelled: number;
  typedThrough: number;
  keyDelayMs: number;
  /** The path the page chose at load, and why (older runs lack it). */
  path?: string;
}

/** met 'n/a': the target does not apply on this adapter (the measured figure says why). */
export interface Target { name: string; target: string; measured: string; met: boolean | 'n/a' }

/** llama.cpp (node-llama-cpp, CPU) on a GGUF of the same weights in the same format. */
export type LlamaCppFormatRun = { decodeTokensPerSecond: number; prefillMs: number; threads: number; tokens: number[]; ggufBytes: number } | { error: string };

export interface FormatReportRow {
  format: WeightFormatRow['format'];
  decodeTokensPerSecond: Spread;
  bytesPerToken: number;
  storedBytes: number;
  /** The measured read bandwidth over this format's bytes per token, and decode's share of it. */
  boundTokensPerSecond: number;
  rooflineFraction: number;
  /** The quality cost against F16, as greedy decoding sees it: how many leading tokens are F16's, of how many. */
  sameAsF16?: { tokens: number; of: number };
  llamaCpp?: { decodeTokensPerSecond: number; threads: number; ggufBytes: number; sameTokens: boolean; firstMismatch?: number } | { error: string };
}

/** One row per weight format: ours against the roofline at that format's bytes, and llama.cpp's peer figure. */
export function formatRows(rows: readonly WeightFormatRow[], bandwidthGBps: number, llamaCpp: Partial<Record<WeightFormatRow['format'], LlamaCppFormatRun>> = {}): FormatReportRow[] {
  return rows.map((r) => {
    const bound = (bandwidthGBps * 1e9) / r.bytesPerToken;
    const peer = llamaCpp[r.format];
    let llama: FormatReportRow['llamaCpp'];
    if (peer && 'error' in peer) llama = peer;
    else if (peer) {
      const n = Math.min(peer.tokens.length, r.tokens.length);
      const mismatch = Array.from({ length: n }, (_, i) => i).find((i) => peer.tokens[i] !== r.tokens[i]);
      llama = { decodeTokensPerSecond: peer.decodeTokensPerSecond, threads: peer.threads, ggufBytes: peer.ggufBytes, sameTokens: mismatch === undefined, ...(mismatch === undefined ? {} : { firstMismatch: mismatch }) };
    }
    const f16 = rows.find((x) => x.format === 'f16');
    const of = Math.min(f16?.tokens.length ?? 0, r.tokens.length);
    const leading = Array.from({ length: of }, (_, i) => i).find((i) => f16!.tokens[i] !== r.tokens[i]) ?? of;
    return {
      format: r.format, decodeTokensPerSecond: r.decodeTokensPerSecond, bytesPerToken: r.bytesPerToken, storedBytes: r.storedBytes,
      boundTokensPerSecond: bound, rooflineFraction: r.decodeTokensPerSecond.median / bound,
      ...(f16 && of > 0 ? { sameAsF16: { tokens: leading, of } } : {}), ...(llama ? { llamaCpp: llama } : {}),
    };
  });
}

export interface BenchReport {
  adapter: string;
  model: string;
  quick: boolean;
  createdUtc: string;
  durationSeconds: number;
  ours: {
    decodeTokensPerSecond: number;
    prefillTokensPerSecond: Record<string, number>;
    ttftMs: number;
    keystroke: { prefillTokens: number; ms: number; fullPrefillMs: number; speedup: number; docTokens: number };
    readbacksPerToken: number;
    dispatchesPerToken: number;
    submitsPerToken: number;
    tokensPerSubmit: number;
    readbacksPerTokenN8Batched: number;
    /** The N the engine picks here from the measured time per token, and the readbacks it gives. */
    measuredN: { tokensPerSubmit: number; msPerToken: number; readbacksPerToken: number };
    /** Ours against the reference the peers are checked against (see comparedTokens). */
    sameTokens?: boolean;
    comparedTokens?: number;
    spread: { decodeTokensPerSecond: Spread; ttftMs: Spread; prefillTokensPerSecond: Record<string, Spread>; keystrokeMs: Spread };
    prefillGflopPerSecond: Record<string, number>;
  };
  roofline: {
    bandwidthGBps: number; weightBytesPerToken: number; boundTokensPerSecond: number; fraction: number;
    /** The other bound: dispatches per token × the measured cost of an empty dispatch. */
    msPerDispatch: number; dispatchBoundTokensPerSecond: number;
    /** Which floor (or neither) explains the measured decode time per token. */
    limiter: string;
  };
  /** One profiled decode: GPU ms per token by kernel category, and how it was timed. */
  profile: { clock: string; decodeMsPerTokenByKernel: Record<string, number> };
  peers: PeerRow[];
  sensitivity: SensitivityRow[];
  /** The same checkpoint as F16, Q8_0 and Q4_0 (quantized on load), with llama.cpp on the same blocks. */
  weightFormats?: FormatReportRow[];
  drafts: EngineBenchResult['drafts'];
  editor?: EditorLatency | { error: string };
  /** Keystroke → ghost after a pause, from outside the app (pause-latency.ts), with the default settings. */
  pause?: PauseLatency | { error: string };
  targets: Target[];
  engine: Pick<EngineBenchResult, 'description' | 'weightFormat' | 'params' | 'plan' | 'features' | 'autotune'>;
  reference: { source: string; tokens: number[]; prompt: number[]; suppressedCount: number };
}

/**
 * Ours is greedy with nothing suppressed; the reference (and every peer) never emits the
 * suppressed ids. Greedy over a subset agrees with greedy over all until the unrestricted argmax
 * is a suppressed id, so compare up to the first suppressed id we emitted, and say how far.
 */
export function compareWithSuppressed(ours: readonly number[], reference: readonly number[], suppressed: ReadonlySet<number>) {
  const n = Math.min(ours.length, reference.length);
  for (let i = 0; i < n; i++) {
    if (suppressed.has(ours[i]!)) return { sameTokens: true, comparedTokens: i };
    if (ours[i] !== reference[i]) return { sameTokens: false, comparedTokens: i, firstMismatch: i };
  }
  return { sameTokens: true, comparedTokens: n };
}

/**
 * What limits decode: the time per token is compared with the two floors measured on the same
 * adapter, streaming the weights (bandwidth) and issuing the dispatches (fixed cost each). When
 * neither floor explains half the time, the kernels' own execution is the limit (the profile
 * says which).
 */
export function decodeLimiter(tokensPerSecond: number, bandwidthBound: number, dispatchBound: number): string {
  const msPerToken = 1000 / tokensPerSecond;
  const streamMs = 1000 / bandwidthBound, dispatchMs = 1000 / dispatchBound;
  const share = (ms: number) => `${Math.round((100 * ms) / msPerToken)}%`;
  const floors = `streaming the weights at the measured bandwidth accounts for ${streamMs.toFixed(1)} ms (${share(streamMs)}) and the dispatches' fixed cost for ${dispatchMs.toFixed(1)} ms (${share(dispatchMs)})`;
  const which = Math.max(streamMs, dispatchMs) < msPerToken / 2 ? 'kernel execution above both floors'
    : dispatchMs >= streamMs ? 'dispatch overhead' : 'memory bandwidth';
  return `${which}: of ${msPerToken.toFixed(1)} ms per token, ${floors}`;
}

/** "matmul:lm_head 9.1 ms (31%), attention 6.0 ms (20%), ..." — the biggest first. */
export function profileSummary(msByKernel: Record<string, number>, top = 4): string {
  const total = Object.values(msByKernel).reduce((a, b) => a + b, 0);
  if (total <= 0) return 'no profile';
  return Object.entries(msByKernel).sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([k, ms]) => `${k} ${ms.toFixed(2)} ms (${Math.round((100 * ms) / total)}%)`).join(', ');
}

/** Nearest-rank, the same as the HUD's. */
export const percentile = nearestRank;

const fmt = (v: number | undefined, digits = 1) => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits));
const sp = (s: Spread, digits = 1) => `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;

/** The bench's row for the CPU path with WebAssembly SIMD products. */
export const SPARK_CPU_SIMD_ROW = 'Spark CPU (WebAssembly SIMD)';

/** The path the app chose at load (its probe's reason starts with the path's name), from either editor probe. */
export function chosenPath(r: Pick<BenchReport, 'editor' | 'pause'>): 'cpu' | 'cpu-simd' | 'webgpu' | undefined {
  const reason = [r.pause, r.editor].map((x) => (x && 'path' in x ? x.path : undefined)).find((p) => p !== undefined);
  return reason === undefined ? undefined : reason.startsWith('CPU SIMD') ? 'cpu-simd' : reason.startsWith('CPU') ? 'cpu' : 'webgpu';
}

/**
 * Readbacks per token at the N the engine picks from the measured time per token: ≤ 1/8 needs
 * N ≥ 8, which a submit budget of SUBMIT_BUDGET_MS allows only at ≤ 1 ms per token; slower, the
 * target does not apply, and the row says what N = 8 would cost.
 */
export function readbacksTarget(m: BenchReport['ours']['measuredN'], n8Batched: number): Target {
  const applies = m.tokensPerSubmit >= 8;
  const why = applies ? '' : ` (N=8 would hold a key ${fmt(8 * m.msPerToken, 0)} ms behind a submit; at N=8, first token batched: ${fmt(n8Batched, 3)})`;
  return {
    name: `readbacks/token at the N the engine picks here (N=${m.tokensPerSubmit} at ${fmt(m.msPerToken, 2)} ms per token)`,
    target: '≤ 1/8 where N ≥ 8', measured: `${fmt(m.readbacksPerToken, 3)}${why}`, met: applies ? m.readbacksPerToken <= 1 / 8 : 'n/a',
  };
}

export function targets(r: Omit<BenchReport, 'targets'>): Target[] {
  // Each in-browser peer at the better of its two figures, so neither its plumbing nor a timing
  // artefact can flatter ours.
  const rate = (p: PeerRow) => Math.max(p.decodeTokensPerSecond ?? 0, p.ownDecodeTokensPerSecond ?? 0);
  const browserPeers = r.peers.filter((p) => p.status === 'ok' && !p.name.startsWith('Spark') && !p.native);
  const bestPeer = Math.max(0, ...browserPeers.map(rate));
  const bestGpuPeer = Math.max(0, ...browserPeers.filter((p) => /webgpu/i.test(p.name)).map(rate));
  const path = chosenPath(r);
  const row = (name: string) => r.peers.find((p) => p.name.startsWith(name))?.decodeTokensPerSecond ?? 0;
  const chosen = path === 'cpu-simd' ? row(SPARK_CPU_SIMD_ROW) : path === 'cpu' ? row('Spark CPU reference') : r.ours.decodeTokensPerSecond;
  const chosenName = path === 'cpu-simd' ? 'CPU SIMD' : path === 'cpu' ? 'CPU' : 'WebGPU';
  const vs = (ours: number, peer: number, none: string) => ({ measured: peer > 0 ? `${fmt(ours / peer, 2)}×` : none, met: peer > 0 && ours >= 2 * peer });
  const out: Target[] = [
    { name: `decode of the chosen path (${chosenName}) vs best in-browser peer`, target: '≥ 2×', ...vs(chosen, bestPeer, 'no peer ran') },
    { name: 'WebGPU decode vs best WebGPU peer', target: '≥ 2×', ...vs(r.ours.decodeTokensPerSecond, bestGpuPeer, 'no WebGPU peer ran') },
    { name: 'decode vs roofline', target: '≥ 50%', measured: `${fmt(100 * r.roofline.fraction, 0)}%`, met: r.roofline.fraction >= 0.5 },
    readbacksTarget(r.ours.measuredN, r.ours.readbacksPerTokenN8Batched),
    { name: 'prefill per keystroke (end of 2k file)', target: '≤ 4 tokens', measured: `${r.ours.keystroke.prefillTokens} tokens`, met: r.ours.keystroke.prefillTokens <= 4 },
    { name: 'keystroke vs full re-prefill', target: '≥ 20× faster', measured: `${fmt(r.ours.keystroke.speedup, 1)}×`, met: r.ours.keystroke.speedup >= 20 },
  ];
  if (r.editor && 'keystrokeToGhostMs' in r.editor) {
    const k = r.editor.keystrokeToGhostMs;
    out.push({ name: 'keystroke → first ghost p50', target: '≤ 50 ms', measured: `${fmt(k.p50, 0)} ms`, met: k.p50 !== undefined && k.p50 <= 50 });
    out.push({ name: 'keystroke → first ghost p95', target: '≤ 150 ms', measured: `${fmt(k.p95, 0)} ms`, met: k.p95 !== undefined && k.p95 <= 150 });
  }
  if (r.pause && 'languages' in r.pause) {
    const p = r.pause;
    out.push({ name: 'keystroke → ghost after a pause p50', target: '≤ 50 ms', measured: `${fmt(p.p50, 0)} ms`, met: p.p50 !== undefined && p.p50 <= 50 });
    out.push({ name: 'keystroke → ghost after a pause p95', target: '≤ 150 ms', measured: `${fmt(p.p95, 0)} ms`, met: p.p95 !== undefined && p.p95 <= 150 });
    out.push({ name: 'pauses with a ghost (gate on)', target: '≥ 80%', measured: `${fmt(100 * p.ghostShare, 0)}%`, met: p.ghostShare >= 0.8 });
  }
  return out;
}

/**
 * "qkv 64x1 subgroup/4 +norm (1.15 ms; 12 timed, 1 skipped; norm folded in 1.15 ms, separate 1.40 ms), ...":
 * each role's winning grid and tile pass, and for a role after an RMSNorm both ways of running it
 * (and on a device with shader-f16, its f16 maths against f32), and for the lm_head, the greedy
 * sampler after it with and without its row statistics.
 */
export function autotuneSummary(tuned: BenchReport['engine']['autotune']): string {
  const roles = Object.entries(tuned ?? {});
  if (!roles.length) return 'nothing (the plan came from the defaults)';
  const norm = (n: { fusedMs: number; separateMs: number } | undefined) =>
    (n ? `; norm folded in ${fmt(n.fusedMs, 3)} ms, separate ${fmt(n.separateMs, 3)} ms` : '');
  const f16 = (h: { f16Ms: number; f32Ms: number } | undefined) => (h ? `; f16 maths ${fmt(h.f16Ms, 3)} ms, f32 ${fmt(h.f32Ms, 3)} ms` : '');
  const argmax = (a: { statsMs: number; scanMs: number } | undefined) =>
    (a ? `; with the sampler: row statistics ${fmt(a.statsMs, 3)} ms, the sampler scanning ${fmt(a.scanMs, 3)} ms` : '');
  return roles.map(([role, t]) => `${role} ${t.chosen} (${fmt(t.ms, 3)} ms; ${t.candidates.length} timed${t.skipped.length ? `, ${t.skipped.length} skipped` : ''}${f16(t.f16)}${norm(t.norm)}${argmax(t.argmax)})`).join(', ');
}

export function markdown(r: BenchReport): string {
  const o = r.ours;
  const lines = [
    `# Spark bench — ${r.createdUtc}${r.quick ? ' (quick)' : ''}`,
    '',
    `Adapter: **${r.adapter}**. Model: ${r.model} (${(r.engine.params / 1e6).toFixed(2)}M params, ${r.engine.weightFormat} weights). ` +
      'Figures are medians over repeated runs (min–max in brackets), all from this one run on the same adapter.',
    '',
    '## Decode, same weights, same browser',
    '',
    '| engine | decode tok/s (wall clock) | its own figure | prefill / TTFT ms | same greedy tokens |',
    '|---|---|---|---|---|',
    `| **Spark (WebGPU, N=${o.tokensPerSubmit})** | **${sp(o.spread.decodeTokensPerSecond)}** | – | ${sp(o.spread.ttftMs)} | ${o.sameTokens === undefined ? '–' : `${o.sameTokens ? 'yes' : 'NO'} (first ${o.comparedTokens})`} |`,
    ...r.peers.map((p) => p.status === 'ok'
      ? `| ${p.name} | ${p.decodeTokensPerSecond === undefined ? `– (${p.detail?.['decodeTiming'] ?? 'not measured'})` : fmt(p.decodeTokensPerSecond)} | ${fmt(p.ownDecodeTokensPerSecond)} | ${fmt(p.prefillMs)} | ${p.sameTokens === undefined ? '–' : p.sameTokens ? 'yes' : `NO (from token ${p.firstMismatch})`} |`
      : `| ${p.name} | failed: ${(p.error ?? '').replace(/\|/g, '\\|').replace(/\s+/g, ' ').slice(0, 160)} | – | – | – |`),
    `| roofline bound (${fmt(r.roofline.bandwidthGBps, 2)} GB/s ÷ ${fmt(r.roofline.weightBytesPerToken / 1e6, 2)} MB/token) | ${fmt(r.roofline.boundTokensPerSecond)} | – | – | – |`,
    `| dispatch floor (${fmt(o.dispatchesPerToken)} dispatches × ${fmt(r.roofline.msPerDispatch, 3)} ms) | ${fmt(r.roofline.dispatchBoundTokensPerSecond)} | – | – | – |`,
    '',
    `Decode is **${fmt(100 * r.roofline.fraction, 0)}%** of the streaming-read roofline. Limiter: ${r.roofline.limiter}. ` +
      `Decode GPU time per token by kernel (${r.profile.clock}): ${profileSummary(r.profile.decodeMsPerTokenByKernel)}. ` +
      `Per token at N=${o.tokensPerSubmit}: ${fmt(o.dispatchesPerToken)} dispatches, ${fmt(o.submitsPerToken, 3)} submits, ${fmt(o.readbacksPerToken, 3)} readbacks ` +
      `(${fmt(o.readbacksPerTokenN8Batched, 3)} at N=8 with the first token batched too).`,
    '',
    `Autotune on this adapter chose, per matrix (ms per GEMV, of the candidates timed): ${autotuneSummary(r.engine.autotune)}.`,
    '',
    '## Prefill and the keystroke',
    '',
    '| prompt tokens | prefill tok/s | ≈ GFLOP/s |',
    '|---|---|---|',
    ...Object.entries(o.spread.prefillTokensPerSecond).map(([len, s]) => `| ${len} | ${sp(s, 0)} | ${fmt(o.prefillGflopPerSecond[len], 2)} |`),
    '',
    `One more character at the end of a ${o.keystroke.docTokens}-token file: ${o.keystroke.prefillTokens} token(s) prefilled, ${sp(o.spread.keystrokeMs)} ms, ` +
      `against ${fmt(o.keystroke.fullPrefillMs, 0)} ms for a full re-prefill (**${fmt(o.keystroke.speedup, 0)}×**).`,
    '',
  ];
  if (r.editor) {
    lines.push('## Keystroke → first ghost character (the real page)', '');
    if ('error' in r.editor) lines.push(`Failed: ${r.editor.error}`, '');
    else {
      const k = r.editor.keystrokeToGhostMs;
      lines.push(`p50 **${fmt(k.p50, 0)} ms**, p95 **${fmt(k.p95, 0)} ms**, p99 ${fmt(k.p99, 0)} ms over ${k.count} ghosts; ${r.editor.keystrokes} keys typed ${r.editor.keyDelayMs} ms apart, ` +
        `${r.editor.requests} requests (${r.editor.cancelled} cancelled, ${r.editor.typedThrough} typed through), confidence gate off.`, '');
      if (r.editor.path) lines.push(`Path: ${r.editor.path}.`, '');
    }
  }
  if (r.pause) {
    lines.push('## Keystroke → ghost after a pause (from outside the app, default settings)', '');
    lines.push('error' in r.pause ? `Failed: ${r.pause.error}` : pauseSummary(r.pause), '');
  }
  if (r.weightFormats?.length) {
    lines.push('## Weight formats (same checkpoint: F16, Q8_0, Q4_0 quantized on load, Q4_K_M read from its GGUF; llama.cpp on a GGUF of the same blocks)', '',
      '| format | Spark decode tok/s | weight bytes/token | on the GPU | roofline bound tok/s | of roofline | greedy tokens as F16 | llama.cpp CPU tok/s (node-llama-cpp) | same greedy tokens |',
      '|---|---|---|---|---|---|---|---|---|',
      ...r.weightFormats.map((f) => {
        const l = f.llamaCpp;
        const peer = !l ? '–' : 'error' in l ? `failed: ${l.error.replace(/\|/g, '\\|').replace(/\s+/g, ' ').slice(0, 120)}` : `${fmt(l.decodeTokensPerSecond)} (${l.threads} thread${l.threads === 1 ? '' : 's'})`;
        const same = !l || 'error' in l ? '–' : l.sameTokens ? 'yes' : `NO (from token ${l.firstMismatch})`;
        const asF16 = f.sameAsF16 ? `${f.sameAsF16.tokens} of ${f.sameAsF16.of}` : '–';
        return `| ${f.format} | ${sp(f.decodeTokensPerSecond)} | ${fmt(f.bytesPerToken / 1e6, 2)} MB | ${fmt(f.storedBytes / 1e6, 2)} MB | ${fmt(f.boundTokensPerSecond)} | ${fmt(100 * f.rooflineFraction, 0)}% | ${asF16} | ${peer} | ${same} |`;
      }), '');
  }
  const d = r.drafts;
  lines.push('## Drafts (output identical either way)', '',
    '| request | without drafts tok/s | with drafts tok/s | speed-up | accepted / drafted | identical |', '|---|---|---|---|---|---|',
    ...(['completion', 'rewrite'] as const).map((k) => `| ${k} | ${sp(d[k].off)} | ${sp(d[k].on)} | ${fmt(d[k].on.median / d[k].off.median, 2)}× | ${d[k].accepted} / ${d[k].drafted} | ${d[k].identical ? 'yes' : 'NO'} |`),
    '', '## Sensitivity', '', '| change | decode tok/s | dispatches/token | readbacks/token |', '|---|---|---|---|',
    ...r.sensitivity.map((s) => `| ${s.name} | ${sp(s.decodeTokensPerSecond)} | ${fmt(s.dispatchesPerToken)} | ${fmt(s.readbacksPerToken, 3)} |`),
    '', '## Targets (reported, not asserted)', '', '| target | wanted | measured | met |', '|---|---|---|---|',
    ...r.targets.map((t) => `| ${t.name} | ${t.target} | ${t.measured} | ${t.met === 'n/a' ? 'n/a' : t.met ? 'yes' : 'no'} |`), '');
  return lines.join('\n');
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Two horizontal bar panels: decode tok/s of every engine and the roofline; then sensitivity. */
export function svgChart(r: BenchReport): string {
  const panel = (title: string, bars: { label: string; value: number; accent?: boolean }[], y0: number) => {
    const max = Math.max(1, ...bars.map((b) => b.value));
    const out = [`<text x="10" y="${y0 + 16}" font-weight="bold">${esc(title)}</text>`];
    bars.forEach((b, i) => {
      const y = y0 + 28 + i * 22;
      const w = Math.max(1, (b.value / max) * 420);
      out.push(`<text x="250" y="${y + 13}" text-anchor="end">${esc(b.label)}</text>`,
        `<rect x="258" y="${y}" width="${w.toFixed(1)}" height="16" fill="${b.accent ? '#f5a623' : '#4a90d9'}"/>`,
        `<text x="${(264 + w).toFixed(1)}" y="${y + 13}">${b.value.toFixed(1)}</text>`);
    });
    return { svg: out.join(''), height: 36 + bars.length * 22 };
  };
  const decode = [
    { label: `Spark WebGPU (N=${r.ours.tokensPerSubmit})`, value: r.ours.decodeTokensPerSecond, accent: true },
    ...r.peers.flatMap((p) => (p.status === 'ok' && p.decodeTokensPerSecond !== undefined ? [{ label: p.name, value: p.decodeTokensPerSecond }] : [])),
    { label: 'roofline bound', value: r.roofline.boundTokensPerSecond },
  ];
  const a = panel(`Decode tokens/s — ${r.adapter} (SwiftShader figures: compare ratios)`, decode, 0);
  const b = panel('Sensitivity: decode tokens/s', r.sensitivity.map((s) => ({ label: s.name, value: s.decodeTokensPerSecond.median })), a.height + 10);
  const height = a.height + b.height + 20;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="760" height="${height}" font-family="sans-serif" font-size="12">` +
    `<rect width="100%" height="100%" fill="#fff"/>${a.svg}${b.svg}</svg>\n`;
}
