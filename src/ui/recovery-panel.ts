// "Recover…": the toolbar button and the list of the recovery ring's entries (time, why, first
// line, size). Picking one hands its id back; the session opens it and keeps what it replaces.

import { REASON_LABELS, type RecoveryEntry } from '../share/recovery.ts';
import { DisposableStore, listen, type Disposable } from '../util/disposable.ts';
import { element } from './dom.ts';

export interface RecoveryPanelDeps {
  /** The button goes before this element (the Share button). */
  before: HTMLElement;
  list(): Promise<RecoveryEntry[]>;
  pick(id: string): void;
}

export class RecoveryPanel implements Disposable {
  private readonly store = new DisposableStore();
  private readonly items = this.store.add(new DisposableStore());
  private readonly button: HTMLButtonElement;
  private readonly panel: HTMLElement;
  private readonly body: HTMLElement;
  /** Counts openings, so a slow list doesn't fill a panel that was closed and opened again. */
  private opening = 0;

  constructor(private readonly deps: RecoveryPanelDeps) {
    this.button = element('button', {
      type: 'button', 'data-testid': 'recover-button', 'aria-expanded': 'false',
      title: 'Texts that were replaced or kept apart: open one to bring it back',
    }, 'Recover…');
    deps.before.before(this.button);
    this.panel = element('section', { class: 'settings-panel recovery-panel', role: 'dialog', 'aria-label': 'Recover', 'data-testid': 'recovery-panel' });
    this.panel.hidden = true;
    this.body = element('div', { class: 'recovery-list' });
    const close = element('button', { type: 'button', 'data-testid': 'recovery-close' }, 'Close');
    const actions = element('div', { class: 'settings-actions' });
    actions.append(close);
    this.panel.append(element('h2', {}, 'Recover a recent text'), this.body, actions);
    document.body.append(this.panel);
    this.store.add(listen(this.button, 'click', () => (this.panel.hidden ? void this.open() : this.close())));
    this.store.add(listen(close, 'click', () => this.close()));
    this.store.add(listen(this.panel, 'keydown', (event) => { if (event.key === 'Escape') this.close(); }));
  }

  async open(): Promise<void> {
    const opening = ++this.opening;
    this.items.clear();
    this.body.replaceChildren(element('p', {}, 'Loading…'));
    this.panel.hidden = false;
    this.button.setAttribute('aria-expanded', 'true');
    let entries: RecoveryEntry[];
    try {
      entries = await this.deps.list();
    } catch (err) {
      if (opening === this.opening) this.body.replaceChildren(element('p', {}, `The list could not be read: ${String(err)}`));
      return;
    }
    if (opening !== this.opening || this.panel.hidden) return;
    if (entries.length === 0) {
      this.body.replaceChildren(element('p', {}, 'Nothing to recover yet.'));
      return;
    }
    this.body.replaceChildren(...entries.map((entry) => this.item(entry)));
  }

  private item(entry: RecoveryEntry): HTMLElement {
    const firstLine = entry.text.split(/\r\n|\r|\n/).find((line) => line.trim() !== '') ?? '';
    const button = element('button', { type: 'button', class: 'recovery-item', 'data-testid': 'recovery-item', 'data-first-line': firstLine });
    const when = new Date(entry.savedAt).toLocaleString();
    button.append(
      element('span', { class: 'recovery-meta' }, `${when} · ${REASON_LABELS[entry.reason]} · ${formatSize(entry.text.length)}`),
      element('code', { class: 'recovery-line' }, firstLine.slice(0, 120) || '(empty)'),
    );
    this.items.add(listen(button, 'click', () => {
      this.close();
      this.deps.pick(entry.id);
    }));
    return button;
  }

  close(): void {
    this.opening++;
    this.items.clear();
    this.panel.hidden = true;
    this.button.setAttribute('aria-expanded', 'false');
  }

  dispose(): void {
    this.store.dispose();
    this.panel.remove();
    this.button.remove();
  }
}

function formatSize(chars: number): string {
  return chars < 1000 ? `${chars} characters` : `${(chars / 1000).toFixed(1)}k characters`;
}
