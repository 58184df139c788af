// The confidence gate: a suggestion is shown only when its estimated chance of being taken reaches
// the user's threshold (settings.gateThreshold). A user shown mostly wrong suggestions learns to
// ignore them all; fewer, better ones keep ghost text worth reading.
//
// The estimate is a logistic model of features known the moment a suggestion first has text, so
// gating never delays the ghost: the first token's probability under the model, the mode, and
// whether the document's own text continues the same way (copy agreement), and whether the word it
// makes at the cursor is one the document already uses. Its weights come from
// typing replays of the training split (npm run replay -- --calibrate), in ../calibration.json;
// the model card has the curve. A suggestion without a log-probability (no model behind it) is
// never gated.

import calibration from '../calibration.json' with { type: 'json' };
import { documentContinuation, makesKnownWord } from './copy-lookup.ts';
import type { CompletionMode, CursorContext } from './postprocess.ts';

export interface GateFeatures {
  /** log p of the first generated token (natural log, temperature 1). */
  firstLogprob: number;
  multiLine: boolean;
  /** The document's own text, after an earlier occurrence of the text before the cursor, starts with the suggestion's first word. */
  copyAgrees: boolean;
  /** The cursor is right after a word character (the suggestion finishes a word). */
  midWord: boolean;
  /** The word the suggestion makes at the cursor begins another word of the document (copy-lookup.ts). */
  knownWord: boolean;
}

/** The features in the order of GateCalibration.weights. */
const FEATURE_COUNT = 5;

export interface GateCalibration {
  /**
   * Weights of [first-token probability, multiLine, copyAgrees, midWord, knownWord] and the bias,
   * on the logit scale. The probability, not its log: on replays it separates taken from not
   * taken better (a log-probability's long negative tail says little once a token is unlikely).
   */
  weights: [number, number, number, number, number];
  bias: number;
  /** The default threshold (settings.gateThreshold), chosen by the calibration. */
  threshold: number;
  /** Where the calibration came from (command, data, sample sizes). */
  provenance?: Record<string, unknown>;
}

/** Checks a calibration's shape (it is written by a tool, and a wrong one would gate silently). */
export function parseGateCalibration(json: unknown): GateCalibration {
  const c = json as Partial<GateCalibration> | null;
  const finite = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  if (!Array.isArray(c?.weights) || c.weights.length !== FEATURE_COUNT || !c.weights.every(finite) || !finite(c.bias) || !(finite(c.threshold) && c.threshold! >= 0 && c.threshold! <= 1)) {
    throw new Error(`gate calibration: expected { weights: [${FEATURE_COUNT} finite numbers], bias: a finite number, threshold: 0..1 }`);
  }
  return c as GateCalibration;
}

export const GATE_CALIBRATION: Readonly<GateCalibration> = Object.freeze(parseGateCalibration(calibration.gate));

export const featureVector = (f: GateFeatures): GateCalibration['weights'] =>
  [Math.exp(f.firstLogprob), f.multiLine ? 1 : 0, f.copyAgrees ? 1 : 0, f.midWord ? 1 : 0, f.knownWord ? 1 : 0];

/** The estimated chance that a suggestion with these features is taken (in whole or in part). */
export function acceptProbability(f: GateFeatures, c: Readonly<GateCalibration> = GATE_CALIBRATION): number {
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
  return { firstLogprob, multiLine: mode === 'multi-line', copyAgrees: copyAgrees(ctx, suggestion), midWord: /\w$/.test(ctx.prefix), knownWord: makesKnownWord(ctx, suggestion) };
}
