// A simulated user types a stretch of code, keystroke by keystroke, through the editor's real
// completion controller and post-processing. Where the ghost text is exactly what they are about to
// type they take it: Tab for the whole suggestion, Ctrl+→ (Monaco's acceptNextWord) for the
// longest run of words that matches. Otherwise they type the next character. Enter also brings
// the next line's indentation, as the editor's auto-indent does, so a line's ghost text is asked
// for where the user's cursor lands: after the indentation.
//
// The user is patient: before each decision they wait until the suggestion for the cursor has
// settled (streamed to its end, or none), so what is measured is what a suggestion is worth, not a
// race with the engine. How long the first ghost took is measured on the way, with the real clock.

import { gateFeatures, type GateCalibration, type GateFeatures } from '../../src/editor/inline/confidence-gate.ts';
import { CompletionController, type CompletionEngine, type CompletionEvent, type CompletionRequest } from '../../src/editor/inline/completion-controller.ts';

/** One stretch to type: the document is `before + typed + after`, and the user types `target`. */
export interface ReplayCase {
  before: string;
  target: string;
  after: string;
}

export interface CaseResult {
  /** Characters typed, Tabs and Ctrl+→ presses. */
  keystrokes: number;
  /** Characters of target the user typed themselves (auto-indent included). */
  typedChars: number;
  /** Characters of target inserted by accepting ghost text. */
  acceptedChars: number;
  /** Distinct suggestions shown (a suggestion typed through stays the same one). */
  shown: number;
  /** Taken whole with Tab. */
  acceptedWhole: number;
  /** Taken in part with Ctrl+→ (at least one word), the rest wrong. */
  acceptedPart: number;
  /** Shown, and not one word of it was what the user typed next. */
  wrong: number;
  /** Keystroke → first ghost of each shown suggestion, ms. */
  ghostLatencyMs: number[];
  /** Each shown suggestion's text, in order: two engines agree when these do. */
  shownTexts: string[];
  /** Suggestions the confidence gate held back. */
  gated: number;
  /** Each shown suggestion's gate features (when a model gave a log-probability) and whether it was taken: the calibration's data. */
  samples: { features: GateFeatures; taken: boolean }[];
}

export interface SimulatedUserOptions {
  engine: CompletionEngine;
  /** The editor's debounce (ms). */
  debounceMs: number;
  /** Stop after this many keystrokes, even mid-target. */
  maxKeystrokes: number;
  /** The confidence gate (0 or absent: off), and its model (default: the shipped one). */
  gateThreshold?: number;
  gateCalibration?: Readonly<GateCalibration>;
}

/**
 * Monaco's default word definition: a number, or a run of characters that are not separators.
 * (vs/editor/common/core/wordHelper.ts DEFAULT_WORD_REGEXP.)
 */
const WORD = /(-?\d*\.\d\w*)|([^`~!@#$%^&*()\-=+[{\]}\\|;:'",.<>/?\s]+)/;

/**
 * How many characters one Ctrl+→ accepts from the start of ghost text: the word there, or the
 * separators up to the next word, but never past the end of the first run of whitespace.
 * (vs/editor/contrib/inlineCompletions/browser/model/inlineCompletionsModel.ts acceptNextWord.)
 */
export function nextWordLength(text: string): number {
  const word = WORD.exec(text);
  let end = !word ? text.length : word.index === 0 ? word[0].length : word.index;
  const ws = /\s+/.exec(text);
  if (ws && ws.index + ws[0].length < end) end = ws.index + ws[0].length;
  return end;
}

/**
 * The longest prefix of `ghost` that whole Ctrl+→ steps can take while it still matches `upcoming`:
 * its length and the presses it takes (0, 0 when not even one step matches).
 */
export function wordPrefixMatch(ghost: string, upcoming: string): { chars: number; presses: number } {
  let chars = 0, presses = 0;
  while (chars < ghost.length) {
    const step = nextWordLength(ghost.slice(chars));
    if (step === 0) break;
    const end = chars + step;
    if (upcoming.slice(chars, end) !== ghost.slice(chars, end)) break;
    chars = end;
    presses++;
  }
  return { chars, presses };
}

export const emptyCaseResult = (): CaseResult => ({
  keystrokes: 0, typedChars: 0, acceptedChars: 0, shown: 0, acceptedWhole: 0, acceptedPart: 0, wrong: 0, ghostLatencyMs: [], shownTexts: [],
  gated: 0, samples: [],
});

/** Types one case. The controller is created and disposed here: no suggestion leaks between cases. */
export async function replayCase(c: ReplayCase, o: SimulatedUserOptions): Promise<CaseResult> {
  const r = emptyCaseResult();
  let firstGhosts = 0;
  const onEvent = (e: CompletionEvent) => {
    if (e.type === 'gated') r.gated++;
    if (e.type !== 'first-ghost') return;
    firstGhosts++;
    r.ghostLatencyMs.push(e.keystrokeToGhostMs);
  };
  // The request behind the suggestion shown (the newest: a newer one cancels it) and its first log-probability.
  const last: { req?: CompletionRequest; firstLogprob?: number } = {};
  const engine: CompletionEngine = {
    complete(req, onText, signal) {
      if (!req.alternative) { last.req = req; last.firstLogprob = undefined; }
      return o.engine.complete(req, (text, firstLogprob) => {
        if (!req.alternative && last.req === req) last.firstLogprob ??= firstLogprob;
        onText(text, firstLogprob);
      }, signal);
    },
  };
  const controller = new CompletionController({
    engine, debounceMs: () => o.debounceMs, onSuggestionChanged: () => {}, onEvent,
    gateThreshold: () => o.gateThreshold ?? 0, ...(o.gateCalibration ? { gateCalibration: o.gateCalibration } : {}),
  });
  try {
    let pos = 0;
    /** The first-ghost count when the user last judged a suggestion: a higher count is a new one. */
    let judged = 0;
    while (pos < c.target.length && r.keystrokes < o.maxKeystrokes) {
      const ctx = { prefix: c.before + c.target.slice(0, pos), suffix: c.after };
      let ghost = controller.suggest(ctx);
      while (controller.isPending(ctx)) {
        await controller.nextChange();
        ghost = controller.peek(ctx);
      }
      if (ghost !== undefined && firstGhosts > judged) {
        judged = firstGhosts;
        r.shown++;
        r.shownTexts.push(ghost);
        const upcoming = c.target.slice(pos);
        const whole = upcoming.startsWith(ghost);
        const part = wordPrefixMatch(ghost, upcoming);
        if (last.req && last.firstLogprob !== undefined) {
          r.samples.push({ features: gateFeatures(last.req, last.req.mode, ghost, last.firstLogprob), taken: whole || part.chars > 0 });
        }
        if (whole) {
          r.acceptedWhole++;
          r.acceptedChars += ghost.length;
          r.keystrokes++;
          pos += ghost.length;
          continue;
        }
        if (part.chars > 0) {
          r.acceptedPart++;
          r.acceptedChars += part.chars;
          r.keystrokes += part.presses;
          pos += part.chars;
          continue;
        }
        r.wrong++;
      }
      const step = c.target[pos] === '\n' ? 1 + /^[ \t]*/.exec(c.target.slice(pos + 1))![0].length : 1;
      pos += step;
      r.typedChars += step;
      r.keystrokes++;
    }
  } finally {
    controller.dispose();
  }
  return r;
}

/** Sums case results (latencies concatenated). */
export function addResults(into: CaseResult, r: CaseResult): CaseResult {
  into.keystrokes += r.keystrokes;
  into.typedChars += r.typedChars;
  into.acceptedChars += r.acceptedChars;
  into.shown += r.shown;
  into.acceptedWhole += r.acceptedWhole;
  into.acceptedPart += r.acceptedPart;
  into.wrong += r.wrong;
  into.ghostLatencyMs.push(...r.ghostLatencyMs);
  into.shownTexts.push(...r.shownTexts);
  into.gated += r.gated;
  into.samples.push(...r.samples);
  return into;
}
