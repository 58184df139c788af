// What the editor holds, as plain data: the text, its language and every cursor. The editor
// produces it, and share links and the autosaved workspace store it.

/** A selection in Monaco's 1-based coordinates. anchor = where it started, active = the cursor end. */
export interface SelectionState {
  anchorLine: number;
  anchorColumn: number;
  activeLine: number;
  activeColumn: number;
}

/** The editor-side state: text, language and every cursor/selection (the first is the primary). */
export interface EditorSnapshot {
  text: string;
  language: string;
  selections: SelectionState[];
}

export function collapsedSelection(line: number, column: number): SelectionState {
  return { anchorLine: line, anchorColumn: column, activeLine: line, activeColumn: column };
}

/** Line lengths as Monaco counts them: \r\n, \n and a lone \r each end a line. */
export function lineLengths(text: string): number[] {
  return text.split(/\r\n|\r|\n/).map((line) => line.length);
}
