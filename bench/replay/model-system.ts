// The model as the replay's system: the editor's own engine adapters over an engine, with the
// default settings, so Node (CPU backend) and the page (Worker, WebGPU) replay the same path.
// Completions and Edit get the prompt window a fresh engine starts with, pinned: the app's window follows
// the device's measured speed, which would make the replay's numbers depend on the machine.

/** The prompt size of every replayed completion and Edit, in tokens. */
export const REPLAY_PROMPT_TOKENS = PROMPT_WINDOW.initial;

import { engineCompletions, engineRewrites, type EngineAdapterDeps } from '../../src/editor/engine-adapters.ts';
import type { CompletionEngine } from '../../src/editor/inline/completion-controller.ts';
import type { RewriteEngine } from '../../src/editor/rewrite/rewrite-session.ts';
import { PROMPT_WINDOW, type Engine } from '../../src/engine/index.ts';
import { DEFAULT_SETTINGS } from '../../src/settings.ts';

/** The calibration replay's hooks: Edit's never-worse check, the copy tolerance (the app uses none). */
export type EditHooks = Pick<EngineAdapterDeps, 'editMargin' | 'onEditVerdict' | 'copyTolerance'>;

export function modelSystem(engine: Engine, model: string, editHooks: EditHooks = {}): { completions: CompletionEngine; rewrites: RewriteEngine } {
  const deps = (slot: 'ghost' | 'edit'): EngineAdapterDeps => ({
    engineFor: () => ({ engine, slot, model }),
    settings: () => DEFAULT_SETTINGS,
    perf: () => undefined,
    fixedPromptTokens: REPLAY_PROMPT_TOKENS,
    ...editHooks,
  });
  return { completions: engineCompletions(deps('ghost')), rewrites: engineRewrites(deps('edit')) };
}
