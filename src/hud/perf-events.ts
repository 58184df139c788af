// Typed performance events. Producers (the completion controller, the engine client, the
// accept/reject handlers) emit these; the HUD model folds them into statistics. When the HUD is
// hidden nobody subscribes, and producers skip building events (they check for a listener).

import type { RequestRole } from '../editor/engine-adapters.ts';
import type { SlotName } from '../editor/model-slot.ts';
import type { BackendKind, GenerateStats } from '../engine/index.ts';

export type PerfEvent =
  | { type: 'backend'; kind: BackendKind; description: string }
  | { type: 'keystroke-to-ghost'; ms: number }
  /** A finished engine request, with the slot and model that answered it. */
  | { type: 'request-done'; stats: GenerateStats; role: RequestRole; slot: SlotName; model: string }
  | { type: 'suggestion-shown' }
  | { type: 'suggestion-accepted'; part: 'full' | 'partial' }
  | { type: 'rewrite-done'; tokensPerSecond: number; speculative: boolean };
