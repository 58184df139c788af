// The one Monaco editor on the page and its document model. Everything outside src/editor talks
// to it through snapshots (text, language, selections) so the share, persistence and automation
// code never depends on Monaco types.

import * as monaco from 'monaco-editor';
import { DisposableStore, type Disposable } from '../util/disposable.ts';
import { Emitter } from '../util/emitter.ts';
import { isSupportedLanguage } from '../document/languages.ts';
import { collapsedSelection, type EditorSnapshot, type SelectionState } from '../document/snapshot.ts';
import { documentText } from './inline/document-text.ts';

export type EditorChange = 'content' | 'selection' | 'language';

function toMonacoSelection(s: SelectionState): monaco.Selection {
  return new monaco.Selection(s.anchorLine, s.anchorColumn, s.activeLine, s.activeColumn);
}

function fromMonacoSelection(s: monaco.Selection): SelectionState {
  return {
    anchorLine: s.selectionStartLineNumber, anchorColumn: s.selectionStartColumn,
    activeLine: s.positionLineNumber, activeColumn: s.positionColumn,
  };
}

export class EditorHost implements Disposable {
  readonly editor: monaco.editor.IStandaloneCodeEditor;
  readonly model: monaco.editor.ITextModel;
  private readonly store = new DisposableStore();
  private readonly changes = this.store.add(new Emitter<EditorChange>());
  /** Fires on every edit, cursor move and language switch. */
  readonly onDidChange = this.changes.event;

  constructor(container: HTMLElement, initial: EditorSnapshot) {
    this.model = this.store.add(monaco.editor.createModel(initial.text, initial.language));
    this.editor = this.store.add(monaco.editor.create(container, {
      model: this.model,
      theme: 'vs-dark',
      automaticLayout: true, // follows the container when the window or the HUD resizes it
      bracketPairColorization: { enabled: true, independentColorPoolPerBracketType: false },
      guides: { bracketPairs: 'active' },
      fontSize: 14,
      // The minimap redraws every decoration over its few hundred lines (bracket colours included)
      // whenever any decoration changes: each keystroke's ghost and each streamed Edit update. On
      // a 2,000-line file that was a third of a frame's script (profiled, e2e/responsive.spec.ts).
      minimap: { enabled: false },
      scrollBeyondLastLine: false,
      fixedOverflowWidgets: true,
      inlineSuggest: { enabled: true },
      // The model's ghost text is the primary suggestion. Monaco hides an inline suggestion that does
      // not extend the suggest widget's selected item, so a list popping up by itself (after `.` or
      // while typing a word) hid the ghost whenever the two disagreed: after `values.` the TS list
      // selected `length` while the model proposed `reduce(`, and no ghost showed. The list stays
      // one Ctrl+Space away.
      quickSuggestions: false,
      suggestOnTriggerCharacters: false,
    }));
    this.setSelections(initial.selections);
    this.store.add(this.model.onDidChangeContent(() => this.changes.fire('content')));
    this.store.add(this.editor.onDidChangeCursorSelection(() => this.changes.fire('selection')));
    this.store.add(this.model.onDidChangeLanguage(() => this.changes.fire('language')));
  }

  get language(): string {
    return this.model.getLanguageId();
  }

  /** The document, selections and language. The text is read once per document version (shared with the inline provider). */
  getSnapshot(): EditorSnapshot {
    return { text: documentText(this.model), language: this.language, selections: this.getSelections() };
  }

  /** The selections alone (the status bar needs no text): never reads the document. */
  getSelections(): SelectionState[] {
    const selections = this.editor.getSelections() ?? [];
    return selections.length > 0 ? selections.map(fromMonacoSelection) : [collapsedSelection(1, 1)];
  }

  /** Replaces the document, language and selections: the text is only ever model text, never markup. */
  setSnapshot(snapshot: EditorSnapshot): void {
    this.setLanguage(snapshot.language);
    if (documentText(this.model) !== snapshot.text) this.model.setValue(snapshot.text);
    this.setSelections(snapshot.selections);
  }

  /** Sets the document as one undoable edit (automation and demos), keeping the cursor where Monaco puts it. */
  setText(text: string): void {
    // Edits are normalised to the model's line ending, so switch it first to keep CRLF documents CRLF.
    const eol = text.includes('\r\n') ? monaco.editor.EndOfLineSequence.CRLF : monaco.editor.EndOfLineSequence.LF;
    this.model.pushEOL(eol);
    this.model.pushEditOperations([], [{ range: this.model.getFullModelRange(), text }], () => null);
  }

  setLanguage(language: string): void {
    if (!isSupportedLanguage(language)) throw new Error(`unsupported language ${JSON.stringify(language)}`);
    if (this.language !== language) monaco.editor.setModelLanguage(this.model, language);
  }

  /** Out-of-range positions are clamped by Monaco (links are validated before they get here). */
  setSelections(selections: readonly SelectionState[]): void {
    const first = selections[0];
    if (!first) return;
    this.editor.setSelections(selections.map(toMonacoSelection));
    this.editor.revealPositionInCenterIfOutsideViewport({ lineNumber: first.activeLine, column: first.activeColumn });
  }

  focus(): void {
    this.editor.focus();
  }

  dispose(): void {
    this.store.dispose();
  }
}
