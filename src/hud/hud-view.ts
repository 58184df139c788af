// The latency HUD: a collapsible panel in the page's HUD slot. It renders a HudSnapshot at most
// once per animation frame, and only while expanded; collapsed, it unsubscribes from perf events
// (the owner passes `onVisibilityChange`) so hidden instrumentation costs nothing.

import type { Disposable } from '../util/disposable.ts';
import type { HudSnapshot, SlotFigures } from './hud-model.ts';
import { drawSparkline } from './sparkline.ts';
import { describePrompt } from './waterfall.ts';

const ms = (v: number | undefined) => (v === undefined ? '–' : `${v.toFixed(v < 10 ? 1 : 0)} ms`);
const num = (v: number | undefined, digits = 2) => (v === undefined ? '–' : v.toFixed(digits));
const pct = (v: number | undefined) => (v === undefined ? '–' : `${Math.round(v * 100)}%`);
const slotLine = (f: SlotFigures | undefined) =>
  (f ? `${f.model} · ${f.role} · TTFT ${ms(f.ttftMs)} · ${num(f.decodeTokensPerSecond, 1)} tok/s (n=${f.requests})` : '–');

export interface HudViewOptions {
  slot: HTMLElement;
  snapshot: () => HudSnapshot;
  /** Called with true when the panel opens and false when it closes. */
  onVisibilityChange: (visible: boolean) => void;
  /** Extra content drawn while expanded (the wafer view). */
  extra?: (container: HTMLElement) => Disposable & { render(): void };
}

export class HudView implements Disposable {
  private readonly root: HTMLElement;
  private readonly toggle: HTMLButtonElement;
  private readonly body: HTMLElement;
  private readonly table: HTMLElement;
  private readonly spark: HTMLCanvasElement;
  private readonly waterfall: HTMLElement;
  private readonly extra: (Disposable & { render(): void }) | undefined;
  private expanded = false;
  private frame = 0;

  constructor(private readonly options: HudViewOptions) {
    const doc = options.slot.ownerDocument;
    this.root = doc.createElement('section');
    this.root.className = 'hud';
    this.root.dataset['testid'] = 'hud';
    const toggle = (this.toggle = doc.createElement('button'));
    toggle.className = 'hud-toggle';
    toggle.dataset['testid'] = 'hud-toggle';
    toggle.textContent = 'Latency HUD ▸';
    toggle.addEventListener('click', () => this.setExpanded(!this.expanded));
    this.body = doc.createElement('div');
    this.body.className = 'hud-body';
    this.body.hidden = true;
    this.spark = doc.createElement('canvas');
    this.spark.width = 240;
    this.spark.height = 36;
    this.spark.className = 'hud-sparkline';
    this.spark.title = 'keystroke → first ghost character, most recent on the right';
    this.table = doc.createElement('dl');
    this.table.className = 'hud-table';
    this.table.dataset['testid'] = 'hud-stats';
    this.waterfall = doc.createElement('div');
    this.waterfall.className = 'hud-waterfall';
    this.waterfall.dataset['testid'] = 'hud-waterfall-bar';
    this.waterfall.title = "the last ghost's latency: keydown → rendered, stage by stage";
    this.body.append(this.spark, this.table, this.waterfall);
    this.extra = options.extra?.(this.body);
    this.root.append(toggle, this.body);
    options.slot.append(this.root);
  }

  get isExpanded(): boolean { return this.expanded; }

  setExpanded(on: boolean): void {
    if (on === this.expanded) return;
    this.expanded = on;
    this.body.hidden = !on;
    this.toggle.textContent = on ? 'Latency HUD ▾' : 'Latency HUD ▸';
    this.options.onVisibilityChange(on);
    if (on) this.invalidate();
  }

  /** Marks the figures stale; repaints on the next frame if expanded. */
  invalidate(): void {
    if (!this.expanded || this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  private render(): void {
    const s = this.options.snapshot();
    const r = s.lastRequest;
    const phases = r?.phases
      ? Object.entries(r.phases).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(' · ') + ` ms (${r.phaseClock ?? 'wall-clock'})`
      : 'profiling…';
    const rows: [string, string, string?][] = [
      ['ghost text model', slotLine(s.slots.ghost), 'hud-slot-ghost'],
      ['edit model', slotLine(s.slots.edit), 'hud-slot-edit'],
      ['backend', s.backend ? `${s.backend.kind === 'cpu' ? 'CPU' : 'WebGPU'} — ${s.backend.description}` : 'loading…'],
      ['path', s.backend?.path ?? '–', 'hud-path'],
      ['keystroke → ghost', `p50 ${ms(s.keystrokeToGhostMs.p50)} · p95 ${ms(s.keystrokeToGhostMs.p95)} · p99 ${ms(s.keystrokeToGhostMs.p99)} (n=${s.keystrokeToGhostMs.count})`],
      ['time to first token', `p50 ${ms(s.ttftMs.p50)} · p95 ${ms(s.ttftMs.p95)}`],
      ['prefill (last)', r ? `${r.prefillTokens} new · ${r.reusedTokens} reused${r.droppedTokens ? ` · ${r.droppedTokens} dropped` : ''}` : '–'],
      ['decode', r ? `${num(r.decodeTokensPerSecond, 1)} tok/s` : '–'],
      ['per token', r ? `${num(r.dispatchesPerToken, 1)} dispatches · ${num(r.submitsPerToken)} submits · ${num(r.readbacksPerToken)} readbacks` : '–'],
      ['GPU time / phase', phases],
      ['last ghost (keydown → rendered)', waterfallLine(s.waterfalls.at(-1)), 'hud-waterfall'],
      ['drafts', `${s.drafts.accepted}/${s.drafts.drafted} accepted (${pct(s.drafts.acceptance)})`],
      ['suggestions', `${s.suggestions.shown} shown · ${s.suggestions.acceptedFull} accepted · ${s.suggestions.acceptedPartial} in part (${pct(s.suggestions.acceptRate)}) · ${s.suggestions.gated} gated`],
    ];
    this.table.replaceChildren(...rows.flatMap(([k, v, testId]) => {
      const dt = this.table.ownerDocument.createElement('dt');
      dt.textContent = k;
      const dd = this.table.ownerDocument.createElement('dd');
      dd.textContent = v;
      if (testId) dd.dataset['testid'] = testId;
      return [dt, dd];
    }));
    drawSparkline(this.spark, s.keystrokeToGhostMs.recent);
    drawWaterfall(this.waterfall, s.waterfalls.at(-1));
    this.extra?.render();
  }

  dispose(): void {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.extra?.dispose();
    this.root.remove();
  }
}

/** The newest ghost's stages, each with its share of the whole, as one line. */
function waterfallLine(w: HudSnapshot['waterfalls'][number] | undefined): string {
  if (!w) return '–';
  const parts = w.stages.filter((s) => s.ms >= 0.05).map((s) => `${s.name} ${s.ms.toFixed(1)}`);
  return `${w.totalMs.toFixed(1)} ms = ${parts.join(' + ')}${w.prompt ? `; ${describePrompt(w.prompt)}` : ''}`;
}

/** The newest ghost's stages as one bar, each segment as wide as its share of keydown → rendered. */
function drawWaterfall(bar: HTMLElement, w: HudSnapshot['waterfalls'][number] | undefined): void {
  bar.replaceChildren(...(w ? w.stages : []).filter((s) => s.ms > 0).map((s, i) => {
    const segment = bar.ownerDocument.createElement('span');
    segment.style.flexGrow = String(s.ms);
    segment.style.background = `hsl(${(i * 47) % 360} 55% 45%)`;
    segment.title = `${s.name}: ${s.ms.toFixed(1)} ms`;
    return segment;
  }));
}

