// A rewrite becomes a handful of small edits rather than one sweeping replacement: the model's
// output is diffed against the original at word granularity (words, punctuation, newlines and
// whitespace runs are tokens, so indentation changes stay exact) with the `diff` library, and
// each run of removed/added tokens becomes one edit.

import { diffWordsWithSpace } from 'diff';

/** Replace original[start, end) with text. Offsets are into the original. */
export interface TextEdit {
  start: number;
  end: number;
  text: string;
}

/** The smallest word-level edits that turn `original` into `rewritten`, in document order. */
export function minimalEdits(original: string, rewritten: string): TextEdit[] {
  return editsFromParts(diffWordsWithSpace(original, rewritten), false);
}

/**
 * Edits for a rewrite still streaming in: the original text after the last point the partial
 * output matched is not yet reached, so a trailing deletion is not shown as one.
 */
export function streamingEdits(original: string, partialRewrite: string): TextEdit[] {
  return editsFromParts(diffWordsWithSpace(original, partialRewrite), true);
}

function editsFromParts(parts: { value: string; added: boolean; removed: boolean }[], dropTrailingRemoval: boolean): TextEdit[] {
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
