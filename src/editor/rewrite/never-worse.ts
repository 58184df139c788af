// Edit never makes code worse: a base model's rewrite is applied only when the model itself scores
// it at least as well as the code it would replace — mean log-probability per token, in the same
// prompt, each ending the way the rewrite ended — by a margin calibrated on replays of real edits
// (npm run replay -- --calibrate, in ../calibration.json). A rewrite cut off by its token budget
// is never applied: it would drop the rest of the selection; nor is one that brings in another
// language's code (language-check.ts), leaves brackets unmatched (bracket-check.ts) or deletes the
// code outright, however the model scores it: a model's own loops and fragments can score well.

import calibration from '../calibration.json' with { type: 'json' };
import { bracketDamage } from './bracket-check.ts';
import { foreignLanguage } from './language-check.ts';

/** Edit declined: the document is untouched, and the message says why. Not a failure. */
export class NoConfidentEditError extends Error {
  override readonly name = 'NoConfidentEditError';
}

/** How much better (mean log-probability per token, nats) a rewrite must score than the original. */
export const EDIT_MARGIN: number = (() => {
  const margin = (calibration.edit as { margin?: unknown }).margin;
  if (typeof margin !== 'number' || !Number.isFinite(margin)) throw new Error('calibration.json: edit.margin must be a finite number');
  return margin;
})();

const mean = (xs: readonly number[]) => (xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length);

export interface EditVerdict {
  /** Mean log-probability per token of the rewrite and of the original. */
  rewrite: number;
  original: number;
  /** The rewrite ended by itself (a stop token), not at its token budget. */
  finished: boolean;
  /** Why the rewrite is refused whatever its score (structuralRefusal). */
  refusal?: string;
  confident: boolean;
  /** Why not, for the user. */
  reason?: string;
}

/**
 * A reason to refuse the rewrite of req.original whatever the model's score, or undefined. An
 * empty rewrite of code is one: its only scored token is the stop token, which can beat the mean of
 * real code (spark-nano answered a three-line type header with nothing, −0.71 against −3.22 per
 * token), and Edit's job is to fix code, not to delete it.
 */
export function structuralRefusal(rewrite: string, req: { before: string; original: string; after: string; language?: string }): string | undefined {
  if (rewrite.trim() === '' && req.original.trim() !== '') return 'the rewrite would delete the selected code';
  const foreign = foreignLanguage(rewrite, req);
  return foreign !== undefined ? `the rewrite brings in ${foreign} code` : bracketDamage(rewrite, req);
}

export function judgeRewrite(
  rewriteLogprobs: readonly number[], originalLogprobs: readonly number[], finished: boolean, margin: number = EDIT_MARGIN, refusal?: string,
): EditVerdict {
  const rewrite = mean(rewriteLogprobs), original = mean(originalLogprobs);
  if (!finished) return { rewrite, original, finished, confident: false, reason: 'the rewrite did not finish within its token budget' };
  if (refusal !== undefined) return { rewrite, original, finished, refusal, confident: false, reason: refusal };
  // NaN (nothing scored) never passes: without a comparison there is no confidence.
  if (!(rewrite >= original + margin)) {
    return { rewrite, original, finished, confident: false, reason: `the model finds the rewrite no more likely than your code (${rewrite.toFixed(2)} vs ${original.toFixed(2)} per token)` };
  }
  return { rewrite, original, finished, confident: true };
}
