// In the browser project for its real DOM (MutationObserver, animation frames); no GPU involved.
import { afterEach, describe, expect, it } from 'vitest';
import { GhostRenderWatch } from './ghost-render-watch.ts';
import { until } from '../../testing/poll.ts';

describe('GhostRenderWatch: the frame a ghost appears in, as the outside probe sees it', () => {
  const node = document.createElement('div');
  document.body.append(node);
  const show = (text: string) => { node.innerHTML = text ? `<span class="ghost-text">${text}</span>` : ''; };
  let watch: GhostRenderWatch | undefined;
  afterEach(() => { watch?.dispose(); show(''); });

  it('answers with the first new non-empty ghost after a time, at once when it was already drawn', async () => {
    watch = new GhostRenderWatch({ node, now: () => performance.now(), watching: () => true });
    const key = performance.now();
    watch.key(key);
    const got: number[] = [];
    watch.whenRendered(key, (at) => got.push(at));
    show('');
    show('return a + b');
    await until(() => got.length === 1, 'the ghost render');
    expect(got[0]).toBeGreaterThanOrEqual(key);
    expect(watch.lastKeyBefore(got[0]!)).toBe(key);
    // Drawn before the trace finished: answered from what was seen.
    const late: number[] = [];
    watch.whenRendered(key, (at) => late.push(at));
    expect(late).toEqual(got);
  });

  it('ignores an empty ghost and the same text again; gives up after the timeout', async () => {
    watch = new GhostRenderWatch({ node, now: () => performance.now(), watching: () => true, timeoutMs: 300 });
    show('x');
    watch.key(performance.now()); // 'x' is the baseline: not new
    const got: number[] = [];
    watch.whenRendered(0, (at) => got.push(at));
    show('');
    show('');
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    expect(got).toEqual([]);
    await until(() => watch!.pending === 0, 'the wait to be given up');
    show('y');
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    expect(got).toEqual([]); // the wait was given up before 'y'
  });

  it('observes nothing while nobody watches', async () => {
    watch = new GhostRenderWatch({ node, now: () => performance.now(), watching: () => false });
    watch.key(performance.now());
    const got: number[] = [];
    watch.whenRendered(0, (at) => got.push(at));
    show('z');
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    expect(got).toEqual([]);
    expect(watch.lastKeyBefore(Infinity)).toBeUndefined();
  });
});
