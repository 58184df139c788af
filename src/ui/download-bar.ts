// The model download as the page shows it: a progress bar with bytes, speed and time left, and a
// Cancel button that stops the load (the working model stays; what was downloaded is kept, so the
// next load of the same model resumes). Shown while a file downloads into the model cache; a file
// read from the cache shows nothing.

import type { Engine, LoadProgressEvent } from '../engine/index.ts';
import { DisposableStore, listen, type Disposable } from '../util/disposable.ts';
import { formatBytes } from '../util/format-bytes.ts';
import { element } from './dom.ts';

export interface DownloadBarDeps {
  /** Where the bar goes (index.html's download slot). */
  slot: HTMLElement;
  engine: Pick<Engine, 'onLoadProgress' | 'onReady' | 'cancelLoad'>;
}

/** "42 s", "3 min 5 s", "1 h 2 min". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** One line for a download's progress: bytes of total, speed, time left. */
export function downloadText(p: Pick<LoadProgressEvent, 'file' | 'loadedBytes' | 'totalBytes' | 'bytesPerSecond' | 'etaSeconds'>): string {
  const bytes = p.totalBytes !== undefined ? `${formatBytes(p.loadedBytes)} of ${formatBytes(p.totalBytes)}` : formatBytes(p.loadedBytes);
  const speed = p.bytesPerSecond !== undefined && p.bytesPerSecond > 0 ? ` · ${formatBytes(p.bytesPerSecond)}/s` : '';
  const eta = p.etaSeconds !== undefined ? ` · ${formatDuration(p.etaSeconds)} left` : '';
  return `Downloading ${p.file}: ${bytes}${speed}${eta}`;
}

export class DownloadBar implements Disposable {
  private readonly store = new DisposableStore();
  private readonly root: HTMLElement;
  private readonly bar: HTMLProgressElement;
  private readonly text: HTMLElement;

  constructor(private readonly deps: DownloadBarDeps) {
    this.root = element('span', { class: 'download-bar', 'data-testid': 'download-bar', role: 'status' });
    this.bar = element('progress', { 'data-testid': 'download-progress', 'aria-label': 'Model download' });
    this.text = element('span', { 'data-testid': 'download-text', class: 'download-text' });
    const cancel = element('button', { type: 'button', 'data-testid': 'download-cancel', title: 'Stop the download; what arrived is kept, and loading the model again resumes it' }, 'Cancel');
    this.root.append(this.bar, this.text, cancel);
    this.root.hidden = true;
    deps.slot.replaceChildren(this.root);
    this.store.add(listen(cancel, 'click', () => {
      deps.engine.cancelLoad();
      this.hide();
    }));
    this.store.add(deps.engine.onLoadProgress((p) => this.show(p)));
    this.store.add(deps.engine.onReady(() => this.hide()));
  }

  private show(p: LoadProgressEvent): void {
    if (p.fromCache !== false) {
      // Read from the cache (or a local source): nothing is downloading.
      if (p.fromCache === true) this.hide();
      return;
    }
    if (p.totalBytes !== undefined) {
      this.bar.max = p.totalBytes;
      this.bar.value = p.loadedBytes;
    } else {
      this.bar.removeAttribute('value'); // indeterminate
    }
    this.text.textContent = downloadText(p);
    this.root.hidden = false;
  }

  /** The load ended (ready, failed or cancelled). */
  hide(): void {
    this.root.hidden = true;
  }

  dispose(): void {
    this.store.dispose();
    this.deps.slot.replaceChildren();
  }
}
