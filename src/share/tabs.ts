// Other tabs on the same workspace. A Web Lock named after the workspace is held by the first
// tab for as long as it lives; a tab that can't get it knows another one has the workspace open.
// A BroadcastChannel tells tabs about each other (a newcomer says hello, the others answer) and
// about saves, so the first tab learns of the second too and each knows when its revision is old.

import { DisposableStore, toDisposable, type Disposable } from '../util/disposable.ts';
import { Emitter } from '../util/emitter.ts';

export interface TabPeers extends Disposable {
  /** Fires when another tab is found on the same workspace. */
  readonly onDidFindOther: (listener: () => void) => Disposable;
  /** Fires with the revision another tab just saved. */
  readonly onDidSaveElsewhere: (listener: (revision: number) => void) => Disposable;
  /** Starts looking; resolves once this tab knows whether it is the first. */
  start(): Promise<void>;
  announceSaved(revision: number): void;
}

type Message = { type: 'hello' } | { type: 'here' } | { type: 'saved'; revision: number };

/** The browser's tabs, through navigator.locks and BroadcastChannel; a part that is missing is skipped. */
export class BrowserTabPeers implements TabPeers {
  private readonly store = new DisposableStore();
  private readonly found = this.store.add(new Emitter<void>());
  private readonly saved = this.store.add(new Emitter<number>());
  readonly onDidFindOther = this.found.event;
  readonly onDidSaveElsewhere = this.saved.event;
  private readonly channel: BroadcastChannel | undefined;

  constructor(private readonly name: string) {
    if (typeof BroadcastChannel !== 'undefined') {
      const channel = new BroadcastChannel(name);
      this.channel = channel;
      channel.onmessage = (event: MessageEvent<Message>) => this.onMessage(event.data);
      this.store.add(toDisposable(() => channel.close()));
    }
  }

  async start(): Promise<void> {
    this.channel?.postMessage({ type: 'hello' } satisfies Message);
    const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
    if (!locks) return;
    let release!: () => void;
    const held = new Promise<void>((resolve) => { release = resolve; });
    const granted = await new Promise<boolean>((resolve) => {
      void locks.request(this.name, { ifAvailable: true }, (lock) => {
        resolve(lock !== null);
        return lock ? held : undefined;
      }).catch(() => resolve(true));
    });
    if (granted) this.store.add(toDisposable(release));
    else this.found.fire();
  }

  announceSaved(revision: number): void {
    if (!this.store.isDisposed) this.channel?.postMessage({ type: 'saved', revision } satisfies Message);
  }

  private onMessage(message: Message): void {
    if (typeof message !== 'object' || message === null) return;
    if (message.type === 'hello') {
      this.channel?.postMessage({ type: 'here' } satisfies Message);
      this.found.fire();
    } else if (message.type === 'here') {
      this.found.fire();
    } else if (message.type === 'saved' && typeof message.revision === 'number') {
      this.saved.fire(message.revision);
    }
  }

  dispose(): void {
    this.store.dispose();
  }
}
