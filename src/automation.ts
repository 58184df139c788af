// window.spark: a small, documented handle for demos and tests (README "Automation handle"), so
// scripts drive the page through the same operations a user has instead of scraping the DOM.

import type { Assistant, SlotName } from './editor/assistant.ts';
import type { CompletionEvent } from './editor/inline/completion-controller.ts';
import type { OfferedSuggestions } from './editor/inline/inline-provider.ts';
import type { DoneEvent, GenerateOptions, PathChoice, ProbeResult } from './engine/index.ts';
import type { Hud } from './hud/hud.ts';
import type { HudSnapshot } from './hud/hud-model.ts';
import type { Settings } from './settings.ts';
import type { SelectionState } from './document/snapshot.ts';
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
  /**
   * Where edits are saved: 'workspace' (the saved workspace), 'shared' (a link not yet kept: edits
   * kept under Recover…), 'conflict' (another tab saved first), 'unreadable' (the saved workspace
   * could not be read), 'loading' (before the page decided what to show: nothing is saved).
   */
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
  /**
   * Resolves when the slot's engine (default: ghost text) has loaded its model: which backend runs
   * it, why a fallback, and (on the GPU) the formats its weights are held in, e.g. ['q8_0'] or
   * ['f16', 'q4_k', 'q6_k']. For the Edit slot while it is "same as ghost text": the ghost text model's.
   */
  /** chatTemplate: whether Edit talks to the model through its chat template ('ok'), cannot ('error: …'), or it has none. */
  engineReady(slot?: SlotName): Promise<{ backend: 'webgpu' | 'cpu'; description: string; fallbackReason?: string; path?: PathChoice; weightFormats?: string[]; chatTemplate: 'none' | 'ok' | `error: ${string}` }>;
  /** Starts measuring (HUD figures and the completion event log) even with the HUD collapsed. */
  startMeasuring(): void;
  /** The HUD's figures (empty until measuring, or while the HUD is collapsed and nothing measures). */
  hudStats(): HudSnapshot;
  /** Completion controller events since startMeasuring() (newest last, at most 1000). */
  completionEvents(): CompletionEvent[];
  /**
   * What the editor was last offered when the user asked for alternatives (Alt+] / Alt+[): the
   * suggestion texts in cycling order (the main one first, then the distinct sampled ones).
   */
  lastAlternatives(): OfferedSuggestions | undefined;
  /** The last finished engine request: its text, token ids and stats, and the slot and model that answered it. */
  lastRequest(): {
    kind: 'completion' | 'rewrite'; slot: SlotName; model: string; text: string; tokens: number[]; stats: DoneEvent['stats'];
  } | undefined;
  /** Edit (Ctrl/Cmd+K) on the selection or the block at the cursor; resolves when the proposal is complete. */
  edit(instruction?: string): Promise<{ output: string; preview: string | undefined }>;
  acceptEdit(): boolean;
  rejectEdit(): void;
  /** Runs one raw engine request (cancelling any suggestion in flight): for demos, benches and tests. */
  generate(options: GenerateOptions): Promise<{ text: string; tokens: number[]; stats: DoneEvent['stats']; finishReason: string }>;
  /** What the edit loop holds now, for leak checks: its disposables, and the engines' GPU buffers and cached tokens (both slots). */
  diagnostics(): Promise<{ liveDisposables: number; gpuBuffers: number; cachedTokens: number }>;
}

/** The edit loop's part of the handle. */
export function assistantAutomation(assistant: Assistant, hud: Hud): Pick<SparkAutomation,
  'engineReady' | 'startMeasuring' | 'hudStats' | 'completionEvents' | 'lastAlternatives' | 'lastRequest' | 'edit' | 'acceptEdit' | 'rejectEdit'
  | 'generate' | 'diagnostics'> {
  const log: CompletionEvent[] = [];
  let measuring = false;
  return {
    engineReady: async (slot = 'ghost') => {
      const r = await assistant.whenReady(slot);
      const formats = r.plan ? [...new Set([...Object.values(r.plan.formats), ...Object.values(r.plan.layers ?? {}).flat().map((m) => m.format)])].sort() : undefined;
      return {
        backend: r.backend, description: r.description, ...(r.fallbackReason ? { fallbackReason: r.fallbackReason } : {}), ...(r.path ? { path: r.path } : {}),
        ...(formats ? { weightFormats: formats } : {}),
        chatTemplate: !r.chatTemplate ? 'none' : r.chatTemplate.error === undefined ? 'ok' : `error: ${r.chatTemplate.error}`,
      };
    },
    startMeasuring: () => {
      if (measuring) return;
      measuring = true;
      hud.measure();
      assistant.onCompletionEvent((e) => {
        log.push(e);
        if (log.length > 1000) log.shift();
      });
    },
    hudStats: () => hud.snapshot(),
    completionEvents: () => [...log],
    lastAlternatives: () => assistant.completions.lastOffered(),
    lastRequest: () => {
      const last = assistant.lastRequest;
      return last && { kind: last.kind, slot: last.slot, model: last.model, text: last.done.text, tokens: last.done.tokens, stats: last.done.stats };
    },
    edit: async (instruction = '') => {
      await assistant.startRewrite(instruction);
      return { output: assistant.rewrite.output, preview: assistant.rewrite.preview() };
    },
    acceptEdit: () => assistant.acceptRewrite(),
    rejectEdit: () => assistant.rewrite.reject(),
    generate: async (options) => {
      await assistant.whenReady();
      const done = await assistant.client.generate(options).done;
      return { text: done.text, tokens: done.tokens, stats: done.stats, finishReason: done.finishReason };
    },
    diagnostics: async () => {
      const engines = [assistant.client, ...(assistant.slots.edit ? [assistant.slots.edit.engine] : [])];
      const each = await Promise.all(engines.map((e) => e.diagnostics()));
      const sum = (key: 'gpuBuffers' | 'cachedTokens') => each.reduce((n, d) => n + d[key], 0);
      return { liveDisposables: assistant.disposableCount, gpuBuffers: sum('gpuBuffers'), cachedTokens: sum('cachedTokens') };
    },
  };
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
