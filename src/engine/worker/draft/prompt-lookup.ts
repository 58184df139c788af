// Prompt-lookup drafting: code repeats itself (identifiers, call shapes, whole lines), so the
// tokens that followed the last occurrence of the current n-gram are a cheap guess at what comes
// next. The engine verifies the guess in one batched forward pass, so a wrong guess costs one
// wasted row of a GEMM, never a wrong token.

/** Longest n-gram tried first: long matches are rarer but far more often right. */
const MAX_NGRAM = 4;
/** A single shared token (a space, a bracket) predicts nothing useful; require two. */
const MIN_NGRAM = 2;

/**
 * Proposes up to `max` tokens that followed the most recent earlier occurrence of the sequence's
 * last n tokens (n from MAX_NGRAM down to MIN_NGRAM). Returns [] when nothing matches.
 */
export function promptLookupDraft(sequence: readonly number[], max: number): number[] {
  const len = sequence.length;
  if (max <= 0) return [];
  for (let n = Math.min(MAX_NGRAM, len - 1); n >= MIN_NGRAM; n--) {
    // Scan backwards so the most recent occurrence wins: it is the most likely to continue alike.
    for (let start = len - n - 1; start >= 0; start--) {
      let match = true;
      for (let j = 0; j < n; j++) {
        if (sequence[start + j] !== sequence[len - n + j]) { match = false; break; }
      }
      if (!match) continue;
      const from = start + n;
      const draft = sequence.slice(from, Math.min(from + max, len));
      if (draft.length > 0) return draft.slice();
    }
  }
  return [];
}

/**
 * Prompt lookup over a FIM prompt's document (BuiltPrompt.lookupIds) and the tokens generated so
 * far: the prompt itself ends in FIM control tokens, which occur nowhere else.
 */
export function documentLookupDraft(lookupIds: readonly number[], promptLength: number) {
  return (sequence: readonly number[], max: number): number[] =>
    promptLookupDraft(sequence.length > promptLength ? [...lookupIds, ...sequence.slice(promptLength)] : lookupIds, max);
}
