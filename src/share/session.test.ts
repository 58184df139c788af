import { deflateSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, SettingsModel } from '../settings.ts';
import { encodeBase64Url } from './base64url.ts';
import { encodeShareHash } from './link-codec.ts';
import { WorkspaceSession, type SessionDeps } from './session.ts';
import type { EditorSnapshot } from '../document/snapshot.ts';
import type { ShareState } from './share-state.ts';
import { readWorkspace, workspaceRecord, type Workspace } from './workspace.ts';

const at1 = [{ anchorLine: 1, anchorColumn: 1, activeLine: 1, activeColumn: 1 }];
const snap = (text: string, language = 'typescript'): EditorSnapshot => ({ text, language, selections: at1 });

/** The session with every page dependency replaced by a double that records what happened. */
function harness(saved: Workspace | undefined, hash = '') {
  const log = { toasts: [] as Array<[string, string]>, banner: 0, hashes: [] as string[], copied: [] as string[] };
  let stored: unknown = saved ? workspaceRecord(saved) : undefined;
  let screen: EditorSnapshot = snap('');
  let currentHash = hash;
  let choose: ((c: 'keep-shared' | 'back-to-workspace') => void) | undefined;
  const settings = new SettingsModel();
  const deps: SessionDeps = {
    editor: { getSnapshot: () => structuredClone(screen), setSnapshot: (s) => { screen = structuredClone(s); } },
    settings,
    store: { load: async () => stored, save: async (w) => { stored = workspaceRecord(w); } },
    location: {
      hash: () => currentHash,
      replaceHash: (h) => { currentHash = h; log.hashes.push(h); },
      href: () => `http://127.0.0.1/${currentHash}`,
    },
    ui: {
      toast: (m, k) => log.toasts.push([k, m]),
      showBanner: (onChoice) => { log.banner++; choose = onChoice; },
      hideBanner: () => { choose = undefined; },
      saveState: () => {},
    },
    copyToClipboard: async (t) => { log.copied.push(t); },
    welcome: snap('welcome'),
    saverDebounceMs: 1,
  };
  const session = new WorkspaceSession(deps);
  return {
    session, settings, log,
    screen: () => screen,
    type: (text: string) => { screen = { ...screen, text }; session.onEditorChange('content'); },
    stored: () => readWorkspace(stored),
    choose: (c: 'keep-shared' | 'back-to-workspace') => choose?.(c),
    setHash: (h: string) => { currentHash = h; },
  };
}

const linkTo = (state: ShareState): string => {
  const r = encodeShareHash(state);
  if (!r.ok) throw new Error(r.message);
  return r.hash;
};
const mine: Workspace = { ...snap('my work'), settings: { ...DEFAULT_SETTINGS } };
const theirs: ShareState = { ...snap('their snippet', 'python'), settings: { ...DEFAULT_SETTINGS, temperature: 1 } };

describe('WorkspaceSession', () => {
  it('opens the welcome text when there is nothing saved and no link', async () => {
    const h = harness(undefined);
    await h.session.start();
    expect(h.screen().text).toBe('welcome');
    expect(h.session.mode).toBe('workspace');
  });

  it('restores the saved workspace', async () => {
    const h = harness(mine);
    await h.session.start();
    expect(h.screen()).toMatchObject(snap('my work'));
  });

  it('a link over a saved workspace opens in shared mode, asks, and saves nothing until asked', async () => {
    const h = harness(mine, linkTo(theirs));
    await h.session.start();
    expect(h.session.mode).toBe('shared');
    expect(h.log.banner).toBe(1);
    expect(h.screen().text).toBe('their snippet');
    expect(h.settings.value.temperature).toBe(1);
    h.type('their snippet, edited');
    await h.session.flush();
    expect(h.stored()?.text).toBe('my work');

    h.choose('back-to-workspace');
    await Promise.resolve();
    expect(h.screen().text).toBe('my work');
    expect(h.settings.value.temperature).toBe(0);
    expect(h.session.mode).toBe('workspace');
  });

  it('"keep shared" makes the snippet the workspace', async () => {
    const h = harness(mine, linkTo(theirs));
    await h.session.start();
    await h.session.keepShared();
    expect(h.stored()).toMatchObject({ text: 'their snippet', language: 'python' });
    expect(h.stored()?.settings.temperature).toBe(1);
    expect(h.session.mode).toBe('workspace');
  });

  it('a link identical to the saved workspace opens without asking', async () => {
    const h = harness(mine, linkTo(mine));
    await h.session.start();
    expect(h.session.mode).toBe('workspace');
    expect(h.log.banner).toBe(0);
  });

  it('a bad link shows an error and opens the saved workspace untouched', async () => {
    const h = harness(mine, '#v9.AAAA');
    await h.session.start();
    expect(h.log.toasts).toEqual([['error', expect.stringMatching(/newer version/)]]);
    expect(h.screen().text).toBe('my work');
    expect(h.stored()?.text).toBe('my work');
  });

  it.each([
    ['a language object that cannot be turned into text', '{"toString":1}'],
    ['a language nested 100,000 lists deep', '['.repeat(100_000) + ']'.repeat(100_000)],
  ])('a hostile link (%s) shows an error and opens the saved workspace, which stays saved', async (_name, language) => {
    const json = JSON.stringify({ text: 'x', language: 'typescript', selections: [[1, 1, 1, 1]], settings: DEFAULT_SETTINGS })
      .replace('"typescript"', language);
    const h = harness(mine, `#v1.${encodeBase64Url(deflateSync(new TextEncoder().encode(json)))}`);
    await h.session.start();
    expect(h.log.toasts).toEqual([['error', expect.stringMatching(/holds invalid data \((language must be text|its data is nested)/)]]);
    expect(h.screen().text).toBe('my work');
    h.type('my work, edited');
    await h.session.flush();
    expect(h.stored()?.text).toBe('my work, edited');
  });

  it('share() writes the hash, copies the URL and says so; the next edit drops the stale hash', async () => {
    const h = harness(mine);
    await h.session.start();
    const outcome = await h.session.share();
    expect(outcome).toMatchObject({ ok: true, copied: true });
    expect(h.log.copied[0]).toMatch(/^http:\/\/127\.0\.0\.1\/#v1\./);
    expect(h.log.toasts.at(-1)).toEqual(['info', expect.stringMatching(/Link copied/)]);
    h.type('changed');
    expect(h.log.hashes.at(-1)).toBe('');
  });

  it('a link arriving by hashchange first saves pending keystrokes of the workspace', async () => {
    const h = harness(mine);
    await h.session.start();
    h.type('my work, one more line');
    h.setHash(linkTo(theirs));
    await h.session.onHashChange();
    expect(h.stored()?.text).toBe('my work, one more line');
    expect(h.session.mode).toBe('shared');
    await h.session.backToWorkspace();
    expect(h.screen().text).toBe('my work, one more line');
  });
});
