// The editor's two engine needs — streaming completions and streaming rewrites — met by the
// engine worker's client. Prompt shape, sampling and token budgets are decided here, from the
// user's settings; the controllers above never see the protocol.

import calibration from './calibration.json' with { type: 'json' };
import type { DoneEvent, Engine, PromptSpec, ReadyEvent, SamplingParams } from '../engine/index.ts';
import type { PerfEvent, RequestRole } from '../hud/perf-events.ts';
import { traceNow, type GhostTrace } from '../hud/waterfall.ts';
import { EDIT_GUARD_ON, TOKENS_PER_SUBMIT_AUTO, type Settings, type SlotName } from '../settings.ts';
import type { CompletionEngine } from './inline/completion-controller.ts';
import { documentContinuation } from './inline/copy-lookup.ts';
import type { CompletionMode, CursorContext } from './inline/postprocess.ts';
import { codeFromChatReply, fenced, rewriteMessages } from './rewrite/chat-rewrite.ts';
import { judgeRewrite, NoConfidentEditError, structuralRefusal, type EditVerdict } from './rewrite/never-worse.ts';
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

/**
 * Copy-aware suggestions: text the document repeats (the engine's prompt-lookup drafts) is kept
 * over the model's own next token when the model gives it at least e^-tolerance of that token's
 * probability (nats; engine: generate.draftTolerance). Calibrated on typing replays of the training
 * split (npm run replay -- --calibrate), in calibration.json.
 */
export const COPY_TOLERANCE: number = (() => {
  const tolerance = (calibration as { copy?: { tolerance?: unknown } }).copy?.tolerance;
  if (typeof tolerance !== 'number' || !Number.isFinite(tolerance) || tolerance < 0) throw new Error('calibration.json: copy.tolerance must be a finite number >= 0');
  return tolerance;
})();

/** The longest copy candidate sent with a completion (a single-line one also ends at its line's end). */
const COPY_CANDIDATE_CHARS = 256;

/**
 * What the document itself suggests here (copy-lookup.ts), as the main suggestion's copy candidate:
 * for a single-line suggestion, to the end of its line. Undefined when nothing or only whitespace.
 */
export function copyCandidate(req: CursorContext & { mode: CompletionMode }): string | undefined {
  let text = documentContinuation(req, COPY_CANDIDATE_CHARS);
  if (text !== undefined && req.mode === 'single-line' && text.includes('\n')) text = text.slice(0, text.indexOf('\n') + 1);
  return text !== undefined && text.trim() !== '' ? text : undefined;
}

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
  /** The copy tolerance of main suggestions (default: the calibrated COPY_TOLERANCE); the calibration replay sets its own. */
  copyTolerance?: number;
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
  draftTolerance?: number;
  maxPromptTokens?: number;
  /** Token healing (the engine's generate.heal): completions, whose prompt ends at the cursor. */
  heal?: boolean;
  /** A ghost's waterfall: marked when the request is posted and when its first tokens are back, with the worker's marks. */
  trace?: GhostTrace;
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
  const trace = o.trace;
  if (trace) trace.sent = traceNow();
  const generation = target.engine.generate({
    prompt: o.prompt, maxNewTokens: o.maxNewTokens, sampling: o.sampling, drafts: true,
    ...(s.tokensPerSubmit !== TOKENS_PER_SUBMIT_AUTO ? { tokensPerSubmit: s.tokensPerSubmit } : {}),
    ...(o.draftText !== undefined ? { draftText: o.draftText } : {}),
    ...(o.scoreDraft ? { scoreDraft: true } : {}),
    ...(o.draftTolerance ? { draftTolerance: o.draftTolerance } : {}),
    ...(o.maxPromptTokens !== undefined ? { maxPromptTokens: o.maxPromptTokens } : {}),
    ...(o.heal ? { heal: true } : {}),
    ...(trace ? { trace: true } : {}),
  }, (e) => {
    if (trace && e.trace) Object.assign(trace, e.trace, { tokensBack: traceNow() });
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
      const copy = k === 0 ? copyCandidate(req) : undefined;
      await stream(deps, target, {
        kind: k > 0 ? 'alternative' : 'completion', prompt, heal: true, maxNewTokens: completionMaxTokens(req.mode, s), sampling: k > 0 ? alternativeSampling(s, k) : sampling(s),
        // The main suggestion: the model verifies the document's own continuation, and keeps it as far
        // as it finds it nearly as likely as its own pick. Alternatives are the model's own samples.
        ...(k === 0 ? { draftTolerance: deps.copyTolerance ?? COPY_TOLERANCE, ...(copy !== undefined ? { draftText: copy } : {}) } : {}),
        ...(deps.fixedPromptTokens !== undefined ? { maxPromptTokens: deps.fixedPromptTokens } : {}),
        ...(req.trace ? { trace: req.trace } : {}),
      }, onText, signal);
    },
  };
}

/**
 * The log-probability of each token of `text` as the answer to `prompt` (one engine request that
 * generates nothing and scores `text`; a verify pass per few tokens). [] when cancelled.
 */
async function scoreText(engine: Engine, prompt: PromptSpec, text: string, maxPromptTokens: number, signal: AbortSignal): Promise<number[]> {
  if (signal.aborted) return [];
  const generation = engine.generate({ prompt, maxNewTokens: 0, draftText: text, scoreDraft: true, maxPromptTokens });
  const cancel = () => generation.cancel();
  signal.addEventListener('abort', cancel, { once: true });
  try {
    return (await generation.done).draftLogprobs ?? [];
  } finally {
    signal.removeEventListener('abort', cancel);
  }
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
      // The proposal streams as usual; with the guard on it stands only if the model scores it no
      // worse than the original, stays in the document's language and keeps its brackets matched (never-worse.ts).
      const guard = s.editGuard === EDIT_GUARD_ON;
      const judge = (rewrite: string, rewriteLogprobs: readonly number[], originalLogprobs: readonly number[], finished: boolean) => {
        const verdict = judgeRewrite(rewriteLogprobs, originalLogprobs, finished, deps.editMargin, structuralRefusal(rewrite, req));
        deps.onEditVerdict?.(verdict);
        if (!verdict.confident) throw new NoConfidentEditError(`no confident edit: ${verdict.reason}`);
      };
      if (!chat) {
        const prompt: PromptSpec = canFillInMiddle(target.engine.readyInfo)
          ? { kind: 'fim', prefix: req.before, suffix: req.after }
          : { kind: 'plain', text: req.before };
        const out = await stream(deps, target, {
          kind: 'rewrite', prompt, maxNewTokens: rewriteBudget(req),
          sampling: sampling(s), draftText: req.original, scoreDraft: guard,
          ...(deps.fixedPromptTokens !== undefined ? { maxPromptTokens: deps.fixedPromptTokens } : {}),
        }, onText, signal);
        if (!guard || signal.aborted || !out.done || out.done.finishReason === 'cancelled') return;
        judge(out.text, out.logprobs, out.done.draftLogprobs ?? [], out.done.finishReason === 'stop');
        return;
      }
      // Fail before asking the engine, with the reason; the document is untouched either way.
      if (chat.error !== undefined) throw new Error(`this model's chat template cannot be used: ${chat.error}`);
      const prompt: PromptSpec = { kind: 'chat', messages: rewriteMessages(req) };
      const { text: reply, done } = await stream(deps, target, {
        kind: 'rewrite', prompt, maxNewTokens: rewriteBudget(req) + CHAT_REPLY_EXTRA_TOKENS,
        sampling: sampling(s), draftText: req.original, maxPromptTokens: CHAT_PROMPT_MAX_TOKENS,
      }, (soFar) => onText(codeFromChatReply(soFar, false)), signal);
      if (signal.aborted) return;
      const code = codeFromChatReply(reply, true);
      onText(code);
      if (!guard || !done || done.finishReason === 'cancelled') return;
      // Both as the reply the system prompt asks for, after the same instruction: the model must
      // find its answer at least as likely as handing the code back unchanged.
      const [asRewrite, asOriginal] = fenced(req, [code, req.original]);
      const rewriteLogprobs = await scoreText(target.engine, prompt, asRewrite!, CHAT_PROMPT_MAX_TOKENS, signal);
      const originalLogprobs = await scoreText(target.engine, prompt, asOriginal!, CHAT_PROMPT_MAX_TOKENS, signal);
      if (signal.aborted) return;
      judge(code, rewriteLogprobs, originalLogprobs, done.finishReason === 'stop');
    },
  };
}
