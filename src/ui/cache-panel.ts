// The cache manager: every model downloaded into the model cache with its size, a Load button
// (a cached model loads with no network request) and a Delete button, and the storage the page
// uses against the browser's quota. It asks the engine, which owns the cache; nothing here waits
// on it: the list fills in when the answer comes.

import type { CachedModel, CacheListing } from '../engine/index.ts';
import { DisposableStore, listen, type Disposable } from '../util/disposable.ts';
import { formatBytes } from '../util/format-bytes.ts';
import { element } from './dom.ts';

export interface CachePanelDeps {
  panel: HTMLElement;
  toggleButton: HTMLButtonElement;
  list: () => Promise<CacheListing>;
  delete: (key: string) => Promise<CacheListing>;
  /** Loads a cached model by the source string it was downloaded with. */
  load: (source: string) => void;
  notify: (message: string, kind: 'info' | 'error') => void;
  /** Fires when the cache may have changed (a load finished). */
  onDidChange: (listener: () => void) => Disposable;
  /**
   * The page's storage (navigator.storage): once a model is cached, the browser is asked to keep the
   * page's storage (persist), so a 600 MB download, and the autosaved work beside it, is not evicted
   * under storage pressure. Chromium decides without asking the user; Firefox asks.
   */
  storage?: Pick<StorageManager, 'persist' | 'persisted'>;
}

export class CachePanel implements Disposable {
  private readonly store = new DisposableStore();
  /** The listeners of the rows shown now; replaced with them. */
  private readonly rowListeners = this.store.add(new DisposableStore());
  private readonly rows: HTMLElement;
  private readonly total: HTMLElement;
  /** Bumped by every request: an answer to an older one is not shown over a newer one. */
  private generation = 0;
  private disposed = false;
  private askedToKeep = false;

  constructor(private readonly deps: CachePanelDeps) {
    const title = element('h2', {}, 'Cached models');
    this.rows = element('ul', { class: 'cache-rows', 'data-testid': 'cache-rows' });
    this.total = element('p', { class: 'cache-total', 'data-testid': 'cache-total' });
    deps.panel.replaceChildren(title, this.rows, this.total);
    deps.panel.hidden = true;
    this.store.add(listen(deps.toggleButton, 'click', () => (deps.panel.hidden ? this.open() : this.close())));
    this.store.add(listen(deps.panel, 'keydown', (event) => { if (event.key === 'Escape') this.close(); }));
    this.store.add(deps.onDidChange(() => {
      void this.keepWhenCached();
      this.refresh();
    }));
  }

  /** Asks the browser, once, to keep the page's storage when the cache holds a whole model. */
  private async keepWhenCached(): Promise<void> {
    const storage = this.deps.storage;
    if (!storage || this.askedToKeep) return;
    try {
      if (await storage.persisted() || this.askedToKeep) return;
      const listing = await this.deps.list();
      if (this.askedToKeep || !listing.models.some((m) => m.complete)) return;
      this.askedToKeep = true;
      await storage.persist();
      if (!this.disposed) this.refresh();
    } catch {
      // No answer about persistence: the cache works the same, only without the browser's promise.
    }
  }

  open(): void {
    this.deps.panel.hidden = false;
    this.deps.toggleButton.setAttribute('aria-expanded', 'true');
    this.refresh();
  }

  close(): void {
    this.deps.panel.hidden = true;
    this.deps.toggleButton.setAttribute('aria-expanded', 'false');
  }

  /** Asks for the listing again (after a download, say); shown when it comes. */
  refresh(): void {
    if (this.deps.panel.hidden) return;
    this.request(this.deps.list());
  }

  private request(listing: Promise<CacheListing>): void {
    const generation = ++this.generation;
    this.deps.panel.dataset['state'] = 'busy';
    const kept = this.deps.storage?.persisted().catch(() => undefined);
    Promise.all([listing, kept]).then(([l, k]) => {
      if (!this.disposed && generation === this.generation) this.show(l, k);
    }, (err: unknown) => {
      if (this.disposed || generation !== this.generation) return;
      this.deps.panel.dataset['state'] = 'error';
      this.deps.notify(`Model cache: ${err instanceof Error ? err.message : String(err)}`, 'error');
    });
  }

  /** `kept`: whether the browser keeps the page's storage (undefined: it does not say). */
  private show(listing: CacheListing, kept: boolean | undefined): void {
    this.rowListeners.clear();
    this.rows.replaceChildren(...listing.models.map((m) => this.row(m)));
    if (listing.models.length === 0) this.rows.append(element('li', { class: 'cache-empty' }, listing.store ? 'No models cached.' : 'This browser gives the page no model cache.'));
    const cached = listing.models.reduce((sum, m) => sum + m.bytes, 0);
    const quota = listing.quota !== undefined
      ? ` · this page uses ${formatBytes(listing.usage ?? 0)} of ${formatBytes(listing.quota)} allowed`
      : '';
    const keeping = kept === undefined || listing.models.length === 0 ? ''
      : kept ? ' · the browser keeps them until you delete them' : ' · the browser may evict them when storage runs low';
    this.total.textContent = `Models: ${formatBytes(cached)}${quota}${listing.store ? ` (${listing.store === 'cache-api' ? 'Cache API' : 'OPFS'})` : ''}${keeping}`;
    this.deps.panel.dataset['state'] = 'ready';
  }

  private row(model: CachedModel): HTMLElement {
    const li = element('li', { class: 'cache-row', 'data-testid': 'cache-row', 'data-source': model.source });
    const name = element('span', { class: 'cache-name', title: model.label }, model.source);
    const size = element('span', { class: 'cache-size', 'data-testid': 'cache-size' }, `${formatBytes(model.bytes)}${model.complete ? '' : ' (partial)'}`);
    const load = element('button', { type: 'button', 'data-testid': 'cache-load', title: model.complete ? 'Load it from the cache' : 'Resume its download' }, model.complete ? 'Load' : 'Resume');
    const remove = element('button', { type: 'button', 'data-testid': 'cache-delete' }, 'Delete');
    this.rowListeners.add(listen(load, 'click', () => { this.deps.load(model.source); this.close(); }));
    this.rowListeners.add(listen(remove, 'click', () => {
      remove.disabled = true;
      this.request(this.deps.delete(model.key));
    }));
    li.append(name, size, load, remove);
    return li;
  }

  dispose(): void {
    this.disposed = true;
    this.store.dispose();
    this.deps.panel.replaceChildren();
  }
}
