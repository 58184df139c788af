// Copy from the document: code repeats itself, so what followed an earlier occurrence of the text
// right before the cursor is a good guess at what comes next. The gate uses it as a feature (does
// the suggestion start the same way?) and completions send it to the engine as a candidate that
// the model verifies (engine-adapters.ts, COPY_TOLERANCE). A few indexOf calls: cheap per keystroke,
// over the whole document, where the engine's own prompt lookup sees only its prompt window.

import type { CursorContext } from './postprocess.ts';

/** Text before the cursor matched when looking for an earlier occurrence (characters). */
const COPY_KEY_CHARS = 16;
/** A match shorter than this says nothing (a space, one bracket). */
const COPY_MIN_CHARS = 4;

/**
 * Up to maxChars of what followed the most recent other occurrence of the longest of the last
 * COPY_KEY_CHARS..COPY_MIN_CHARS characters before the cursor: earlier in the prefix (it then runs
 * at most to the cursor), else anywhere in the suffix. Undefined when there is none.
 */
export function documentContinuation(ctx: CursorContext, maxChars: number): string | undefined {
  for (let n = Math.min(COPY_KEY_CHARS, ctx.prefix.length); n >= COPY_MIN_CHARS; n--) {
    const key = ctx.prefix.slice(-n);
    // An earlier occurrence ends before the cursor's own (lastIndexOf clamps a negative start to 0).
    const before = ctx.prefix.length > n ? ctx.prefix.lastIndexOf(key, ctx.prefix.length - n - 1) : -1;
    if (before >= 0) return ctx.prefix.slice(before + n, before + n + maxChars);
    const after = ctx.suffix.indexOf(key);
    if (after >= 0) return ctx.suffix.slice(after + n, after + n + maxChars);
  }
  return undefined;
}
