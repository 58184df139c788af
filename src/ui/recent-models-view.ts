// The picker's "Recent" list: each model with its size and when it was last used, newest first. A
// hub id or URL is picked to look it up again (the same size-and-fit confirmation as typing it);
// a local file is shown by name only, as the page cannot reopen it without the user picking it.

import { formatBytes } from '../util/format-bytes.ts';
import { DisposableStore, listen, type Disposable } from '../util/disposable.ts';
import { element } from './dom.ts';
import { recentKey, usedAgo, type RecentModel, type RecentModels } from './recent-models.ts';

export class RecentModelsView implements Disposable {
  readonly root: HTMLDetailsElement;
  private readonly list: HTMLUListElement;
  private readonly summary: HTMLElement;
  /** The rows' listeners, replaced on each render. */
  private rows = new DisposableStore();

  constructor(private readonly recents: RecentModels, private readonly pick: (source: string) => void, private readonly now: () => number = Date.now) {
    this.root = element('details', { class: 'model-recents', 'data-testid': 'model-recents' });
    this.summary = element('summary', { 'data-testid': 'model-recents-toggle', title: 'Models used recently' }, 'Recent');
    this.list = element('ul', { class: 'model-recents-list' });
    this.root.append(this.summary, this.list);
    this.render();
  }

  render(): void {
    this.rows.dispose();
    this.rows = new DisposableStore();
    const entries = this.recents.list();
    this.root.hidden = entries.length === 0;
    this.summary.textContent = `Recent (${entries.length})`;
    this.list.replaceChildren(...entries.map((m) => this.row(m)));
  }

  private row(m: RecentModel): HTMLLIElement {
    const detail = `${m.bytes !== undefined ? formatBytes(m.bytes) : 'size unknown'} · ${usedAgo(m.usedAt, this.now())}`;
    const li = element('li', { class: 'model-recent', 'data-testid': 'model-recent', 'data-kind': m.kind });
    if (m.kind === 'remote') {
      const open = element('button', { type: 'button', class: 'model-recent-open', 'data-testid': 'model-recent-open', title: `Look up ${m.source} again (nothing downloads before you confirm)` }, m.name);
      this.rows.add(listen(open, 'click', () => {
        this.root.open = false;
        this.pick(m.source);
      }));
      li.append(open);
    } else {
      li.append(element('span', { class: 'model-recent-file', title: 'A local file: open it again with "Open model file…"' }, `${m.name} (local file)`));
    }
    li.append(element('span', { class: 'model-recent-detail' }, detail));
    const remove = element('button', { type: 'button', class: 'model-recent-remove', 'data-testid': 'model-recent-remove', 'aria-label': `Remove ${m.name} from the list` }, '×');
    this.rows.add(listen(remove, 'click', () => {
      this.recents.remove(recentKey(m));
      this.render();
    }));
    li.append(remove);
    return li;
  }

  dispose(): void {
    this.rows.dispose();
    this.root.remove();
  }
}
