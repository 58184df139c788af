// The status bar's live parts: the WebGPU probe line, the cursor position and the save state.
// (The settings button is wired by SettingsPanel; the HUD slot is filled by src/hud.)

import { formatProbe, type ProbeResult } from '../engine/probe.ts';
import type { SelectionState } from '../share/share-state.ts';
import type { Disposable } from '../util/disposable.ts';
import { byTestId } from './dom.ts';

export class StatusBar implements Disposable {
  private readonly probe: HTMLElement;
  private readonly cursor: HTMLElement;
  private readonly save: HTMLElement;

  constructor(root: HTMLElement) {
    this.probe = byTestId('webgpu-probe', root);
    this.cursor = byTestId('cursor-position', root);
    this.save = byTestId('save-status', root);
  }

  showProbe(result: ProbeResult): void {
    this.probe.textContent = formatProbe(result);
    this.probe.dataset['status'] = result.status === 'ok' ? 'ok' : 'unavailable';
    this.probe.title = [result.description, result.detail].filter(Boolean).join(' — ');
  }

  showSelections(selections: readonly SelectionState[]): void {
    const primary = selections[0];
    if (!primary) return;
    const extra = selections.length > 1 ? ` (${selections.length} selections)` : '';
    this.cursor.textContent = `Ln ${primary.activeLine}, Col ${primary.activeColumn}${extra}`;
  }

  showSaveState(text: string): void {
    this.save.textContent = text;
  }

  dispose(): void {}
}
