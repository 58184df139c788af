// The HUD as the page uses it: model (figures), view (panel + sparkline + wafer view), and the
// lazy subscription — while collapsed, it watches nothing and the engine profiles nothing.

import type { ModelWaferPlan } from '../engine/index.ts';
import { DisposableStore, toDisposable, type Disposable } from '../util/disposable.ts';
import { HudModel, type HudSnapshot } from './hud-model.ts';
import { HudView } from './hud-view.ts';
import type { PerfHub } from './perf-hub.ts';
import { planMatrices, roleActivityPerPe, WaferView } from './wafer-view.ts';

export class Hud implements Disposable {
  private readonly store = new DisposableStore();
  private readonly model = new HudModel();
  private readonly view: HudView;
  private watching: Disposable | undefined;
  /** Who wants figures: the expanded panel, and demo scripts through the automation handle. */
  private watchers = 0;
  private plan: ModelWaferPlan | undefined;

  constructor(slot: HTMLElement, private readonly hub: PerfHub) {
    this.view = this.store.add(new HudView({
      slot,
      snapshot: () => this.model.snapshot(),
      onVisibilityChange: (visible) => this.addWatchers(visible ? 1 : -1),
      extra: (container) => new WaferView(container, {
        plans: () => planMatrices(this.plan),
        activityMsPerPe: (m) => (this.plan ? roleActivityPerPe(this.plan, m, this.model.snapshot().lastRequest?.phases) : undefined),
      }),
    }));
  }

  /** The backend's wafer plan (from the engine's ready event), drawn while expanded. */
  setPlan(plan: ModelWaferPlan | undefined): void {
    this.plan = plan;
    this.view.invalidate();
  }

  setBackend(kind: 'webgpu' | 'cpu', description: string, path?: string): void {
    this.model.apply({ type: 'backend', kind, description, ...(path !== undefined ? { path } : {}) });
    this.view.invalidate();
  }

  setExpanded(on: boolean): void { this.view.setExpanded(on); }

  snapshot(): HudSnapshot { return this.model.snapshot(); }

  /** Measures while the result is not disposed, even with the panel collapsed (demo scripts). */
  measure(): Disposable {
    this.addWatchers(1);
    return toDisposable(() => this.addWatchers(-1));
  }

  private addWatchers(delta: number): void {
    this.watchers += delta;
    const on = this.watchers > 0;
    if (on && !this.watching) {
      this.watching = this.hub.watch((e) => {
        this.model.apply(e);
        this.view.invalidate();
      });
    } else if (!on && this.watching) {
      this.watching.dispose();
      this.watching = undefined;
    }
  }

  dispose(): void {
    this.watching?.dispose();
    this.store.dispose();
  }
}
