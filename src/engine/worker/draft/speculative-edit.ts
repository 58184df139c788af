// Speculative edits: when the model rewrites a window of code, most of its output copies the
// original. So the original's tokens are the draft: find where the output has got to in the
// original and propose what follows there. Unchanged spans verify many tokens per forward pass;
// changed spans fall back to one token per step until the output lines up with the original again.

import { promptLookupDraft } from './prompt-lookup.ts';

/** A suffix this long of the output, found in the original, is enough to know where we are. */
const MAX_ANCHOR = 6;

type Draft = (sequence: readonly number[], max: number) => readonly number[];

/**
 * Returns a draft function for the backend: `sequence` is prompt + generated ids, of which the
 * first `promptLength` are the prompt. Falls back to `fallback` (prompt lookup) when the original
 * says nothing.
 */
export function speculativeEditDraft(reference: readonly number[], promptLength: number, fallback: Draft = promptLookupDraft): Draft {
  return (sequence, max) => {
    if (max <= 0) return [];
    const generated = sequence.length - promptLength;
    if (generated <= 0) return reference.slice(0, max);
    const fromReference = continueInReference(reference, sequence, generated, max);
    return fromReference.length > 0 ? fromReference : fallback(sequence, max);
  };
}

/**
 * The tokens after the longest suffix of the output (up to MAX_ANCHOR, at least one token) that
 * occurs in the reference; among equal matches, the one nearest the output's own length, since a
 * rewrite mostly advances through the original in step with it.
 */
function continueInReference(reference: readonly number[], sequence: readonly number[], generated: number, max: number): number[] {
  const end = sequence.length;
  for (let n = Math.min(MAX_ANCHOR, generated); n >= 1; n--) {
    let best = -1;
    for (let start = 0; start + n < reference.length; start++) {
      let match = true;
      for (let j = 0; j < n; j++) {
        if (reference[start + j] !== sequence[end - n + j]) { match = false; break; }
      }
      if (match && (best < 0 || Math.abs(start + n - generated) < Math.abs(best + n - generated))) best = start;
    }
    if (best >= 0) return reference.slice(best + n, best + n + max);
  }
  return [];
}
