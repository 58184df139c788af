// The wafer view: the running model's wafer plan drawn as grids of processing elements.
// Each matrix is a P×Q block of cells (one cell per PE = workgroup tile). A cell's fill is the
// *modelled* SRAM use (bytes owned / 48 KB; red when a tile would not fit a WSE-3 PE); its
// border brightness is the *measured* activity (the phase's GPU time spread over the PEs that did
// that work). Text under the canvas gives the modelled wavelet hops, chain against tree.

import { PE_SRAM_BYTES, type MatrixPlan, type ModelWaferPlan } from '../engine/index.ts';
import type { Disposable } from '../util/disposable.ts';

export interface WaferCell { x: number; y: number; w: number; h: number; sram: number; matrix: string }
export interface WaferLayout { cells: WaferCell[]; width: number; height: number; labels: { x: number; y: number; text: string }[] }

const CELL = 6; // px per PE; the model's few thousand PEs fit a HUD-sized canvas
const GAP = 3;
const LABEL_H = 10;

/** Places every matrix's grid left to right, wrapping rows at `maxWidth`. Pure, for tests. */
export function layoutWafer(plans: readonly MatrixPlan[], maxWidth: number): WaferLayout {
  const cells: WaferCell[] = [];
  const labels: WaferLayout['labels'] = [];
  let x = 0, y = 0, rowHeight = 0, width = 0;
  for (const m of plans) {
    const w = m.grid.q * CELL, h = m.grid.p * CELL;
    if (x > 0 && x + w > maxWidth) { x = 0; y += rowHeight + GAP + LABEL_H; rowHeight = 0; }
    labels.push({ x, y: y + LABEL_H - 2, text: m.name.replace(/^model\.|\.weight$/g, '') });
    for (let r = 0; r < m.grid.p; r++) {
      for (let c = 0; c < m.grid.q; c++) {
        cells.push({ x: x + c * CELL, y: y + LABEL_H + r * CELL, w: CELL - 1, h: CELL - 1, sram: m.pe.bytesOwned / PE_SRAM_BYTES, matrix: m.name });
      }
    }
    x += Math.max(w, 24) + GAP;
    rowHeight = Math.max(rowHeight, h);
    width = Math.max(width, x);
  }
  return { cells, labels, width, height: y + rowHeight + LABEL_H };
}

/** Modelled hops of the partial-sum reduce for Q tile columns: chain Q-1, tree ceil(log2 Q). */
/** The measured variants the plan runs, for the caption: "f16 maths on qkv, gate_up; lm_head row statistics", or ''. */
export function planVariants(plans: readonly MatrixPlan[]): string {
  const f16 = [...new Set(plans.filter((p) => p.f16Math).map((p) => p.name))];
  return [f16.length ? `f16 maths on ${f16.join(', ')}` : '', plans.some((p) => p.rowStats) ? 'lm_head row statistics for the sampler' : '']
    .filter((v) => v !== '').join('; ');
}

export const reduceHops = (q: number) => ({ chain: Math.max(0, q - 1), tree: q > 1 ? Math.ceil(Math.log2(q)) : 0 });

/** The matrices to draw from the engine's model plan (a role's grid is shared by every layer). */
export function planMatrices(plan: ModelWaferPlan | undefined): MatrixPlan[] {
  if (!plan) return [];
  return Object.values(plan.roles).filter((m): m is MatrixPlan => m !== undefined);
}

/** Measured GPU ms of a role's matmul phase (profiler category `matmul:<role>`), per PE that did it. */
export function roleActivityPerPe(plan: ModelWaferPlan, m: MatrixPlan, phases: Record<string, number> | undefined): number | undefined {
  const ms = phases?.[`matmul:${m.name}`];
  if (ms === undefined) return undefined;
  const layers = m.name === 'lm_head' || m.name === 'embed' ? 1 : plan.numLayers;
  return ms / (m.grid.p * m.grid.q * layers);
}

export interface WaferViewSource {
  plans: () => readonly MatrixPlan[] | undefined;
  /** Measured ms of the phase a matrix belongs to, per PE (undefined until profiled). */
  activityMsPerPe: (plan: MatrixPlan) => number | undefined;
}

export class WaferView implements Disposable {
  private readonly canvas: HTMLCanvasElement;
  private readonly caption: HTMLElement;

  constructor(container: HTMLElement, private readonly source: WaferViewSource) {
    const doc = container.ownerDocument;
    this.canvas = doc.createElement('canvas');
    this.canvas.className = 'wafer-view';
    this.canvas.dataset['testid'] = 'wafer-view';
    this.caption = doc.createElement('p');
    this.caption.className = 'wafer-caption';
    container.append(this.canvas, this.caption);
  }

  render(): void {
    const plans = this.source.plans();
    if (!plans || plans.length === 0) {
      this.caption.textContent = 'Wafer view: no model on the GPU (CPU fallback or still loading).';
      return;
    }
    const layout = layoutWafer(plans, 300);
    this.canvas.width = Math.max(1, layout.width);
    this.canvas.height = Math.max(1, layout.height);
    const g = this.canvas.getContext('2d');
    if (!g) return;
    const byName = new Map(plans.map((p) => [p.name, p]));
    const activity = new Map(plans.map((p) => [p.name, this.source.activityMsPerPe(p)]));
    const maxActivity = Math.max(1e-9, ...[...activity.values()].filter((v): v is number => v !== undefined));
    g.font = '8px monospace';
    g.fillStyle = '#9d9d9d';
    for (const l of layout.labels) g.fillText(l.text, l.x, l.y);
    for (const c of layout.cells) {
      g.fillStyle = c.sram > 1 ? '#f48771' : `rgba(86,156,214,${0.25 + 0.75 * c.sram})`;
      g.fillRect(c.x, c.y, c.w, c.h);
      const a = activity.get(c.matrix);
      if (a !== undefined) {
        g.strokeStyle = `rgba(255,255,160,${a / maxActivity})`;
        g.strokeRect(c.x + 0.5, c.y + 0.5, c.w - 1, c.h - 1);
      }
    }
    const pes = plans.reduce((n, p) => n + p.grid.p * p.grid.q, 0);
    const maxQ = Math.max(...plans.map((p) => p.grid.q));
    const hops = reduceHops(Math.max(2, maxQ));
    const over = plans.filter((p) => !p.pe.fitsSram).length;
    const broadcast = Math.max(...plans.map((p) => p.pe.broadcastHops));
    const formats = [...new Set(plans.map((p) => p.format))].join(', ');
    const passes = [...new Set(plans.map((p) => (p.kernel === 'subgroup' ? `subgroup/${p.lanes}` : p.kernel)))].join(', ');
    const variants = planVariants(plans);
    this.caption.textContent =
      `${pes} PEs over ${byName.size} matrices, weights ${formats}, tile passes ${passes}${variants ? ` (${variants})` : ''}. Modelled: fill = bytes owned / 48 KB SRAM (${over} matrices over budget); ` +
      `broadcast ≤ ${broadcast} hops; reduce over Q=${Math.max(2, maxQ)}: chain ${hops.chain} hops vs tree ${hops.tree}. ` +
      `Measured: outline = GPU time of the phase per PE${[...activity.values()].some((v) => v !== undefined) ? '' : ' (turn on profiling)'}.`;
  }

  dispose(): void {
    this.canvas.remove();
    this.caption.remove();
  }
}
