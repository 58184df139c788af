// The status bar's live parts: the WebGPU probe line, the cursor position and the save state.
// (The settings button is wired by SettingsPanel; the HUD slot is filled by src/hud.)

import { formatProbe, type ProbeResult } from '../engine/index.ts';
import type { SelectionState } from '../document/snapshot.ts';
import type { Disposable } from '../util/disposable.ts';
import { byTestId } from './dom.ts';

/** Writes only a changed text: an equal write still replaces the node and makes the page re-lay it out (per keystroke here). */
function setText(element: HTMLElement, text: string): void {
  if (element.textContent !== text) element.textContent = text;
}

export class StatusBar implements Disposable {
  private readonly probe: HTMLElement;
  private readonly cursor: HTMLElement;
  private readonly save: HTMLElement;
  private readonly engine: HTMLElement;

  constructor(root: HTMLElement) {
    this.probe = byTestId('webgpu-probe', root);
    this.cursor = byTestId('cursor-position', root);
    this.save = byTestId('save-status', root);
    this.engine = byTestId('engine-status', root);
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
    setText(this.cursor, `Ln ${primary.activeLine}, Col ${primary.activeColumn}${extra}`);
  }

  /** The engine line: model, backend (or the CPU fallback and why), load progress, errors. */
  showEngine(text: string, state: 'loading' | 'ready' | 'fallback' | 'error'): void {
    setText(this.engine, text);
    this.engine.dataset['state'] = state;
  }

  /** The Edit proposal's bar in the toolbar. */
  /** 'declined' shows `message` (why Edit kept the code) until the next state. */
  showRewrite(bar: HTMLElement, state: 'idle' | 'streaming' | 'ready' | 'declined', edits: number, message = ''): void {
    bar.hidden = state === 'idle';
    bar.dataset['state'] = state;
    setText(bar, state === 'streaming' ? 'Edit: rewriting…'
      : state === 'declined' ? message
        : `Edit: ${edits} change${edits === 1 ? '' : 's'} — Tab accept · Esc reject`);
  }

  showSaveState(text: string): void {
    setText(this.save, text);
  }

  dispose(): void {}
}
