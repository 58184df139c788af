// "Edit" (Ctrl/Cmd+K): rewrite a window of code and show the result as minimal inline edits that
// update as tokens stream in: deletions struck through, insertions ghosted inline or, when they
// span lines, as blocks of lines (proposal-marks.ts). Accept applies all edits as one undo step;
// Esc rejects and leaves the document untouched.

import type * as Monaco from 'monaco-editor';
import type { Disposable } from '../../util/disposable.ts';
import type { Clock } from '../inline/completion-controller.ts';
import { applyEdits, minimalEdits, type TextEdit } from './minimal-edits.ts';
import { InsertedBlocks } from './inserted-blocks.ts';
import { proposalMarks } from './proposal-marks.ts';
import { ProposalStream } from './proposal-stream.ts';

export interface RewriteRequest {
  /** Document text before the window, the window itself, and after it. */
  before: string;
  original: string;
  after: string;
  /** What the user asked for; used by instruct models (chat template), ignored by base models. */
  instruction: string;
  /** The editor's language id (e.g. "python"), to label the code for instruct models. */
  language?: string;
}

export interface RewriteEngine {
  /** Streams the rewritten window; resolves when done. Must stop promptly on abort. */
  rewrite(req: RewriteRequest, onText: (rewrittenSoFar: string) => void, signal: AbortSignal): Promise<void>;
}

export type RewriteState = 'idle' | 'streaming' | 'ready';

/** The window a rewrite covers: the selection, or else the block (paragraph) around the cursor. */
export function rewriteWindow(model: Monaco.editor.ITextModel, selection: Monaco.Selection, monaco: typeof Monaco): Monaco.Range {
  if (!selection.isEmpty()) return new monaco.Range(selection.startLineNumber, 1, selection.endLineNumber, model.getLineMaxColumn(selection.endLineNumber));
  const blank = (n: number) => model.getLineContent(n).trim() === '';
  let start = selection.startLineNumber, end = selection.startLineNumber;
  while (start > 1 && !blank(start - 1)) start--;
  while (end < model.getLineCount() && !blank(end + 1)) end++;
  return new monaco.Range(start, 1, end, model.getLineMaxColumn(end));
}

export class RewriteSession implements Disposable {
  private decorations: Monaco.editor.IEditorDecorationsCollection;
  private readonly blocks: InsertedBlocks;
  /** What the decorations show now, so an update that changes nothing does not make Monaco re-render. */
  private shownKey = '';
  private abort: AbortController | undefined;
  private window: { range: Monaco.Range; original: string; versionId: number; selection: Monaco.Selection } | undefined;
  private rewritten = '';
  /** The final edits, once the output is complete: what is shown and what accept() applies. */
  private final: TextEdit[] | undefined;
  private stream: ProposalStream | undefined;
  state: RewriteState = 'idle';

  constructor(
    private readonly monaco: typeof Monaco,
    private readonly editor: Monaco.editor.IStandaloneCodeEditor,
    private readonly engine: RewriteEngine,
    private readonly onStateChange: (state: RewriteState, edits: readonly TextEdit[]) => void = () => {},
    private readonly clock?: Clock,
  ) {
    this.decorations = editor.createDecorationsCollection();
    this.blocks = new InsertedBlocks(monaco, editor);
  }

  /** The rewritten text so far (the model's output for the window). */
  get output(): string { return this.rewritten; }

  /**
   * Proposes a rewrite of the selection (or the block at the cursor). Rejects when the engine
   * fails; the proposal is then cleared and the document was never touched.
   */
  async start(instruction: string): Promise<void> {
    this.drop();
    const model = this.editor.getModel();
    const selection = this.editor.getSelection();
    if (!model || !selection) return;
    const range = rewriteWindow(model, selection, this.monaco);
    const full = model.getValue();
    const startOffset = model.getOffsetAt(range.getStartPosition());
    const endOffset = model.getOffsetAt(range.getEndPosition());
    const original = full.slice(startOffset, endOffset);
    this.window = { range, original, versionId: model.getAlternativeVersionId(), selection };
    // The proposal marks the window itself; a selection over it would hide the marks, and Monaco
    // re-measures every selected line on each frame the proposal redraws (a 60-line selection
    // was most of a 40-65 ms frame). reject() gives the selection back.
    if (!selection.isEmpty()) this.editor.setSelection(this.monaco.Selection.fromPositions(selection.getStartPosition()));
    this.rewritten = '';
    this.final = undefined;
    const abort = (this.abort = new AbortController());
    // Streamed text is diffed coalesced (at most every PROPOSAL_UPDATE_INTERVAL_MS, latest text only).
    const stream = (this.stream = new ProposalStream({
      original, onEdits: (edits) => { if (!abort.signal.aborted) this.show(edits); }, ...(this.clock ? { clock: this.clock } : {}),
    }));
    this.setState('streaming', []);
    const req: RewriteRequest = {
      before: full.slice(0, startOffset), original, after: full.slice(endOffset), instruction, language: model.getLanguageId(),
    };
    try {
      await this.engine.rewrite(req, (text) => {
        if (abort.signal.aborted) return;
        this.rewritten = text;
        stream.push(text);
      }, abort.signal);
    } catch (err) {
      if (abort.signal.aborted) return; // superseded or rejected: nothing to report
      const win = this.window;
      this.clear();
      this.giveSelectionBack(win);
      throw err;
    } finally {
      if (this.abort === abort) this.abort = undefined;
      stream.dispose();
      if (this.stream === stream) this.stream = undefined;
    }
    if (abort.signal.aborted) return;
    const edits = (this.final = stream.finish(this.rewritten).edits);
    this.show(edits);
    this.setState('ready', edits);
  }

  /** Applies every edit as one undo step. Refuses if the document changed under the proposal. */
  accept(): boolean {
    const model = this.editor.getModel();
    const win = this.window;
    if (this.state !== 'ready' || !model || !win) return false;
    if (model.getAlternativeVersionId() !== win.versionId) { this.reject(); return false; }
    const base = model.getOffsetAt(win.range.getStartPosition());
    const edits = (this.final ?? []).map((e) => ({
      range: this.monaco.Range.fromPositions(model.getPositionAt(base + e.start), model.getPositionAt(base + e.end)),
      text: e.text,
    }));
    this.editor.pushUndoStop();
    this.editor.executeEdits('spark-rewrite', edits);
    this.editor.pushUndoStop();
    this.clear();
    return true;
  }

  /**
   * Drops the proposal; the document is untouched. The selection the Edit started from comes back
   * when the document and the cursor are still as the Edit left them (so too when the Edit fails).
   */
  reject(): void {
    const win = this.window;
    this.drop();
    this.giveSelectionBack(win);
  }

  private giveSelectionBack(win: RewriteSession['window']): void {
    const current = this.editor.getSelection();
    if (win && !win.selection.isEmpty() && current?.isEmpty() && current.getStartPosition().equals(win.selection.getStartPosition())
      && this.editor.getModel()?.getAlternativeVersionId() === win.versionId) {
      this.editor.setSelection(win.selection);
    }
  }

  /** Drops the proposal without touching the selection. */
  private drop(): void {
    this.abort?.abort();
    this.abort = undefined;
    this.clear();
  }

  /** What accept() would produce for the window, for tests and the automation handle. */
  preview(): string | undefined {
    if (!this.window) return undefined;
    return applyEdits(this.window.original, this.final ?? minimalEdits(this.window.original, this.rewritten));
  }

  private clear(): void {
    this.stream?.dispose();
    this.stream = undefined;
    this.final = undefined;
    this.decorations.clear();
    this.shownKey = '';
    this.blocks.set([]);
    this.window = undefined;
    this.setState('idle', []);
  }

  private setState(state: RewriteState, edits: readonly TextEdit[]): void {
    this.state = state;
    this.onStateChange(state, edits);
  }

  private show(edits: readonly TextEdit[]): void {
    const model = this.editor.getModel();
    const win = this.window;
    if (!model || !win) return;
    const base = model.getOffsetAt(win.range.getStartPosition());
    const pos = (offset: number) => model.getPositionAt(base + offset);
    const marks = proposalMarks(win.original, edits);
    this.blocks.set(marks.blocks.map((b) => ({ afterLine: pos(b.at).lineNumber - (b.above ? 1 : 0), lines: b.lines })));
    const key = JSON.stringify([marks.deletions, marks.inline]);
    if (key === this.shownKey) return;
    this.shownKey = key;
    this.decorations.set([
      ...marks.deletions.map((d) => ({ range: this.monaco.Range.fromPositions(pos(d.start), pos(d.end)), options: { inlineClassName: 'spark-edit-deleted' } })),
      ...marks.inline.map((m) => {
        const at = pos(m.at);
        return {
          range: new this.monaco.Range(at.lineNumber, at.column, at.lineNumber, at.column),
          options: { before: { content: m.text, inlineClassName: 'spark-edit-inserted' }, showIfCollapsed: true },
        };
      }),
    ]);
  }

  dispose(): void {
    this.drop();
    this.blocks.dispose();
  }
}
