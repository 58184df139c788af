// One toast at a time, at the bottom of the page. Messages are set as textContent: a message may
// quote user data (a link's error, a file name) and must never become markup.

import type { Disposable } from '../util/disposable.ts';

export type ToastKind = 'info' | 'error';

export class Toast implements Disposable {
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly element: HTMLElement) {}

  /** Shows the message, replacing any current one. Errors stay longer: they usually need reading. */
  show(message: string, kind: ToastKind = 'info', durationMs = kind === 'error' ? 12_000 : 4_000): void {
    this.element.textContent = message;
    this.element.dataset['kind'] = kind;
    this.element.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    this.element.hidden = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.hide(), durationMs);
  }

  hide(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.element.hidden = true;
  }

  dispose(): void {
    this.hide();
  }
}
