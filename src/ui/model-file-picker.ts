// "Open model file…": runs a local .gguf picked with a file input or dropped on the page. The file
// is handed on as a File (a handle to it on disk, never read here). Nothing persists the file
// itself: a page reload runs settings.modelId again, so the picker says so while a file runs, and
// after a reload it names the file that was in use (its name alone is remembered) until one is picked.

import { formatBytes } from '../util/format-bytes.ts';
import { DisposableStore, listen, type Disposable } from '../util/disposable.ts';
import { element } from './dom.ts';

export interface ModelFilePickerDeps {
  /** Where the button, the hidden input and the note go (index.html's model-file slot). */
  slot: HTMLElement;
  /** The page: a .gguf dropped anywhere on it is run. */
  dropTarget: Window;
  /** Loads the file (Assistant.loadFile); failures are the loader's to report. */
  open: (file: File) => void;
  notify: (message: string, kind: 'info' | 'error') => void;
  /** Remembers the running file's name across a reload (localStorage); absent: no reminder. */
  storage?: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;
}

const LAST_FILE_KEY = 'spark.modelFile.last';
const isGguf = (file: File): boolean => /\.gguf$/i.test(file.name);
const hasFiles = (event: DragEvent): boolean => event.dataTransfer?.types.includes('Files') ?? false;

export class ModelFilePicker implements Disposable {
  private readonly store = new DisposableStore();
  private readonly input: HTMLInputElement;
  private readonly note: HTMLElement;
  /** The note is the after-reload reminder: it stays until a file is picked. */
  private reminding = false;

  constructor(private readonly deps: ModelFilePickerDeps) {
    const { slot, dropTarget } = deps;
    this.input = element('input', {
      type: 'file', accept: '.gguf', 'data-testid': 'model-file-input', class: 'visually-hidden', tabindex: '-1', 'aria-hidden': 'true',
    });
    const button = element('button', {
      type: 'button', 'data-testid': 'model-file-button', title: 'Run a local GGUF model file (or drop one on the page)',
    }, 'Open model file…');
    this.note = element('span', { 'data-testid': 'model-file-note', class: 'model-file-note', 'aria-live': 'polite' });
    slot.replaceChildren(button, this.input, this.note);
    this.store.add(listen(button, 'click', () => this.input.click()));
    this.store.add(listen(this.input, 'change', () => {
      const file = this.input.files?.[0];
      this.input.value = ''; // picking the same file again must fire change again
      if (file) this.pick(file);
    }));
    // A drag carrying files must be allowed over the whole page, or the browser opens the file.
    this.store.add(listen(dropTarget, 'dragover', (event) => {
      if (hasFiles(event)) event.preventDefault();
    }));
    // Capture: a .gguf is ours wherever it lands, before the editor sees it.
    this.store.add(listen(dropTarget, 'drop', (event) => {
      const file = [...(event.dataTransfer?.files ?? [])].find(isGguf);
      if (!file) return;
      event.preventDefault();
      event.stopPropagation();
      this.pick(file);
    }, { capture: true }));
    // Bubble: other files the editor did not take get told what a drop does here.
    this.store.add(listen(dropTarget, 'drop', (event) => {
      const files = [...(event.dataTransfer?.files ?? [])];
      if (event.defaultPrevented || files.length === 0) return;
      event.preventDefault();
      deps.notify(`${files.map((f) => f.name).join(', ')}: not a model file. Drop a .gguf model file (llama or qwen2) to run it.`, 'error');
    }));
    const last = deps.storage?.getItem(LAST_FILE_KEY);
    if (last) {
      this.showNote(`model file ${last} was in use before this page loaded — pick it again to run it`);
      this.reminding = true;
    }
  }

  /** After each load: the file the engine runs now, or undefined when it runs a folder model. */
  showModel(file: File | undefined): void {
    if (file) {
      this.deps.storage?.setItem(LAST_FILE_KEY, file.name);
      this.showNote(`model file: ${file.name} (${formatBytes(file.size)}) — pick it again after reload`);
    } else {
      this.deps.storage?.removeItem(LAST_FILE_KEY);
      if (!this.reminding) this.showNote('');
    }
  }

  private pick(file: File): void {
    this.reminding = false;
    this.showNote(`opening ${file.name} (${formatBytes(file.size)})…`);
    this.deps.open(file);
  }

  private showNote(text: string): void {
    this.note.textContent = text;
    this.note.hidden = text === '';
  }

  dispose(): void {
    this.store.dispose();
    this.deps.slot.replaceChildren();
  }
}
