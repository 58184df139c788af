// Notices that stay while their condition lasts (another tab, a save conflict, a workspace that
// could not be read, a failing save), under the toolbar. Built from elements with textContent
// only: a notice may quote an error message.

import type { NoticeAction, NoticeKey } from '../share/session-ui.ts';
import { DisposableStore, listen, type Disposable } from '../util/disposable.ts';
import { element } from './dom.ts';

export class Notices implements Disposable {
  private readonly host: HTMLElement;
  private readonly shown = new Map<NoticeKey, { node: HTMLElement; listeners: DisposableStore }>();

  /** The notices' container goes right after `anchor` (the share banner). */
  constructor(anchor: HTMLElement) {
    this.host = element('div', { class: 'notices', 'data-testid': 'notices' });
    anchor.after(this.host);
  }

  show(key: NoticeKey, text: string | undefined, actions: readonly NoticeAction[] = []): void {
    this.hide(key);
    if (text === undefined) return;
    const listeners = new DisposableStore();
    const node = element('div', { class: 'banner notice', role: 'alert', 'data-testid': `notice-${key}`, 'data-kind': key });
    node.append(element('span', { class: 'banner-text' }, text));
    for (const action of actions) {
      const button = element('button', { type: 'button', 'data-testid': action.testId }, action.label);
      listeners.add(listen(button, 'click', () => action.run()));
      node.append(button);
    }
    if (key === 'other-tab') {
      const dismiss = element('button', { type: 'button', 'data-testid': 'notice-dismiss', 'aria-label': 'Dismiss' }, '×');
      listeners.add(listen(dismiss, 'click', () => this.hide(key)));
      node.append(dismiss);
    }
    this.host.append(node);
    this.shown.set(key, { node, listeners });
  }

  hide(key: NoticeKey): void {
    const current = this.shown.get(key);
    if (!current) return;
    current.listeners.dispose();
    current.node.remove();
    this.shown.delete(key);
  }

  dispose(): void {
    for (const key of [...this.shown.keys()]) this.hide(key);
    this.host.remove();
  }
}

/** Offers text as a file: a temporary object URL on a temporary link, both gone after the click. */
export function downloadText(fileName: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
  const link = element('a', { href: url, download: fileName });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
