// window.spark: a small, documented handle for demos and tests (README "Automation handle"), so
// scripts drive the page through the same operations a user has instead of scraping the DOM.
// Issue 5 adds the HUD's stats here.

import type { ProbeResult } from './engine/probe.ts';
import type { Settings } from './settings.ts';
import type { SelectionState } from './share/share-state.ts';
import type { SessionMode, ShareOutcome } from './share/session.ts';
import { toDisposable, type Disposable } from './util/disposable.ts';

export interface SparkState {
  text: string;
  language: string;
  /** The primary cursor, 1-based. */
  cursor: { line: number; column: number };
  /** Every selection; the first is the primary one. */
  selections: SelectionState[];
  settings: Settings;
  /** 'shared' while a playground link is open and not yet kept as the workspace. */
  mode: SessionMode;
}

export interface SparkAutomation {
  /** Resolves when the editor shows its initial state (saved workspace or link). */
  readonly ready: Promise<void>;
  /** Resolves with the WebGPU probe's result (never rejects). */
  readonly probe: Promise<ProbeResult>;
  getState(): SparkState;
  /** Replaces the document (one undo step); optionally switches language. */
  setDocument(text: string, language?: string): void;
  setLanguage(language: string): void;
  /** Moves the cursor (1-based line and column) and focuses the editor. */
  setCursor(line: number, column: number): void;
  setSelections(selections: SelectionState[]): void;
  setSettings(settings: Partial<Settings>): void;
  /** Same as the Share button: writes the hash, copies the URL, returns it. */
  share(): Promise<ShareOutcome>;
  /** Writes any pending autosave to IndexedDB now. */
  flushWorkspace(): Promise<void>;
}

declare global {
  interface Window {
    spark?: SparkAutomation;
  }
}

/** Installs the handle on window; disposing removes it. */
export function installAutomation(target: Window, handle: SparkAutomation): Disposable {
  target.spark = handle;
  return toDisposable(() => {
    if (target.spark === handle) delete target.spark;
  });
}
