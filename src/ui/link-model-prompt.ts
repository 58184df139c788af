// A share link that names a model the page is not running: the page asks before anything is
// downloaded. The model is looked up as "Model…" does (the hub's listing and the weight headers by
// byte range: metadata, not the model), then the notice says where it comes from, its size and
// whether it fits this GPU, with Download and Keep current model. Nothing loads unless Download is
// chosen; a lookup that fails says why and loads nothing.

import type { RemoteModelInfo } from '../engine/index.ts';
import type { NoticeAction } from '../share/session-ui.ts';
import type { Disposable } from '../util/disposable.ts';
import { describeModelInfo, downloadLabel } from './model-source-picker.ts';

export interface LinkModelPromptDeps {
  /** Looks the source up without downloading the model (describeRemoteModel). */
  describe: (source: string, signal: AbortSignal) => Promise<RemoteModelInfo>;
  /** Loads the confirmed model (as the picker's Download does). */
  open: (info: RemoteModelInfo) => void;
  /** Shows (text) or hides (undefined) the prompt (the page's notices, key 'link-model'). */
  notice: (text: string | undefined, actions?: NoticeAction[]) => void;
}

export class LinkModelPrompt implements Disposable {
  private lookup: AbortController | undefined;

  constructor(private readonly deps: LinkModelPromptDeps) {}

  offer(source: string): void {
    this.lookup?.abort();
    const lookup = new AbortController();
    this.lookup = lookup;
    const keep: NoticeAction = { label: 'Keep current model', testId: 'link-model-keep', run: () => this.close() };
    this.deps.notice(`This link names the model ${source}. Looking up where it comes from and its size (nothing is downloaded)…`, [keep]);
    this.deps.describe(source, lookup.signal).then((info) => {
      if (this.lookup !== lookup) return;
      this.deps.notice(`This link names the model ${describeModelInfo(info)}, from ${info.host || 'its host'}. Nothing is downloaded unless you choose ${downloadLabel(info)}.`, [
        { label: downloadLabel(info), testId: 'link-model-download', run: () => { this.close(); this.deps.open(info); } },
        keep,
      ]);
    }, (err: unknown) => {
      if (this.lookup !== lookup) return;
      const why = err instanceof Error ? err.message : String(err);
      this.deps.notice(`This link names the model ${source}, which could not be looked up (${why}). Nothing was downloaded; the current model stays.`, [
        { label: 'OK', testId: 'link-model-keep', run: () => this.close() },
      ]);
    });
  }

  private close(): void {
    this.lookup?.abort();
    this.lookup = undefined;
    this.deps.notice(undefined);
  }

  dispose(): void {
    this.close();
  }
}
