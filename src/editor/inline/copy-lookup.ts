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

const WORD_CHAR = /\w/;
/** Occurrences looked at per search: enough for any real file's repeats, bounded on a pathological one. */
const WORD_SEARCH_LIMIT = 256;
/** The longest partial word before the cursor looked at (characters): longer is not an identifier. */
const WORD_MAX_CHARS = 256;

/**
 * Whether `word` starts a word somewhere in text[from, to): at text's start or after a non-word
 * character. A prefix match, so a word the suggestion has only begun still counts.
 */
function startsWordIn(text: string, word: string, from: number, to: number): boolean {
  let i = text.indexOf(word, from);
  for (let n = 0; i >= 0 && i + word.length <= to && n < WORD_SEARCH_LIMIT; n++) {
    if (i === 0 || !WORD_CHAR.test(text[i - 1]!)) return true;
    i = text.indexOf(word, i + 1);
  }
  return false;
}

/**
 * Whether the word the suggestion makes at the cursor (the partial word before the cursor and the
 * suggestion's leading word characters) begins another word of the document: the model is writing
 * an identifier or keyword the file already uses, not inventing one. False when the suggestion
 * adds no word characters.
 */
export function makesKnownWord(ctx: CursorContext, suggestion: string): boolean {
  // Only the prefix's tail is matched: an end-anchored regex over a whole large file scans all of it.
  const head = /\w*$/.exec(ctx.prefix.slice(-WORD_MAX_CHARS))![0];
  const tail = /^\w*/.exec(suggestion)![0];
  if (tail === '') return false;
  const word = head + tail;
  // The cursor's own word starts at prefix.length - head.length: anything before it is another word.
  return startsWordIn(ctx.prefix, word, 0, ctx.prefix.length - head.length + word.length - 1)
    || startsWordIn(ctx.suffix, word, head === '' ? 0 : 1, ctx.suffix.length);
}
