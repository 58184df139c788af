// "Edit" (Ctrl/Cmd+K): rewrite a window of code and show the result as minimal inline edits —
// deletions struck through, insertions ghosted — that update as tokens stream in. Accept applies
// all edits as one undo step; Esc rejects and leaves the document untouched.

import type * as Monaco from 'monaco-editor';
import type { Disposable } from '../../util/disposable.ts';
import type { Clock } from '../inline/completion-controller.ts';
import { applyEdits, minimalEdits, type TextEdit } from './minimal-edits.ts';
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
  private abort: AbortController | undefined;
  private window: { range: Monaco.Range; original: string; versionId: number } | undefined;
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
  }

  /** The rewritten text so far (the model's output for the window). */
  get output(): string { return this.rewritten; }

  /**
   * Proposes a rewrite of the selection (or the block at the cursor). Rejects when the engine
   * fails; the proposal is then cleared and the document was never touched.
   */
  async start(instruction: string): Promise<void> {
    this.reject();
    const model = this.editor.getModel();
    const selection = this.editor.getSelection();
    if (!model || !selection) return;
    const range = rewriteWindow(model, selection, this.monaco);
    const full = model.getValue();
    const startOffset = model.getOffsetAt(range.getStartPosition());
    const endOffset = model.getOffsetAt(range.getEndPosition());
    const original = full.slice(startOffset, endOffset);
    this.window = { range, original, versionId: model.getAlternativeVersionId() };
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
      this.clear();
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

  /** Drops the proposal; the document is untouched. */
  reject(): void {
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
    this.decorations.set(edits.flatMap((e) => {
      const out: Monaco.editor.IModelDeltaDecoration[] = [];
      if (e.end > e.start) {
        out.push({ range: this.monaco.Range.fromPositions(pos(e.start), pos(e.end)), options: { inlineClassName: 'spark-edit-deleted' } });
      }
      if (e.text) {
        const at = pos(e.end);
        out.push({
          range: new this.monaco.Range(at.lineNumber, at.column, at.lineNumber, at.column),
          options: { before: { content: e.text, inlineClassName: 'spark-edit-inserted' }, showIfCollapsed: true },
        });
      }
      return out;
    }));
  }

  dispose(): void {
    this.reject();
  }
}
