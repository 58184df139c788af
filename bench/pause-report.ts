// The pause probe's result (pause-latency.ts) and its summary: plain data and a pure function, so
// the bench report can include them without loading a browser.
import { describePrompt, type PromptCounts, type WaterfallStage } from '../src/hud/waterfall.ts';

export interface PauseLanguage {
  language: string;
  file: string;
  pauses: number;
  /** Pauses a ghost appeared at (within the probe's wait). */
  ghosts: number;
  /** Last keydown → ghost in the DOM, per pause that had one (ms). */
  latenciesMs: number[];
}

export interface PauseLatency {
  path: string;
  languages: PauseLanguage[];
  p50?: number;
  p95?: number;
  ghostShare: number;
  typedChars: number;
  keyGapMs: number;
  /** The gate threshold the run set (settings.gateThreshold); absent: the app's default. */
  gateThreshold?: number;
  /**
   * With --waterfall (the HUD measuring): each ghost's latency from outside beside the total of the
   * HUD's waterfall for it, and the largest difference as a share of the outside figure.
   */
  /** pairs: each ghost's outside figure beside the HUD waterfall that ended in the same frame; unpaired: ghosts with no such waterfall. */
  waterfall?: {
    pairs: [outsideMs: number, hudMs: number][]; unpaired: number; worstShare: number; stages: Record<string, number>;
    /** Over the paired ghosts that came from a request: their prompts' size, and how many tokens each prefilled. */
    prompts?: { ghosts: number; promptTokensP50: number; prefilledP50: number; prefilledMax: number };
    /** The slowest paired ghost's stages, and its request's prompt counts: where a tail case spent its time, and why. */
    slowest?: { outsideMs: number; stages: WaterfallStage[]; prompt?: PromptCounts };
  };
}

export function pauseSummary(r: PauseLatency): string {
  const ms = (x: number | undefined) => (x === undefined ? '–' : `${Math.round(x)} ms`);
  return [
    `Keystroke → ghost after a pause (${r.typedChars} keys ${r.keyGapMs} ms apart, then a pause), measured from outside the app: p50 ${ms(r.p50)}, p95 ${ms(r.p95)}, a ghost at ${Math.round(r.ghostShare * 100)} % of pauses.`,
    `Path: ${r.path}.${r.gateThreshold === undefined ? '' : ` Gate threshold: ${r.gateThreshold}.`}`,
    ...r.languages.map((l) => `- ${l.language} (${l.file}): ghost at ${l.ghosts}/${l.pauses} pauses; ms: ${l.latenciesMs.map((x) => Math.round(x)).join(', ')}`),
    ...(r.waterfall ? [
      `HUD waterfall against the outside figure, per ghost: ${r.waterfall.pairs.map(([o, h]) => `${Math.round(o)}/${Math.round(h)}`).join(', ')} ms; the largest difference is ${Math.round(r.waterfall.worstShare * 100)} % of the outside figure; ${r.waterfall.unpaired} ghost(s) had no waterfall ending in their frame.`,
      `Median ms per stage: ${Object.entries(r.waterfall.stages).map(([name, ms]) => `${name} ${ms.toFixed(1)}`).join(' · ')}.`,
      ...(r.waterfall.prompts ? [`Prompts of the ${r.waterfall.prompts.ghosts} ghosts from a request: median ${r.waterfall.prompts.promptTokensP50} tokens; prefilled median ${r.waterfall.prompts.prefilledP50}, most ${r.waterfall.prompts.prefilledMax} (the rest from the KV cache).`] : []),
      ...(r.waterfall.slowest ? [`The slowest ghost (${Math.round(r.waterfall.slowest.outsideMs)} ms): ${r.waterfall.slowest.stages.filter((s) => s.ms >= 0.05).map((s) => `${s.name} ${s.ms.toFixed(1)}`).join(' · ')}`
        + `${r.waterfall.slowest.prompt ? `; ${describePrompt(r.waterfall.slowest.prompt)}` : ''}.`] : []),
    ] : []),
  ].join('\n');
}

