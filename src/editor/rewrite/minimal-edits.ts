// A rewrite becomes a handful of small edits rather than one sweeping replacement: the model's
// output is diffed against the original at word granularity (words, punctuation, newlines and
// whitespace runs are tokens, so indentation changes stay exact) with the `diff` library, and
// each run of removed/added tokens becomes one edit.
//
// The diff runs on the UI thread, so its work is bounded (issue 13: an unbounded word diff of a
// diverging 2k-character window took 181 ms, 2.8 s at 300k). The bounds count work, not time, so
// the same texts give the same edits on any machine: with a wall-clock cap (8 ms) as the bound, a
// streaming Edit's preview flipped between 68 edits and one whole replacement from one update to
// the next as the machine's load came and went, and Monaco redrew it whole each time.
// The stages:
//  1. the common prefix and suffix are cut off at line starts (cheap, and exact: the word
//     tokenizer always ends a token at a newline, so the middle tokenizes as it did in the whole);
//  2. the middle is word-diffed exactly when it is small enough and its edit distance is at most
//     wordEditLimit tokens: the result is then the minimal edit set (`exact: true`);
//  3. otherwise the middle is diffed by lines (bounded too), and each changed run of lines is
//     word-diffed on its own when small and the work budget (wordWork) allows, or replaced whole;
//  4. if even the line diff is over its bound, the whole middle is replaced.
// Every stage's edits apply to exactly the rewrite (tested); only the granularity differs.

import { diffArrays, diffWordsWithSpace } from 'diff';

/** Replace original[start, end) with text. Offsets are into the original. */
export interface TextEdit {
  start: number;
  end: number;
  text: string;
}

/** The edits, and whether they are the minimal word-level set (false: a bound was hit, coarser edits). */
export interface EditPlan {
  edits: TextEdit[];
  exact: boolean;
}

/** Bounds on the diff's work; the defaults keep one diff well under a frame's worth of 16 ms on a desktop. */
export interface DiffBounds {
  /** Most token edits the exact word diff explores before giving up (its cost grows with the square). */
  wordEditLimit: number;
  /** A middle longer than this (characters, either side) is not word-diffed whole: tokenizing it alone costs too much. */
  wordDiffMaxChars: number;
  /** Most line edits the line diff explores. */
  lineEditLimit: number;
  /** Most line-diff work: lines on both sides times lineEditLimit; past it the middle is replaced whole. */
  lineWork: number;
  /**
   * Most word-diff work in one diff: the sum, over the word diffs it tries, of the characters on
   * both sides times wordEditLimit (what each may explore). A word diff past what is left is not
   * tried; its run of lines is replaced whole.
   */
  wordWork: number;
}

/**
 * wordWork: a diverging 2k-character window's whole word diff fits (5k characters × 200) with room
 * to refine its runs; lineWork: 1,000 lines in all. Measured in Node here, diverging windows: 10k
 * characters (600 lines) 13-18 ms at most (51 ms with no work bound); past lineWork (68k, 300k
 * characters) the middle is replaced whole at once.
 */
export const DEFAULT_DIFF_BOUNDS: DiffBounds = {
  wordEditLimit: 200, wordDiffMaxChars: 20_000, lineEditLimit: 1_000, wordWork: 2_000_000, lineWork: 1_000_000,
};

/**
 * A streamed update is a preview, ~10 a second: a quarter of the final diff's word work, so a
 * diverging 2k-character window costs 5 ms an update rather than 20 (Node, beside a busy core);
 * the final diff (DEFAULT_DIFF_BOUNDS) is what accept applies.
 */
export const STREAMING_DIFF_BOUNDS: DiffBounds = { ...DEFAULT_DIFF_BOUNDS, wordWork: 500_000 };

/** The smallest word-level edits that turn `original` into `rewritten`, in document order (coarser past the bounds). */
export function minimalEdits(original: string, rewritten: string, bounds: DiffBounds = DEFAULT_DIFF_BOUNDS): TextEdit[] {
  return diffEdits(original, rewritten, bounds).edits;
}

/** minimalEdits with whether the result is exact. */
export function diffEdits(original: string, rewritten: string, bounds: DiffBounds = DEFAULT_DIFF_BOUNDS): EditPlan {
  return boundedEdits(original, rewritten, bounds, false);
}

/**
 * Edits for a rewrite still streaming in: the original text after the last point the partial
 * output matched is not yet reached, so a trailing deletion is not shown as one. Only the part of
 * the original the output can have reached (twice the output's length past the common prefix, to
 * the end of that line) is compared, so the work follows the output, not the window.
 */
export function streamingEdits(original: string, partialRewrite: string, bounds: DiffBounds = STREAMING_DIFF_BOUNDS): TextEdit[] {
  const prefix = commonLinePrefix(original, partialRewrite);
  const reach = prefix + 2 * (partialRewrite.length - prefix) + 256;
  const lineEnd = original.indexOf('\n', reach);
  const considered = lineEnd < 0 ? original : original.slice(0, lineEnd + 1);
  return boundedEdits(considered, partialRewrite, bounds, true).edits;
}

/** Length of the common prefix, cut back to just after its last newline. */
function commonLinePrefix(a: string, b: string): number {
  const max = Math.min(a.length, b.length);
  let i = 0;
  while (i < max && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i === a.length && i === b.length) return i;
  return i === 0 ? 0 : a.lastIndexOf('\n', i - 1) + 1;
}

/** Length of the common suffix (not reaching into the first `skip` characters), cut forward to just after its first newline. */
function commonLineSuffix(a: string, b: string, skip: number): number {
  const max = Math.min(a.length, b.length) - skip;
  let i = 0;
  while (i < max && a.charCodeAt(a.length - 1 - i) === b.charCodeAt(b.length - 1 - i)) i++;
  if (i === 0) return 0;
  const tail = a.slice(a.length - i);
  const nl = tail.indexOf('\n');
  // The character before the suffix must be a newline in both texts: it lies inside the common part.
  return nl < 0 ? 0 : i - (nl + 1);
}

type Part = { value: string; added: boolean; removed: boolean };

function boundedEdits(original: string, rewritten: string, bounds: DiffBounds, streaming: boolean): EditPlan {
  const prefix = commonLinePrefix(original, rewritten);
  // While streaming, the output's end is not a real end: no common suffix to keep.
  const suffix = streaming ? 0 : commonLineSuffix(original, rewritten, prefix);
  const a = original.slice(prefix, original.length - suffix);
  const b = rewritten.slice(prefix, rewritten.length - suffix);
  if (a === b) return { edits: [], exact: true };
  const shift = (edits: TextEdit[]) => edits.map((e) => ({ start: e.start + prefix, end: e.end + prefix, text: e.text }));

  let work = bounds.wordWork;
  const words = (x: string, y: string): Part[] | undefined => {
    const cost = (x.length + y.length) * bounds.wordEditLimit;
    if (x.length > bounds.wordDiffMaxChars || y.length > bounds.wordDiffMaxChars || cost > work) return undefined;
    work -= cost;
    return diffWordsWithSpace(x, y, { maxEditLength: bounds.wordEditLimit });
  };
  const whole = words(a, b);
  if (whole) return { edits: shift(editsFromParts(whole, streaming)), exact: true };

  const linesA = splitLines(a), linesB = splitLines(b);
  const lineWork = (linesA.length + linesB.length) * bounds.lineEditLimit;
  const lines = lineWork <= bounds.lineWork ? diffArrays(linesA, linesB, { maxEditLength: bounds.lineEditLimit }) : undefined;
  if (!lines) {
    const replaced: Part[] = [{ value: a, added: false, removed: true }, { value: b, added: true, removed: false }];
    return { edits: shift(editsFromParts(replaced, streaming)), exact: false };
  }
  // Refine each changed run of lines (removed and added lines next to each other) by words when small.
  const parts: Part[] = [];
  let removed = '', added = '';
  const flush = () => {
    if (removed || added) {
      const refined = words(removed, added);
      if (refined) parts.push(...refined);
      else {
        if (removed) parts.push({ value: removed, added: false, removed: true });
        if (added) parts.push({ value: added, added: true, removed: false });
      }
    }
    removed = added = '';
  };
  for (const part of lines) {
    const value = part.value.join('');
    if (part.removed) removed += value;
    else if (part.added) added += value;
    else {
      flush();
      parts.push({ value, added: false, removed: false });
    }
  }
  flush();
  return { edits: shift(editsFromParts(parts, streaming)), exact: false };
}


/** Lines with their newline kept, so joining them gives the text back. */
function splitLines(text: string): string[] {
  const out: string[] = [];
  let at = 0;
  for (;;) {
    const nl = text.indexOf('\n', at);
    if (nl < 0) break;
    out.push(text.slice(at, nl + 1));
    at = nl + 1;
  }
  if (at < text.length) out.push(text.slice(at));
  return out;
}

function editsFromParts(parts: Part[], dropTrailingRemoval: boolean): TextEdit[] {
  if (dropTrailingRemoval) {
    let end = parts.length;
    while (end > 0 && parts[end - 1]!.removed) end--;
    parts = parts.slice(0, end);
  }
  const edits: TextEdit[] = [];
  let offset = 0;
  let open: TextEdit | undefined;
  for (const part of parts) {
    if (!part.added && !part.removed) {
      open = undefined;
      offset += part.value.length;
      continue;
    }
    if (!open) {
      open = { start: offset, end: offset, text: '' };
      edits.push(open);
    }
    if (part.removed) {
      offset += part.value.length;
      open.end = offset;
    } else {
      open.text += part.value;
    }
  }
  return edits;
}

/** Applies non-overlapping edits (offsets into `original`) in one go. */
export function applyEdits(original: string, edits: readonly TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => a.start - b.start);
  let out = '';
  let at = 0;
  for (const e of sorted) {
    if (e.start < at || e.end < e.start || e.end > original.length) throw new Error(`applyEdits: bad or overlapping edit ${JSON.stringify(e)}`);
    out += original.slice(at, e.start) + e.text;
    at = e.end;
  }
  return out + original.slice(at);
}
