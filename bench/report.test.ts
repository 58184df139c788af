import { describe, expect, it } from 'vitest';
import { spread } from './bench-types.ts';
import { compareWithSuppressed, decodeLimiter, formatRows, markdown, percentile, profileSummary, svgChart, targets, type BenchReport } from './report.ts';

const s = (...runs: number[]) => spread(runs);

function report(over: Partial<BenchReport['ours']> = {}): Omit<BenchReport, 'targets'> {
  return {
    adapter: 'google swiftshader', model: 'public/models/spark-nano', quick: true, createdUtc: '2026-11-25T00:00:00Z', durationSeconds: 60,
    ours: {
      decodeTokensPerSecond: 40, prefillTokensPerSecond: { 128: 90 }, ttftMs: 500,
      keystroke: { prefillTokens: 1, ms: 50, fullPrefillMs: 20000, speedup: 400, docTokens: 2000 },
      readbacksPerToken: 0.28, dispatchesPerToken: 40, submitsPerToken: 0.28, tokensPerSubmit: 4, readbacksPerTokenN8Batched: 0.125,
      measuredN: { tokensPerSubmit: 1, msPerToken: 25, readbacksPerToken: 1 },
      sameTokens: true, comparedTokens: 16,
      spread: { decodeTokensPerSecond: s(38, 40, 42), ttftMs: s(500), prefillTokensPerSecond: { 128: s(90) }, keystrokeMs: s(50) },
      prefillGflopPerSecond: { 128: 0.3 }, ...over,
    },
    roofline: { bandwidthGBps: 0.8, weightBytesPerToken: 5e6, boundTokensPerSecond: 160, fraction: 0.25, msPerDispatch: 0.5, dispatchBoundTokensPerSecond: 50, limiter: 'dispatch overhead: …' },
    profile: { clock: 'gpu-timestamp', decodeMsPerTokenByKernel: { attention: 2 } },
    peers: [
      { name: 'wllama (wasm)', status: 'ok', decodeTokensPerSecond: 5, prefillMs: 700, sameTokens: true },
      { name: 'transformers.js (webgpu)', status: 'failed', error: 'Error: no | shader-f16\nat line 2' },
      { name: 'Spark CPU reference (TypeScript)', status: 'ok', decodeTokensPerSecond: 300, sameTokens: true },
    ],
    sensitivity: [{ name: 'N=1', group: 'tokens-per-submit', decodeTokensPerSecond: s(39), dispatchesPerToken: 40, readbacksPerToken: 1 }],
    drafts: {
      completion: { off: s(30), on: s(45), accepted: 10, drafted: 16, identical: true },
      rewrite: { off: s(40), on: s(40), accepted: 0, drafted: 0, identical: true },
    },
    editor: { keystrokeToGhostMs: { count: 3, p50: 70, p95: 200, p99: 200 }, keystrokes: 30, requests: 20, cancelled: 15, typedThrough: 5, keyDelayMs: 120 },
    engine: { description: 'WebGPU google swiftshader', weightFormat: 'f16', params: 2.4e6, plan: { bytesPerToken: 5e6, grids: 'qkv:64x1' }, features: [],
      autotune: { qkv: { chosen: '64x1 subgroup/4', ms: 1.15, candidates: [{ grid: '64x1', ms: 1.3 }, { grid: '64x1 subgroup/4', ms: 1.15 }], skipped: ['x'] } } },
    reference: { source: 'pytorch', tokens: [1, 2], prompt: [3], suppressedCount: 10 },
  };
}

describe('bench report', () => {
  it('puts each weight format against the roofline at its own bytes per token, with llama.cpp on the same blocks', () => {
    const rows = formatRows([
      { format: 'f16', decodeTokensPerSecond: s(40), bytesPerToken: 5e6, storedBytes: 4.8e6, tokens: [1, 2, 3] },
      { format: 'q8_0', decodeTokensPerSecond: s(50), bytesPerToken: 2.5e6, storedBytes: 2.6e6, tokens: [1, 2, 3] },
      { format: 'q4_0', decodeTokensPerSecond: s(60), bytesPerToken: 1.5e6, storedBytes: 1.4e6, tokens: [1, 7, 3] },
    ], 1, {
      f16: { decodeTokensPerSecond: 300, prefillMs: 5, threads: 2, tokens: [1, 2, 3], ggufBytes: 5e6 },
      q8_0: { decodeTokensPerSecond: 400, prefillMs: 5, threads: 1, tokens: [1, 9, 3], ggufBytes: 2.7e6 },
      q4_0: { error: 'no binary' },
    });
    expect(rows.map((r) => r.boundTokensPerSecond)).toEqual([200, 400, 1e9 / 1.5e6]);
    expect(rows[0]!.rooflineFraction).toBeCloseTo(0.2);
    expect(rows[0]!.llamaCpp).toEqual({ decodeTokensPerSecond: 300, threads: 2, ggufBytes: 5e6, sameTokens: true });
    expect(rows[1]!.llamaCpp).toMatchObject({ sameTokens: false, firstMismatch: 1 });
    expect(rows[2]!.llamaCpp).toEqual({ error: 'no binary' });
    const md = markdown({ ...report(), weightFormats: rows, targets: [] });
    expect(rows.map((r) => r.sameAsF16)).toEqual([{ tokens: 3, of: 3 }, { tokens: 3, of: 3 }, { tokens: 1, of: 3 }]);
    expect(md).toContain('| q8_0 | 50.0 (50.0–50.0) | 2.50 MB | 2.60 MB | 400.0 | 13% | 3 of 3 | 400.0 (1 thread) | NO (from token 1) |');
    expect(md).toContain('| q4_0 |');
    expect(md).toContain('failed: no binary');
  });

  it('compares our unsuppressed greedy with a suppressed reference only up to our first suppressed id', () => {
    const suppressed = new Set([0, 9]);
    expect(compareWithSuppressed([5, 6, 7], [5, 6, 7], suppressed)).toEqual({ sameTokens: true, comparedTokens: 3 });
    expect(compareWithSuppressed([5, 0, 7], [5, 8, 1], suppressed)).toEqual({ sameTokens: true, comparedTokens: 1 });
    expect(compareWithSuppressed([5, 6, 7], [5, 4, 7], suppressed)).toEqual({ sameTokens: false, comparedTokens: 1, firstMismatch: 1 });
  });

  it('percentiles are nearest-rank, undefined when empty', () => {
    expect(percentile([], 50)).toBeUndefined();
    expect(percentile([30, 10, 20, 40], 50)).toBe(20);
    expect(percentile([30, 10, 20, 40], 95)).toBe(40);
  });

  it('names the limiter whose floor is nearer the measured time per token', () => {
    // 40 tok/s = 25 ms/token; bandwidth floor 1000/160 = 6.25 ms, dispatch floor 1000/50 = 20 ms.
    expect(decodeLimiter(40, 160, 50)).toMatch(/^dispatch overhead: of 25\.0 ms per token.*6\.3 ms \(25%\).*20\.0 ms \(80%\)/);
    expect(decodeLimiter(40, 50, 160)).toMatch(/^memory bandwidth/);
    expect(decodeLimiter(40, 400, 400)).toMatch(/^kernel execution above both floors/);
  });

  it('summarises the profile biggest first', () => {
    expect(profileSummary({ attention: 1, 'matmul:lm_head': 3 })).toBe('matmul:lm_head 3.00 ms (75%), attention 1.00 ms (25%)');
    expect(profileSummary({})).toBe('no profile');
  });

  it('reports the targets against the best peer other than our own CPU reference', () => {
    const t = targets(report());
    expect(t.find((x) => x.name === 'decode of the chosen path (WebGPU) vs best in-browser peer')).toMatchObject({ measured: '8.00×', met: true });
    expect(t.find((x) => x.name === 'WebGPU decode vs best WebGPU peer')).toMatchObject({ measured: 'no WebGPU peer ran', met: false });
    expect(t.find((x) => x.name === 'decode vs roofline')).toMatchObject({ measured: '25%', met: false });
    // 25 ms per token: the measured N is 1, and ≤ 1/8 (N ≥ 8) does not apply.
    expect(t.find((x) => x.name.startsWith('readbacks/token'))).toMatchObject({ name: expect.stringContaining('N=1 at 25.00 ms per token'), met: 'n/a' });
    expect(t.find((x) => x.name.startsWith('readbacks/token'))!.measured).toMatch(/^1\.000 \(N=8 would hold a key 200 ms behind a submit/);
    // A fast GPU: N = 64 from 0.1 ms per token, and the target applies.
    const fast = targets(report({ measuredN: { tokensPerSubmit: 64, msPerToken: 0.1, readbacksPerToken: 2 / 64 } })).find((x) => x.name.startsWith('readbacks/token'))!;
    expect(fast).toMatchObject({ measured: '0.031', met: true });
    expect(markdown({ ...report(), targets: t })).toContain('| ≤ 1/8 where N ≥ 8 | 1.000');
    expect(t.find((x) => x.name === 'keystroke → first ghost p95')).toMatchObject({ measured: '200 ms', met: false });
    expect(targets(report({ decodeTokensPerSecond: 9 })).find((x) => x.name.startsWith('decode of the chosen path'))!.met).toBe(false);
  });

  it('holds the path the app chose (the CPU here) against in-browser peers only, and the pause probe against its targets', () => {
    const base = report();
    const native = { name: 'llama.cpp (node-llama-cpp, CPU, F16 GGUF)', status: 'ok' as const, decodeTokensPerSecond: 500, native: true };
    const pause = {
      path: 'CPU: 20 ms per keystroke against 120 ms on WebGPU f16', p50: 40, p95: 160, ghostShare: 0.75, typedChars: 8, keyGapMs: 90,
      languages: [{ language: 'python', file: 'a.py', pauses: 4, ghosts: 3, latenciesMs: [30, 40, 160] }],
    };
    const r = { ...base, peers: [...base.peers, native], pause };
    const t = targets(r);
    expect(t.find((x) => x.name === 'decode of the chosen path (CPU) vs best in-browser peer')).toMatchObject({ measured: '60.00×', met: true });
    expect(t.find((x) => x.name === 'keystroke → ghost after a pause p50')).toMatchObject({ measured: '40 ms', met: true });
    expect(t.find((x) => x.name === 'keystroke → ghost after a pause p95')).toMatchObject({ measured: '160 ms', met: false });
    expect(t.find((x) => x.name === 'pauses with a ghost (gate on)')).toMatchObject({ measured: '75%', met: false });
    expect(markdown({ ...r, targets: t })).toContain('- python (a.py): ghost at 3/4 pauses; ms: 30, 40, 160');
    // The SIMD CPU path, when the app chose it, is held at its own row's rate.
    const simd = { ...r, peers: [...r.peers, { name: 'Spark CPU (WebAssembly SIMD)', status: 'ok' as const, decodeTokensPerSecond: 900 }], pause: { ...pause, path: 'CPU SIMD: 9 ms per keystroke against 20 ms on CPU' } };
    expect(targets(simd).find((x) => x.name === 'decode of the chosen path (CPU SIMD) vs best in-browser peer')).toMatchObject({ measured: '180.00×', met: true });
  });

  it('holds ours against the better of a peer\'s wall clock and its own figure, and shows both', () => {
    const base = report();
    const peers = [{ name: 'wllama (wasm)', status: 'ok' as const, ownDecodeTokensPerSecond: 30, prefillMs: 700, detail: { decodeTiming: 'no wall-clock rate: within its noise' } }];
    const r = { ...base, peers };
    expect(targets(r).find((x) => x.name.startsWith('decode of the chosen path'))).toMatchObject({ measured: '1.33×', met: false });
    const md = markdown({ ...r, targets: targets(r) });
    expect(md).toContain('| wllama (wasm) | – (no wall-clock rate: within its noise) | 30.0 | 700.0 |');
    expect(svgChart({ ...r, targets: [] })).not.toContain('wllama (wasm)'); // no measured rate, no bar (never a 0)
  });

  it('writes a markdown table that keeps failed peers with their error, and an SVG with every engine', () => {
    const r = { ...report(), targets: targets(report()) };
    const md = markdown(r);
    expect(md).toContain('| **Spark (WebGPU, N=4)** | **40.0 (38.0–42.0)** |');
    expect(md).toContain('| transformers.js (webgpu) | failed: Error: no \\| shader-f16 at line 2 | – | – | – |');
    expect(md).toContain('| completion | 30.0 (30.0–30.0) | 45.0 (45.0–45.0) | 1.50× | 10 / 16 | yes |');
    expect(md).toContain('p50 **70 ms**, p95 **200 ms**');
    expect(md).toContain('Autotune on this adapter chose, per matrix (ms per GEMV, of the candidates timed): qkv 64x1 subgroup/4 (1.150 ms; 2 timed, 1 skipped).');
    const svg = svgChart(r);
    expect(svg.startsWith('<svg')).toBe(true);
    for (const label of ['Spark WebGPU (N=4)', 'wllama (wasm)', 'roofline bound', 'N=1']) expect(svg).toContain(label);
    expect(svg).not.toContain('transformers.js (webgpu)'); // failed rows have no bar
  });
});
