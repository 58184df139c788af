// The confidence gate: a suggestion is shown only when its estimated chance of being taken reaches
// the user's threshold (settings.gateThreshold). A user shown mostly wrong suggestions learns to
// ignore them all; fewer, better ones keep ghost text worth reading.
//
// The estimate is a logistic model of features known the moment a suggestion first has text, so
// gating never delays the ghost: the first token's probability under the model, the mode, and
// whether the document's own text continues the same way (copy agreement), whether the word it
// makes at the cursor is one the document already uses, and what kind of character the cursor
// follows (after `=` or an opening bracket the next token is easier to guess than after a space or
// a `.`: on replays of held-out code this raised the share of shown suggestions taken). Its weights come from
// typing replays of the training split (npm run replay -- --calibrate), in ../calibration.json;
// the model card has the curve. A suggestion without a log-probability (no model behind it) is
// never gated.

import calibration from '../calibration.json' with { type: 'json' };
import { documentContinuation, makesKnownWord } from './copy-lookup.ts';
import type { CompletionMode, CursorContext } from './postprocess.ts';

export interface GateFeatures {
  /**
   * log p of the first generated token with text of its own (natural log, temperature 1); with token
   * healing (the engine's generate.heal) renormalised over the tokens that spell on from the typed text.
   */
  firstLogprob: number;
  multiLine: boolean;
  /** The document's own text, after an earlier occurrence of the text before the cursor, starts with the suggestion's first word. */
  copyAgrees: boolean;
  /** The word the suggestion makes at the cursor begins another word of the document (copy-lookup.ts). */
  knownWord: boolean;
  /** The character right before the cursor, by kind (see cursorFollows). */
  follows: CursorFollows;
}

/**
 * What the cursor follows: a word character (the suggestion finishes a word), a `.`, a space, an
 * opening bracket or a comma, a `=` or `:`, or anything else (the start of the text, a newline, an
 * operator, a closing bracket).
 */
export type CursorFollows = 'word' | 'dot' | 'space' | 'open' | 'assign' | 'other';

export function cursorFollows(prefix: string): CursorFollows {
  const c = prefix.at(-1) ?? '';
  if (/\w/.test(c)) return 'word';
  if (c === '.') return 'dot';
  if (c === ' ') return 'space';
  if (c !== '' && '([{,'.includes(c)) return 'open';
  if (c === '=' || c === ':') return 'assign';
  return 'other';
}

/** One feature per kind of character the cursor follows; 'other' is the baseline, with none. */
const FOLLOWS_FEATURES: readonly (readonly [CursorFollows, string])[] = [
  ['word', 'after a word character'], ['dot', 'after .'], ['space', 'after a space'], ['open', 'after ( [ { ,'], ['assign', 'after = :'],
];

/** The features' names, in the order of GateCalibration.weights (the calibration file records them too). */
export const GATE_FEATURES: readonly string[] = ['p(first token)', 'multi-line', 'copy agreement', 'known word', ...FOLLOWS_FEATURES.map(([, name]) => name)];

export interface GateCalibration {
  /**
   * Weights of the features named by GATE_FEATURES, and the bias, on the logit scale. The first
   * token's probability, not its log: on replays it separates taken from not taken better (a
   * log-probability's long negative tail says little once a token is unlikely).
   */
  weights: number[];
  /** GATE_FEATURES as they were when the weights were fitted. */
  features: readonly string[];
  bias: number;
  /** The default threshold (settings.gateThreshold), chosen by the calibration. */
  threshold: number;
  /** Where the calibration came from (command, data, sample sizes). */
  provenance?: Record<string, unknown>;
}

/** Checks a calibration's shape (it is written by a tool, and a wrong one would gate silently). */
const isThreshold = (v: unknown): v is number => typeof v === 'number' && v >= 0 && v <= 1;

export function parseGateCalibration(json: unknown): GateCalibration {
  const c = json as Partial<GateCalibration> | null;
  const finite = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  if (!Array.isArray(c?.weights) || c.weights.length !== GATE_FEATURES.length || !c.weights.every(finite) || !finite(c.bias) || !isThreshold(c.threshold)) {
    throw new Error(`gate calibration: expected { weights: [${GATE_FEATURES.length} finite numbers], bias: a finite number, threshold: 0..1, features }`);
  }
  // Weights fitted for other features (an older calibration file) would gate by the wrong ones.
  if (!Array.isArray(c.features) || c.features.join('|') !== GATE_FEATURES.join('|')) {
    throw new Error(`gate calibration: fitted for features [${(c.features ?? []).join(', ')}], the gate's are [${GATE_FEATURES.join(', ')}]: run npm run replay -- --calibrate`);
  }
  return c as GateCalibration;
}

/**
 * The shipped calibration (../calibration.json), checked where it is used rather than on import:
 * the calibration tool imports this module to write a calibration for new features, and cannot
 * while the old one fails the check.
 */
export const shippedGateCalibration = (): Readonly<GateCalibration> => Object.freeze(parseGateCalibration(calibration.gate));

/** The shipped default threshold (settings.gateThreshold's default). */
export const GATE_THRESHOLD: number = (() => {
  const t = (calibration.gate as { threshold?: unknown }).threshold;
  if (!isThreshold(t)) throw new Error('calibration.json: gate.threshold must be a number in 0..1');
  return t;
})();

export const featureVector = (f: GateFeatures): number[] =>
  [Math.exp(f.firstLogprob), f.multiLine ? 1 : 0, f.copyAgrees ? 1 : 0, f.knownWord ? 1 : 0, ...FOLLOWS_FEATURES.map(([k]) => (f.follows === k ? 1 : 0))];

/** The estimated chance that a suggestion with these features is taken (in whole or in part). */
export function acceptProbability(f: GateFeatures, c: Readonly<GateCalibration> = shippedGateCalibration()): number {
  const x = featureVector(f);
  let z = c.bias;
  for (let i = 0; i < x.length; i++) z += c.weights[i]! * x[i]!;
  // A NaN log-probability (a broken row) must not pass every threshold: it counts as hopeless.
  return Number.isNaN(z) ? 0 : 1 / (1 + Math.exp(-z));
}

const FIRST_WORD = /^\s*(\w+|[^\w\s]+)/;

/**
 * Whether the document continues like the suggestion after another occurrence of the text right
 * before the cursor (copy-lookup.ts): the suggestion's first word compared with what followed it.
 */
export function copyAgrees(ctx: CursorContext, suggestion: string): boolean {
  const word = FIRST_WORD.exec(suggestion)?.[0];
  return word !== undefined && documentContinuation(ctx, word.length) === word;
}

export function gateFeatures(ctx: CursorContext, mode: CompletionMode, suggestion: string, firstLogprob: number): GateFeatures {
  return { firstLogprob, multiLine: mode === 'multi-line', copyAgrees: copyAgrees(ctx, suggestion), knownWord: makesKnownWord(ctx, suggestion), follows: cursorFollows(ctx.prefix) };
}
