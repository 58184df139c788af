// What the session shows the user, as an interface the page implements (src/ui) and tests record.

/** A button on a notice. */
export interface NoticeAction {
  label: string;
  testId: string;
  run(): void;
}

/** The notices that stay until the condition ends: each has a data-testid of notice-<key>. */
export type NoticeKey = 'other-tab' | 'conflict' | 'load-error' | 'save-error' | 'link-model';

export interface SessionUi {
  toast(message: string, kind: 'info' | 'error'): void;
  showBanner(onChoice: (choice: 'keep-shared' | 'back-to-workspace') => void): void;
  hideBanner(): void;
  saveState(text: string): void;
  /** Shows (text) or hides (undefined) the notice with this key. */
  notice(key: NoticeKey, text: string | undefined, actions?: NoticeAction[]): void;
  /** Offers the text as a file download. */
  download(fileName: string, text: string): void;
}

/** An error as one line for the user (a DOMException's name says more than its class). */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message ? `${err.name}: ${err.message}` : err.name;
  if (typeof err === 'string') return err;
  return 'unknown error';
}

/** The model the engine runs: the shipped one (settings.modelId), a remote source, or a local file. */
export type RunningModel = { kind: 'shipped' } | { kind: 'remote'; source: string } | { kind: 'file'; name: string };

/** The model side of links: what a link shares, and how a link's model is offered. */
export interface SessionModels {
  running(): RunningModel;
  /** Asks the user whether to download a link's model (host, size, fit); nothing is fetched before they agree. */
  offer(source: string): void;
  /** The origins the page may fetch models from (connect-src): a link's model URL must be on one. */
  hosts: readonly string[];
}
