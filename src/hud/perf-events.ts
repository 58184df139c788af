// Typed performance events. Producers (the completion controller, the engine client, the
// accept/reject handlers) emit these; the HUD model folds them into statistics. When the HUD is
// hidden nobody subscribes, and producers skip building events (they check for a listener).

import type { BackendKind, GenerateStats } from '../engine/index.ts';
import type { SlotName } from '../settings.ts';
import type { GhostWaterfall } from './waterfall.ts';

/** What an engine request was for: completions are ghost text; rewrites and alternatives are Edit's. */
export type RequestRole = 'completion' | 'alternative' | 'rewrite';

export type PerfEvent =
  | { type: 'backend'; kind: BackendKind; description: string; path?: string }
  | { type: 'keystroke-to-ghost'; ms: number }
  /** The last ghost's latency budget, keydown to the rendered frame (waterfall.ts). */
  | ({ type: 'ghost-waterfall' } & GhostWaterfall)
  /** A finished engine request, with the slot and model that answered it. */
  | { type: 'request-done'; stats: GenerateStats; role: RequestRole; slot: SlotName; model: string }
  | { type: 'suggestion-shown' }
  /** The confidence gate held a suggestion back (its estimated chance of being taken was too low). */
  | { type: 'suggestion-gated' }
  | { type: 'suggestion-accepted'; part: 'full' | 'partial' }
  | { type: 'rewrite-done'; tokensPerSecond: number; speculative: boolean };
