// Typed performance events. Producers (the completion controller, the engine client, the
// accept/reject handlers) emit these; the HUD model folds them into statistics. When the HUD is
// hidden nobody subscribes, and producers skip building events (they check for a listener).

import type { BackendKind, GenerateStats } from '../engine/index.ts';

export type PerfEvent =
  | { type: 'backend'; kind: BackendKind; description: string }
  | { type: 'keystroke-to-ghost'; ms: number }
  | { type: 'request-done'; stats: GenerateStats }
  | { type: 'suggestion-shown' }
  | { type: 'suggestion-accepted'; part: 'full' | 'partial' }
  | { type: 'rewrite-done'; tokensPerSecond: number; speculative: boolean };
