// "Open model file…" / "Open model folder…": runs a local model picked with a file input or dropped
// on the page: a .gguf file, or an HF folder (config.json, tokenizer.json and *.safetensors, chosen
// together or dropped as a folder). Files are handed on as Files (handles to them on disk, never read
// here). Nothing persists the files themselves: a page reload runs settings.modelId again, so the
// picker says so while a local model runs, and after a reload it names the one that was in use (its
// name alone is remembered) until one is picked.

import { localModel, LOCAL_MODEL_FORMS } from '../model/local-files.ts';
import { formatBytes } from '../util/format-bytes.ts';
import { DisposableStore, listen, type Disposable } from '../util/disposable.ts';
import { element } from './dom.ts';

export interface ModelFilePickerDeps {
  /** Where the buttons, the hidden inputs and the note go (index.html's model-file slot). */
  slot: HTMLElement;
  /** The page: a model dropped anywhere on it is run. */
  dropTarget: Window;
  /** Loads a .gguf file (Assistant.loadFile); failures are the loader's to report. */
  open: (file: File) => void;
  /** Loads an HF folder's files by name (Assistant.loadFolder). */
  openFolder: (name: string, files: Readonly<Record<string, File>>) => void;
  notify: (message: string, kind: 'info' | 'error') => void;
  /** Remembers the running model's name across a reload (localStorage); absent: no reminder. */
  storage?: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;
}

const LAST_FILE_KEY = 'spark.modelFile.last';
/** Names that make a drop ours: a model file, or part of a model folder. */
const isModelPart = (name: string): boolean => /\.(gguf|safetensors)$/i.test(name) || name === 'config.json' || name === 'tokenizer.json';
const hasFiles = (event: DragEvent): boolean => event.dataTransfer?.types.includes('Files') ?? false;

/** A dropped folder's files (its top level: an HF folder is flat). */
async function folderFiles(entry: FileSystemDirectoryEntry): Promise<File[]> {
  const reader = entry.createReader();
  const entries: FileSystemEntry[] = [];
  // readEntries returns the listing in batches; an empty batch ends it.
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) break;
    entries.push(...batch);
  }
  const files = entries.filter((e): e is FileSystemFileEntry => e.isFile);
  return Promise.all(files.map((f) => new Promise<File>((resolve, reject) => f.file(resolve, reject))));
}

export class ModelFilePicker implements Disposable {
  private readonly store = new DisposableStore();
  private readonly input: HTMLInputElement;
  private readonly note: HTMLElement;
  /** The note is the after-reload reminder: it stays until a file is picked. */
  private reminding = false;

  constructor(private readonly deps: ModelFilePickerDeps) {
    const { slot, dropTarget } = deps;
    const hidden = { class: 'visually-hidden', tabindex: '-1', 'aria-hidden': 'true' };
    this.input = element('input', { type: 'file', multiple: '', accept: '.gguf,.safetensors,.json', 'data-testid': 'model-file-input', ...hidden });
    const folderInput = element('input', { type: 'file', webkitdirectory: '', 'data-testid': 'model-folder-input', ...hidden });
    const button = element('button', {
      type: 'button', 'data-testid': 'model-file-button', title: 'Run a local GGUF file, or a model folder\'s config.json, tokenizer.json and *.safetensors chosen together (or drop them on the page)',
    }, 'Open model file…');
    const folderButton = element('button', {
      type: 'button', 'data-testid': 'model-folder-button', title: 'Run a local Hugging Face model folder (config.json, tokenizer.json, *.safetensors)',
    }, 'Open model folder…');
    this.note = element('span', { 'data-testid': 'model-file-note', class: 'model-file-note', 'aria-live': 'polite' });
    slot.replaceChildren(button, folderButton, this.input, folderInput, this.note);
    this.store.add(listen(button, 'click', () => this.input.click()));
    this.store.add(listen(folderButton, 'click', () => folderInput.click()));
    for (const input of [this.input, folderInput]) {
      this.store.add(listen(input, 'change', () => {
        const files = [...(input.files ?? [])];
        input.value = ''; // picking the same files again must fire change again
        const folder = files[0]?.webkitRelativePath.split('/')[0];
        if (files.length > 0) this.pick(files, input === folderInput && folder ? folder : undefined);
      }));
    }
    // A drag carrying files must be allowed over the whole page, or the browser opens the file.
    this.store.add(listen(dropTarget, 'dragover', (event) => {
      if (hasFiles(event)) event.preventDefault();
    }));
    // Capture: a model is ours wherever it lands, before the editor sees it.
    this.store.add(listen(dropTarget, 'drop', (event) => {
      const transfer = event.dataTransfer;
      if (!transfer) return;
      // Entries must be taken during the event; a dropped folder is read after it.
      const folder = [...transfer.items].map((item) => item.webkitGetAsEntry?.()).find((e): e is FileSystemDirectoryEntry => e?.isDirectory === true);
      const files = [...transfer.files];
      if (!folder && !files.some((f) => isModelPart(f.name))) return;
      event.preventDefault();
      event.stopPropagation();
      if (!folder) {
        this.pick(files);
        return;
      }
      folderFiles(folder).then((inside) => this.pick(inside, folder.name), (err: unknown) => {
        deps.notify(`${folder.name}: the folder cannot be read (${err instanceof Error ? err.message : String(err)})`, 'error');
      });
    }, { capture: true }));
    // Bubble: other files the editor did not take get told what a drop does here.
    this.store.add(listen(dropTarget, 'drop', (event) => {
      const files = [...(event.dataTransfer?.files ?? [])];
      if (event.defaultPrevented || files.length === 0) return;
      event.preventDefault();
      deps.notify(`${files.map((f) => f.name).join(', ')}: not a model file. Drop ${LOCAL_MODEL_FORMS} to run it.`, 'error');
    }));
    const last = deps.storage?.getItem(LAST_FILE_KEY);
    if (last) {
      this.showNote(`model file ${last} was in use before this page loaded — pick it again to run it`);
      this.reminding = true;
    }
  }

  /** After each load: the local model (a file, or a folder's files) the engine runs now, or undefined. */
  showModel(local: { name: string; size: number } | undefined): void {
    if (local) {
      this.deps.storage?.setItem(LAST_FILE_KEY, local.name);
      this.showNote(`model file: ${local.name} (${formatBytes(local.size)}) — pick it again after reload`);
    } else {
      this.deps.storage?.removeItem(LAST_FILE_KEY);
      if (!this.reminding) this.showNote('');
    }
  }

  private pick(files: readonly File[], folderName?: string): void {
    let model;
    try {
      model = localModel(files, folderName);
    } catch (err) {
      this.deps.notify(err instanceof Error ? err.message : String(err), 'error');
      return;
    }
    this.reminding = false;
    if (model.kind === 'gguf') {
      this.showNote(`opening ${model.name} (${formatBytes(model.file.size)})…`);
      this.deps.open(model.file);
    } else {
      const bytes = Object.values(model.files).reduce((sum, f) => sum + f.size, 0);
      this.showNote(`opening ${model.name} (${formatBytes(bytes)})…`);
      this.deps.openFolder(model.name, model.files);
    }
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
