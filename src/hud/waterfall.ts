// The ghost's latency budget as a waterfall: the moments one keystroke's suggestion passed through
// on its way to the screen, on one clock (performance.timeOrigin + now, so the worker's marks line
// up with the page's), turned into consecutive stages that add up to keydown → rendered.
// A trace exists only while the HUD watches (perf() returns an emitter): otherwise nothing is marked.

/** The marks, in the order a ghost passes them; each stage ends at its mark. */
export const WATERFALL_MARKS = [
  'keydown', // the last key before the ghost was on screen (a capture listener on the editor)
  'provider', // the editor asked: the typed edit landed (inline-provider.ts starts the request then) or Monaco called the provider
  'context', // prefix and suffix read from the model
  'typedThrough', // or: served at once from the suggestion in flight (the key matched it), no request
  'sent', // the debounce is over and the request is posted to the worker
  'received', // the worker has the message
  'started', // the worker starts it (after any request still running there)
  'tokenized', // prompt built and tokenized
  'firstToken', // prefill and the first decode are done, and the first text detokenized
  'tokensBack', // the first tokens event reached the page
  'postprocessed', // enough text, post-processed and past the gate, to show
  'rendered', // the frame its text appeared in Monaco's ghost-text nodes (ghost-render-watch.ts)
] as const;
export type WaterfallMark = typeof WATERFALL_MARKS[number];

/** The request's prompt, and how much of it was prefilled (the rest came from the KV cache). */
export interface PromptCounts { promptTokens: number; prefilledTokens: number }

/**
 * Absolute times (ms since the epoch, sub-millisecond) of the marks a ghost reached, and the prompt
 * counts of the request that answered it (absent for a ghost typed through, which had none).
 */
export type GhostTrace = Partial<Record<WaterfallMark, number>> & { prompt?: PromptCounts };

/** "prefilled 412 of 530 prompt tokens": why a ghost's prefill took what it took. */
export const describePrompt = (p: PromptCounts): string => `prefilled ${p.prefilledTokens} of ${p.promptTokens} prompt tokens`;

export interface WaterfallStage { name: string; ms: number }

/** A ghost's waterfall: its stages add up to totalMs, keydown → on screen. */
export interface GhostWaterfall {
  stages: WaterfallStage[];
  totalMs: number;
  /** When it was on screen (the traces' clock: ms since the epoch). */
  renderedAt: number;
  prompt?: PromptCounts;
}

const STAGE_NAMES: Record<Exclude<WaterfallMark, 'keydown'>, string> = {
  provider: 'keydown → asked',
  context: 'context extraction',
  typedThrough: 'typed through (no request)',
  sent: 'debounce + request',
  received: 'postMessage',
  started: 'queue in the worker',
  tokenized: 'tokenize',
  firstToken: 'prefill + first decode',
  tokensBack: 'detokenize + postMessage back',
  postprocessed: 'more tokens + post-process',
  rendered: 'render',
};

export { traceNow } from '../util/trace-clock.ts';

/**
 * Consecutive stages from the first mark to the last; a mark the trace lacks merges its stage into
 * the next (so the stages always add up to the total). When the keydown is later than some marks
 * (the user typed on while the request ran), those stages count 0: they were hidden behind typing;
 * so do stages ending after the render (the editor showed a ghost before the request's came back).
 */
export function waterfallStages(trace: GhostTrace): GhostWaterfall | undefined {
  const start = trace.keydown ?? trace.provider;
  if (start === undefined || trace.rendered === undefined || trace.rendered < start) return undefined;
  const stages: WaterfallStage[] = [];
  let previous = start;
  let pending: string[] = [];
  // A typed-through ghost passed no request stages: it went from the provider straight to the screen.
  const marks = (WATERFALL_MARKS.slice(1) as Exclude<WaterfallMark, 'keydown'>[])
    .filter((m) => (trace.typedThrough === undefined ? m !== 'typedThrough' : ['provider', 'context', 'typedThrough', 'rendered'].includes(m)));
  for (const mark of marks) {
    const at = trace[mark];
    pending.push(STAGE_NAMES[mark]);
    if (at === undefined) continue;
    // Clocks of two threads may disagree by a hair; and a mark after the ghost was on screen (the
    // editor showed it before this trace's request finished) did not delay it.
    const clamped = Math.min(trace.rendered, Math.max(previous, at));
    stages.push({ name: pending.join(' + '), ms: clamped - previous });
    previous = clamped;
    pending = [];
  }
  const prompt = trace.typedThrough === undefined ? trace.prompt : undefined;
  return { stages, totalMs: previous - start, renderedAt: trace.rendered, ...(prompt ? { prompt: { ...prompt } } : {}) };
}
