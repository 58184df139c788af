// The editor's two engine needs — streaming completions and streaming rewrites — met by the
// engine worker's client. Prompt shape, sampling and token budgets are decided here, from the
// user's settings; the controllers above never see the protocol.

import type { DoneEvent, Engine, PromptSpec, ReadyEvent, SamplingParams } from '../engine/index.ts';
import type { PerfEvent, RequestRole } from '../hud/perf-events.ts';
import { EDIT_GUARD_ON, type Settings, type SlotName } from '../settings.ts';
import type { CompletionEngine } from './inline/completion-controller.ts';
import type { CompletionMode } from './inline/postprocess.ts';
import { codeFromChatReply, rewriteMessages } from './rewrite/chat-rewrite.ts';
import { judgeRewrite, NoConfidentEditError, type EditVerdict } from './rewrite/never-worse.ts';
import type { RewriteEngine, RewriteRequest } from './rewrite/rewrite-session.ts';

/** A single-line suggestion rarely needs more; a stop at the newline ends it sooner anyway. */
const SINGLE_LINE_MAX_TOKENS = 48;
/** Code runs ~3 characters per token with our BPE; a rewrite may grow the window a little. */
const REWRITE_TOKENS_PER_CHAR = 0.5;
const REWRITE_MIN_TOKENS = 32;
const REWRITE_MAX_TOKENS = 1024;
/** A chat reply wraps the code in a fence (and may say a word first). */
const CHAT_REPLY_EXTRA_TOKENS = 32;
/** A chat prompt is never cut (see prompt.ts): a bigger one is refused with a clear error. */
const CHAT_PROMPT_MAX_TOKENS = 8192;

/**
 * Alternatives (Alt+] / Alt+[) must differ from the greedy suggestion, so they are sampled even
 * when the user's settings are greedy: these apply where the settings don't already sample.
 */
const ALTERNATIVE_TEMPERATURE = 0.8;
const ALTERNATIVE_TOP_K = 40;
const ALTERNATIVE_TOP_P = 0.95;

export type { RequestRole } from '../hud/perf-events.ts';

/** The engine that serves a request, and the slot and model it answers as (named in the HUD). */
export interface SlotEngine { engine: Engine; slot: SlotName; model: string }

export interface EngineAdapterDeps {
  /** Asked once per request: the slot's engine may change between requests (a model loaded into it). */
  engineFor: (role: RequestRole) => SlotEngine;
  settings: () => Readonly<Settings>;
  /** Perf events for the HUD; undefined while nobody watches (then nothing is built). */
  perf: () => ((e: PerfEvent) => void) | undefined;
  /** Last request's full outcome, for the automation handle and the bench. */
  onDone?: (done: DoneEvent, kind: 'completion' | 'rewrite', by: Omit<SlotEngine, 'engine'>) => void;
  /**
   * A fixed prompt size in tokens for completions and base-model rewrites, instead of the engine's
   * prompt window (which follows the device's measured speed): the typing replay pins it, so its
   * results do not depend on how fast the machine that ran it was. The app leaves it unset.
   */
  fixedPromptTokens?: number;
  /** The never-worse margin (default: the calibrated EDIT_MARGIN); the calibration replay sets its own. */
  editMargin?: number;
  /** Each judged base-model rewrite's verdict, applied or not (the calibration replay). */
  onEditVerdict?: (verdict: EditVerdict) => void;
}

const sampling = (s: Readonly<Settings>): SamplingParams => ({ temperature: s.temperature, topK: s.topK, topP: s.topP, seed: s.seed });

/** The k-th alternative's sampling (k >= 1): the user's, made random if greedy, with seed + k. */
export function alternativeSampling(s: Readonly<Settings>, k: number): SamplingParams {
  return {
    temperature: s.temperature > 0 ? s.temperature : ALTERNATIVE_TEMPERATURE,
    topK: s.topK > 0 ? s.topK : ALTERNATIVE_TOP_K,
    topP: s.topP < 1 ? s.topP : ALTERNATIVE_TOP_P,
    seed: (s.seed + k) >>> 0,
  };
}

interface StreamOptions {
  /** Only the main requests are the "last request" (onDone); alternatives count for the HUD. */
  kind: RequestRole;
  prompt: PromptSpec;
  maxNewTokens: number;
  sampling: SamplingParams;
  draftText?: string;
  /** Score draftText as the answer too (done.draftLogprobs). */
  scoreDraft?: boolean;
  maxPromptTokens?: number;
}

/** What a finished generation gave: its text, each generated token's log-probability, and how it ended. */
interface Streamed {
  text: string;
  logprobs: number[];
  done: DoneEvent | undefined;
}

/**
 * Streams one generation's text into onText, with the first generated token's log-probability;
 * cancels it when signal aborts. Resolves with all text, the tokens' log-probabilities and the
 * done event (undefined when cancelled before it started).
 */
async function stream(
  deps: EngineAdapterDeps, target: SlotEngine, o: StreamOptions, onText: (soFar: string, firstLogprob?: number) => void, signal: AbortSignal,
): Promise<Streamed> {
  if (signal.aborted) return { text: '', logprobs: [], done: undefined };
  const s = deps.settings();
  let text = '';
  const logprobs: number[] = [];
  const generation = target.engine.generate({
    prompt: o.prompt, maxNewTokens: o.maxNewTokens, sampling: o.sampling, tokensPerSubmit: s.tokensPerSubmit, drafts: true,
    ...(o.draftText !== undefined ? { draftText: o.draftText } : {}),
    ...(o.scoreDraft ? { scoreDraft: true } : {}),
    ...(o.maxPromptTokens !== undefined ? { maxPromptTokens: o.maxPromptTokens } : {}),
  }, (e) => {
    logprobs.push(...e.logprobs);
    if (signal.aborted || e.text === '') return;
    text += e.text;
    onText(text, logprobs[0]);
  });
  const cancel = () => generation.cancel();
  signal.addEventListener('abort', cancel, { once: true });
  try {
    const done = await generation.done;
    // A suggestion the post-processor cut is cancelled once it has what it shows: it still answered,
    // so the HUD counts every request that decoded a token. Only finished ones are the last request.
    if (done.finishReason !== 'cancelled' || done.stats.decodeTokens > 0) {
      deps.perf()?.({ type: 'request-done', stats: done.stats, role: o.kind, slot: target.slot, model: target.model });
    }
    if (done.finishReason !== 'cancelled' && o.kind !== 'alternative') deps.onDone?.(done, o.kind, { slot: target.slot, model: target.model });
    return { text, logprobs, done };
  } finally {
    signal.removeEventListener('abort', cancel);
  }
}

/**
 * The FIM prompt for a cursor. When only whitespace follows the cursor on its line, the suffix
 * starts at the next line, so the model writes the rest of the line and its newline: that is the
 * shape FIM middles are trained in (whole lines, the suffix at a line start: training/data.py
 * fim_split) and scored in (training/eval/evaluate.py). The postprocess drops the newline again.
 */
export function lineAlignedFim(prefix: string, suffix: string): PromptSpec {
  const restOfLine = /^[ \t]*\r?\n/.exec(suffix);
  return { kind: 'fim', prefix, suffix: restOfLine ? suffix.slice(restOfLine[0].length) : suffix };
}

/**
 * Whether the loaded model can fill in the middle: its tokenizer has all three FIM tokens. Before
 * a model is ready nothing is known, and FIM is assumed (the request waits for the model anyway).
 */
export function canFillInMiddle(ready: Pick<ReadyEvent, 'specialTokens'> | undefined): boolean {
  const t = ready?.specialTokens;
  return t === undefined || (t.fimPrefix !== undefined && t.fimSuffix !== undefined && t.fimMiddle !== undefined);
}

/** The most tokens a suggestion of this mode may take under these settings. */
export const completionMaxTokens = (mode: CompletionMode, s: Readonly<Settings>): number =>
  mode === 'single-line' ? Math.min(s.maxTokens, SINGLE_LINE_MAX_TOKENS) : s.maxTokens;

/**
 * Completions: FIM when there is text after the cursor, a plain prompt otherwise, and always for a
 * model without FIM tokens (it completes from the prefix only; the status bar says so). Alternatives
 * use the same prompt (so the worker's KV cache reuses all of it) with their own sampling.
 */
export function engineCompletions(deps: EngineAdapterDeps): CompletionEngine {
  return {
    async complete(req, onText, signal) {
      const s = deps.settings();
      const k = req.alternative ?? 0;
      const target = deps.engineFor(k > 0 ? 'alternative' : 'completion');
      const prompt: PromptSpec = req.suffix.trim() === '' || !canFillInMiddle(target.engine.readyInfo)
        ? { kind: 'plain', text: req.prefix }
        : lineAlignedFim(req.prefix, req.suffix);
      await stream(deps, target, {
        kind: k > 0 ? 'alternative' : 'completion', prompt, maxNewTokens: completionMaxTokens(req.mode, s), sampling: k > 0 ? alternativeSampling(s, k) : sampling(s),
        ...(deps.fixedPromptTokens !== undefined ? { maxPromptTokens: deps.fixedPromptTokens } : {}),
      }, onText, signal);
    },
  };
}

const rewriteBudget = (req: RewriteRequest) =>
  Math.min(REWRITE_MAX_TOKENS, Math.max(REWRITE_MIN_TOKENS, Math.ceil(req.original.length * REWRITE_TOKENS_PER_CHAR)));

/**
 * Rewrites. Instruct models (the loaded model has a chat template): the instruction and the window
 * as chat messages, the reply's code fence stripped. Base (FIM) models: the window is regenerated
 * from the code around it; a base model cannot follow an instruction, so it is not in the prompt.
 * Both send the original window as the speculative draft.
 */
export function engineRewrites(deps: EngineAdapterDeps): RewriteEngine {
  return {
    async rewrite(req, onText, signal) {
      const s = deps.settings();
      const target = deps.engineFor('rewrite');
      const chat = target.engine.readyInfo?.chatTemplate;
      if (!chat) {
        const prompt: PromptSpec = canFillInMiddle(target.engine.readyInfo)
          ? { kind: 'fim', prefix: req.before, suffix: req.after }
          : { kind: 'plain', text: req.before };
        // The proposal streams as usual; with the guard on it stands only if the model scores it no worse than the original (never-worse.ts).
        const guard = s.editGuard === EDIT_GUARD_ON;
        const out = await stream(deps, target, {
          kind: 'rewrite', prompt, maxNewTokens: rewriteBudget(req),
          sampling: sampling(s), draftText: req.original, scoreDraft: guard,
          ...(deps.fixedPromptTokens !== undefined ? { maxPromptTokens: deps.fixedPromptTokens } : {}),
        }, onText, signal);
        if (!guard || signal.aborted || !out.done || out.done.finishReason === 'cancelled') return;
        const verdict = judgeRewrite(out.logprobs, out.done.draftLogprobs ?? [], out.done.finishReason === 'stop', deps.editMargin);
        deps.onEditVerdict?.(verdict);
        if (!verdict.confident) throw new NoConfidentEditError(`no confident edit: ${verdict.reason}`);
        return;
      }
      // Fail before asking the engine, with the reason; the document is untouched either way.
      if (chat.error !== undefined) throw new Error(`this model's chat template cannot be used: ${chat.error}`);
      const { text: reply } = await stream(deps, target, {
        kind: 'rewrite', prompt: { kind: 'chat', messages: rewriteMessages(req) }, maxNewTokens: rewriteBudget(req) + CHAT_REPLY_EXTRA_TOKENS,
        sampling: sampling(s), draftText: req.original, maxPromptTokens: CHAT_PROMPT_MAX_TOKENS,
      }, (soFar) => onText(codeFromChatReply(soFar, false)), signal);
      if (!signal.aborted) onText(codeFromChatReply(reply, true));
    },
  };
}
