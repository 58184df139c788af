// The non-blocking banner shown when a playground link opened: the saved workspace is untouched
// until the user picks one of the two buttons.

import { DisposableStore, listen, type Disposable } from '../util/disposable.ts';
import { element } from './dom.ts';

export type BannerChoice = 'keep-shared' | 'back-to-workspace';

export class ShareBanner implements Disposable {
  private readonly shown = new DisposableStore();
  private readonly store = new DisposableStore();

  constructor(private readonly host: HTMLElement) {
    this.store.add(this.shown);
  }

  get isShown(): boolean {
    return !this.host.hidden;
  }

  show(onChoice: (choice: BannerChoice) => void): void {
    this.hide();
    const text = element('span', { class: 'banner-text', 'data-testid': 'share-banner-text' },
      'This link opened a shared snippet. Your saved workspace is kept.');
    const keep = element('button', { type: 'button', 'data-testid': 'banner-keep-shared' }, 'Keep shared as my workspace');
    const back = element('button', { type: 'button', 'data-testid': 'banner-back-to-workspace' }, 'Back to my workspace');
    const choose = (choice: BannerChoice) => {
      this.hide();
      onChoice(choice);
    };
    this.shown.add(listen(keep, 'click', () => choose('keep-shared')));
    this.shown.add(listen(back, 'click', () => choose('back-to-workspace')));
    this.host.replaceChildren(text, keep, back);
    this.host.hidden = false;
  }

  hide(): void {
    this.shown.clear();
    this.host.replaceChildren();
    this.host.hidden = true;
  }

  dispose(): void {
    this.hide();
    this.store.dispose();
  }
}
