// How a rewrite's edits are drawn. A deletion is struck through where it stands. An insertion on
// one line is ghosted inline at its point. An insertion that spans lines is drawn as a block of
// whole lines between the editor's lines (a view zone): inline, a multi-line insertion would be
// squeezed onto one line, unreadable, and Monaco re-measures that line on every frame (a
// 3,400-character, 175-line insertion made frames of up to 118 ms of main-thread CPU). Monaco-free.

import type { TextEdit } from './minimal-edits.ts';

/** Offsets are into the original window, like TextEdit's. */
export interface ProposalMarks {
  deletions: { start: number; end: number }[];
  inline: { at: number; text: string }[];
  /**
   * Inserted lines shown between the editor's lines: below the line holding `at`, or above it
   * when `above` (the insertion is whole lines at a line start, so that is exactly where they go).
   */
  blocks: { at: number; above: boolean; lines: string[] }[];
}

export function proposalMarks(original: string, edits: readonly TextEdit[]): ProposalMarks {
  const marks: ProposalMarks = { deletions: [], inline: [], blocks: [] };
  for (const e of edits) {
    if (e.end > e.start) marks.deletions.push({ start: e.start, end: e.end });
    if (e.text === '') continue;
    if (!e.text.includes('\n')) {
      marks.inline.push({ at: e.end, text: e.text });
      continue;
    }
    const atLineStart = e.end === 0 || original[e.end - 1] === '\n';
    const wholeLines = atLineStart && e.text.endsWith('\n');
    // A trailing newline ends the last inserted line; it does not start another (empty) one.
    const body = e.text.endsWith('\n') ? e.text.slice(0, -1) : e.text;
    marks.blocks.push({ at: e.end, above: wholeLines, lines: body.split('\n') });
  }
  return marks;
}
