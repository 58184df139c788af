// "Model…": runs a model named by a Hugging Face repo id (org/name[@revision][:file.gguf]) or an
// https URL of a .gguf file. Nothing is downloaded on a keystroke: Load looks the source up (the
// hub's listing, or a HEAD for a URL, and the weight headers by byte range), shows what it resolved
// to, its size and whether it fits this GPU, and only Download hands it on to be loaded. A lookup
// that fails shows the reason and loads nothing, so the working model stays. Recently used models
// are listed beside it and go through the same confirmation.

import type { RemoteModelInfo } from '../engine/index.ts';
import { formatBytes } from '../util/format-bytes.ts';
import { DisposableStore, listen, type Disposable } from '../util/disposable.ts';
import { element } from './dom.ts';
import type { RecentModels } from './recent-models.ts';
import { RecentModelsView } from './recent-models-view.ts';

/** One line about a looked-up model: "org/name@<sha> — GGUF m.gguf (Q4_K_M), 398 MiB to download, ~520 MiB on the GPU: fits". */
export function describeModelInfo(info: RemoteModelInfo): string {
  const type = info.format?.replace(/^(gguf|safetensors):/, '');
  const what = info.layout === 'gguf' ? `GGUF ${info.ggufFile ?? ''}`.trimEnd() : 'safetensors folder';
  const size = info.bytes !== undefined ? formatBytes(info.bytes) : 'size unknown';
  return `${info.label} — ${what}${type ? ` (${type})` : ''}, ${size} to download, ${info.gpu.text}`;
}

/** Download's label: a model that does not fit is not refused (the engine falls back to the CPU), but says so. */
export const downloadLabel = (info: RemoteModelInfo): string => (info.gpu.kind === 'does-not-fit' ? 'Download anyway (CPU)' : 'Download');

export interface ModelSourcePickerDeps {
  /** Where the form goes (index.html's model-source slot). */
  slot: HTMLElement;
  /** Resolves a source without downloading the model (describeRemoteModel); rejects with the reason. */
  describe: (source: string, signal: AbortSignal) => Promise<RemoteModelInfo>;
  /** Loads the confirmed source (Assistant.loadRemote); load failures are the loader's to report. */
  open: (info: RemoteModelInfo) => void;
  notify: (message: string, kind: 'info' | 'error') => void;
  /** The recently used models, listed beside the form. */
  recents: RecentModels;
}

type NoteState = 'idle' | 'busy' | 'confirm' | 'error';

export class ModelSourcePicker implements Disposable {
  private readonly store = new DisposableStore();
  private readonly input: HTMLInputElement;
  private readonly note: HTMLElement;
  private readonly confirmButton: HTMLButtonElement;
  private readonly cancelButton: HTMLButtonElement;
  /** The lookup in flight (a newer one, Cancel or dispose aborts it). */
  private lookup: AbortController | undefined;
  /** What Download would load. */
  private pending: RemoteModelInfo | undefined;
  private readonly recentsView: RecentModelsView;

  constructor(private readonly deps: ModelSourcePickerDeps) {
    const form = element('form', { class: 'model-source-form', 'data-testid': 'model-source-form' });
    this.input = element('input', {
      type: 'text', 'data-testid': 'model-source-input', class: 'model-source-input', spellcheck: 'false', autocomplete: 'off',
      placeholder: 'org/name or https://….gguf', 'aria-label': 'Hugging Face repo id or GGUF URL',
    });
    const load = element('button', {
      type: 'submit', 'data-testid': 'model-source-load', title: 'Look up a Hugging Face repo id or a .gguf URL; its size is shown before anything downloads',
    }, 'Model…');
    this.note = element('span', { 'data-testid': 'model-source-note', class: 'model-source-note', 'aria-live': 'polite' });
    this.confirmButton = element('button', { type: 'button', 'data-testid': 'model-source-confirm' }, 'Download');
    this.cancelButton = element('button', { type: 'button', 'data-testid': 'model-source-cancel' }, 'Cancel');
    form.append(this.input, load);
    this.recentsView = this.store.add(new RecentModelsView(deps.recents, (source) => {
      this.input.value = source;
      void this.lookUp(source);
    }));
    deps.slot.replaceChildren(form, this.recentsView.root, this.note, this.confirmButton, this.cancelButton);
    this.show('idle', '');
    this.store.add(listen(form, 'submit', (event) => {
      event.preventDefault();
      void this.lookUp(this.input.value);
    }));
    this.store.add(listen(this.confirmButton, 'click', () => this.confirm()));
    this.store.add(listen(this.cancelButton, 'click', () => this.cancel()));
  }

  private async lookUp(text: string): Promise<void> {
    this.lookup?.abort();
    const lookup = new AbortController();
    this.lookup = lookup;
    this.pending = undefined;
    const source = text.trim();
    this.show('busy', `looking up ${source || '…'}`);
    try {
      const info = await this.deps.describe(source, lookup.signal);
      if (this.lookup !== lookup) return;
      this.pending = info;
      this.confirmButton.textContent = downloadLabel(info);
      this.note.dataset['fit'] = info.gpu.kind;
      this.show('confirm', `${describeModelInfo(info)}. Run it?`);
    } catch (err) {
      if (this.lookup !== lookup) return;
      const why = err instanceof Error ? err.message : String(err);
      this.show('error', why);
      this.deps.notify(`Model ${source}: ${why}`, 'error');
    } finally {
      if (this.lookup === lookup) this.lookup = undefined;
    }
  }

  private confirm(): void {
    const info = this.pending;
    if (!info) return;
    this.pending = undefined;
    this.show('idle', '');
    this.deps.open(info);
  }

  private cancel(): void {
    this.lookup?.abort();
    this.lookup = undefined;
    this.pending = undefined;
    this.show('idle', '');
  }

  /** The recents list changed (a model finished loading). */
  refreshRecents(): void {
    this.recentsView.render();
  }

  private show(state: NoteState, text: string): void {
    this.note.textContent = text;
    this.note.dataset['state'] = state;
    if (state !== 'confirm') delete this.note.dataset['fit'];
    this.note.hidden = text === '';
    this.confirmButton.hidden = state !== 'confirm';
    this.cancelButton.hidden = state !== 'confirm' && state !== 'busy';
  }

  dispose(): void {
    this.lookup?.abort();
    this.store.dispose();
    this.deps.slot.replaceChildren();
  }
}
