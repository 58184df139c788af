// The editor's two engine needs — streaming completions and streaming rewrites — met by the
// engine worker's client. Prompt shape, sampling and token budgets are decided here, from the
// user's settings; the controllers above never see the protocol.

import type { EngineClient } from '../engine/client.ts';
import type { DoneEvent, PromptSpec } from '../engine/protocol.ts';
import type { PerfEvent } from '../hud/perf-events.ts';
import type { Settings } from '../settings.ts';
import type { CompletionEngine } from './inline/completion-controller.ts';
import type { RewriteEngine } from './rewrite/rewrite-session.ts';

/** A single-line suggestion rarely needs more; a stop at the newline ends it sooner anyway. */
const SINGLE_LINE_MAX_TOKENS = 48;
/** Code runs ~3 characters per token with our BPE; a rewrite may grow the window a little. */
const REWRITE_TOKENS_PER_CHAR = 0.5;
const REWRITE_MIN_TOKENS = 32;
const REWRITE_MAX_TOKENS = 1024;

export interface EngineAdapterDeps {
  client: EngineClient;
  settings: () => Readonly<Settings>;
  /** Perf events for the HUD; undefined while nobody watches (then nothing is built). */
  perf: () => ((e: PerfEvent) => void) | undefined;
  /** Last request's full outcome, for the automation handle and the bench. */
  onDone?: (done: DoneEvent, kind: 'completion' | 'rewrite') => void;
}

const sampling = (s: Readonly<Settings>) => ({ temperature: s.temperature, topK: s.topK, topP: s.topP, seed: s.seed });

/** Streams one generation's text into onText; cancels it when signal aborts. */
async function stream(
  deps: EngineAdapterDeps, kind: 'completion' | 'rewrite', prompt: PromptSpec, maxNewTokens: number,
  onText: (soFar: string) => void, signal: AbortSignal, draftText?: string,
): Promise<void> {
  if (signal.aborted) return;
  const s = deps.settings();
  let text = '';
  const generation = deps.client.generate({
    prompt, maxNewTokens, sampling: sampling(s), tokensPerSubmit: s.tokensPerSubmit, drafts: true,
    ...(draftText !== undefined ? { draftText } : {}),
  }, (e) => {
    if (signal.aborted || e.text === '') return;
    text += e.text;
    onText(text);
  });
  const cancel = () => generation.cancel();
  signal.addEventListener('abort', cancel, { once: true });
  try {
    const done = await generation.done;
    if (done.finishReason !== 'cancelled') {
      deps.perf()?.({ type: 'request-done', stats: done.stats });
      deps.onDone?.(done, kind);
    }
  } finally {
    signal.removeEventListener('abort', cancel);
  }
}

/** Completions: FIM when there is text after the cursor, a plain prompt otherwise. */
export function engineCompletions(deps: EngineAdapterDeps): CompletionEngine {
  return {
    complete(req, onText, signal) {
      const s = deps.settings();
      const prompt: PromptSpec = req.suffix.trim() === ''
        ? { kind: 'plain', text: req.prefix }
        : { kind: 'fim', prefix: req.prefix, suffix: req.suffix };
      const max = req.mode === 'single-line' ? Math.min(s.maxTokens, SINGLE_LINE_MAX_TOKENS) : s.maxTokens;
      return stream(deps, 'completion', prompt, max, onText, signal);
    },
  };
}

/**
 * Rewrites for base (FIM) models: the window is regenerated from the code around it, with the
 * original as the speculative draft. The instruction is for instruct models' chat templates;
 * a base model cannot follow it, so it is not put in the prompt.
 */
export function engineRewrites(deps: EngineAdapterDeps): RewriteEngine {
  return {
    rewrite(req, onText, signal) {
      const max = Math.min(REWRITE_MAX_TOKENS, Math.max(REWRITE_MIN_TOKENS, Math.ceil(req.original.length * REWRITE_TOKENS_PER_CHAR)));
      return stream(deps, 'rewrite', { kind: 'fim', prefix: req.before, suffix: req.after }, max, onText, signal, req.original);
    },
  };
}
